#include "sip/stack/invite_session.hpp"

#include "sip/stack/session_core.hpp"

namespace kefu::sip {

std::string_view to_string(EndReason reason) {
  switch (reason) {
    case EndReason::LocalHangup:
      return "local hangup";
    case EndReason::RemoteBye:
      return "remote BYE";
    case EndReason::RemoteCancel:
      return "remote CANCEL";
    case EndReason::Rejected:
      return "rejected";
    case EndReason::Timeout:
      return "timeout";
    case EndReason::AckTimeout:
      return "ACK timeout";
    case EndReason::TransportError:
      return "transport error";
    case EndReason::DialogGone:
      return "dialog gone";
  }
  return "unknown";
}

std::string_view to_string(SessionStatus status) {
  switch (status) {
    case SessionStatus::Ok:
      return "ok";
    case SessionStatus::Gone:
      return "gone";
    case SessionStatus::WrongState:
      return "wrong state";
    case SessionStatus::OfferPending:
      return "offer pending";
    case SessionStatus::InvalidArgument:
      return "invalid argument";
    case SessionStatus::SendFailed:
      return "send failed";
  }
  return "unknown";
}

std::shared_ptr<detail::SessionCore> InviteSession::live() const {
  auto core = core_.lock();
  if (!core || core->abandoned()) return nullptr;
  return core;
}

bool InviteSession::alive() const {
  auto core = live();
  return core && core->state() != SessionState::Terminated;
}

SessionRole InviteSession::role() const {
  auto core = live();
  return core ? core->role() : SessionRole::Uas;
}

SessionState InviteSession::state() const {
  auto core = live();
  return core ? core->state() : SessionState::Terminated;
}

void InviteSession::set_event_handler(EventHandler handler) const {
  if (auto core = live()) core->set_event_handler(std::move(handler));
}

const Message* InviteSession::initial_invite() const {
  auto core = live();
  return core ? core->initial_invite() : nullptr;
}

std::optional<Inbound> InviteSession::source() const {
  auto core = live();
  return core ? core->source() : std::nullopt;
}

std::string InviteSession::call_id() const {
  auto core = live();
  return core ? core->call_id() : std::string();
}

SessionStatus InviteSession::ring(int status, std::string sdp) const {
  auto core = live();
  return core ? core->ring(status, std::move(sdp)) : SessionStatus::Gone;
}

SessionStatus InviteSession::answer(std::string sdp) const {
  auto core = live();
  return core ? core->answer(std::move(sdp)) : SessionStatus::Gone;
}

SessionStatus InviteSession::reject(int status, std::string reason, HeaderList headers) const {
  auto core = live();
  return core ? core->reject(status, std::move(reason), std::move(headers)) : SessionStatus::Gone;
}

SessionStatus InviteSession::hangup() const {
  auto core = live();
  return core ? core->hangup() : SessionStatus::Gone;
}

SessionStatus InviteSession::reinvite(std::string sdp) const {
  auto core = live();
  return core ? core->reinvite(std::move(sdp)) : SessionStatus::Gone;
}

SessionStatus InviteSession::answer_offer(std::string sdp) const {
  auto core = live();
  return core ? core->answer_offer(std::move(sdp)) : SessionStatus::Gone;
}

SessionStatus InviteSession::reject_offer(int status) const {
  auto core = live();
  return core ? core->reject_offer(status) : SessionStatus::Gone;
}

SessionStatus InviteSession::send_dtmf(char digit, std::chrono::milliseconds duration) const {
  const bool valid = (digit >= '0' && digit <= '9') || digit == '*' || digit == '#' ||
                     (digit >= 'A' && digit <= 'D');
  if (!valid || duration.count() < 0) return SessionStatus::InvalidArgument;
  std::string body = "Signal=";
  body += digit;
  body += "\r\nDuration=" + std::to_string(duration.count()) + "\r\n";
  return send_info("application/dtmf-relay", std::move(body));
}

SessionStatus InviteSession::send_info(std::string content_type, std::string body) const {
  auto core = live();
  return core ? core->send_info(std::move(content_type), std::move(body)) : SessionStatus::Gone;
}

SessionStatus InviteSession::accept_refer() const {
  auto core = live();
  return core ? core->accept_refer() : SessionStatus::Gone;
}

SessionStatus InviteSession::reject_refer(int status, std::string reason) const {
  auto core = live();
  return core ? core->reject_refer(status, std::move(reason)) : SessionStatus::Gone;
}

SessionStatus InviteSession::notify_refer(int status, std::string reason) const {
  auto core = live();
  return core ? core->notify_refer(status, std::move(reason)) : SessionStatus::Gone;
}

}  // namespace kefu::sip
