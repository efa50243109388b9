#include "app/click_to_call.hpp"

#include <boost/asio/post.hpp>

#include "call/call_manager.hpp"

namespace kefu::app {

using namespace std::chrono_literals;

struct ClickToCall::Active {
  explicit Active(boost::asio::io_context& io) : timer(io) {}
  OutboundCallInfo info;
  std::string typed;  // resolved again when dialed: an extension may have moved meanwhile
  Phase phase = Phase::ringing_agent;
  std::shared_ptr<call::Leg> agent_leg;
  std::shared_ptr<call::Leg> customer_leg;
  Clock::time_point agent_started;
  Clock::time_point customer_started;
  std::optional<Clock::time_point> agent_answered;
  std::optional<Clock::time_point> customer_answered;
  boost::asio::steady_timer timer;
  std::uint64_t timer_generation = 0;
  store::Disposition failed_disposition = store::Disposition::failed;
  std::string failed_reason;
};

namespace {

std::string end_text(const call::Leg& leg) {
  std::string text(call::to_string(leg.end_reason()));
  if (leg.final_status() != 0) {
    text += ' ';  // two steps: GCC 12 -O2 warns (-Wrestrict) on " " + string&&
    text += std::to_string(leg.final_status());
  }
  return text;
}

OriginateProblem problem_of(DialProblem problem) {
  switch (problem) {
    case DialProblem::invalid_number:
      return OriginateProblem::invalid_number;
    case DialProblem::no_gateway:
      return OriginateProblem::no_gateway;
    case DialProblem::not_reachable:
      return OriginateProblem::unreachable;
    case DialProblem::failed:
      return OriginateProblem::failed;
  }
  return OriginateProblem::failed;
}

}  // namespace

ClickToCall::ClickToCall(boost::asio::io_context& io, call::CallManager& calls,
                         acd::QueueService& queues, OutboundDialer& dialer,
                         ClickToCallListener& listener, call::Clip music_on_hold,
                         std::shared_ptr<spdlog::logger> log)
    : io_(io),
      calls_(calls),
      queues_(queues),
      dialer_(dialer),
      listener_(listener),
      music_on_hold_(std::move(music_on_hold)),
      ringback_(media::make_tone(media::ringback_tone_cn(), "ringback")),
      // China's busy tone (450 Hz, 0.35 s on and off) and congestion tone (0.7 s on and off).
      busy_tone_(media::make_tone({450.0, 0.0, -16.0, 350ms, 350ms}, "busy")),
      congestion_tone_(media::make_tone({450.0, 0.0, -16.0, 700ms, 700ms}, "congestion")),
      log_(std::move(log)) {}

ClickToCall::~ClickToCall() {
  for (auto& [id, call] : active_) {
    for (auto* leg : {&call->agent_leg, &call->customer_leg}) {
      if (!*leg) continue;
      (*leg)->on_answer(nullptr);
      (*leg)->on_end(nullptr);
      (*leg)->on_hold_change(nullptr);
    }
  }
}

ClickToCall::Active* ClickToCall::find(const std::string& id) {
  auto found = active_.find(id);
  return found == active_.end() ? nullptr : found->second.get();
}

Result<OutboundCallInfo, OriginateError> ClickToCall::originate(const std::string& agent,
                                                                std::string_view number) {
  if (!queues_.router().agent_state(agent))
    return unexpected(OriginateError{OriginateProblem::unknown_agent, "unknown agent " + agent});
  auto route = dialer_.resolve(number);
  if (!route)
    return unexpected(OriginateError{problem_of(route.error().problem), route.error().message});
  auto phone = queues_.agent_phone(agent);
  if (!phone) {
    return unexpected(OriginateError{OriginateProblem::unreachable,
                                     "agent " + agent + " has no registered phone"});
  }
  if (route->kind == RouteKind::extension && route->number == phone->first) {
    return unexpected(OriginateError{OriginateProblem::invalid_number, "is the agent's own phone"});
  }
  auto begun = queues_.begin_outbound(agent);
  if (!begun) return unexpected(OriginateError{OriginateProblem::agent_state, begun.error()});

  call::DialRequest request;
  request.target = phone->second.target;
  request.destination = phone->second.destination;
  request.callee = phone->first;
  request.caller = route->number;  // the agent's phone shows whom it is about to call
  request.headers.push_back({"X-Kefu-Originate", route->number});
  auto dialed = calls_.dial(request);
  if (!dialed) {
    queues_.end_outbound(agent, acd::OutboundEnd::not_connected);
    return unexpected(OriginateError{OriginateProblem::failed,
                                     "cannot call agent " + agent + "'s phone: " + dialed.error()});
  }
  auto call = std::make_unique<Active>(io_);
  auto leg = *dialed;
  const std::string id = leg->info().call_id;
  call->info = {id, agent, phone->first, route->number};
  call->typed = std::string(number);
  call->agent_leg = leg;
  call->agent_started = Clock::now();
  leg->on_answer([this, id] { agent_answered(id); });
  leg->on_end([this, id](call::LegEnd why) { agent_ended(id, why); });
  Active& active = *call;
  active_.emplace(id, std::move(call));
  arm_timer(active, dialer_.config().agent_ring_timeout);
  log_->info("call_id={} click-to-call agent={} extension={} number={}", id, agent, phone->first,
             route->number);
  listener_.outbound_started(active.info);
  return active.info;
}

void ClickToCall::arm_timer(Active& call, std::chrono::seconds after) {
  const std::uint64_t generation = ++call.timer_generation;
  call.timer.expires_after(after);
  call.timer.async_wait([this, id = call.info.call_id, generation](boost::system::error_code ec) {
    if (ec) return;
    Active* found = find(id);
    if (found == nullptr || found->timer_generation != generation) return;
    // The leg's end handler carries on from here (CANCEL sent).
    if (found->phase == Phase::ringing_agent) {
      found->agent_leg->hangup(call::LegEnd::no_answer);
    } else if (found->phase == Phase::dialing && found->customer_leg) {
      found->customer_leg->hangup(call::LegEnd::no_answer);
    }
  });
}

void ClickToCall::agent_answered(const std::string& id) {
  Active* call = find(id);
  if (call == nullptr || call->phase != Phase::ringing_agent) return;
  ++call->timer_generation;
  call->timer.cancel();
  call->phase = Phase::dialing;
  call->agent_answered = Clock::now();
  call->agent_leg->play_background({ringback_}, media::Loop::yes);
  auto route = dialer_.resolve(call->typed);
  if (!route) {
    log_->info("call_id={} number {} not dialed: {}", id, call->typed, route.error().message);
    fail_to_agent(*call, Tone::congestion, store::Disposition::failed, route.error().message);
    return;
  }
  DialOptions options;
  options.caller = call->info.extension;
  options.same_thread_as = call->agent_leg->media_session();
  options.preferred_codec = call->agent_leg->codec();
  options.headers.push_back({"X-Kefu-Call-Id", id});
  auto dialed = dialer_.dial(*route, options);
  if (!dialed) {
    log_->warn("call_id={} number {} not dialed: {}", id, route->number, dialed.error().message);
    fail_to_agent(*call, Tone::congestion, store::Disposition::failed, dialed.error().message);
    return;
  }
  call->customer_leg = *dialed;
  call->customer_started = Clock::now();
  call->customer_leg->on_answer([this, id] { customer_answered(id); });
  call->customer_leg->on_end([this, id](call::LegEnd why) { customer_ended(id, why); });
  arm_timer(*call, dialer_.config().ring_timeout);
  log_->info("call_id={} agent answered; dialing number={} customer_call_id={}", id, route->number,
             call->customer_leg->info().call_id);
  listener_.outbound_dialing(call->info);
}

void ClickToCall::customer_answered(const std::string& id) {
  Active* call = find(id);
  if (call == nullptr || call->phase != Phase::dialing) return;
  ++call->timer_generation;
  call->timer.cancel();
  call->phase = Phase::connected;
  call->customer_answered = Clock::now();
  auto& agent_leg = call->agent_leg;
  auto& customer_leg = call->customer_leg;
  agent_leg->stop_background();
  if (!customer_leg->bridge_with(*agent_leg)) log_->warn("call_id={} bridge failed", id);
  if (queues_.records_agent(call->info.agent)) {
    // Customer left, agent right, as queue calls are recorded (caller left).
    const auto path = queues_.recording_file(id);
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    if (!ec && customer_leg->record_with(*agent_leg, path)) {
      listener_.outbound_recording(call->info, path);
    } else {
      log_->error("call_id={} cannot record to {}", id, path.string());
    }
  }
  agent_leg->on_hold_change([this, id](call::Hold hold) { hold_changed(id, false, hold); });
  customer_leg->on_hold_change([this, id](call::Hold hold) { hold_changed(id, true, hold); });
  log_->info("call_id={} connected agent={} number={}", id, call->info.agent, call->info.number);
  listener_.outbound_connected(call->info);
}

void ClickToCall::hold_changed(const std::string& id, bool customer_side, call::Hold hold) {
  Active* call = find(id);
  if (call == nullptr || call->phase != Phase::connected) return;
  // The held party hears music; forwarding resumes when the hold ends.
  auto& held = customer_side ? call->agent_leg : call->customer_leg;
  if (hold == call::Hold::yes) {
    held->play_background({music_on_hold_}, media::Loop::yes);
  } else {
    held->stop_background();
  }
  listener_.outbound_hold(call->info, hold);
}

void ClickToCall::customer_ended(const std::string& id, call::LegEnd why) {
  Active* call = find(id);
  if (call == nullptr) return;
  if (call->phase == Phase::connected) {
    finish(id, acd::OutboundEnd::talked, store::Disposition::answered, "ended_by=customer");
    return;
  }
  if (call->phase != Phase::dialing) return;
  const int status = call->customer_leg->final_status();
  const bool busy = status == 486 || status == 600 || status == 603;
  const bool no_answer =
      why == call::LegEnd::no_answer || status == 408 || status == 480 || status == 487;
  std::string reason = busy ? "busy" : no_answer ? "no_answer" : "unreachable";
  if (status != 0) {
    reason += ' ';  // two steps: GCC 12 -O2 warns (-Wrestrict) on " " + string&&
    reason += std::to_string(status);
  }
  log_->info("call_id={} number={} not reached: {}", id, call->info.number, reason);
  fail_to_agent(*call, busy ? Tone::busy : Tone::congestion,
                busy || no_answer ? store::Disposition::unanswered : store::Disposition::failed,
                std::move(reason));
}

void ClickToCall::fail_to_agent(Active& call, Tone tone, store::Disposition disposition,
                                std::string reason) {
  ++call.timer_generation;
  call.timer.cancel();
  call.phase = Phase::failing;
  call.failed_disposition = disposition;
  call.failed_reason = std::move(reason);
  // About three seconds of the tone, then BYE (finish hangs up).
  std::vector<call::Clip> clips = tone == Tone::busy ? std::vector<call::Clip>(4, busy_tone_)
                                                     : std::vector<call::Clip>(2, congestion_tone_);
  const std::string id = call.info.call_id;
  auto done = [this, id] {
    Active* found = find(id);
    if (found == nullptr || found->phase != Phase::failing) return;
    finish(id, acd::OutboundEnd::not_connected, found->failed_disposition, found->failed_reason);
  };
  if (!call.agent_leg->play_background(std::move(clips), media::Loop::no, done)) done();
}

void ClickToCall::agent_ended(const std::string& id, call::LegEnd) {
  Active* call = find(id);
  if (call == nullptr) return;
  switch (call->phase) {
    case Phase::ringing_agent:
      finish(id, acd::OutboundEnd::not_connected, store::Disposition::unanswered,
             "agent phone " + end_text(*call->agent_leg));
      break;
    case Phase::dialing:
      finish(id, acd::OutboundEnd::not_connected, store::Disposition::abandoned,
             "ended_by=agent before the answer");
      break;
    case Phase::connected:
      finish(id, acd::OutboundEnd::talked, store::Disposition::answered, "ended_by=agent");
      break;
    case Phase::failing:
      finish(id, acd::OutboundEnd::not_connected, call->failed_disposition, call->failed_reason);
      break;
  }
}

void ClickToCall::finish(const std::string& id, acd::OutboundEnd how,
                         store::Disposition disposition, std::string reason) {
  auto found = active_.find(id);
  if (found == active_.end()) return;
  std::shared_ptr<Active> call = std::move(found->second);
  active_.erase(found);
  ++call->timer_generation;
  call->timer.cancel();
  // Quiet first: hanging up one leg must not come back here through its end handler.
  for (auto* leg : {&call->agent_leg, &call->customer_leg}) {
    if (!*leg) continue;
    (*leg)->on_answer(nullptr);
    (*leg)->on_end(nullptr);
    (*leg)->on_hold_change(nullptr);
    if (!(*leg)->ended()) (*leg)->hangup();
  }
  listener_.outbound_leg(call->info, store::LegRole::agent, call->agent_leg->info(),
                         call->agent_started, call->agent_answered, end_text(*call->agent_leg));
  if (call->customer_leg) {
    listener_.outbound_leg(call->info, store::LegRole::outbound, call->customer_leg->info(),
                           call->customer_started, call->customer_answered,
                           end_text(*call->customer_leg));
  }
  log_->info("call_id={} click-to-call ended agent={} number={} disposition={} reason={}", id,
             call->info.agent, call->info.number, store::to_string(disposition), reason);
  listener_.outbound_ended(call->info, disposition, reason);
  queues_.end_outbound(call->info.agent, how);
  // This may run inside one of the call's own handlers (its timer's, a leg's): freed later.
  boost::asio::post(io_, [call] {});
}

}  // namespace kefu::app
