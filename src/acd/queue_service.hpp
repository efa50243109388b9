#pragma once
// QueueService: the ACD at work on live calls. It owns the Router (pure decisions) and carries
// them out on the control loop: callers wait with music and announcements, offers ring the
// agents' registered phones, the first to answer is announced to the caller and bridged (and
// recorded when the queue says so), ring timeouts and rejections re-route, presence follows the
// phones' registrations, and every step is reported to an AcdRecorder for the call records,
// queue events and agent state log.
//
//   co_await leg->answer();                             // an IVR flow, after "press 0"
//   auto outcome = co_await queues.serve(leg, "service"); // returns when the queue is done
//
// Everything runs on the control loop; nothing here blocks.
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/logger.h>

#include "acd/queue_prompts.hpp"
#include "acd/router.hpp"
#include "call/leg.hpp"
#include "call/waiter.hpp"
#include "sip/stack/transport.hpp"

namespace kefu::call {
class CallManager;
}

namespace kefu::acd {

enum class RecordingPolicy : std::uint8_t { none, all, chosen_agents };
enum class OverflowKind : std::uint8_t { none, queue, voicemail, goodbye };

// What the router does not need but the call handling does.
struct QueueSettings {
  QueueConfig routing;  // routing.id is the queue's name
  std::string display_name;
  RecordingPolicy recording = RecordingPolicy::none;
  OverflowKind overflow = OverflowKind::goodbye;  // routing.overflow_target names the queue
  std::chrono::seconds announce_interval{30};     // 0: no periodic announcements
  // Last-agent routing: the caller's last agent within this many days gets the call first,
  // if they become free within last_agent_wait. 0 days: off.
  int last_agent_days = 7;
  std::chrono::seconds last_agent_wait{15};
  // When the estimated wait on arrival exceeds routing.max_wait, offer the overflow target
  // before queueing (JT-11).
  bool offer_overflow_on_long_wait = true;
};

struct AgentSettings {
  AgentConfig routing;  // routing.id is the 工号
  std::vector<std::string> extensions;
  bool presence_follows_phone = false;
  bool record_calls = false;  // for RecordingPolicy::chosen_agents
};

// Where an extension can be reached now (from the registrar).
struct Contact {
  std::string target;  // Request-URI
  std::optional<sip::Destination> destination;
};
using ContactFinder = std::function<std::vector<Contact>(const std::string& extension)>;

// About the caller, looked up before queueing (customer table, last calls).
struct CallerProfile {
  int vip_tier = 0;
  std::optional<std::string> last_agent;  // within the queue's last_agent_days
};
using CallerLookup =
    std::function<boost::asio::awaitable<CallerProfile>(std::string caller, int last_agent_days)>;

enum class QueueEventType : std::uint8_t { enqueue, offer, connect, abandon, overflow, transfer,
                                           complete };
std::string_view to_string(QueueEventType type);

// Told everything worth keeping. Called on the control loop; must not block or call back.
class AcdRecorder {
 public:
  virtual ~AcdRecorder() = default;
  virtual void agent_state(const AgentStateChange& change) = 0;
  virtual void queue_event(const std::string& call_id, const std::string& queue,
                           const std::string& agent, QueueEventType type,
                           const std::string& details) = 0;
  // The caller's call record: queued, first offered, connected to an agent, hold on/off.
  virtual void call_queued(const std::string& call_id, const std::string& queue) = 0;
  virtual void call_offered(const std::string& call_id) = 0;
  virtual void call_connected(const std::string& call_id, const std::string& agent) = 0;
  virtual void call_hold(const std::string& call_id, call::Hold hold) = 0;
  virtual void call_overflowed(const std::string& call_id, const std::string& target) = 0;
  // One outbound leg to an agent's phone, written when it ends.
  virtual void agent_leg(const std::string& call_id, const std::string& agent,
                         const call::LegInfo& leg, std::chrono::system_clock::time_point started,
                         std::optional<std::chrono::system_clock::time_point> answered,
                         std::string end_reason) = 0;
  virtual void recording_started(const std::string& call_id, const std::string& agent,
                                 const std::string& caller, const std::filesystem::path& path) = 0;
};

enum class QueueOutcome : std::uint8_t {
  completed,    // talked to an agent; the call is over
  abandoned,    // hung up while waiting
  overflowed,   // sent away (goodbye played, or another flow should take it)
  unavailable,  // unknown queue or nobody can ever answer; the caller was told goodbye
};

struct QueueServiceConfig {
  std::filesystem::path recordings_dir;  // <dir>/<YYYY-MM-DD>/<call id>.wav
  std::string caller_display_prefix;     // prepended to the caller's name on agent phones
};

class QueueService final : private RouterListener {
 public:
  QueueService(boost::asio::io_context& io, call::CallManager& calls, const QueuePrompts& prompts,
               QueueServiceConfig config, ContactFinder contacts, CallerLookup lookup,
               AcdRecorder& recorder, std::shared_ptr<spdlog::logger> log);
  ~QueueService() override;
  QueueService(const QueueService&) = delete;
  QueueService& operator=(const QueueService&) = delete;

  // Configuration, at start. Errors name the queue or agent.
  Result<std::monostate, std::string> add_queue(QueueSettings settings);
  Result<std::monostate, std::string> add_agent(AgentSettings settings);
  // A number that leads straight to `queue` (a service route): a REFER to it transfers there.
  void add_service_number(const std::string& number, const std::string& queue) {
    queue_by_number_[number] = queue;
  }

  // Queues an answered caller and returns when the queue has done its part.
  boost::asio::awaitable<QueueOutcome> serve(std::shared_ptr<call::Leg> caller, std::string queue);

  // Agent presence (HTTP API and feature codes). Errors are readable ("agent 1001 is on a call").
  Result<std::monostate, std::string> login(const std::string& agent, AfterLogin after);
  Result<std::monostate, std::string> logout(const std::string& agent);
  Result<std::monostate, std::string> set_ready(const std::string& agent);
  Result<std::monostate, std::string> set_not_ready(const std::string& agent,
                                                    const std::string& reason);
  // Registrar bindings: presence follows the phone for agents that want it.
  void phone_registered(const std::string& extension);
  void phone_unregistered(const std::string& extension, bool still_registered);

  // Blind transfer of a queued or connected call: to another queue, or to an agent (through
  // the agent's first queue, waiting for that agent first).
  Result<std::monostate, std::string> transfer_to_queue(const std::string& call_id,
                                                        const std::string& queue,
                                                        std::optional<std::string> agent = {});
  Result<std::monostate, std::string> transfer_to_agent(const std::string& call_id,
                                                        const std::string& agent);
  // Places the outside leg of a transfer to a number: `number` as typed, `caller` the leg it
  // will be bridged with. Set by the application (its outbound dialer); without one, transfers
  // to numbers are refused.
  using NumberDialer = std::function<Result<std::shared_ptr<call::Leg>, std::string>(
      const std::string& number, const call::Leg& caller)>;
  void set_number_dialer(NumberDialer dialer,
                         std::chrono::seconds ring_timeout = std::chrono::seconds(30)) {
    number_dialer_ = std::move(dialer);
    number_ring_timeout_ = ring_timeout;
  }
  // Blind transfer of a connected call to a number (an extension or an outside number): the
  // agent leaves at once, the caller hears music while it rings and is bridged on answer. Not
  // answered (busy, no answer within `ring_timeout`), the caller goes back to the queue ahead of
  // the callers of their own priority.
  Result<std::monostate, std::string> transfer_to_number(
      const std::string& call_id, const std::string& number,
      std::chrono::seconds ring_timeout = std::chrono::seconds(30));

  // Which agent an extension belongs to (feature codes).
  std::optional<std::string> agent_for_extension(const std::string& extension) const;

  std::vector<QueueStats> queue_stats() const;
  std::vector<AgentStats> agent_stats() const;
  // Whether `call_id` is the call the agent is ringing for or talking on.
  bool agent_has_call(const std::string& agent, const std::string& call_id) const;
  std::vector<std::string> queue_names() const { return queue_order_; }
  const Router& router() const { return router_; }

 private:
  struct Ringing;
  struct Waiting;
  enum class Phase : std::uint8_t { waiting, connected, transferring, finished };

  // RouterListener: collected, then carried out after the router call returns.
  void on_agent_state(const AgentStateChange& change) override;
  void on_offer(const Offer& offer) override;
  void on_offer_cancelled(const OfferCancelled& cancelled) override;
  void on_overflow(const Overflow& overflow) override;

  template <typename Fn>
  auto with_router(Fn&& fn);
  void run_deferred();
  void arm_timer();

  void start_waiting(Waiting& call);
  void announce(Waiting& call);
  void schedule_announcement(Waiting& call, std::chrono::seconds after);
  // Plays `clips` over the waiting music, then music again and the next announcement.
  void announce_then_music(Waiting& call, std::vector<call::Clip> clips,
                           std::chrono::seconds next_announcement);
  void ring_agent(const std::string& call_id, const std::string& agent);
  void agent_answered(const std::string& call_id, const std::string& agent);
  void agent_leg_ended(const std::string& call_id, const std::string& agent, call::LegEnd why);
  void connect(Waiting& call, const std::string& agent, std::shared_ptr<call::Leg> agent_leg);
  void caller_ended(const std::string& call_id);
  void connected_agent_ended(const std::string& call_id);
  void release_agent(Waiting& call, const std::string& details);
  void number_answered(const std::string& call_id);
  void number_ended(const std::string& call_id, call::LegEnd why);
  void hold_changed(const std::string& call_id, bool caller_side, call::Hold hold);
  // A connected agent's phone sent REFER (blind transfer from the phone): the Refer-To user is
  // a queue (service number or name), else an agent's extension, else a number to dial; the
  // transfer goes the way of transfer_to_queue / _agent / _number.
  void agent_transfer_request(const std::string& call_id,
                              const std::shared_ptr<call::Leg>& agent_leg,
                              const call::TransferRequest& request);
  void finish(Waiting& call, QueueOutcome outcome);
  void apply_pending_logout(const std::string& agent);
  std::filesystem::path recording_path(const std::string& call_id) const;
  Result<std::monostate, std::string> status_text(const Status& status, const std::string& agent,
                                                  std::string_view what) const;
  TimePoint now() const { return std::chrono::steady_clock::now(); }

  boost::asio::io_context& io_;
  call::CallManager& calls_;
  const QueuePrompts& prompts_;
  QueueServiceConfig config_;
  ContactFinder contacts_;
  CallerLookup lookup_;
  AcdRecorder& recorder_;
  std::shared_ptr<spdlog::logger> log_;
  Router router_;
  boost::asio::steady_timer router_timer_;

  std::map<std::string, QueueSettings, std::less<>> queues_;
  std::vector<std::string> queue_order_;
  std::map<std::string, AgentSettings, std::less<>> agents_;
  std::vector<std::string> agent_order_;
  std::map<std::string, std::string, std::less<>> agent_by_extension_;
  std::map<std::string, bool, std::less<>> logout_after_call_;
  std::unordered_map<std::string, std::unique_ptr<Waiting>> waiting_;  // by caller call id

  std::vector<std::function<void()>> deferred_;
  bool in_router_ = false;
  NumberDialer number_dialer_;
  std::chrono::seconds number_ring_timeout_{30};
  std::map<std::string, std::string, std::less<>> queue_by_number_;

 public:
  // Agent-initiated calls (click-to-call). From begin to end the router sees the agent OnCall,
  // so no queue call is offered; see Router::begin_outbound / end_outbound for the states.
  Result<std::monostate, std::string> begin_outbound(const std::string& agent);
  void end_outbound(const std::string& agent, OutboundEnd how);
  // The phone to ring for the agent now: the first of their extensions with a live binding.
  std::optional<std::pair<std::string, Contact>> agent_phone(const std::string& agent) const;
  // Whether the agent's own calls are recorded: one of their queues records all calls, or
  // chosen agents and they are chosen. And where such a call's recording goes.
  bool records_agent(const std::string& agent) const;
  std::filesystem::path recording_file(const std::string& call_id) const {
    return recording_path(call_id);
  }
};

}  // namespace kefu::acd
