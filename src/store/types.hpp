#pragma once
// Value types shared by the repositories: typed ids, timestamps and the enums stored as text.
// Enums are stored by name (not by number) so that rows stay readable in a SQL shell and a new
// enumerator never changes the meaning of old rows.
#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

namespace kefu::store {

// Database row ids, one type per table so that an agent id cannot be passed as a queue id.
enum class AgentId : std::int64_t {};
enum class SkillId : std::int64_t {};
enum class QueueId : std::int64_t {};
enum class CustomerId : std::int64_t {};
enum class LegRowId : std::int64_t {};
enum class RecordingId : std::int64_t {};

template <typename Id>
constexpr std::int64_t raw(Id id) {
  return static_cast<std::int64_t>(id);
}

// Wall-clock times are stored as milliseconds since the Unix epoch (UTC) in BIGINT columns:
// portable between SQLite and PostgreSQL and exact for the 100 ms duration checks.
using Timestamp = std::chrono::sys_time<std::chrono::milliseconds>;
using Millis = std::chrono::milliseconds;

inline Timestamp from_epoch_ms(std::int64_t ms) {
  return Timestamp{Millis{ms}};
}
inline std::int64_t to_epoch_ms(Timestamp t) {
  return t.time_since_epoch().count();
}

enum class PresenceFollowsPhone { no, yes };
enum class RecordCalls { no, yes };
enum class QueueStrategy { longest_idle, round_robin, fewest_calls, skills_weighted, ring_all };
enum class OverflowKind { none, queue, voicemail, goodbye };
enum class RecordingPolicy { none, all, chosen_agents };
enum class CallDirection { inbound, outbound, internal };
enum class Disposition {
  answered,     // talked to an agent (or the called party) and ended normally
  abandoned,    // the caller hung up while waiting
  overflowed,   // sent to the queue's overflow target
  transferred,  // left kefu's handling through a blind transfer to a number
  unanswered,   // nobody answered (outbound or internal)
  failed,       // could not be set up
  interrupted,  // still open when kefu stopped: closed at the next start
};
enum class LegRole { caller, agent, outbound, transfer_target };
enum class QueueEventKind { enqueue, offer, connect, abandon, overflow, transfer, complete };
enum class AgentState { logged_out, ready, not_ready, reserved, ringing, on_call, wrap_up };
enum class RecordingState { writing, complete, failed };

// Names of each enum's values, as stored. One table per enum, both directions derived from it.
template <typename E>
struct EnumNames;

template <>
struct EnumNames<QueueStrategy> {
  static constexpr std::array<std::pair<QueueStrategy, std::string_view>, 5> values{{
      {QueueStrategy::longest_idle, "longest_idle"},
      {QueueStrategy::round_robin, "round_robin"},
      {QueueStrategy::fewest_calls, "fewest_calls"},
      {QueueStrategy::skills_weighted, "skills_weighted"},
      {QueueStrategy::ring_all, "ring_all"},
  }};
};
template <>
struct EnumNames<OverflowKind> {
  static constexpr std::array<std::pair<OverflowKind, std::string_view>, 4> values{{
      {OverflowKind::none, "none"},
      {OverflowKind::queue, "queue"},
      {OverflowKind::voicemail, "voicemail"},
      {OverflowKind::goodbye, "goodbye"},
  }};
};
template <>
struct EnumNames<RecordingPolicy> {
  static constexpr std::array<std::pair<RecordingPolicy, std::string_view>, 3> values{{
      {RecordingPolicy::none, "none"},
      {RecordingPolicy::all, "all"},
      {RecordingPolicy::chosen_agents, "chosen_agents"},
  }};
};
template <>
struct EnumNames<CallDirection> {
  static constexpr std::array<std::pair<CallDirection, std::string_view>, 3> values{{
      {CallDirection::inbound, "inbound"},
      {CallDirection::outbound, "outbound"},
      {CallDirection::internal, "internal"},
  }};
};
template <>
struct EnumNames<Disposition> {
  static constexpr std::array<std::pair<Disposition, std::string_view>, 7> values{{
      {Disposition::answered, "answered"},
      {Disposition::abandoned, "abandoned"},
      {Disposition::overflowed, "overflowed"},
      {Disposition::transferred, "transferred"},
      {Disposition::unanswered, "unanswered"},
      {Disposition::failed, "failed"},
      {Disposition::interrupted, "interrupted"},
  }};
};
template <>
struct EnumNames<LegRole> {
  static constexpr std::array<std::pair<LegRole, std::string_view>, 4> values{{
      {LegRole::caller, "caller"},
      {LegRole::agent, "agent"},
      {LegRole::outbound, "outbound"},
      {LegRole::transfer_target, "transfer_target"},
  }};
};
template <>
struct EnumNames<QueueEventKind> {
  static constexpr std::array<std::pair<QueueEventKind, std::string_view>, 7> values{{
      {QueueEventKind::enqueue, "enqueue"},
      {QueueEventKind::offer, "offer"},
      {QueueEventKind::connect, "connect"},
      {QueueEventKind::abandon, "abandon"},
      {QueueEventKind::overflow, "overflow"},
      {QueueEventKind::transfer, "transfer"},
      {QueueEventKind::complete, "complete"},
  }};
};
template <>
struct EnumNames<AgentState> {
  static constexpr std::array<std::pair<AgentState, std::string_view>, 7> values{{
      {AgentState::logged_out, "logged_out"},
      {AgentState::ready, "ready"},
      {AgentState::not_ready, "not_ready"},
      {AgentState::reserved, "reserved"},
      {AgentState::ringing, "ringing"},
      {AgentState::on_call, "on_call"},
      {AgentState::wrap_up, "wrap_up"},
  }};
};
template <>
struct EnumNames<RecordingState> {
  static constexpr std::array<std::pair<RecordingState, std::string_view>, 3> values{{
      {RecordingState::writing, "writing"},
      {RecordingState::complete, "complete"},
      {RecordingState::failed, "failed"},
  }};
};

template <typename E>
constexpr std::string_view to_string(E value) {
  for (const auto& [v, name] : EnumNames<E>::values) {
    if (v == value) return name;
  }
  return {};
}

template <typename E>
constexpr std::optional<E> enum_from_string(std::string_view text) {
  for (const auto& [v, name] : EnumNames<E>::values) {
    if (name == text) return v;
  }
  return std::nullopt;
}

}  // namespace kefu::store
