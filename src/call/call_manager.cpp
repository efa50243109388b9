#include "call/call_manager.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address.hpp>

#include "call/call_observer.hpp"
#include "media/media_engine.hpp"
#include "sdp/offer_answer.hpp"
#include "sip/stack/user_agent.hpp"

namespace kefu::call {

struct CallManager::LegState {
  std::shared_ptr<Leg> leg;
  sdp::OfferAnswer offer_answer;
};

namespace {

media::Direction to_media(sdp::Direction direction) {
  switch (direction) {
    case sdp::Direction::SendRecv: return media::Direction::sendrecv;
    case sdp::Direction::SendOnly: return media::Direction::sendonly;
    case sdp::Direction::RecvOnly: return media::Direction::recvonly;
    case sdp::Direction::Inactive: return media::Direction::inactive;
  }
  return media::Direction::sendrecv;
}

std::optional<media::MediaParams> to_media_params(const sdp::NegotiatedMedia& negotiated) {
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(negotiated.remote_address, ec);
  if (ec) return std::nullopt;  // a host name in c=: not resolved on the control loop
  media::MediaParams params;
  params.remote = {address, negotiated.remote_port};
  params.codec.codec = negotiated.codec == "PCMA" ? media::Codec::pcma : media::Codec::pcmu;
  params.codec.payload_type = negotiated.payload_type;
  params.telephone_event_payload_type = negotiated.telephone_event_payload_type;
  params.ptime = std::chrono::milliseconds(negotiated.ptime_ms);
  params.direction = to_media(negotiated.direction);
  if (negotiated.remote_hold == sdp::RemoteHold::Yes && sends(params.direction)) {
    params.direction = params.direction == media::Direction::sendrecv ? media::Direction::recvonly
                                                                     : media::Direction::inactive;
  }
  return params;
}

std::string user_of(const sip::Uri& uri) { return sip::unescape(uri.user); }

}  // namespace

CallManager::CallManager(boost::asio::io_context& io, sip::UserAgent& user_agent,
                         media::MediaEngine& media, CallConfig config,
                         std::shared_ptr<spdlog::logger> log)
    : io_(io), user_agent_(user_agent), media_(media), config_(std::move(config)), log_(std::move(log)) {
  user_agent_.set_incoming_call_handler([this](sip::InviteSession call) { on_incoming(std::move(call)); });
}

CallManager::~CallManager() = default;

void CallManager::route(std::string dialed, EntryFlow flow) { routes_[std::move(dialed)] = std::move(flow); }

void CallManager::on_incoming(sip::InviteSession call) {
  const sip::Message* invite = call.initial_invite();
  if (invite == nullptr) return;
  LegInfo info{call.call_id(), user_of(invite->from().uri), std::string(invite->from().display_name),
               user_of(invite->request_uri())};
  EntryFlow flow;
  if (auto route = routes_.find(info.dialed); route != routes_.end()) {
    flow = route->second;
  } else if (auto picked = fallback_ ? fallback_(info) : std::nullopt) {
    flow = std::move(*picked);
  } else {
    log_->info("call_id={} rejected: no route for dialed={}", info.call_id, info.dialed);
    (void)call.reject(404);
    return;
  }
  if (invite->body().empty()) {
    // Offerless INVITEs would need our offer in the 200 and the answer in the ACK.
    (void)call.reject(488, "Offer required");
    return;
  }
  auto offer = sdp::parse(invite->body());
  if (!offer) {
    (void)call.reject(488, "Bad SDP");
    return;
  }
  auto created = media_.create_session();
  if (!created) {
    log_->warn("call_id={} rejected: {}", info.call_id, media::to_string(created.error()));
    (void)call.reject(503, "No media ports");
    return;
  }
  sdp::LocalMedia local;
  local.address = config_.media_address;
  local.port = created->local_port;
  auto state = std::make_unique<LegState>(LegState{nullptr, sdp::OfferAnswer(local, call.id())});
  auto answer = state->offer_answer.answer(*offer);
  std::optional<media::MediaParams> params;
  if (answer) params = to_media_params(answer->media);
  if (!answer || !params) {
    (void)media_.destroy(created->id);
    auto reason = answer ? std::string("Unsupported media address") : answer.error().reason;
    log_->info("call_id={} rejected 488: {}", info.call_id, reason);
    (void)call.reject(488);
    return;
  }
  log_->info("call_id={} incoming caller={} dialed={} codec={}", info.call_id, info.caller,
             info.dialed, answer->media.codec);
  state->leg = std::make_shared<Leg>(io_, media_, call, created->id, std::move(info),
                                     std::move(answer->sdp), *params, log_, observer_);
  if (observer_ != nullptr) observer_->call_arrived(state->leg->info());
  auto session_id = call.id();
  by_media_[created->id] = session_id;
  auto leg = state->leg;
  legs_.emplace(session_id, std::move(state));
  call.set_event_handler([this, session_id](sip::InviteSession session, const sip::SessionEvent& event) {
    on_session_event(session_id, std::move(session), event);
  });
  boost::asio::co_spawn(io_, flow(leg), [this, leg](std::exception_ptr error) {
    if (error) {
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        log_->error("call_id={} flow failed: {}", leg->info().call_id, e.what());
      }
    }
    leg->hangup();
  });
}

Result<std::shared_ptr<Leg>, std::string> CallManager::dial(const DialRequest& request) {
  media::SessionOptions options;
  options.same_thread_as = request.same_thread_as;
  auto created = media_.create_session(options);
  if (!created) return unexpected(std::string("no media session: ") + std::string(media::to_string(created.error())));
  sdp::LocalMedia local;
  local.address = config_.media_address;
  local.port = created->local_port;
  if (request.preferred_codec == media::Codec::pcma) std::swap(local.codecs[0], local.codecs[1]);
  local.preference = sdp::CodecPreference::LocalOrder;
  auto state = std::make_unique<LegState>(LegState{nullptr, sdp::OfferAnswer(local, next_offer_id_++)});
  sip::OutgoingCall out;
  out.target = request.target;
  out.from = "sip:" + (request.caller.empty() ? std::string("anonymous") : request.caller) + "@" +
             config_.sip_host;
  out.from_display = request.caller_display;
  out.sdp = state->offer_answer.offer();
  out.destination = request.destination;
  out.headers = request.headers;
  // The handler is installed by call() itself; events for this session are routed by its id,
  // which is only known once call() returns, so they are parked until then (none can arrive
  // before: the INVITE has just been queued on this loop).
  auto pending_id = std::make_shared<std::uint64_t>(0);
  auto placed = user_agent_.call(out, [this, pending_id](sip::InviteSession session, const sip::SessionEvent& event) {
    on_session_event(*pending_id, std::move(session), event);
  });
  if (!placed) {
    (void)media_.destroy(created->id);
    return unexpected(placed.error());
  }
  *pending_id = placed->id();
  LegInfo info{placed->call_id(), request.caller, request.caller_display, request.callee};
  state->leg = std::make_shared<Leg>(io_, media_, *placed, created->id, std::move(info), log_);
  log_->info("call_id={} dialing target={} caller={}", state->leg->info().call_id, request.target,
             request.caller);
  auto leg = state->leg;
  by_media_[created->id] = placed->id();
  legs_.emplace(placed->id(), std::move(state));
  return leg;
}

void CallManager::on_session_event(std::uint64_t session_id, sip::InviteSession session,
                                   const sip::SessionEvent& event) {
  auto found = legs_.find(session_id);
  if (found == legs_.end()) return;
  LegState& state = *found->second;
  if (const auto* offer = std::get_if<sip::session_event::OfferReceived>(&event)) {
    // re-INVITE or UPDATE: hold, resume, or a new media address.
    auto description = sdp::parse(offer->sdp);
    if (offer->sdp.empty() || !description) {
      (void)session.reject_offer(488);
      return;
    }
    auto answer = state.offer_answer.answer(*description);
    std::optional<media::MediaParams> params;
    if (answer) params = to_media_params(answer->media);
    if (!answer || !params) {
      (void)session.reject_offer(488);
      return;
    }
    (void)session.answer_offer(answer->sdp);
    state.leg->on_media_update(*params);
    log_->info("call_id={} media updated direction={}", state.leg->info().call_id,
               static_cast<int>(params->direction));
  } else if (const auto* answered = std::get_if<sip::session_event::Answered>(&event)) {
    // Our INVITE was answered (outbound leg); the ACK is already sent.
    auto description = sdp::parse(answered->sdp);
    std::optional<media::MediaParams> params;
    if (description) {
      auto negotiated = state.offer_answer.accept_answer(*description);
      if (negotiated) params = to_media_params(*negotiated);
    }
    if (!params) {
      log_->info("call_id={} answer without usable SDP: hanging up", state.leg->info().call_id);
      state.leg->hangup(LegEnd::failed);
      return;
    }
    state.leg->on_remote_answer(*params);
  } else if (const auto* dtmf = std::get_if<sip::session_event::Dtmf>(&event)) {
    state.leg->on_digit(dtmf->digit);
  } else if (const auto* refer = std::get_if<sip::session_event::ReferReceived>(&event)) {
    auto leg = state.leg;  // the handler may end the leg
    leg->on_transfer_requested(
        TransferRequest{refer->target, refer->target_user, refer->referred_by});
  } else if (const auto* end = std::get_if<sip::session_event::Terminated>(&event)) {
    LegEnd why = LegEnd::failed;
    switch (end->reason) {
      case sip::EndReason::RemoteBye: why = LegEnd::remote_hangup; break;
      case sip::EndReason::RemoteCancel: why = LegEnd::cancelled; break;
      case sip::EndReason::LocalHangup: why = LegEnd::local_hangup; break;
      case sip::EndReason::Rejected: why = LegEnd::rejected; break;
      case sip::EndReason::Timeout: why = state.leg->answered() ? LegEnd::failed : LegEnd::no_answer; break;
      default: why = LegEnd::failed; break;
    }
    auto leg = state.leg;
    leg->set_final_status(end->status);
    by_media_.erase(leg->media_session());
    legs_.erase(found);
    leg->on_ended(why);
  }
}

std::shared_ptr<Leg> CallManager::leg_for_media(media::SessionId id) const {
  auto found = by_media_.find(id);
  if (found == by_media_.end()) return nullptr;
  auto leg = legs_.find(found->second);
  return leg == legs_.end() ? nullptr : leg->second->leg;
}

void CallManager::on_media_event(const media::MediaEvent& event) {
  std::visit(
      [this](const auto& e) {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, media::RecordingDone>) {
          log_->info("recording done path={} ok={} duration_ms={}", e.path.string(), e.ok,
                     e.duration.count());
          if (recording_done_) recording_done_(e);
        } else {
          auto leg = leg_for_media(e.session);
          if (!leg) return;
          if constexpr (std::is_same_v<E, media::DtmfReceived>) {
            leg->on_digit(e.digit);
          } else if constexpr (std::is_same_v<E, media::PlayDone>) {
            leg->on_play_done(e.play_id);
          } else if constexpr (std::is_same_v<E, media::RtpTimeout>) {
            log_->info("call_id={} rtp timeout", leg->info().call_id);
            leg->hangup(LegEnd::rtp_timeout);
          }
        }
      },
      event);
}

}  // namespace kefu::call
