#include "acd/router.hpp"

#include <algorithm>

namespace kefu::acd {
namespace {

constexpr std::size_t kHandleSamples = 50;  // recent calls that make the average handle time

// Highest call level the agent may take: a required skill the agent meets fully never limits;
// one it meets only partly caps the level at the agent's level (0 when it lacks the skill).
int qualification(const std::map<std::string, int>& skills,
                  const std::map<std::string, int>& required) {
  int level = kMaxSkillLevel;
  for (const auto& [skill, min_level] : required) {
    auto found = skills.find(skill);
    int have = found == skills.end() ? 0 : found->second;
    if (have < min_level) level = std::min(level, have);
  }
  return level;
}

int skill_sum(const std::map<std::string, int>& skills,
              const std::map<std::string, int>& required) {
  int sum = 0;
  for (const auto& [skill, min_level] : required) {
    auto found = skills.find(skill);
    if (found != skills.end()) sum += found->second;
  }
  return sum;
}

bool valid_level(int level, int lowest) {
  return level >= lowest && level <= kMaxSkillLevel;
}

}  // namespace

// ---- configuration ----

Status Router::add_queue(QueueConfig config) {
  if (config.id.empty()) return unexpected(AcdError::InvalidConfig);
  if (queue_ids_.contains(config.id)) return unexpected(AcdError::DuplicateQueue);
  for (const auto& [skill, level] : config.required_skills)
    if (!valid_level(level, 1)) return unexpected(AcdError::InvalidConfig);
  for (std::size_t i = 0; i < config.relaxation.size(); ++i) {
    if (!valid_level(config.relaxation[i].min_level, 0)) return unexpected(AcdError::InvalidConfig);
    if (i > 0 && config.relaxation[i].after <= config.relaxation[i - 1].after)
      return unexpected(AcdError::InvalidConfig);
  }
  auto index = static_cast<QueueIndex>(queues_.size());
  queue_ids_.emplace(config.id, index);
  Queue queue;
  queue.today.queue = config.id;
  queue.config = std::move(config);
  queues_.push_back(std::move(queue));
  return std::monostate{};
}

Status Router::add_agent(AgentConfig config, TimePoint now) {
  if (config.id.empty()) return unexpected(AcdError::InvalidConfig);
  if (agent_ids_.contains(config.id)) return unexpected(AcdError::DuplicateAgent);
  for (const auto& [skill, level] : config.skills)
    if (!valid_level(level, 1)) return unexpected(AcdError::InvalidConfig);
  Agent agent;
  for (const auto& [queue_id, penalty] : config.queues) {
    auto found = queue_ids_.find(queue_id);
    if (found == queue_ids_.end()) return unexpected(AcdError::UnknownQueue);
    const QueueConfig& queue = queues_[found->second].config;
    agent.memberships.push_back(
        {.queue = found->second,
         .penalty = penalty,
         .qualification = qualification(config.skills, queue.required_skills),
         .skill_sum = skill_sum(config.skills, queue.required_skills),
         .last_offer = 0,
         .ready_key = std::nullopt});
  }
  agent.since = now;
  agent.config = std::move(config);
  auto index = static_cast<AgentIndex>(agents_.size());
  agent_ids_.emplace(agent.config.id, index);
  agents_.push_back(std::move(agent));
  return std::monostate{};
}

// ---- lookups and agent state ----

Router::Agent* Router::find_agent(std::string_view id, AgentIndex* index) {
  auto found = agent_ids_.find(std::string(id));
  if (found == agent_ids_.end()) return nullptr;
  if (index != nullptr) *index = found->second;
  return &agents_[found->second];
}

Router::Call* Router::find_call(std::string_view id) {
  auto found = call_ids_.find(std::string(id));
  return found == call_ids_.end() ? nullptr : &calls_.at(found->second);
}

bool Router::is_staffed(AgentState state) {
  return state != AgentState::LoggedOut && state != AgentState::NotReady;
}

void Router::change_state(AgentIndex a, AgentState to, std::string_view reason, TimePoint now) {
  Agent& agent = agents_[a];
  const AgentState from = agent.state;
  if (from == to && agent.reason == reason) return;
  if (from == AgentState::Ready && to != AgentState::Ready) unindex_ready(a);
  if (is_staffed(from) != is_staffed(to)) {
    for (const Membership& m : agent.memberships) {
      if (is_staffed(to))
        ++queues_[m.queue].staffed;
      else
        --queues_[m.queue].staffed;
    }
  }
  agent.state = to;
  agent.reason = std::string(reason);
  agent.since = now;
  if (to == AgentState::Ready && from != AgentState::Ready) {
    agent.ready_since = now;
    index_ready(a);
  }
  listener_.on_agent_state({agent.config.id, from, to, agent.reason, now});
}

Router::ReadyKey Router::ready_key(const Agent& agent, const Membership& m) const {
  const auto a = static_cast<AgentIndex>(&agent - agents_.data());
  const std::int64_t since = agent.ready_since.time_since_epoch().count();
  switch (queues_[m.queue].config.strategy) {
    case Strategy::RoundRobin:
      return {m.penalty, static_cast<std::int64_t>(m.last_offer), since, a};
    case Strategy::FewestCalls:
      return {m.penalty, agent.answered_today, since, a};
    case Strategy::SkillsWeighted:
      return {m.penalty, -m.skill_sum, since, a};
    case Strategy::LongestIdle:
    case Strategy::RingAll:
      break;
  }
  return {m.penalty, since, 0, a};
}

void Router::index_ready(AgentIndex a) {
  Agent& agent = agents_[a];
  for (Membership& m : agent.memberships) {
    ReadyKey key = ready_key(agent, m);
    Queue& queue = queues_[m.queue];
    queue.ready[static_cast<std::size_t>(m.qualification)].insert(key);
    ++queue.ready_count;
    m.ready_key = key;
  }
}

void Router::unindex_ready(AgentIndex a) {
  for (Membership& m : agents_[a].memberships) {
    if (!m.ready_key) continue;
    Queue& queue = queues_[m.queue];
    queue.ready[static_cast<std::size_t>(m.qualification)].erase(*m.ready_key);
    --queue.ready_count;
    m.ready_key.reset();
  }
}

void Router::make_ready(AgentIndex a, std::string_view reason, TimePoint now) {
  change_state(a, AgentState::Ready, reason, now);
  try_match_agent(a, now);
}

Status Router::login(std::string_view id, AfterLogin after, TimePoint now) {
  AgentIndex a = 0;
  Agent* agent = find_agent(id, &a);
  if (agent == nullptr) return unexpected(AcdError::UnknownAgent);
  if (agent->state != AgentState::LoggedOut) return unexpected(AcdError::InvalidState);
  if (after == AfterLogin::Ready)
    make_ready(a, "login", now);
  else
    change_state(a, AgentState::NotReady, "login", now);
  return std::monostate{};
}

Status Router::logout(std::string_view id, TimePoint now) {
  AgentIndex a = 0;
  Agent* agent = find_agent(id, &a);
  if (agent == nullptr) return unexpected(AcdError::UnknownAgent);
  if (agent->state == AgentState::OnCall) return unexpected(AcdError::InvalidState);
  if (agent->state == AgentState::LoggedOut) return std::monostate{};
  if (agent->state == AgentState::Reserved && agent->call) {
    Call& call = calls_.at(*agent->call);
    release_agent(call, a, Release::Rejected, now);
    if (call.ringing.empty()) requeue_after_ring(call, now);
  }
  clear_timer(agent->wrap_up_until, TimerKind::WrapUpEnd, a);
  change_state(a, AgentState::LoggedOut, "logout", now);
  // Calls held for this agent stop waiting for them.
  std::vector<CallKey> held(agent->held_calls.begin(), agent->held_calls.end());
  for (const CallKey& key : held) {
    Call& call = calls_.at(key.seq);
    leave_waiting(call);
    call.preferred.reset();
    enter_waiting(call, now);
    try_match_call(call, now);
  }
  return std::monostate{};
}

Status Router::set_ready(std::string_view id, TimePoint now) {
  AgentIndex a = 0;
  Agent* agent = find_agent(id, &a);
  if (agent == nullptr) return unexpected(AcdError::UnknownAgent);
  switch (agent->state) {
    case AgentState::Ready:
      return std::monostate{};
    case AgentState::NotReady:
      make_ready(a, "ready", now);
      return std::monostate{};
    case AgentState::WrapUp:
      clear_timer(agent->wrap_up_until, TimerKind::WrapUpEnd, a);
      make_ready(a, "wrap_up_ended", now);
      return std::monostate{};
    case AgentState::LoggedOut:
    case AgentState::Reserved:
    case AgentState::OnCall:
      break;
  }
  return unexpected(AcdError::InvalidState);
}

Status Router::set_not_ready(std::string_view id, std::string_view reason, TimePoint now) {
  AgentIndex a = 0;
  Agent* agent = find_agent(id, &a);
  if (agent == nullptr) return unexpected(AcdError::UnknownAgent);
  if (agent->state == AgentState::LoggedOut || agent->state == AgentState::OnCall)
    return unexpected(AcdError::InvalidState);
  if (agent->state == AgentState::Reserved && agent->call) {
    Call& call = calls_.at(*agent->call);
    release_agent(call, a, Release::Rejected, now);
    if (call.ringing.empty()) requeue_after_ring(call, now);
  }
  clear_timer(agent->wrap_up_until, TimerKind::WrapUpEnd, a);
  change_state(a, AgentState::NotReady, reason, now);
  return std::monostate{};
}

// ---- timers ----

void Router::set_timer(std::optional<TimePoint>& slot, TimePoint at, TimerKind kind,
                       std::uint64_t id) {
  clear_timer(slot, kind, id);
  timers_.insert({at, kind, id});
  slot = at;
}

void Router::clear_timer(std::optional<TimePoint>& slot, TimerKind kind, std::uint64_t id) {
  if (!slot) return;
  timers_.erase({*slot, kind, id});
  slot.reset();
}

void Router::clear_call_timers(Call& call) {
  clear_timer(call.relax_at, TimerKind::Relax, call.seq);
  clear_timer(call.preferred_at, TimerKind::PreferredEnd, call.seq);
  clear_timer(call.max_wait_at, TimerKind::MaxWait, call.seq);
  clear_timer(call.ring_at, TimerKind::Ring, call.seq);
}

std::optional<TimePoint> Router::next_deadline() const {
  if (timers_.empty()) return std::nullopt;
  return timers_.begin()->at;
}

void Router::tick(TimePoint now) {
  // Every timer re-armed while handling one lies strictly after `now`, so this ends.
  while (!timers_.empty() && timers_.begin()->at <= now) {
    const Timer timer = *timers_.begin();
    timers_.erase(timers_.begin());
    if (timer.kind == TimerKind::WrapUpEnd) {
      auto a = static_cast<AgentIndex>(timer.target);
      agents_[a].wrap_up_until.reset();
      if (agents_[a].state == AgentState::WrapUp) make_ready(a, "wrap_up_done", now);
      continue;
    }
    auto found = calls_.find(timer.target);
    if (found == calls_.end()) continue;
    Call& call = found->second;
    switch (timer.kind) {
      case TimerKind::Relax:
        call.relax_at.reset();
        if (call.phase == CallPhase::Waiting) {
          leave_waiting(call);
          enter_waiting(call, now);
          try_match_call(call, now);
        }
        break;
      case TimerKind::PreferredEnd:
        call.preferred_at.reset();
        if (call.phase == CallPhase::HeldForPreferred) {
          leave_waiting(call);
          call.preferred.reset();
          enter_waiting(call, now);
          try_match_call(call, now);
        }
        break;
      case TimerKind::MaxWait:
        call.max_wait_at.reset();
        if (call.phase == CallPhase::Waiting || call.phase == CallPhase::HeldForPreferred)
          overflow(call, OverflowReason::MaxWait, now);
        break;
      case TimerKind::Ring: {
        call.ring_at.reset();
        if (call.phase != CallPhase::Ringing) break;
        const std::vector<AgentIndex> missed = call.ringing;
        const QueueIndex queue = call.queue;
        for (AgentIndex a : missed) release_agent(call, a, Release::Cancelled, now);
        requeue_after_ring(call, now);  // while they are still Reserved: someone else first
        for (AgentIndex a : missed) after_release(a, Release::Missed, queue, now);
        break;
      }
      case TimerKind::WrapUpEnd:
        break;
    }
  }
}

// ---- matching ----

void Router::enter_waiting(Call& call, TimePoint now) {
  Queue& queue = queues_[call.queue];
  call.phase = CallPhase::Waiting;
  const Duration waited = now - call.arrival;
  int level = kMaxSkillLevel;
  std::optional<TimePoint> next_step;
  for (const RelaxationStep& step : queue.config.relaxation) {
    if (step.after <= waited) {
      level = step.min_level;
    } else {
      next_step = call.arrival + step.after;
      break;
    }
  }
  call.level = level;
  queue.waiting[static_cast<std::size_t>(level)].insert(call.key());
  if (next_step) set_timer(call.relax_at, *next_step, TimerKind::Relax, call.seq);
}

void Router::leave_waiting(Call& call) {
  if (call.phase == CallPhase::Waiting) {
    queues_[call.queue].waiting[static_cast<std::size_t>(call.level)].erase(call.key());
    clear_timer(call.relax_at, TimerKind::Relax, call.seq);
  } else if (call.phase == CallPhase::HeldForPreferred && call.preferred) {
    agents_[*call.preferred].held_calls.erase(call.key());
    clear_timer(call.preferred_at, TimerKind::PreferredEnd, call.seq);
  }
}

bool Router::try_match_call(Call& call, TimePoint now) {
  const Queue& queue = queues_[call.queue];
  std::vector<AgentIndex> chosen;
  if (queue.config.strategy == Strategy::RingAll) {
    for (int level = call.level; level < kLevels; ++level)
      for (const ReadyKey& key : queue.ready[static_cast<std::size_t>(level)])
        chosen.push_back(key.agent);
  } else {
    const ReadyKey* best = nullptr;
    for (int level = call.level; level < kLevels; ++level) {
      const auto& bucket = queue.ready[static_cast<std::size_t>(level)];
      if (!bucket.empty() && (best == nullptr || *bucket.begin() < *best)) best = &*bucket.begin();
    }
    if (best != nullptr) chosen.push_back(best->agent);
  }
  if (chosen.empty()) return false;
  leave_waiting(call);
  offer(call, std::move(chosen), now);
  return true;
}

void Router::try_match_agent(AgentIndex a, TimePoint now) {
  Agent& agent = agents_[a];
  if (agent.state != AgentState::Ready) return;
  const CallKey* best = nullptr;
  if (!agent.held_calls.empty()) {
    best = &*agent.held_calls.begin();  // callers waiting for this very agent go first
  } else {
    for (const Membership& m : agent.memberships) {
      const Queue& queue = queues_[m.queue];
      for (int level = 0; level <= m.qualification; ++level) {
        const auto& bucket = queue.waiting[static_cast<std::size_t>(level)];
        if (!bucket.empty() && (best == nullptr || *bucket.begin() < *best))
          best = &*bucket.begin();
      }
    }
  }
  if (best == nullptr) return;
  Call& call = calls_.at(best->seq);
  leave_waiting(call);
  offer(call, {a}, now);
}

void Router::offer(Call& call, std::vector<AgentIndex> agents, TimePoint now) {
  Queue& queue = queues_[call.queue];
  call.phase = CallPhase::Ringing;
  ++queue.ringing;
  if (queue.config.ring_timeout > Duration::zero())
    set_timer(call.ring_at, now + queue.config.ring_timeout, TimerKind::Ring, call.seq);
  Offer out{call.id, queue.config.id, {}};
  out.agents.reserve(agents.size());
  for (AgentIndex a : agents) {
    Agent& agent = agents_[a];
    agent.call = call.seq;
    change_state(a, AgentState::Reserved, "offer", now);
    for (Membership& m : agent.memberships)
      if (m.queue == call.queue) m.last_offer = ++queue.offers;
    out.agents.push_back(agent.config.id);
  }
  call.ringing = std::move(agents);
  listener_.on_offer(out);
}

void Router::release_agent(Call& call, AgentIndex a, Release how, TimePoint) {
  std::erase(call.ringing, a);
  agents_[a].call.reset();
  if (how == Release::Cancelled) listener_.on_offer_cancelled({call.id, agents_[a].config.id});
}

void Router::after_release(AgentIndex a, Release how, QueueIndex queue, TimePoint now) {
  Agent& agent = agents_[a];
  if (agent.state != AgentState::Reserved) return;
  if (how == Release::Missed) {
    ++agent.consecutive_misses;
    const int limit = queues_[queue].config.max_missed_offers;
    if (limit > 0 && agent.consecutive_misses >= limit) {
      change_state(a, AgentState::NotReady, "missed", now);
      return;
    }
    make_ready(a, "missed_offer", now);
    return;
  }
  make_ready(a, how == Release::Rejected ? "rejected" : "offer_cancelled", now);
}

void Router::requeue_after_ring(Call& call, TimePoint now) {
  Queue& queue = queues_[call.queue];
  --queue.ringing;
  clear_timer(call.ring_at, TimerKind::Ring, call.seq);
  call.preferred.reset();  // the preferred agent had their chance
  if (queue.config.max_wait > Duration::zero() && now - call.arrival >= queue.config.max_wait) {
    overflow(call, OverflowReason::MaxWait, now);
    return;
  }
  enter_waiting(call, now);
  try_match_call(call, now);
}

void Router::overflow(Call& call, OverflowReason reason, TimePoint now) {
  Queue& queue = queues_[call.queue];
  ++queue.today.overflowed_today;
  Overflow out{call.id, queue.config.id, queue.config.overflow_target, reason, now - call.arrival};
  leave_waiting(call);
  erase_call(call);
  listener_.on_overflow(out);
}

void Router::erase_call(Call& call) {
  clear_call_timers(call);
  queues_[call.queue].unanswered.erase({call.arrival, call.seq});
  call_ids_.erase(call.id);
  calls_.erase(call.seq);  // `call` dangles from here
}

void Router::record_handle(Queue& queue, Duration handle) {
  queue.recent_handle.push_back(handle);
  queue.recent_handle_sum += handle;
  if (queue.recent_handle.size() > kHandleSamples) {
    queue.recent_handle_sum -= queue.recent_handle.front();
    queue.recent_handle.pop_front();
  }
}
}  // namespace kefu::acd
