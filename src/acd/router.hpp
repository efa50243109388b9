#pragma once
// The ACD routing engine: agents, queues, waiting calls and the matching between them.
//
// Pure and single-threaded: it runs on the control loop, does no I/O and reads no clock. Every
// entry point takes `now`; the owner calls tick(now) at next_deadline() (relaxation steps,
// preferred-agent windows, max wait, ring timeouts, wrap-up ends). Decisions come out through a
// RouterListener (offers, cancels, overflows, agent state changes).
//
// The listener is called synchronously from inside the router; it must not call back into the
// router (post the follow-up to the control loop instead).
//
// Matching invariant: after every entry point returns, no waiting call can be matched with a
// Ready agent. So each event only has to look at what it changed: a new or re-queued call looks
// for the best agent, an agent that became Ready looks for the best call.
//
// Indexes and complexity (n agents, c waiting calls, m = queues per agent, L = 11 skill levels):
// - Each queue keeps its Ready members in L ordered sets, bucketed by how well the agent meets
//   the queue's skills (its "qualification" 0..10) and ordered by (penalty, strategy key):
//   ready-since (longest idle), last offer (round robin), calls today (fewest calls), skill sum
//   (skills weighted). Best agent for a call: O(L) set heads.
// - Each queue keeps its waiting calls in L ordered sets bucketed by the call's current minimum
//   skill level and ordered by (priority desc, arrival asc). Best call for an agent: O(m * L).
// - An agent state change costs O(m log n); a routing decision O(m * L + log n + log c).
//   Nothing scans all agents or all calls, except ring_all (rings every eligible Ready agent)
//   and reset_daily().
#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "acd/types.hpp"
#include "common/result.hpp"

namespace kefu::acd {

using Status = Result<std::monostate, AcdError>;

// How an agent-initiated call ended: after a conversation the agent wraps up as after a queue
// call; when nobody was connected they go back to the state they left.
enum class OutboundEnd : std::uint8_t { talked, not_connected };

class Router {
 public:
  explicit Router(RouterListener& listener) : listener_(listener) {}
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Configuration. Queues first: an agent's memberships must name known queues.
  Status add_queue(QueueConfig config);
  Status add_agent(AgentConfig config, TimePoint now);

  // Agent presence.
  Status login(std::string_view agent, AfterLogin after, TimePoint now);
  Status logout(std::string_view agent, TimePoint now);
  Status set_ready(std::string_view agent, TimePoint now);  // also ends wrap-up early
  Status set_not_ready(std::string_view agent, std::string_view reason, TimePoint now);

  // Calls. Enqueue refuses with the overflow target when the queue is full.
  Result<Enqueued, EnqueueRefusal> enqueue(const CallRequest& request, TimePoint now);
  Status offer_answered(std::string_view call, std::string_view agent, TimePoint now);
  Status offer_rejected(std::string_view call, std::string_view agent, TimePoint now);
  // One agent's ring ended unanswered (the SIP side saw 408/480); counts a miss. The queue's
  // ring_timeout does the same for every ringing agent through tick().
  Status offer_timeout(std::string_view call, std::string_view agent, TimePoint now);
  // Caller hung up before being answered; returns how long the caller waited.
  Result<Duration, AcdError> call_abandoned(std::string_view call, TimePoint now);
  // Connected call finished: the agent wraps up, then becomes Ready by itself.
  Status call_ended(std::string_view call, TimePoint now);
  // Moves a waiting, ringing or connected call to another queue (a new wait starts there).
  // With `preferred_agent` the call is held for that agent first (transfer to an agent).
  Result<Enqueued, EnqueueRefusal> transfer(std::string_view call, std::string_view queue,
                                            TimePoint now,
                                            std::optional<std::string> preferred_agent = {},
                                            Duration preferred_wait = {});

  // Agent-initiated calls (click-to-call): the agent is OnCall, so no queue call is offered,
  // with no router call behind it. Allowed from Ready, NotReady and WrapUp (which it ends).
  Status begin_outbound(std::string_view agent, TimePoint now);
  // talked: wrap-up (the longest of the agent's queues), then Ready; not_connected: the state
  // before begin_outbound (WrapUp counts as Ready).
  Status end_outbound(std::string_view agent, OutboundEnd how, TimePoint now);

  // Timers.
  std::optional<TimePoint> next_deadline() const;
  void tick(TimePoint now);
  // Midnight: zero the "today" counters (re-sorts fewest-calls queues: O(n log n)).
  void reset_daily();

  // Estimated wait for a new call: (calls ahead + 1) * average handle time / staffed agents,
  // 0 when a Ready agent is free. nullopt: unknown queue or nobody staffed (unbounded wait).
  std::optional<Duration> estimate_wait(std::string_view queue) const;

  std::optional<QueueStats> queue_stats(std::string_view queue, TimePoint now) const;
  std::optional<AgentStats> agent_stats(std::string_view agent, TimePoint now) const;
  std::optional<AgentState> agent_state(std::string_view agent) const;

 private:
  static constexpr int kLevels = kMaxSkillLevel + 1;
  using AgentIndex = std::uint32_t;
  using QueueIndex = std::uint32_t;
  using CallSeq = std::uint64_t;

  struct ReadyKey {
    int penalty = 0;
    std::int64_t primary = 0;
    std::int64_t secondary = 0;
    AgentIndex agent = 0;
    auto operator<=>(const ReadyKey&) const = default;
  };
  struct CallKey {
    int neg_priority = 0;
    std::int64_t arrival = 0;
    CallSeq seq = 0;
    auto operator<=>(const CallKey&) const = default;
  };
  struct Membership {
    QueueIndex queue = 0;
    int penalty = 0;
    int qualification = 0;  // highest call level this agent may take in this queue
    int skill_sum = 0;      // for skills_weighted
    std::uint64_t last_offer = 0;
    std::optional<ReadyKey> ready_key;  // set while in the queue's Ready index
  };
  struct Agent {
    AgentConfig config;
    AgentState state = AgentState::LoggedOut;
    std::string reason;
    TimePoint since{};
    TimePoint ready_since{};
    std::uint32_t answered_today = 0;
    int consecutive_misses = 0;
    std::vector<Membership> memberships;
    std::optional<CallSeq> call;  // ringing or connected
    std::optional<TimePoint> wrap_up_until;
    std::set<CallKey> held_calls;  // calls waiting for this agent as their preferred one
    // Set while on an agent-initiated call: the state (and reason) to return to.
    std::optional<std::pair<AgentState, std::string>> before_outbound;
  };
  enum class CallPhase : std::uint8_t { Waiting, HeldForPreferred, Ringing, Connected };
  struct Call {
    std::string id;
    QueueIndex queue = 0;
    int priority = 0;
    TimePoint arrival{};
    CallSeq seq = 0;
    CallPhase phase = CallPhase::Waiting;
    int level = kMaxSkillLevel;  // current minimum skill level while Waiting
    std::optional<AgentIndex> preferred;
    std::vector<AgentIndex> ringing;
    std::optional<AgentIndex> agent;  // once connected
    TimePoint answered_at{};
    std::optional<TimePoint> relax_at, preferred_at, max_wait_at, ring_at;
    CallKey key() const { return {-priority, arrival.time_since_epoch().count(), seq}; }
  };
  struct Queue {
    QueueConfig config;
    std::array<std::set<ReadyKey>, kLevels> ready;
    std::array<std::set<CallKey>, kLevels> waiting;
    std::set<std::pair<TimePoint, CallSeq>> unanswered;  // waiting, held and ringing
    std::size_t ringing = 0;
    std::size_t ready_count = 0;
    std::size_t staffed = 0;
    std::uint64_t offers = 0;  // round-robin sequence
    QueueStats today;
    std::deque<Duration> recent_handle;  // last kHandleSamples handle times
    Duration recent_handle_sum{};
  };
  enum class TimerKind : std::uint8_t { Relax, PreferredEnd, MaxWait, Ring, WrapUpEnd };
  struct Timer {
    TimePoint at{};
    TimerKind kind = TimerKind::Relax;
    std::uint64_t target = 0;  // call seq, or agent index for WrapUpEnd
    auto operator<=>(const Timer&) const = default;
  };
  enum class Release : std::uint8_t { Rejected, Missed, Cancelled };

  Agent* find_agent(std::string_view id, AgentIndex* index = nullptr);
  Call* find_call(std::string_view id);
  static bool is_staffed(AgentState state);

  void change_state(AgentIndex a, AgentState to, std::string_view reason, TimePoint now);
  ReadyKey ready_key(const Agent& agent, const Membership& m) const;
  void index_ready(AgentIndex a);
  void unindex_ready(AgentIndex a);
  void make_ready(AgentIndex a, std::string_view reason, TimePoint now);

  void set_timer(std::optional<TimePoint>& slot, TimePoint at, TimerKind kind, std::uint64_t id);
  void clear_timer(std::optional<TimePoint>& slot, TimerKind kind, std::uint64_t id);
  void clear_call_timers(Call& call);

  void enter_waiting(Call& call, TimePoint now);
  void leave_waiting(Call& call);
  bool try_match_call(Call& call, TimePoint now);
  void try_match_agent(AgentIndex a, TimePoint now);
  void offer(Call& call, std::vector<AgentIndex> agents, TimePoint now);
  void release_agent(Call& call, AgentIndex a, Release how, TimePoint now);
  void after_release(AgentIndex a, Release how, QueueIndex queue, TimePoint now);
  void requeue_after_ring(Call& call, TimePoint now);
  void overflow(Call& call, OverflowReason reason, TimePoint now);
  void end_connected(AgentIndex a, QueueIndex queue, TimePoint answered_at, TimePoint now);
  Status release_ringing(std::string_view call, std::string_view agent, Release how, TimePoint now);
  void erase_call(Call& call);
  void record_handle(Queue& q, Duration handle);

  RouterListener& listener_;
  std::vector<Agent> agents_;
  std::unordered_map<std::string, AgentIndex> agent_ids_;
  std::vector<Queue> queues_;
  std::unordered_map<std::string, QueueIndex> queue_ids_;
  std::unordered_map<CallSeq, Call> calls_;
  std::unordered_map<std::string, CallSeq> call_ids_;
  std::set<Timer> timers_;
  CallSeq next_seq_ = 1;
};

}  // namespace kefu::acd
