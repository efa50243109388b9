#include "acd/queue_service.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>

#include "call/call_manager.hpp"

namespace kefu::acd {

using Clock = std::chrono::system_clock;

// How long an agent whose phone refused an offer (486, 603, 480...) stays out of rotation.
constexpr std::chrono::seconds kRejectPause{10};
// After a REFER transfer succeeded the phone hangs up itself (BYE after the NOTIFY 200); one
// that does not within this long is hung up by us.
constexpr std::chrono::seconds kReferByeGrace{4};

std::string_view to_string(QueueEventType type) {
  switch (type) {
    case QueueEventType::enqueue: return "enqueue";
    case QueueEventType::offer: return "offer";
    case QueueEventType::connect: return "connect";
    case QueueEventType::abandon: return "abandon";
    case QueueEventType::overflow: return "overflow";
    case QueueEventType::transfer: return "transfer";
    case QueueEventType::complete: return "complete";
  }
  return "unknown";
}

struct QueueService::Ringing {
  std::shared_ptr<call::Leg> leg;
  Clock::time_point started;
  std::optional<Clock::time_point> answered;
  bool cancelled = false;  // we ended it: the router already knows
};

struct QueueService::Waiting {
  Waiting(boost::asio::io_context& io, std::string call_id, std::shared_ptr<call::Leg> leg)
      : id(std::move(call_id)), caller(std::move(leg)), done(io), announce_timer(io) {}
  std::string id;
  std::shared_ptr<call::Leg> caller;
  std::string queue;
  Phase phase = Phase::waiting;
  call::Waiter<QueueOutcome> done;
  std::optional<QueueOutcome> outcome;  // set once by finish()
  std::string overflow_target;
  boost::asio::steady_timer announce_timer;
  std::uint64_t announce_generation = 0;
  std::map<std::string, Ringing, std::less<>> ringing;  // agent -> outbound leg
  std::string agent;                                    // connected agent
  Ringing agent_leg;
  bool announcing = false;
  int priority = 0;
  // Blind transfer to a number (Phase::transferring): the outside leg and what was typed.
  Ringing number_leg;
  std::string number;
  // A transfer the agent's phone asked for (REFER): its leg stays up for the final NOTIFY.
  bool keep_agent_leg = false;
};

namespace {

// Short, log-friendly names for why an agent's phone did not take the call.
std::string end_reason_text(const call::Leg& leg, call::LegEnd why) {
  std::string text(call::to_string(why));
  if (leg.final_status() != 0) {
    text += ' ';  // two steps: GCC 12 -O2 warns (-Wrestrict) on " " + string&&
    text += std::to_string(leg.final_status());
  }
  return text;
}

std::string safe_file_part(std::string_view text) {
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(std::isalnum(u) || c == '-' || c == '_' || c == '.' ? c : '_');
  }
  return out.substr(0, 120);
}

}  // namespace

QueueService::QueueService(boost::asio::io_context& io, call::CallManager& calls,
                           const QueuePrompts& prompts, QueueServiceConfig config,
                           ContactFinder contacts, CallerLookup lookup, AcdRecorder& recorder,
                           std::shared_ptr<spdlog::logger> log)
    : io_(io),
      calls_(calls),
      prompts_(prompts),
      config_(std::move(config)),
      contacts_(std::move(contacts)),
      lookup_(std::move(lookup)),
      recorder_(recorder),
      log_(std::move(log)),
      router_(*this),
      router_timer_(io) {}

QueueService::~QueueService() = default;

// ---- router plumbing ----

template <typename Fn>
auto QueueService::with_router(Fn&& fn) {
  // The router calls the listener synchronously and must not be re-entered from it: listener
  // callbacks only queue work, which runs here once the router call has returned.
  in_router_ = true;
  auto result = fn(router_);
  in_router_ = false;
  run_deferred();
  arm_timer();
  return result;
}

void QueueService::run_deferred() {
  while (!deferred_.empty()) {
    auto batch = std::move(deferred_);
    deferred_.clear();
    for (auto& action : batch) action();
  }
}

void QueueService::arm_timer() {
  auto deadline = router_.next_deadline();
  if (!deadline) {
    router_timer_.cancel();
    return;
  }
  router_timer_.expires_at(*deadline);
  router_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    with_router([this](Router& router) {
      router.tick(now());
      return 0;
    });
  });
}

void QueueService::on_agent_state(const AgentStateChange& change) {
  recorder_.agent_state(change);
  log_->info("agent={} state={} from={} reason={}", change.agent, to_string(change.to),
             to_string(change.from), change.reason);
  if (change.from == AgentState::Reserved && change.to != AgentState::OnCall) {
    // The offer to this agent is over (ring timeout, cancelled, another agent answered): stop
    // their phone ringing if it still does.
    deferred_.push_back([this, agent = change.agent] {
      for (auto& [id, call] : waiting_) {
        auto found = call->ringing.find(agent);
        if (found == call->ringing.end()) continue;
        auto leg = found->second.leg;
        found->second.cancelled = true;
        if (!leg->answered()) leg->hangup(call::LegEnd::no_answer);
      }
    });
  }
  if (change.to == AgentState::Ready || change.to == AgentState::WrapUp ||
      change.to == AgentState::NotReady) {
    if (logout_after_call_.contains(change.agent)) {
      deferred_.push_back([this, agent = change.agent] { apply_pending_logout(agent); });
    }
  }
}

void QueueService::on_offer(const Offer& offer) {
  deferred_.push_back([this, offer] {
    auto found = waiting_.find(offer.call);
    if (found != waiting_.end() && !found->second->ringing.empty()) {
      // Re-offer while earlier legs are still ringing out: nothing special, each leg is keyed
      // by its agent.
    }
    if (found != waiting_.end()) {
      recorder_.call_offered(offer.call);
      for (const auto& agent : offer.agents) {
        recorder_.queue_event(offer.call, offer.queue, agent, QueueEventType::offer, {});
      }
    }
    for (const auto& agent : offer.agents) ring_agent(offer.call, agent);
  });
}

void QueueService::on_offer_cancelled(const OfferCancelled& cancelled) {
  deferred_.push_back([this, cancelled] {
    auto found = waiting_.find(cancelled.call);
    if (found == waiting_.end()) return;
    auto ring = found->second->ringing.find(cancelled.agent);
    if (ring == found->second->ringing.end()) return;
    auto leg = ring->second.leg;
    ring->second.cancelled = true;
    // Ring timeout, or another phone answered first: this one was not answered in time.
    if (!leg->answered()) leg->hangup(call::LegEnd::no_answer);
  });
}

void QueueService::on_overflow(const Overflow& overflow) {
  deferred_.push_back([this, overflow] {
    auto found = waiting_.find(overflow.call);
    if (found == waiting_.end()) return;
    Waiting& call = *found->second;
    call.overflow_target = overflow.target;
    recorder_.queue_event(call.id, overflow.queue, {}, QueueEventType::overflow,
                          std::string(to_string(overflow.reason)) + " waited_ms=" +
                              std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 overflow.waited)
                                                 .count()));
    recorder_.call_overflowed(call.id, overflow.target);
    finish(call, QueueOutcome::overflowed);
  });
}

// ---- configuration and presence ----

Result<std::monostate, std::string> QueueService::add_queue(QueueSettings settings) {
  const std::string name = settings.routing.id;
  auto added = router_.add_queue(settings.routing);
  if (!added) return unexpected("queue " + name + ": " + std::string(to_string(added.error())));
  queue_order_.push_back(name);
  queues_.emplace(name, std::move(settings));
  return std::monostate{};
}

Result<std::monostate, std::string> QueueService::add_agent(AgentSettings settings) {
  const std::string id = settings.routing.id;
  for (const auto& extension : settings.extensions) {
    if (agent_by_extension_.contains(extension))
      return unexpected("agent " + id + ": extension " + extension + " belongs to another agent");
  }
  auto added = router_.add_agent(settings.routing, now());
  if (!added) return unexpected("agent " + id + ": " + std::string(to_string(added.error())));
  for (const auto& extension : settings.extensions) agent_by_extension_[extension] = id;
  agent_order_.push_back(id);
  agents_.emplace(id, std::move(settings));
  return std::monostate{};
}

std::optional<std::string> QueueService::agent_for_extension(const std::string& extension) const {
  auto found = agent_by_extension_.find(extension);
  if (found == agent_by_extension_.end()) return std::nullopt;
  return found->second;
}

Result<std::monostate, std::string> QueueService::status_text(const Status& status,
                                                              const std::string& agent,
                                                              std::string_view what) const {
  if (status) return std::monostate{};
  if (status.error() == AcdError::UnknownAgent) return unexpected("unknown agent " + agent);
  auto state = router_.agent_state(agent);
  return unexpected("agent " + agent + " cannot " + std::string(what) + " while " +
                    std::string(state ? to_string(*state) : "unknown"));
}

Result<std::monostate, std::string> QueueService::login(const std::string& agent, AfterLogin after) {
  auto state = router_.agent_state(agent);
  if (!state) return unexpected("unknown agent " + agent);
  if (*state != AgentState::LoggedOut) return std::monostate{};  // already in: idempotent
  auto status = with_router([&](Router& router) { return router.login(agent, after, now()); });
  return status_text(status, agent, "log in");
}

Result<std::monostate, std::string> QueueService::logout(const std::string& agent) {
  auto state = router_.agent_state(agent);
  if (!state) return unexpected("unknown agent " + agent);
  if (*state == AgentState::OnCall) {
    logout_after_call_[agent] = true;  // at the end of this call
    return std::monostate{};
  }
  logout_after_call_.erase(agent);
  auto status = with_router([&](Router& router) { return router.logout(agent, now()); });
  return status_text(status, agent, "log out");
}

Result<std::monostate, std::string> QueueService::set_ready(const std::string& agent) {
  auto status = with_router([&](Router& router) { return router.set_ready(agent, now()); });
  return status_text(status, agent, "become ready");
}

Result<std::monostate, std::string> QueueService::set_not_ready(const std::string& agent,
                                                                const std::string& reason) {
  auto status = with_router([&](Router& router) {
    return router.set_not_ready(agent, reason.empty() ? "not_ready" : reason, now());
  });
  return status_text(status, agent, "become not ready");
}

void QueueService::apply_pending_logout(const std::string& agent) {
  auto state = router_.agent_state(agent);
  if (!state || *state == AgentState::OnCall) return;
  logout_after_call_.erase(agent);
  (void)with_router([&](Router& router) { return router.logout(agent, now()); });
}

void QueueService::phone_registered(const std::string& extension) {
  auto agent = agent_for_extension(extension);
  if (!agent || !agents_.at(*agent).presence_follows_phone) return;
  logout_after_call_.erase(*agent);
  if (router_.agent_state(*agent) == AgentState::LoggedOut) {
    log_->info("agent={} phone registered extension={}: logging in", *agent, extension);
    (void)login(*agent, AfterLogin::Ready);
  }
}

void QueueService::phone_unregistered(const std::string& extension, bool still_registered) {
  auto agent = agent_for_extension(extension);
  if (!agent || !agents_.at(*agent).presence_follows_phone) return;
  if (still_registered) return;  // another binding of this phone remains
  // Any other extension of this agent still registered keeps them in.
  for (const auto& other : agents_.at(*agent).extensions) {
    if (other != extension && !contacts_(other).empty()) return;
  }
  log_->info("agent={} phone unregistered extension={}: logging out", *agent, extension);
  (void)logout(*agent);
}

// ---- calls ----

boost::asio::awaitable<QueueOutcome> QueueService::serve(std::shared_ptr<call::Leg> caller,
                                                         std::string queue) {
  const std::string id = caller->info().call_id;
  if (waiting_.contains(id)) co_return QueueOutcome::unavailable;
  if (!caller->answered() && !co_await caller->answer()) co_return QueueOutcome::abandoned;
  if (!queues_.contains(queue)) {
    log_->warn("call_id={} unknown queue={}", id, queue);
    co_return QueueOutcome::unavailable;
  }
  const int lookup_days = queues_.at(queue).last_agent_days;
  CallerProfile profile = co_await lookup_(caller->info().caller, lookup_days);
  if (caller->ended()) co_return QueueOutcome::abandoned;

  for (int hops = 0; hops < 8; ++hops) {  // overflow chains end; a loop in the config must too
    auto settings_found = queues_.find(queue);
    if (settings_found == queues_.end()) break;
    const QueueSettings& settings = settings_found->second;

    bool take_overflow = false;
    if (settings.offer_overflow_on_long_wait && settings.routing.max_wait > Duration::zero() &&
        settings.overflow != OverflowKind::none) {
      auto estimate = router_.estimate_wait(queue);
      if (!estimate || *estimate > settings.routing.max_wait) {
        log_->info("call_id={} queue={} long wait offered", id, queue);
        std::vector<call::Clip> offer = {prompts_.long_wait_offer};
        (void)co_await caller->play(std::move(offer), call::Interrupt::by_digit);
        auto digit = co_await caller->next_digit(std::chrono::seconds(6));
        if (caller->ended()) co_return QueueOutcome::abandoned;
        take_overflow = digit == '1';
      }
    }

    std::string overflow_target = settings.routing.overflow_target;
    OverflowKind overflow_kind = settings.overflow;
    QueueOutcome outcome = QueueOutcome::overflowed;
    if (!take_overflow) {
      auto waiting = std::make_unique<Waiting>(io_, id, caller);
      waiting->queue = queue;
      Waiting& call = *waiting;
      waiting_.emplace(id, std::move(waiting));
      caller->on_end([this, id](call::LegEnd) { caller_ended(id); });

      CallRequest request;
      request.id = id;
      request.queue = queue;
      request.priority = profile.vip_tier;
      call.priority = request.priority;
      if (profile.last_agent && settings.last_agent_days > 0) {
        request.preferred_agent = profile.last_agent;
        request.preferred_wait = settings.last_agent_wait;
      }
      recorder_.call_queued(id, queue);
      recorder_.queue_event(id, queue, {}, QueueEventType::enqueue,
                            "priority=" + std::to_string(request.priority) +
                                (profile.last_agent ? " last_agent=" + *profile.last_agent : ""));
      log_->info("call_id={} queued queue={} priority={} last_agent={}", id, queue,
                 request.priority, profile.last_agent.value_or("-"));
      start_waiting(call);
      auto enqueued = with_router([&](Router& router) { return router.enqueue(request, now()); });
      if (!enqueued) {
        log_->info("call_id={} queue={} refused: {}", id, queue, to_string(enqueued.error().error));
        recorder_.queue_event(id, queue, {}, QueueEventType::overflow, "queue_full");
        recorder_.call_overflowed(id, enqueued.error().overflow_target);
        call.overflow_target = enqueued.error().overflow_target;
        finish(call, QueueOutcome::overflowed);
      }
      if (!call.outcome) outcome = co_await call.done.wait();
      outcome = *call.outcome;
      overflow_target = call.overflow_target;
      queue = call.queue;  // a transfer may have moved it
      overflow_kind = queues_.at(queue).overflow;
      if (caller->ended() || outcome != QueueOutcome::overflowed) {
        caller->on_end(nullptr);
        waiting_.erase(id);
        co_return outcome == QueueOutcome::overflowed ? QueueOutcome::abandoned : outcome;
      }
      caller->on_end(nullptr);
      waiting_.erase(id);
    }
    caller->stop_background();
    if (overflow_kind == OverflowKind::queue && queues_.contains(overflow_target)) {
      log_->info("call_id={} overflow from={} to={}", id, queue, overflow_target);
      std::vector<call::Clip> transferring = {prompts_.transferring};
      if (co_await caller->play(std::move(transferring), call::Interrupt::none) ==
          call::PlayResult::ended)
        co_return QueueOutcome::abandoned;
      queue = overflow_target;
      continue;
    }
    break;  // voicemail arrives with its own issue; until then a goodbye
  }
  log_->info("call_id={} overflow goodbye", id);
  std::vector<call::Clip> goodbye = {prompts_.overflow_goodbye};
  if (co_await caller->play(std::move(goodbye), call::Interrupt::none) != call::PlayResult::ended)
    caller->hangup();
  co_return QueueOutcome::overflowed;
}

void QueueService::start_waiting(Waiting& call) {
  call.phase = Phase::waiting;
  // The greeting first, then music; position and expected wait every announce_interval.
  std::vector<call::Clip> clips = {prompts_.queued};
  announce_then_music(call, std::move(clips), std::chrono::seconds(3));
}

void QueueService::schedule_announcement(Waiting& call, std::chrono::seconds after) {
  if (queues_.at(call.queue).announce_interval.count() == 0) return;  // announcements off
  const auto generation = ++call.announce_generation;
  call.announce_timer.expires_after(after);
  call.announce_timer.async_wait([this, id = call.id, generation](boost::system::error_code ec) {
    if (ec) return;
    auto found = waiting_.find(id);
    if (found == waiting_.end() || found->second->announce_generation != generation) return;
    announce(*found->second);
  });
}

void QueueService::announce(Waiting& call) {
  if (call.phase != Phase::waiting || !call.ringing.empty()) {
    // Ringing an agent: do not talk over the moment they answer; try again later.
    schedule_announcement(call, queues_.at(call.queue).announce_interval);
    return;
  }
  // Position: callers of this queue still waiting that arrived before this one.
  auto stats = router_.queue_stats(call.queue, now());
  std::size_t ahead = 0;
  if (stats) {
    // The router keeps per-queue order, not per-call positions; waiting counts every unanswered
    // caller, this one included.
    ahead = stats->waiting > 0 ? stats->waiting - 1 : 0;
  }
  std::vector<call::Clip> clips = position_announcement(prompts_, ahead);
  auto estimate = router_.estimate_wait(call.queue);
  if (estimate) {
    for (auto& clip : wait_announcement(
             prompts_, std::chrono::duration_cast<std::chrono::seconds>(*estimate)))
      clips.push_back(clip);
  }
  announce_then_music(call, std::move(clips), queues_.at(call.queue).announce_interval);
}

void QueueService::announce_then_music(Waiting& call, std::vector<call::Clip> clips,
                                       std::chrono::seconds next_announcement) {
  call.announcing = true;
  call.caller->play_background(std::move(clips), media::Loop::no, [this, id = call.id, next_announcement] {
    auto found = waiting_.find(id);
    if (found == waiting_.end() || found->second->phase != Phase::waiting) return;
    Waiting& waiting = *found->second;
    waiting.announcing = false;
    waiting.caller->play_background({prompts_.music_on_hold}, media::Loop::yes);
    schedule_announcement(waiting, next_announcement);
  });
}

void QueueService::ring_agent(const std::string& call_id, const std::string& agent) {
  auto found = waiting_.find(call_id);
  // An agent who cannot be rung is taken out of rotation (NotReady with the reason): merely
  // rejecting the offer would make them Ready again and the same call would come straight back.
  auto unreachable = [this, call_id, agent](std::string_view why) {
    log_->warn("call_id={} agent={} not rung: {}", call_id, agent, why);
    (void)with_router([&](Router& router) { return router.set_not_ready(agent, "unreachable", now()); });
  };
  if (found == waiting_.end() || found->second->phase != Phase::waiting) {
    // The router still has a call the service no longer holds: take it out.
    log_->error("call_id={} offered but not waiting here; removing it from the router", call_id);
    (void)with_router([&](Router& router) {
      (void)router.set_not_ready(agent, "offer_failed", now());
      return router.call_abandoned(call_id, now());
    });
    return;
  }
  Waiting& call = *found->second;
  const AgentSettings& settings = agents_.at(agent);
  std::optional<Contact> contact;
  std::string extension;
  for (const auto& candidate : settings.extensions) {
    auto found_contacts = contacts_(candidate);
    if (!found_contacts.empty()) {
      contact = found_contacts.front();
      extension = candidate;
      break;
    }
  }
  if (!contact) {
    unreachable("no registered phone");
    return;
  }
  call::DialRequest request;
  request.target = contact->target;
  request.callee = extension;
  request.caller = call.caller->info().caller;
  request.caller_display = config_.caller_display_prefix + call.caller->info().caller_display;
  request.destination = contact->destination;
  request.same_thread_as = call.caller->media_session();
  request.preferred_codec = call.caller->codec();
  request.headers.push_back({"X-Kefu-Queue", call.queue});
  request.headers.push_back({"X-Kefu-Call-Id", call_id});
  auto dialed = calls_.dial(request);
  if (!dialed) {
    unreachable(dialed.error());
    return;
  }
  auto leg = *dialed;
  call.ringing[agent] = Ringing{leg, Clock::now(), std::nullopt};
  leg->on_answer([this, call_id, agent] { agent_answered(call_id, agent); });
  leg->on_end([this, call_id, agent](call::LegEnd why) { agent_leg_ended(call_id, agent, why); });
}

void QueueService::agent_answered(const std::string& call_id, const std::string& agent) {
  auto found = waiting_.find(call_id);
  if (found == waiting_.end()) return;
  Waiting& call = *found->second;
  auto ring = call.ringing.find(agent);
  if (ring == call.ringing.end()) return;
  auto leg = ring->second.leg;
  ring->second.answered = Clock::now();
  if (call.phase != Phase::waiting) {
    leg->hangup();
    return;
  }
  auto status = with_router([&](Router& router) { return router.offer_answered(call_id, agent, now()); });
  if (!status) {
    log_->info("call_id={} agent={} answered too late: {}", call_id, agent, to_string(status.error()));
    leg->hangup();
    return;
  }
  connect(call, agent, leg);
}

void QueueService::agent_leg_ended(const std::string& call_id, const std::string& agent,
                                   call::LegEnd why) {
  auto found = waiting_.find(call_id);
  if (found == waiting_.end()) return;
  Waiting& call = *found->second;
  auto ring = call.ringing.find(agent);
  if (ring == call.ringing.end()) return;
  Ringing ended = std::move(ring->second);
  call.ringing.erase(ring);
  recorder_.agent_leg(call_id, agent, ended.leg->info(), ended.started, ended.answered,
                      end_reason_text(*ended.leg, why));
  if (ended.cancelled || why == call::LegEnd::local_hangup) return;  // the router knows
  if (call.phase != Phase::waiting) return;
  const int status = ended.leg->final_status();
  const bool missed = why == call::LegEnd::no_answer || status == 408;
  log_->info("call_id={} agent={} did not answer: {}", call_id, agent, end_reason_text(*ended.leg, why));
  if (missed) {
    (void)with_router([&](Router& router) { return router.offer_timeout(call_id, agent, now()); });
    return;
  }
  // Busy, declined or unavailable: out of rotation for a while, else the same call would be
  // offered to the same phone again at once.
  (void)with_router([&](Router& router) { return router.set_not_ready(agent, "rejected", now()); });
  auto timer = std::make_shared<boost::asio::steady_timer>(io_, kRejectPause);
  timer->async_wait([this, timer, agent](boost::system::error_code ec) {
    if (ec) return;
    auto stats = router_.agent_stats(agent, now());
    if (stats && stats->state == AgentState::NotReady && stats->reason == "rejected")
      (void)set_ready(agent);
  });
}

void QueueService::connect(Waiting& call, const std::string& agent,
                           std::shared_ptr<call::Leg> agent_leg) {
  auto ring = call.ringing.find(agent);
  call.agent_leg = std::move(ring->second);
  call.ringing.erase(ring);
  call.agent = agent;
  call.phase = Phase::connected;
  ++call.announce_generation;
  call.announce_timer.cancel();
  const std::string id = call.id;
  log_->info("call_id={} connected agent={} agent_call_id={}", id, agent,
             agent_leg->info().call_id);
  recorder_.call_connected(id, agent);
  recorder_.queue_event(id, call.queue, agent, QueueEventType::connect, {});

  call.caller->stop_background();
  if (!call.caller->bridge_with(*agent_leg)) {
    log_->warn("call_id={} bridge failed", id);
  }
  const QueueSettings& settings = queues_.at(call.queue);
  const bool record = settings.recording == RecordingPolicy::all ||
                      (settings.recording == RecordingPolicy::chosen_agents &&
                       agents_.at(agent).record_calls);
  if (record) {
    auto path = recording_path(id);
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    if (!ec && call.caller->record_with(*agent_leg, path)) {
      recorder_.recording_started(id, agent, call.caller->info().caller, path);
    } else {
      log_->error("call_id={} cannot record to {}", id, path.string());
    }
  }
  // The caller hears the agent's ID first; the agent hears the caller meanwhile.
  call.caller->play_background(agent_announcement(prompts_, agent), media::Loop::no);

  call.caller->on_hold_change([this, id](call::Hold hold) { hold_changed(id, true, hold); });
  agent_leg->on_hold_change([this, id](call::Hold hold) { hold_changed(id, false, hold); });
  agent_leg->on_end([this, id](call::LegEnd) { connected_agent_ended(id); });
  agent_leg->on_transfer_request([this, id, weak_leg = std::weak_ptr<call::Leg>(agent_leg)](
                                     const call::TransferRequest& request) {
    if (auto leg = weak_leg.lock()) agent_transfer_request(id, leg, request);
  });
}

void QueueService::agent_transfer_request(const std::string& call_id,
                                          const std::shared_ptr<call::Leg>& agent_leg,
                                          const call::TransferRequest& request) {
  auto found = waiting_.find(call_id);
  if (found == waiting_.end() || found->second->phase != Phase::connected ||
      found->second->agent_leg.leg != agent_leg || found->second->agent.empty()) {
    (void)agent_leg->refuse_transfer(403, "Call Not Connected");
    return;
  }
  Waiting& call = *found->second;
  const std::string& target = request.target_user;
  if (target.empty()) {
    (void)agent_leg->refuse_transfer(488, "No Transfer Target");
    return;
  }
  std::string queue;
  if (auto by_number = queue_by_number_.find(target); by_number != queue_by_number_.end()) {
    queue = by_number->second;
  } else if (queues_.contains(target)) {
    queue = target;
  }
  const std::optional<std::string> agent =
      queue.empty() ? agent_for_extension(target) : std::nullopt;
  if (queue.empty() && !agent && !number_dialer_) {
    (void)agent_leg->refuse_transfer(503, "Transfers To Numbers Not Configured");
    return;
  }
  if (agent && *agent == call.agent) {
    (void)agent_leg->refuse_transfer(488, "Already With This Agent");
    return;
  }
  if (!agent_leg->accept_transfer()) return;
  (void)agent_leg->report_transfer(call::TransferProgress::trying);
  const std::string from_agent = call.agent;
  // The usual transfer paths, except that the agent's leg is not hung up: it still owes the
  // phone the final NOTIFY.
  call.keep_agent_leg = true;
  Result<std::monostate, std::string> done =
      !queue.empty() ? transfer_to_queue(call_id, queue)
      : agent        ? transfer_to_agent(call_id, *agent)
                     : transfer_to_number(call_id, target, number_ring_timeout_);
  call.keep_agent_leg = false;  // `call` lives on: finish() only posts the outcome
  log_->info("call_id={} REFER from agent={} target={} result={}", call_id, from_agent,
             request.target, done ? "transferred" : done.error());
  if (!done) {
    // Nothing changed: the caller is still with the agent, whose phone takes the call back.
    (void)agent_leg->report_transfer(call::TransferProgress::failed);
    return;
  }
  (void)agent_leg->report_transfer(call::TransferProgress::succeeded);
  auto timer = std::make_shared<boost::asio::steady_timer>(io_, kReferByeGrace);
  timer->async_wait([timer, agent_leg](boost::system::error_code ec) {
    if (!ec && !agent_leg->ended()) agent_leg->hangup();
  });
}

void QueueService::hold_changed(const std::string& call_id, bool caller_side, call::Hold hold) {
  auto found = waiting_.find(call_id);
  if (found == waiting_.end() || found->second->phase != Phase::connected) return;
  Waiting& call = *found->second;
  // The held party hears music; forwarding resumes when the hold ends.
  auto& held = caller_side ? call.agent_leg.leg : call.caller;
  if (hold == call::Hold::yes) {
    held->play_background({prompts_.music_on_hold}, media::Loop::yes);
  } else {
    held->stop_background();
  }
  recorder_.call_hold(call_id, hold);
}

void QueueService::caller_ended(const std::string& call_id) {
  auto found = waiting_.find(call_id);
  if (found == waiting_.end()) return;
  Waiting& call = *found->second;
  switch (call.phase) {
    case Phase::transferring: {
      // Hung up while the number rang.
      call.phase = Phase::finished;
      auto leg = call.number_leg.leg;
      leg->on_answer(nullptr);
      leg->on_end(nullptr);
      leg->hangup();
      recorder_.agent_leg(call_id, {}, leg->info(), call.number_leg.started, std::nullopt,
                          "caller hung up");
      recorder_.queue_event(call_id, call.queue, {}, QueueEventType::complete,
                            "ended_by=caller to_number=" + call.number);
      finish(call, QueueOutcome::completed);
      break;
    }
    case Phase::waiting: {
      auto waited = with_router([&](Router& router) { return router.call_abandoned(call_id, now()); });
      const auto waited_ms =
          waited ? std::chrono::duration_cast<std::chrono::milliseconds>(*waited).count() : 0;
      log_->info("call_id={} abandoned queue={} waited_ms={}", call_id, call.queue, waited_ms);
      recorder_.queue_event(call_id, call.queue, {}, QueueEventType::abandon,
                            "waited_ms=" + std::to_string(waited_ms));
      finish(call, QueueOutcome::abandoned);
      break;
    }
    case Phase::connected: {
      call.phase = Phase::finished;
      auto agent_leg = call.agent_leg.leg;
      agent_leg->on_end(nullptr);
      agent_leg->hangup();
      recorder_.agent_leg(call_id, call.agent, agent_leg->info(), call.agent_leg.started,
                          call.agent_leg.answered, "caller hung up");
      (void)with_router([&](Router& router) { return router.call_ended(call_id, now()); });
      recorder_.queue_event(call_id, call.queue, call.agent, QueueEventType::complete,
                            "ended_by=caller");
      finish(call, QueueOutcome::completed);
      break;
    }
    case Phase::finished: break;
  }
}

void QueueService::connected_agent_ended(const std::string& call_id) {
  auto found = waiting_.find(call_id);
  if (found == waiting_.end() || found->second->phase != Phase::connected) return;
  Waiting& call = *found->second;
  call.phase = Phase::finished;
  recorder_.agent_leg(call_id, call.agent, call.agent_leg.leg->info(), call.agent_leg.started,
                      call.agent_leg.answered, "agent hung up");
  (void)with_router([&](Router& router) { return router.call_ended(call_id, now()); });
  recorder_.queue_event(call_id, call.queue, call.agent, QueueEventType::complete,
                        call.agent.empty() ? "ended_by=number" : "ended_by=agent");
  call.caller->on_end(nullptr);
  call.caller->hangup();
  finish(call, QueueOutcome::completed);
}

void QueueService::finish(Waiting& call, QueueOutcome outcome) {
  if (call.outcome) return;
  call.outcome = outcome;
  call.phase = Phase::finished;
  ++call.announce_generation;
  call.announce_timer.cancel();
  for (auto& [agent, ringing] : call.ringing) {
    ringing.cancelled = true;
    ringing.leg->on_answer(nullptr);
    if (!ringing.leg->ended()) ringing.leg->hangup();
  }
  if (auto& leg = call.number_leg.leg) {
    leg->on_answer(nullptr);
    leg->on_end(nullptr);
    if (!leg->ended()) leg->hangup();
  }
  (void)call.done.resume(outcome);
}

Result<std::monostate, std::string> QueueService::transfer_to_queue(const std::string& call_id,
                                                                    const std::string& queue,
                                                                    std::optional<std::string> agent) {
  auto found = waiting_.find(call_id);
  if (found == waiting_.end()) return unexpected("no queued or connected call " + call_id);
  if (!queues_.contains(queue)) return unexpected("unknown queue " + queue);
  Waiting& call = *found->second;
  if (call.phase != Phase::waiting && call.phase != Phase::connected)
    return unexpected("call " + call_id + " is ending");
  const bool was_connected = call.phase == Phase::connected;
  const std::string old_queue = call.queue;
  if (was_connected) {
    // The agent's leg goes first, so the offers the transfer makes find the caller waiting.
    release_agent(call, "to_queue=" + queue + (agent ? " to_agent=" + *agent : ""));
  } else {
    recorder_.queue_event(call_id, call.queue, {}, QueueEventType::transfer,
                          "to_queue=" + queue + (agent ? " to_agent=" + *agent : ""));
  }
  call.phase = Phase::waiting;
  call.queue = queue;
  recorder_.call_queued(call_id, queue);
  const Duration hold_for_agent = std::chrono::seconds(30);
  auto moved = with_router([&](Router& router) {
    return router.transfer(call_id, queue, now(), agent, agent ? hold_for_agent : Duration{});
  });
  if (!moved) {
    // Refused (full): the caller hears the overflow goodbye.
    log_->info("call_id={} transfer to queue={} refused: {}", call_id, queue,
               to_string(moved.error().error));
    if (was_connected) {
      call.overflow_target = moved.error().overflow_target;
      finish(call, QueueOutcome::overflowed);
      return std::monostate{};
    }
    call.queue = old_queue;  // still waiting where it was
    recorder_.call_queued(call_id, old_queue);
    return unexpected("queue " + queue + " refused the call: " + std::string(to_string(moved.error().error)));
  }
  if (call.phase != Phase::finished) {
    call.phase = Phase::waiting;
    announce_then_music(call, {prompts_.transferring}, queues_.at(call.queue).announce_interval);
  }
  return std::monostate{};
}

// The connected agent leaves the call (a transfer): their leg is recorded and hung up, the
// bridge and the recording end, the caller stays.
void QueueService::release_agent(Waiting& call, const std::string& details) {
  auto agent_leg = call.agent_leg.leg;
  recorder_.agent_leg(call.id, call.agent, agent_leg->info(), call.agent_leg.started,
                      call.agent_leg.answered, "transferred");
  agent_leg->on_end(nullptr);
  agent_leg->on_hold_change(nullptr);
  agent_leg->on_transfer_request(nullptr);
  call.caller->on_hold_change(nullptr);
  call.caller->stop_recording();
  call.caller->unbridge();
  if (!call.keep_agent_leg) agent_leg->hangup();
  recorder_.queue_event(call.id, call.queue, call.agent, QueueEventType::transfer, details);
  call.agent.clear();
  call.agent_leg = {};
}

Result<std::monostate, std::string> QueueService::transfer_to_number(
    const std::string& call_id, const std::string& number, std::chrono::seconds ring_timeout) {
  auto found = waiting_.find(call_id);
  if (found == waiting_.end()) return unexpected("no connected call " + call_id);
  Waiting& call = *found->second;
  if (call.phase != Phase::connected) {
    return unexpected("call " + call_id + " is not connected to an agent");
  }
  if (!number_dialer_) return unexpected("transfers to numbers are not configured");
  auto leg = number_dialer_(number, *call.caller);
  if (!leg) return unexpected(leg.error());
  const std::string agent = call.agent;
  release_agent(call, "to_number=" + number);
  // The agent is free (wrap-up) as after any call; the caller is no longer the router's.
  (void)with_router([&](Router& router) { return router.call_ended(call_id, now()); });
  call.phase = Phase::transferring;
  call.number = number;
  call.number_leg = Ringing{*leg, Clock::now(), std::nullopt, false};
  call.caller->play_background({prompts_.music_on_hold}, media::Loop::yes);
  (*leg)->on_answer([this, call_id] { number_answered(call_id); });
  (*leg)->on_end([this, call_id](call::LegEnd why) { number_ended(call_id, why); });
  const std::uint64_t generation = ++call.announce_generation;
  call.announce_timer.expires_after(ring_timeout);
  call.announce_timer.async_wait([this, call_id, generation](boost::system::error_code ec) {
    if (ec) return;
    auto it = waiting_.find(call_id);
    if (it == waiting_.end() || it->second->phase != Phase::transferring ||
        it->second->announce_generation != generation)
      return;
    it->second->number_leg.leg->hangup();  // number_ended() takes it from there
  });
  log_->info("call_id={} transferred by agent={} to number={}", call_id, agent, number);
  return std::monostate{};
}

// The number answered: from here on it is the call's "agent leg" without an agent, so hold,
// hang-up on either side and the records work as for an agent.
void QueueService::number_answered(const std::string& call_id) {
  auto found = waiting_.find(call_id);
  if (found == waiting_.end() || found->second->phase != Phase::transferring) return;
  Waiting& call = *found->second;
  ++call.announce_generation;
  call.announce_timer.cancel();
  auto leg = call.number_leg.leg;
  call.caller->stop_background();
  if (!call.caller->bridge_with(*leg)) log_->warn("call_id={} bridge to number failed", call_id);
  call.agent_leg = call.number_leg;
  call.agent_leg.answered = Clock::now();
  call.number_leg = {};
  call.phase = Phase::connected;
  recorder_.queue_event(call_id, call.queue, {}, QueueEventType::connect, "number=" + call.number);
  call.caller->on_hold_change([this, call_id](call::Hold hold) { hold_changed(call_id, true, hold); });
  leg->on_hold_change([this, call_id](call::Hold hold) { hold_changed(call_id, false, hold); });
  leg->on_end([this, call_id](call::LegEnd) { connected_agent_ended(call_id); });
}

// Busy, no answer, unreachable: back to the queue, one priority step up.
void QueueService::number_ended(const std::string& call_id, call::LegEnd why) {
  auto found = waiting_.find(call_id);
  if (found == waiting_.end() || found->second->phase != Phase::transferring) return;
  Waiting& call = *found->second;
  auto leg = call.number_leg.leg;
  const std::string reason = end_reason_text(*leg, why);
  recorder_.agent_leg(call_id, {}, leg->info(), call.number_leg.started, std::nullopt, reason);
  call.number_leg = {};
  call.caller->stop_background();
  log_->info("call_id={} transfer to number={} failed ({}); back to queue={}", call_id,
             call.number, reason, call.queue);
  CallRequest request;
  request.id = call_id;
  request.queue = call.queue;
  request.priority = call.priority + 1;
  recorder_.call_queued(call_id, call.queue);
  recorder_.queue_event(call_id, call.queue, {}, QueueEventType::enqueue,
                        "priority=" + std::to_string(request.priority) + " transfer_failed=" +
                            call.number + " (" + reason + ")");
  start_waiting(call);
  auto enqueued = with_router([&](Router& router) { return router.enqueue(request, now()); });
  if (!enqueued) {
    recorder_.queue_event(call_id, call.queue, {}, QueueEventType::overflow, "queue_full");
    recorder_.call_overflowed(call_id, enqueued.error().overflow_target);
    call.overflow_target = enqueued.error().overflow_target;
    finish(call, QueueOutcome::overflowed);
  }
}

Result<std::monostate, std::string> QueueService::transfer_to_agent(const std::string& call_id,
                                                                    const std::string& agent) {
  auto settings = agents_.find(agent);
  if (settings == agents_.end()) return unexpected("unknown agent " + agent);
  if (settings->second.routing.queues.empty()) return unexpected("agent " + agent + " is in no queue");
  // Through the agent's best queue (lowest penalty), held for that agent first.
  auto best = std::min_element(settings->second.routing.queues.begin(), settings->second.routing.queues.end(),
                               [](const auto& a, const auto& b) { return a.second < b.second; });
  auto found = waiting_.find(call_id);
  if (found == waiting_.end()) return unexpected("no queued or connected call " + call_id);
  if (found->second->agent == agent) return unexpected("call " + call_id + " is already with agent " + agent);
  return transfer_to_queue(call_id, best->first, agent);
}

std::filesystem::path QueueService::recording_path(const std::string& call_id) const {
  const std::time_t t = Clock::to_time_t(Clock::now());
  std::tm parts{};
  gmtime_r(&t, &parts);
  char day[16];
  std::strftime(day, sizeof day, "%Y-%m-%d", &parts);
  return config_.recordings_dir / day / (safe_file_part(call_id) + ".wav");
}

std::vector<QueueStats> QueueService::queue_stats() const {
  std::vector<QueueStats> out;
  for (const auto& name : queue_order_) {
    if (auto stats = router_.queue_stats(name, now())) out.push_back(*stats);
  }
  return out;
}

std::vector<AgentStats> QueueService::agent_stats() const {
  std::vector<AgentStats> out;
  for (const auto& id : agent_order_) {
    if (auto stats = router_.agent_stats(id, now())) out.push_back(*stats);
  }
  return out;
}

bool QueueService::agent_has_call(const std::string& agent, const std::string& call_id) const {
  auto stats = router_.agent_stats(agent, now());
  return stats && stats->call && *stats->call == call_id;
}

// ---- agent-initiated calls ----

Result<std::monostate, std::string> QueueService::begin_outbound(const std::string& agent) {
  auto status =
      with_router([&](Router& router) { return router.begin_outbound(agent, now()); });
  return status_text(status, agent, "place a call");
}

void QueueService::end_outbound(const std::string& agent, OutboundEnd how) {
  auto status =
      with_router([&](Router& router) { return router.end_outbound(agent, how, now()); });
  if (!status) log_->warn("agent={} end of outbound call: {}", agent, to_string(status.error()));
}

std::optional<std::pair<std::string, Contact>> QueueService::agent_phone(
    const std::string& agent) const {
  auto settings = agents_.find(agent);
  if (settings == agents_.end()) return std::nullopt;
  for (const auto& extension : settings->second.extensions) {
    auto found = contacts_(extension);
    if (!found.empty()) return std::pair{extension, found.front()};
  }
  return std::nullopt;
}

bool QueueService::records_agent(const std::string& agent) const {
  auto settings = agents_.find(agent);
  if (settings == agents_.end()) return false;
  for (const auto& [queue, penalty] : settings->second.routing.queues) {
    auto found = queues_.find(queue);
    if (found == queues_.end()) continue;
    const RecordingPolicy policy = found->second.recording;
    if (policy == RecordingPolicy::all ||
        (policy == RecordingPolicy::chosen_agents && settings->second.record_calls))
      return true;
  }
  return false;
}

}  // namespace kefu::acd
