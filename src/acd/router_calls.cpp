// Router entry points for calls, plus estimates and statistics (agents and matching are in
// router.cpp).
#include "acd/router.hpp"

#include <algorithm>

namespace kefu::acd {

Result<Enqueued, EnqueueRefusal> Router::enqueue(const CallRequest& request, TimePoint now) {
  auto queue_found = queue_ids_.find(request.queue);
  if (queue_found == queue_ids_.end())
    return unexpected(EnqueueRefusal{AcdError::UnknownQueue, {}});
  if (request.id.empty()) return unexpected(EnqueueRefusal{AcdError::InvalidConfig, {}});
  if (call_ids_.contains(request.id))
    return unexpected(EnqueueRefusal{AcdError::DuplicateCall, {}});
  const QueueIndex q = queue_found->second;
  Queue& queue = queues_[q];
  if (queue.config.max_length > 0 && queue.unanswered.size() >= queue.config.max_length) {
    ++queue.today.overflowed_today;
    return unexpected(EnqueueRefusal{AcdError::QueueFull, queue.config.overflow_target});
  }

  const CallSeq seq = next_seq_++;
  Call& call = calls_[seq];
  call.id = request.id;
  call.queue = q;
  call.priority = request.priority;
  call.arrival = now;
  call.seq = seq;
  call_ids_.emplace(call.id, seq);
  queue.unanswered.insert({now, seq});
  const Enqueued result{queue.unanswered.size()};
  if (queue.config.max_wait > Duration::zero())
    set_timer(call.max_wait_at, now + queue.config.max_wait, TimerKind::MaxWait, seq);

  // Last-agent routing: ring them now if Ready, otherwise hold the call for them a while.
  AgentIndex preferred = 0;
  if (request.preferred_agent && request.preferred_wait > Duration::zero() &&
      find_agent(*request.preferred_agent, &preferred) != nullptr) {
    Agent& agent = agents_[preferred];
    const bool member = std::any_of(agent.memberships.begin(), agent.memberships.end(),
                                    [q](const Membership& m) { return m.queue == q; });
    if (member && agent.state == AgentState::Ready) {
      call.preferred = preferred;
      offer(call, {preferred}, now);
      return result;
    }
    if (member && agent.state != AgentState::LoggedOut) {
      call.preferred = preferred;
      call.phase = CallPhase::HeldForPreferred;
      agent.held_calls.insert(call.key());
      set_timer(call.preferred_at, now + request.preferred_wait, TimerKind::PreferredEnd, seq);
      return result;
    }
  }
  enter_waiting(call, now);
  try_match_call(call, now);
  return result;
}

Status Router::offer_answered(std::string_view call_id, std::string_view agent_id, TimePoint now) {
  Call* call = find_call(call_id);
  if (call == nullptr) return unexpected(AcdError::UnknownCall);
  AgentIndex a = 0;
  if (find_agent(agent_id, &a) == nullptr) return unexpected(AcdError::UnknownAgent);
  if (call->phase != CallPhase::Ringing ||
      std::find(call->ringing.begin(), call->ringing.end(), a) == call->ringing.end())
    return unexpected(AcdError::InvalidState);

  Queue& queue = queues_[call->queue];
  std::vector<AgentIndex> others = call->ringing;
  std::erase(others, a);
  for (AgentIndex other : others) release_agent(*call, other, Release::Cancelled, now);
  call->ringing.clear();
  --queue.ringing;
  clear_call_timers(*call);
  call->phase = CallPhase::Connected;
  call->agent = a;
  call->answered_at = now;
  queue.unanswered.erase({call->arrival, call->seq});
  ++queue.today.answered_today;
  if (now - call->arrival <= queue.config.service_level_threshold)
    ++queue.today.answered_within_threshold;

  Agent& agent = agents_[a];
  ++agent.answered_today;
  agent.consecutive_misses = 0;
  change_state(a, AgentState::OnCall, "answered", now);
  for (AgentIndex other : others) after_release(other, Release::Cancelled, call->queue, now);
  return std::monostate{};
}

Status Router::release_ringing(std::string_view call_id, std::string_view agent_id, Release how,
                               TimePoint now) {
  Call* call = find_call(call_id);
  if (call == nullptr) return unexpected(AcdError::UnknownCall);
  AgentIndex a = 0;
  if (find_agent(agent_id, &a) == nullptr) return unexpected(AcdError::UnknownAgent);
  if (call->phase != CallPhase::Ringing ||
      std::find(call->ringing.begin(), call->ringing.end(), a) == call->ringing.end())
    return unexpected(AcdError::InvalidState);
  const QueueIndex queue = call->queue;
  release_agent(*call, a, how, now);
  if (call->ringing.empty()) requeue_after_ring(*call, now);  // agent still Reserved: excluded
  after_release(a, how, queue, now);
  return std::monostate{};
}

Status Router::offer_rejected(std::string_view call, std::string_view agent, TimePoint now) {
  return release_ringing(call, agent, Release::Rejected, now);
}

Status Router::offer_timeout(std::string_view call, std::string_view agent, TimePoint now) {
  return release_ringing(call, agent, Release::Missed, now);
}

Result<Duration, AcdError> Router::call_abandoned(std::string_view call_id, TimePoint now) {
  Call* call = find_call(call_id);
  if (call == nullptr) return unexpected(AcdError::UnknownCall);
  if (call->phase == CallPhase::Connected) return unexpected(AcdError::InvalidState);
  Queue& queue = queues_[call->queue];
  const QueueIndex q = call->queue;
  const Duration waited = now - call->arrival;
  std::vector<AgentIndex> ringing = call->ringing;
  if (call->phase == CallPhase::Ringing) {
    for (AgentIndex a : ringing) release_agent(*call, a, Release::Cancelled, now);
    --queue.ringing;
  } else {
    leave_waiting(*call);
  }
  ++queue.today.abandoned_today;
  if (waited > queue.config.service_level_threshold) ++queue.today.abandoned_after_threshold;
  erase_call(*call);
  for (AgentIndex a : ringing) after_release(a, Release::Cancelled, q, now);
  return waited;
}

void Router::end_connected(AgentIndex a, QueueIndex q, TimePoint answered_at, TimePoint now) {
  Queue& queue = queues_[q];
  const Duration wrap_up = queue.config.wrap_up;
  record_handle(queue, (now - answered_at) + wrap_up);
  Agent& agent = agents_[a];
  agent.call.reset();
  if (agent.state != AgentState::OnCall) return;
  if (wrap_up > Duration::zero()) {
    change_state(a, AgentState::WrapUp, "call_ended", now);
    set_timer(agent.wrap_up_until, now + wrap_up, TimerKind::WrapUpEnd, a);
  } else {
    make_ready(a, "call_ended", now);
  }
}

Status Router::call_ended(std::string_view call_id, TimePoint now) {
  Call* call = find_call(call_id);
  if (call == nullptr) return unexpected(AcdError::UnknownCall);
  if (call->phase != CallPhase::Connected || !call->agent)
    return unexpected(AcdError::InvalidState);
  const AgentIndex a = *call->agent;
  const QueueIndex q = call->queue;
  const TimePoint answered_at = call->answered_at;
  erase_call(*call);
  end_connected(a, q, answered_at, now);
  return std::monostate{};
}

Result<Enqueued, EnqueueRefusal> Router::transfer(std::string_view call_id,
                                                  std::string_view queue_id, TimePoint now,
                                                  std::optional<std::string> preferred_agent,
                                                  Duration preferred_wait) {
  Call* call = find_call(call_id);
  if (call == nullptr) return unexpected(EnqueueRefusal{AcdError::UnknownCall, {}});
  auto target = queue_ids_.find(std::string(queue_id));
  if (target == queue_ids_.end()) return unexpected(EnqueueRefusal{AcdError::UnknownQueue, {}});
  const QueueConfig& target_config = queues_[target->second].config;
  if (target_config.max_length > 0 &&
      queues_[target->second].unanswered.size() >= target_config.max_length)
    return unexpected(EnqueueRefusal{AcdError::QueueFull, target_config.overflow_target});

  const CallRequest request{call->id, target_config.id, call->priority, std::move(preferred_agent),
                            preferred_wait};
  const QueueIndex q = call->queue;
  std::vector<AgentIndex> released;
  std::optional<AgentIndex> connected_agent;
  const TimePoint answered_at = call->answered_at;
  switch (call->phase) {
    case CallPhase::Waiting:
    case CallPhase::HeldForPreferred:
      leave_waiting(*call);
      break;
    case CallPhase::Ringing:
      released = call->ringing;
      for (AgentIndex a : released) release_agent(*call, a, Release::Cancelled, now);
      --queues_[q].ringing;
      break;
    case CallPhase::Connected:
      connected_agent = call->agent;
      break;
  }
  erase_call(*call);
  if (connected_agent) end_connected(*connected_agent, q, answered_at, now);
  auto result = enqueue(request, now);
  for (AgentIndex a : released) after_release(a, Release::Cancelled, q, now);
  return result;
}

void Router::reset_daily() {
  for (std::size_t i = 0; i < agents_.size(); ++i) {
    const auto a = static_cast<AgentIndex>(i);
    const bool ready = agents_[i].state == AgentState::Ready;
    if (ready) unindex_ready(a);  // fewest-calls keys hold the count
    agents_[i].answered_today = 0;
    if (ready) index_ready(a);
  }
  for (Queue& queue : queues_) {
    QueueStats fresh;
    fresh.queue = queue.config.id;
    queue.today = fresh;
  }
}

std::optional<Duration> Router::estimate_wait(std::string_view queue_id) const {
  auto found = queue_ids_.find(std::string(queue_id));
  if (found == queue_ids_.end()) return std::nullopt;
  const Queue& queue = queues_[found->second];
  const std::size_t ahead = queue.unanswered.size() - queue.ringing;
  if (queue.ready_count > ahead) return Duration::zero();
  if (queue.staffed == 0) return std::nullopt;
  const Duration handle =
      queue.recent_handle.empty()
          ? queue.config.default_handle_time
          : queue.recent_handle_sum / static_cast<std::int64_t>(queue.recent_handle.size());
  return handle * static_cast<std::int64_t>(ahead + 1) / static_cast<std::int64_t>(queue.staffed);
}

std::optional<QueueStats> Router::queue_stats(std::string_view queue_id, TimePoint now) const {
  auto found = queue_ids_.find(std::string(queue_id));
  if (found == queue_ids_.end()) return std::nullopt;
  const Queue& queue = queues_[found->second];
  QueueStats stats = queue.today;
  stats.ringing = queue.ringing;
  stats.waiting = queue.unanswered.size() - queue.ringing;
  if (!queue.unanswered.empty()) stats.longest_wait = now - queue.unanswered.begin()->first;
  const std::uint32_t offered = stats.answered_today + stats.abandoned_after_threshold;
  stats.service_level =
      offered == 0 ? 1.0 : static_cast<double>(stats.answered_within_threshold) / offered;
  if (!queue.recent_handle.empty())
    stats.average_handle_time =
        queue.recent_handle_sum / static_cast<std::int64_t>(queue.recent_handle.size());
  stats.agents_ready = queue.ready_count;
  stats.agents_staffed = queue.staffed;
  return stats;
}

std::optional<AgentStats> Router::agent_stats(std::string_view agent_id, TimePoint now) const {
  auto found = agent_ids_.find(std::string(agent_id));
  if (found == agent_ids_.end()) return std::nullopt;
  const Agent& agent = agents_[found->second];
  AgentStats stats{
      agent.config.id,      agent.config.name,        agent.state, agent.reason, now - agent.since,
      agent.answered_today, agent.consecutive_misses, std::nullopt};
  if (agent.call) stats.call = calls_.at(*agent.call).id;
  return stats;
}

Status Router::begin_outbound(std::string_view agent_id, TimePoint now) {
  AgentIndex a = 0;
  Agent* agent = find_agent(agent_id, &a);
  if (agent == nullptr) return unexpected(AcdError::UnknownAgent);
  if (agent->before_outbound) return unexpected(AcdError::InvalidState);
  switch (agent->state) {
    case AgentState::Ready:
    case AgentState::NotReady:
    case AgentState::WrapUp:
      break;
    case AgentState::LoggedOut:
    case AgentState::Reserved:  // their phone rings for a queue call
    case AgentState::OnCall:
      return unexpected(AcdError::InvalidState);
  }
  clear_timer(agent->wrap_up_until, TimerKind::WrapUpEnd, a);
  const AgentState back =
      agent->state == AgentState::NotReady ? AgentState::NotReady : AgentState::Ready;
  agent->before_outbound = std::pair{back, agent->reason};
  change_state(a, AgentState::OnCall, "outbound", now);
  return std::monostate{};
}

Status Router::end_outbound(std::string_view agent_id, OutboundEnd how, TimePoint now) {
  AgentIndex a = 0;
  Agent* agent = find_agent(agent_id, &a);
  if (agent == nullptr) return unexpected(AcdError::UnknownAgent);
  if (!agent->before_outbound) return unexpected(AcdError::InvalidState);
  const auto [back, reason] = *agent->before_outbound;
  agent->before_outbound.reset();
  if (agent->state != AgentState::OnCall) return std::monostate{};
  if (how == OutboundEnd::talked) {
    Duration wrap_up{};
    for (const Membership& m : agent->memberships)
      wrap_up = std::max(wrap_up, queues_[m.queue].config.wrap_up);
    if (wrap_up > Duration::zero()) {
      change_state(a, AgentState::WrapUp, "call_ended", now);
      set_timer(agent->wrap_up_until, now + wrap_up, TimerKind::WrapUpEnd, a);
    } else {
      make_ready(a, "call_ended", now);
    }
  } else if (back == AgentState::NotReady) {
    change_state(a, AgentState::NotReady, reason, now);
  } else {
    make_ready(a, "outbound_ended", now);
  }
  return std::monostate{};
}

std::optional<AgentState> Router::agent_state(std::string_view agent_id) const {
  auto found = agent_ids_.find(std::string(agent_id));
  if (found == agent_ids_.end()) return std::nullopt;
  return agents_[found->second].state;
}

}  // namespace kefu::acd
