#pragma once
// Plain data of the ACD routing core: configuration, events it emits, live statistics.
// Everything here is a value type the API layer can serialize to JSON as it is.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kefu::acd {

// Time is always passed in by the owner, so tests run on virtual time.
using TimePoint = std::chrono::steady_clock::time_point;
using Duration = std::chrono::steady_clock::duration;

inline constexpr int kMaxSkillLevel = 10;

enum class AgentState : std::uint8_t { LoggedOut, Ready, NotReady, Reserved, OnCall, WrapUp };
enum class Strategy : std::uint8_t {
  LongestIdle,
  RoundRobin,
  FewestCalls,
  SkillsWeighted,
  RingAll
};
enum class AfterLogin : std::uint8_t { Ready, NotReady };
enum class OverflowReason : std::uint8_t { QueueFull, MaxWait };

enum class AcdError : std::uint8_t {
  UnknownQueue,
  UnknownAgent,
  UnknownCall,
  DuplicateQueue,
  DuplicateAgent,
  DuplicateCall,
  InvalidConfig,
  InvalidState,
  QueueFull,
};

std::string_view to_string(AgentState state);
std::string_view to_string(Strategy strategy);
std::string_view to_string(OverflowReason reason);
std::string_view to_string(AcdError error);

// From `after` of waiting on, every required skill needs at least min(required, min_level);
// min_level 0 means any member of the queue. Steps must be sorted by `after`.
struct RelaxationStep {
  Duration after{};
  int min_level = kMaxSkillLevel;
};

struct QueueConfig {
  std::string id;
  std::map<std::string, int> required_skills;  // skill -> minimum level 1..10
  Strategy strategy = Strategy::LongestIdle;
  Duration max_wait{};          // 0: no limit
  std::size_t max_length = 0;   // calls not yet answered; 0: no limit
  std::string overflow_target;  // opaque to the router (queue, voicemail, ...)
  Duration wrap_up{};
  Duration ring_timeout = std::chrono::seconds(20);
  int max_missed_offers = 3;  // consecutive; 0: never set NotReady
  Duration service_level_threshold = std::chrono::seconds(20);
  std::vector<RelaxationStep> relaxation;                  // empty: the full requirement always
  Duration default_handle_time = std::chrono::minutes(3);  // EWT before any call was handled
};

struct AgentConfig {
  std::string id;  // 工号
  std::string name;
  std::map<std::string, int> skills;  // skill -> level 1..10
  std::map<std::string, int> queues;  // queue -> penalty (lower is offered first)
};

struct CallRequest {
  std::string id;
  std::string queue;
  int priority = 0;                            // higher first; the VIP tier raises it
  std::optional<std::string> preferred_agent;  // the caller's last agent
  Duration preferred_wait{};                   // how long to hold the call for that agent
};

struct Enqueued {
  std::size_t queue_length = 0;  // calls not yet answered, this one included
};

struct EnqueueRefusal {
  AcdError error = AcdError::QueueFull;
  std::string overflow_target;  // set when the queue is full
};

struct AgentStateChange {
  std::string agent;
  AgentState from = AgentState::LoggedOut;
  AgentState to = AgentState::LoggedOut;
  std::string reason;
  TimePoint time{};
};

// Ring these agents for this call; ring_all names several.
struct Offer {
  std::string call;
  std::string queue;
  std::vector<std::string> agents;
};

struct OfferCancelled {
  std::string call;
  std::string agent;
};

struct Overflow {
  std::string call;
  std::string queue;
  std::string target;
  OverflowReason reason = OverflowReason::MaxWait;
  Duration waited{};
};

// Events up: the owner stores, rings, cancels and plays prompts in response.
class RouterListener {
 public:
  virtual ~RouterListener() = default;
  virtual void on_agent_state(const AgentStateChange& change) = 0;
  virtual void on_offer(const Offer& offer) = 0;
  virtual void on_offer_cancelled(const OfferCancelled& cancelled) = 0;
  virtual void on_overflow(const Overflow& overflow) = 0;
};

struct QueueStats {
  std::string queue;
  std::size_t waiting = 0;  // not answered and not ringing
  std::size_t ringing = 0;
  Duration longest_wait{};  // oldest call not yet answered
  std::uint32_t answered_today = 0;
  std::uint32_t abandoned_today = 0;
  std::uint32_t overflowed_today = 0;
  std::uint32_t answered_within_threshold = 0;
  std::uint32_t abandoned_after_threshold = 0;
  // answered within threshold / (answered + abandoned after threshold); 1 when no calls yet.
  double service_level = 1.0;
  Duration average_handle_time{};  // talk + wrap-up over recent calls
  std::size_t agents_ready = 0;
  std::size_t agents_staffed = 0;  // logged in and not NotReady
};

struct AgentStats {
  std::string agent;
  std::string name;
  AgentState state = AgentState::LoggedOut;
  std::string reason;
  Duration time_in_state{};
  std::uint32_t answered_today = 0;
  int consecutive_misses = 0;
  std::optional<std::string> call;  // ringing or connected call
};

}  // namespace kefu::acd
