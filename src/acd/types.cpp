#include "acd/types.hpp"

namespace kefu::acd {

std::string_view to_string(AgentState state) {
  switch (state) {
    case AgentState::LoggedOut:
      return "logged_out";
    case AgentState::Ready:
      return "ready";
    case AgentState::NotReady:
      return "not_ready";
    case AgentState::Reserved:
      return "reserved";
    case AgentState::OnCall:
      return "on_call";
    case AgentState::WrapUp:
      return "wrap_up";
  }
  return "unknown";
}

std::string_view to_string(Strategy strategy) {
  switch (strategy) {
    case Strategy::LongestIdle:
      return "longest_idle";
    case Strategy::RoundRobin:
      return "round_robin";
    case Strategy::FewestCalls:
      return "fewest_calls";
    case Strategy::SkillsWeighted:
      return "skills_weighted";
    case Strategy::RingAll:
      return "ring_all";
  }
  return "unknown";
}

std::string_view to_string(OverflowReason reason) {
  switch (reason) {
    case OverflowReason::QueueFull:
      return "queue_full";
    case OverflowReason::MaxWait:
      return "max_wait";
  }
  return "unknown";
}

std::string_view to_string(AcdError error) {
  switch (error) {
    case AcdError::UnknownQueue:
      return "unknown_queue";
    case AcdError::UnknownAgent:
      return "unknown_agent";
    case AcdError::UnknownCall:
      return "unknown_call";
    case AcdError::DuplicateQueue:
      return "duplicate_queue";
    case AcdError::DuplicateAgent:
      return "duplicate_agent";
    case AcdError::DuplicateCall:
      return "duplicate_call";
    case AcdError::InvalidConfig:
      return "invalid_config";
    case AcdError::InvalidState:
      return "invalid_state";
    case AcdError::QueueFull:
      return "queue_full";
  }
  return "unknown";
}

}  // namespace kefu::acd
