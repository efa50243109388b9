// INVITE sessions, UAC side: the initial INVITE, CANCEL (§9.1), ACK for 2xx (§13.2.2.4),
// the 200 that crosses our CANCEL, and 2xx from a second fork (ACK + BYE).
#include <spdlog/spdlog.h>

#include "sip/stack/request_checks.hpp"
#include "sip/stack/session_core.hpp"

namespace kefu::sip::detail {
namespace {

std::string quoted(std::string_view text) {
  std::string result = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') result += '\\';
    result += c;
  }
  result += '"';
  return result;
}

}  // namespace

std::optional<std::string> SessionCore::start_uac(const OutgoingCall& call) {
  if (call.sdp.empty()) return std::string("an outgoing call needs an SDP offer");
  Destination to;
  if (call.destination) {
    to = *call.destination;
  } else {
    auto resolved = resolve_uri(call.target);
    if (!resolved) return resolved.error();
    to = *resolved;
  }
  RandomSource& random = host_.transactions().random();
  const std::string local_tag = random.hex(16);
  const std::string call_id = random.hex(32);
  const std::uint32_t cseq = 1 + static_cast<std::uint32_t>(random.next() % 10000);
  contact_ = host_.contact_for(to);

  std::string from = call.from_display.empty() ? std::string() : quoted(call.from_display) + " ";
  from += "<" + call.from + ">;tag=" + local_tag;
  MessageBuilder builder = MessageBuilder::request(Method::Invite, call.target);
  builder.header("Max-Forwards", "70");
  builder.header("From", from);
  builder.header("To", "<" + (call.to.empty() ? call.target : call.to) + ">");
  builder.header("Call-ID", call_id);
  builder.header("CSeq", std::to_string(cseq) + " INVITE");
  builder.header("Contact", contact_);
  builder.header("Allow", host_.allow());
  if (!host_.config().product.empty()) builder.header("User-Agent", host_.config().product);
  for (const auto& [name, value] : call.headers) builder.header(name, value);
  builder.body(kAcceptedBody, call.sdp);

  auto transaction = host_.transactions().start_client(
      builder.build(), to, weak_handler(&SessionCore::on_invite_response));
  if (!transaction) return transaction.error();
  uac_invite_ = std::move(*transaction);
  fixed_destination_ = call.destination;
  state_ = SessionState::Calling;
  return std::nullopt;
}

void SessionCore::on_invite_response(const ClientResponse& response) {
  if (released_) return;
  const int status = response.status;
  if (status < 200) {
    if (cancel_requested_) send_cancel();  // §9.1: the CANCEL waited for this
    if (state_ == SessionState::Calling) state_ = SessionState::Early;
    if (status > 100 && response.message != nullptr) {
      emit(session_event::Progress{status, std::string(response.message->reason()),
                                   std::string(response.message->body())});
    }
    return;
  }
  if (status < 300) {
    if (response.message != nullptr) on_invite_2xx(*response.message);
    return;
  }
  if (state_ == SessionState::Terminating) {  // the 487 to our CANCEL, or any final
    finish();
    return;
  }
  if (dialog_) return;  // a late non-2xx after a 2xx: nothing to do
  EndReason reason = EndReason::Rejected;
  if (response.message == nullptr) {
    reason = status == 408 ? EndReason::Timeout : EndReason::TransportError;
  }
  end(reason, status, Delivery::Now, SessionState::Terminated);
}

void SessionCore::on_invite_2xx(const Message& response) {
  const std::string_view remote_tag = response.to().tag().value_or("");
  if (dialog_) {
    if (remote_tag == dialog_->remote_tag()) {
      if (response.cseq().number == sent_ack_cseq_) resend_ack();
    } else {
      ack_and_bye_stray_fork(response);  // §13.2.2.4: a second dialog we do not want
    }
    return;
  }
  dialog_ = Dialog::as_uac(uac_invite_->request(), response);
  dialog_->set_fallback_destination(uac_invite_->destination());
  if (fixed_destination_) dialog_->set_fixed_destination(*fixed_destination_);
  dialog_key_ = dialog_->key();
  host_.register_dialog(dialog_key_, id_);
  if (auto error = send_ack(*dialog_, response.cseq().number)) {
    host_.transactions().transport().log().debug("sip: ACK not sent: {}", *error);
  }
  if (state_ == SessionState::Terminating) {
    // The 200 crossed our CANCEL: the call exists now, so end it properly.
    send_bye();
    if (!bye_) finish();
    return;
  }
  state_ = SessionState::Confirmed;
  emit(session_event::Answered{std::string(response.body())});
}

void SessionCore::on_stray_2xx(const Message& response) {
  auto self = shared_from_this();
  if (response.cseq().number == sent_ack_cseq_) resend_ack();
}

std::optional<std::string> SessionCore::send_ack(Dialog& dialog, std::uint32_t cseq) {
  auto to = dialog.destination();
  if (!to) return to.error();
  std::string request = dialog.build_request(Method::Ack, cseq, {}, {}, {}, {});
  auto sent = host_.transactions().send_stateless(std::move(request), *to);
  if (!sent) return sent.error();
  sent_ack_cseq_ = cseq;
  sent_ack_ = std::move(*sent);
  sent_ack_to_ = *to;
  return std::nullopt;
}

void SessionCore::resend_ack() {
  if (sent_ack_.empty()) return;
  if (auto error = host_.transactions().transport().send(sent_ack_to_, sent_ack_,
                                                         MessageClass::Request, Method::Ack)) {
    host_.transactions().transport().log().debug("sip: ACK not re-sent: {}", *error);
  }
}

void SessionCore::send_cancel() {
  if (cancel_ || !uac_invite_) return;
  auto started = host_.transactions().start_cancel(*uac_invite_, nullptr);
  if (!started) {
    host_.transactions().transport().log().debug("sip: CANCEL not sent: {}", started.error());
    return;
  }
  cancel_ = std::move(*started);
}

void SessionCore::ack_and_bye_stray_fork(const Message& response) {
  Dialog fork = Dialog::as_uac(uac_invite_->request(), response);
  fork.set_fallback_destination(uac_invite_->destination());
  if (fixed_destination_) fork.set_fixed_destination(*fixed_destination_);
  auto to = fork.destination();
  if (!to) return;
  TransactionLayer& transactions = host_.transactions();
  (void)transactions.send_stateless(
      fork.build_request(Method::Ack, response.cseq().number, {}, {}, {}, {}), *to);
  (void)transactions.start_client(fork.build_request(Method::Bye, fork.next_cseq(), {}, {}, {}, {}),
                                  *to, nullptr);
}

}  // namespace kefu::sip::detail
