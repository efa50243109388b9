// INVITE sessions: the UAS side and everything both sides share (RFC 3261 §12-§15,
// RFC 3311 UPDATE, RFC 6086 INFO, RFC 3515 REFER received in the dialog). The UAC side is in
// session_uac.cpp.
#include "sip/stack/session_core.hpp"

#include <spdlog/spdlog.h>

#include <cctype>

#include "sip/stack/request_checks.hpp"

namespace kefu::sip::detail {
namespace {

std::string_view trim(std::string_view text) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

// RFC 4733 event codes as text: "0"-"9", "10" = '*', "11" = '#', "12"-"15" = A-D; also the
// characters themselves.
std::optional<char> dtmf_digit(std::string_view signal) {
  signal = trim(signal);
  if (signal.size() == 1) {
    const char c = signal.front();
    if ((c >= '0' && c <= '9') || c == '*' || c == '#') return c;
    if (c >= 'A' && c <= 'D') return c;
    if (c >= 'a' && c <= 'd') return static_cast<char>(c - 'a' + 'A');
    return std::nullopt;
  }
  if (signal == "10") return '*';
  if (signal == "11") return '#';
  if (signal.size() == 2 && signal.front() == '1' && signal.back() >= '2' && signal.back() <= '5') {
    return static_cast<char>('A' + (signal.back() - '2'));
  }
  return std::nullopt;
}

// application/dtmf-relay: "Signal=5\r\nDuration=160\r\n".
std::optional<session_event::Dtmf> parse_dtmf_relay(std::string_view body) {
  session_event::Dtmf dtmf;
  bool has_digit = false;
  while (!body.empty()) {
    const std::size_t end = body.find('\n');
    const std::string_view line = trim(body.substr(0, end));
    body = end == std::string_view::npos ? std::string_view{} : body.substr(end + 1);
    const std::size_t equals = line.find('=');
    if (equals == std::string_view::npos) continue;
    const std::string_view name = trim(line.substr(0, equals));
    const std::string_view value = trim(line.substr(equals + 1));
    if (iequals(name, "Signal")) {
      if (auto digit = dtmf_digit(value)) {
        dtmf.digit = *digit;
        has_digit = true;
      }
    } else if (iequals(name, "Duration")) {
      unsigned milliseconds = 0;
      for (char c : value) {
        if (c < '0' || c > '9' || milliseconds > 600000) break;
        milliseconds = milliseconds * 10 + static_cast<unsigned>(c - '0');
      }
      dtmf.duration = std::chrono::milliseconds(milliseconds);
    }
  }
  if (!has_digit) return std::nullopt;
  return dtmf;
}

// The Refer-To URI's user part, or a tel: URI's number (without its parameters).
std::string refer_target_user(const Uri& uri) {
  if (uri.scheme == Scheme::Sip || uri.scheme == Scheme::Sips) return unescape(uri.user);
  if (uri.scheme == Scheme::Tel) {
    std::string_view number = uri.text.substr(uri.scheme_text.size() + 1);
    return unescape(number.substr(0, number.find(';')));
  }
  return {};
}

}  // namespace

SessionCore::SessionCore(SessionHost& host, std::uint64_t id, SessionRole role)
    : host_(host),
      id_(id),
      role_(role),
      state_(role == SessionRole::Uas ? SessionState::Incoming : SessionState::Calling),
      ok_retransmit_timer_(host.transactions().timers()),
      ok_give_up_timer_(host.transactions().timers()),
      glare_timer_(host.transactions().timers()),
      terminating_guard_(host.transactions().timers()) {}

SessionCore::~SessionCore() = default;

void SessionCore::abandon() {
  abandoned_ = true;
  handler_ = nullptr;
  ok_retransmit_timer_.cancel();
  ok_give_up_timer_.cancel();
  glare_timer_.cancel();
  terminating_guard_.cancel();
  state_ = SessionState::Terminated;
}

const Message* SessionCore::initial_invite() const {
  if (uas_invite_) return &uas_invite_->request();
  if (uac_invite_) return &uac_invite_->request();
  return nullptr;
}

std::optional<Inbound> SessionCore::source() const {
  if (uas_invite_) return uas_invite_->source();
  return std::nullopt;
}

std::string SessionCore::call_id() const {
  if (dialog_) return dialog_->call_id();
  const Message* invite = initial_invite();
  return invite != nullptr ? std::string(invite->call_id()) : std::string();
}

void SessionCore::start_uas(std::shared_ptr<ServerTransaction> invite) {
  uas_invite_ = std::move(invite);
  uas_invite_->owner_id = id_;
  const Message& request = uas_invite_->request();
  dialog_ = Dialog::as_uas(request, uas_invite_->local_tag());
  // The flow the INVITE came in on: where in-dialog requests go when the route set and
  // Contact do not resolve, or always with DialogRouting::SourceFlow.
  const Inbound& from = uas_invite_->source();
  Destination flow;
  flow.transport = from.transport;
  flow.address = from.source;
  flow.connection = from.connection;
  flow.local = from.local;
  dialog_->set_fallback_destination(flow);
  if (host_.config().uas_dialog_routing == DialogRouting::SourceFlow &&
      dialog_->route_set().empty()) {
    dialog_->set_fixed_destination(flow);
  }
  contact_ = host_.contact_for(uas_invite_->response_destination());
  dialog_key_ = dialog_->key();
  host_.register_dialog(dialog_key_, id_);
  state_ = SessionState::Incoming;
}

// ---------------------------------------------------------------------------------------
// Events and the end of a session

void SessionCore::emit(SessionEvent event, Delivery delivery) {
  const bool terminated = std::holds_alternative<session_event::Terminated>(event);
  if (abandoned_ || (ended_ && !terminated)) return;
  if (delivery == Delivery::Deferred) {
    host_.transactions().timers().start(
        Duration::zero(), [self = shared_from_this(), event = std::move(event)]() mutable {
          self->emit(std::move(event), Delivery::Now);
        });
    return;
  }
  if (!handler_) return;
  auto handler = handler_;  // the TU may replace its handler from inside
  handler(InviteSession(weak_from_this(), id_), event);
}

void SessionCore::end(EndReason reason, int status, Delivery delivery, SessionState next) {
  glare_timer_.cancel();
  reinvite_wanted_ = false;
  if (refer_) {
    respond_simple(*refer_, 481);  // the dialog the REFER was about is over
    refer_.reset();
  }
  refer_subscription_ = false;
  const bool first = !ended_;
  ended_ = true;
  if (next == SessionState::Terminating) {
    state_ = SessionState::Terminating;
    // Bounded: the BYE or CANCEL transaction, or the wait for an ACK, ends well before.
    terminating_guard_.start(2 * host_.config().timers.timeout(), [this] {
      auto self = shared_from_this();
      finish();
    });
  } else {
    state_ = SessionState::Terminated;
  }
  if (first) emit(session_event::Terminated{reason, status}, delivery);
  if (next != SessionState::Terminating) finish();
}

void SessionCore::finish() {
  if (released_) return;
  released_ = true;
  state_ = SessionState::Terminated;
  ended_ = true;
  ok_retransmit_timer_.cancel();
  ok_give_up_timer_.cancel();
  glare_timer_.cancel();
  terminating_guard_.cancel();
  awaiting_ack_.reset();
  for (auto* transaction : {&uac_invite_, &cancel_, &reinvite_, &bye_}) {
    if (*transaction) (*transaction)->detach();
  }
  if (!dialog_key_.empty()) host_.unregister_dialog(dialog_key_, id_);
  host_.release(id_);
}

// ---------------------------------------------------------------------------------------
// Shared helpers

ResponseSpec SessionCore::response_with_sdp(int status, std::string sdp) const {
  ResponseSpec response;
  response.status = status;
  response.headers.emplace_back("Contact", contact_);
  if (status >= 200) response.headers.emplace_back("Allow", host_.allow());
  if (!sdp.empty()) {
    response.content_type = std::string(kAcceptedBody);
    response.body = std::move(sdp);
  }
  return response;
}

void SessionCore::respond_simple(ServerTransaction& transaction, int status) {
  ResponseSpec response;
  response.status = status;
  transaction.respond(response);
}

void SessionCore::respond_retry_later(ServerTransaction& transaction) {
  // §14.2: 500 with a Retry-After between 0 and 10 seconds.
  ResponseSpec response;
  response.status = 500;
  response.headers.emplace_back("Retry-After",
                                std::to_string(host_.transactions().random().next() % 11));
  transaction.respond(response);
}

void SessionCore::start_2xx_retransmission(const ServerTransaction& invite, bool initial) {
  const TimerConfig& timers = host_.config().timers;
  awaiting_ack_ = AwaitingAck{invite.request().cseq().number, invite.last_response(),
                              invite.response_destination(), timers.t1, initial};
  ok_retransmit_timer_.start(timers.t1, [this] { on_2xx_retransmit_timer(); });
  ok_give_up_timer_.start(timers.timeout(), [this] { on_2xx_gave_up(); });
}

void SessionCore::stop_2xx_retransmission() {
  awaiting_ack_.reset();
  ok_retransmit_timer_.cancel();
  ok_give_up_timer_.cancel();
}

void SessionCore::on_2xx_retransmit_timer() {
  auto self = shared_from_this();
  if (!awaiting_ack_) return;
  // §13.3.1.4: re-send the 2xx, T1 doubling up to T2, until the ACK comes.
  if (auto error = host_.transactions().transport().send(awaiting_ack_->to, awaiting_ack_->response,
                                                         MessageClass::Response, Method::Invite)) {
    host_.transactions().transport().log().debug("sip: 2xx not re-sent: {}", *error);
  }
  awaiting_ack_->interval = std::min(awaiting_ack_->interval * 2, host_.config().timers.t2);
  ok_retransmit_timer_.start(awaiting_ack_->interval, [this] { on_2xx_retransmit_timer(); });
}

void SessionCore::on_2xx_gave_up() {
  auto self = shared_from_this();
  // §13.3.1.4: no ACK within 64*T1: the dialog is confirmed but the session ends, by BYE.
  stop_2xx_retransmission();
  bye_after_ack_ = false;
  answer_in_ack_ = false;
  send_bye();
  end(EndReason::AckTimeout, 0, Delivery::Now,
      bye_ ? SessionState::Terminating : SessionState::Terminated);
}

std::optional<std::string> SessionCore::send_in_dialog(
    Method method, const HeaderList& headers, std::string_view content_type, std::string_view body,
    ResponseHandler handler, std::shared_ptr<ClientTransaction>* started) {
  if (!dialog_) return std::string("no dialog");
  auto to = dialog_->destination();
  if (!to) return to.error();
  // Target refreshes carry our Contact; so does NOTIFY (RFC 6665 §4.1.2.2).
  const bool with_contact =
      method == Method::Invite || method == Method::Update || method == Method::Notify;
  std::string request = dialog_->build_request(method, dialog_->next_cseq(),
                                               with_contact ? std::string_view(contact_) : "",
                                               headers, content_type, body);
  auto transaction = host_.transactions().start_client(std::move(request), *to, std::move(handler));
  if (!transaction) return transaction.error();
  if (started != nullptr) *started = std::move(*transaction);
  return std::nullopt;
}

ResponseHandler SessionCore::weak_handler(void (SessionCore::*member)(const ClientResponse&)) {
  return [weak = weak_from_this(), member](const ClientResponse& response) {
    if (auto self = weak.lock(); self && !self->abandoned_) ((*self).*member)(response);
  };
}

void SessionCore::send_bye() {
  if (bye_) return;
  auto error =
      send_in_dialog(Method::Bye, {}, {}, {}, weak_handler(&SessionCore::on_bye_response), &bye_);
  if (error) {
    host_.transactions().transport().log().debug("sip: BYE not sent: {}", *error);
    bye_.reset();
  }
}

void SessionCore::on_bye_response(const ClientResponse& response) {
  if (response.status >= 200) finish();
}

void SessionCore::hang_up_with_bye(EndReason reason, int status) {
  send_bye();
  end(reason, status, Delivery::Now, bye_ ? SessionState::Terminating : SessionState::Terminated);
}

void SessionCore::on_in_dialog_failure(const ClientResponse& response) {
  if (released_ || ended_) return;
  if (response.status == 481) {
    end(EndReason::DialogGone, 481, Delivery::Now, SessionState::Terminated);
  } else if (response.message == nullptr && response.status == 408) {
    hang_up_with_bye(EndReason::Timeout, 408);
  } else if (response.message == nullptr && response.status == 503) {
    hang_up_with_bye(EndReason::TransportError, 503);
  }
}

// ---------------------------------------------------------------------------------------
// TU calls, UAS side

SessionStatus SessionCore::ring(int status, std::string sdp) {
  if (role_ != SessionRole::Uas) return SessionStatus::WrongState;
  if (state_ != SessionState::Incoming && state_ != SessionState::Early) {
    return SessionStatus::WrongState;
  }
  if (status <= 100 || status >= 200) return SessionStatus::InvalidArgument;
  if (!uas_invite_->respond(response_with_sdp(status, std::move(sdp)))) {
    return SessionStatus::WrongState;
  }
  state_ = SessionState::Early;
  return SessionStatus::Ok;
}

SessionStatus SessionCore::answer(std::string sdp) {
  if (role_ != SessionRole::Uas) return SessionStatus::WrongState;
  if (state_ != SessionState::Incoming && state_ != SessionState::Early) {
    return SessionStatus::WrongState;
  }
  if (sdp.empty()) return SessionStatus::InvalidArgument;
  if (!uas_invite_->respond(response_with_sdp(200, std::move(sdp)))) {
    return SessionStatus::WrongState;
  }
  // An INVITE without SDP made our answer the offer; the ACK carries the answer.
  answer_in_ack_ = uas_invite_->request().body().empty();
  state_ = SessionState::Answering;
  start_2xx_retransmission(*uas_invite_, true);
  return SessionStatus::Ok;
}

SessionStatus SessionCore::reject(int status, std::string reason, HeaderList headers) {
  if (role_ != SessionRole::Uas) return SessionStatus::WrongState;
  if (state_ != SessionState::Incoming && state_ != SessionState::Early) {
    return SessionStatus::WrongState;
  }
  if (status < 300 || status > 699) return SessionStatus::InvalidArgument;
  ResponseSpec response;
  response.status = status;
  response.reason = std::move(reason);
  response.headers = std::move(headers);
  if (!uas_invite_->respond(response)) return SessionStatus::WrongState;
  end(EndReason::LocalHangup, status, Delivery::Deferred, SessionState::Terminated);
  return SessionStatus::Ok;
}

SessionStatus SessionCore::hangup() {
  switch (state_) {
    case SessionState::Incoming:
      return reject(480, {}, {});
    case SessionState::Early:
      if (role_ == SessionRole::Uas) return reject(480, {}, {});
      [[fallthrough]];
    case SessionState::Calling:
      // §9.1: CANCEL only once a provisional response arrived; until then it waits.
      cancel_requested_ = true;
      if (uac_invite_ && uac_invite_->state() == TransactionState::Proceeding) send_cancel();
      end(EndReason::LocalHangup, 0, Delivery::Deferred, SessionState::Terminating);
      return SessionStatus::Ok;
    case SessionState::Answering:
      // §15: no BYE before the ACK (or its timeout).
      bye_after_ack_ = true;
      end(EndReason::LocalHangup, 0, Delivery::Deferred, SessionState::Terminating);
      return SessionStatus::Ok;
    case SessionState::Confirmed:
      if (offer_) {
        respond_simple(*offer_, 487);
        offer_.reset();
      }
      stop_2xx_retransmission();
      send_bye();
      end(EndReason::LocalHangup, 0, Delivery::Deferred,
          bye_ ? SessionState::Terminating : SessionState::Terminated);
      return SessionStatus::Ok;
    case SessionState::Terminating:
    case SessionState::Terminated:
      break;
  }
  return SessionStatus::WrongState;
}

SessionStatus SessionCore::reinvite(std::string sdp) {
  if (state_ != SessionState::Confirmed) return SessionStatus::WrongState;
  if (offer_ || awaiting_ack_ || reinvite_wanted_) return SessionStatus::OfferPending;
  if (sdp.empty()) return SessionStatus::InvalidArgument;
  reinvite_sdp_ = std::move(sdp);
  reinvite_wanted_ = true;
  if (auto error = send_reinvite()) {
    host_.transactions().transport().log().debug("sip: re-INVITE not sent: {}", *error);
    reinvite_wanted_ = false;
    return SessionStatus::SendFailed;
  }
  return SessionStatus::Ok;
}

SessionStatus SessionCore::answer_offer(std::string sdp) {
  if (!offer_) return SessionStatus::WrongState;
  if (sdp.empty()) return SessionStatus::InvalidArgument;
  auto transaction = std::move(offer_);
  offer_.reset();
  if (!transaction->respond(response_with_sdp(200, std::move(sdp)))) {
    return SessionStatus::WrongState;
  }
  if (transaction->is_invite()) start_2xx_retransmission(*transaction, false);
  return SessionStatus::Ok;
}

SessionStatus SessionCore::reject_offer(int status) {
  if (!offer_) return SessionStatus::WrongState;
  if (status < 300 || status > 699) return SessionStatus::InvalidArgument;
  auto transaction = std::move(offer_);
  offer_.reset();
  answer_in_ack_ = false;
  respond_simple(*transaction, status);
  return SessionStatus::Ok;
}

SessionStatus SessionCore::send_info(std::string content_type, std::string body) {
  if (state_ != SessionState::Confirmed) return SessionStatus::WrongState;
  if (auto error = send_in_dialog(Method::Info, {}, content_type, body,
                                  weak_handler(&SessionCore::on_in_dialog_failure), nullptr)) {
    host_.transactions().transport().log().debug("sip: INFO not sent: {}", *error);
    return SessionStatus::SendFailed;
  }
  return SessionStatus::Ok;
}

SessionStatus SessionCore::accept_refer() {
  if (!refer_) return SessionStatus::WrongState;
  auto transaction = std::move(refer_);
  refer_.reset();
  ResponseSpec accepted = response_with_sdp(202, {});
  if (!transaction->respond(accepted)) return SessionStatus::WrongState;
  refer_subscription_ = true;
  return SessionStatus::Ok;
}

SessionStatus SessionCore::reject_refer(int status, std::string reason) {
  if (!refer_) return SessionStatus::WrongState;
  if (status < 300 || status > 699) return SessionStatus::InvalidArgument;
  auto transaction = std::move(refer_);
  refer_.reset();
  ResponseSpec response;
  response.status = status;
  response.reason = std::move(reason);
  return transaction->respond(response) ? SessionStatus::Ok : SessionStatus::WrongState;
}

SessionStatus SessionCore::notify_refer(int status, std::string reason) {
  if (!refer_subscription_ || state_ != SessionState::Confirmed) return SessionStatus::WrongState;
  if (status < 100 || status > 699) return SessionStatus::InvalidArgument;
  const bool final = status >= 200;
  // RFC 3515 §2.4.6: from the dialog's second REFER on, the NOTIFY names its REFER.
  std::string event = "refer";
  if (refers_received_ > 1) event += ";id=" + std::to_string(refer_cseq_);
  const HeaderList headers = {
      {"Event", event},
      {"Subscription-State", final ? "terminated;reason=noresource" : "active;expires=60"}};
  const std::string body = "SIP/2.0 " + std::to_string(status) + " " + reason + "\r\n";
  if (final) refer_subscription_ = false;
  if (auto error = send_in_dialog(Method::Notify, headers, "message/sipfrag;version=2.0", body,
                                  weak_handler(&SessionCore::on_notify_response), nullptr)) {
    host_.transactions().transport().log().debug("sip: NOTIFY not sent: {}", *error);
    return SessionStatus::SendFailed;
  }
  return SessionStatus::Ok;
}

void SessionCore::on_notify_response(const ClientResponse& response) {
  // RFC 6665 §4.1.3: a failed NOTIFY (481, 408, ...) ends the subscription; the call goes on.
  if (response.status < 300) return;
  refer_subscription_ = false;
  host_.transactions().transport().log().debug("sip: NOTIFY for REFER answered {}",
                                               response.status);
}

// ---------------------------------------------------------------------------------------
// Requests from the network

void SessionCore::on_cancel() {
  auto self = shared_from_this();
  if (role_ != SessionRole::Uas) return;
  if (state_ != SessionState::Incoming && state_ != SessionState::Early) return;
  respond_simple(*uas_invite_, 487);
  end(EndReason::RemoteCancel, 487, Delivery::Now, SessionState::Terminated);
}

void SessionCore::on_ack(const Message& ack) {
  auto self = shared_from_this();
  if (!awaiting_ack_ || ack.cseq().number != awaiting_ack_->cseq) return;
  const bool initial = awaiting_ack_->initial;
  stop_2xx_retransmission();
  if (bye_after_ack_) {
    bye_after_ack_ = false;
    answer_in_ack_ = false;
    send_bye();
    if (!bye_) finish();
    return;
  }
  if (initial && state_ == SessionState::Answering) {
    state_ = SessionState::Confirmed;
    emit(session_event::Confirmed{});
  }
  if (answer_in_ack_) {
    answer_in_ack_ = false;
    if (!ack.body().empty()) emit(session_event::AnswerReceived{std::string(ack.body())});
  }
}

void SessionCore::on_request(const std::shared_ptr<ServerTransaction>& transaction) {
  auto self = shared_from_this();
  const Message& request = transaction->request();
  if (released_ || !dialog_) {
    respond_simple(*transaction, 481);
    return;
  }
  if (!dialog_->accept_remote_cseq(request.cseq().number)) {
    ResponseSpec response;
    response.status = 500;
    response.reason = "CSeq Out of Order";
    transaction->respond(response);
    return;
  }
  if (request.method() == Method::Bye) {
    on_bye(transaction);
    return;
  }
  if (state_ == SessionState::Terminating) {
    respond_simple(*transaction, 481);
    return;
  }
  switch (request.method()) {
    case Method::Invite:
      on_reinvite(transaction);
      break;
    case Method::Update:
      on_update(transaction);
      break;
    case Method::Info:
      on_info(transaction);
      break;
    case Method::Refer:
      on_refer(transaction);
      break;
    case Method::Options: {
      ResponseSpec response;
      response.headers = {{"Allow", host_.allow()}, {"Accept", std::string(kAcceptedBody)}};
      transaction->respond(response);
      break;
    }
    default: {
      ResponseSpec response;
      response.status = 405;
      response.headers = {{"Allow", host_.allow()}};
      transaction->respond(response);
      break;
    }
  }
}

void SessionCore::on_bye(const std::shared_ptr<ServerTransaction>& transaction) {
  respond_simple(*transaction, 200);
  // §15.1.2: pending requests of the dialog still get an answer.
  if (uas_invite_ && !uas_invite_->answered()) respond_simple(*uas_invite_, 487);
  if (offer_) {
    respond_simple(*offer_, 487);
    offer_.reset();
  }
  stop_2xx_retransmission();
  bye_after_ack_ = false;
  if (state_ == SessionState::Terminating) {
    if (!bye_) finish();  // our BYE, if any, is answered separately (BYEs crossed)
    return;
  }
  end(EndReason::RemoteBye, 0, Delivery::Now, SessionState::Terminated);
}

void SessionCore::on_reinvite(const std::shared_ptr<ServerTransaction>& transaction) {
  const Message& request = transaction->request();
  if (state_ != SessionState::Confirmed || offer_ || awaiting_ack_) {
    // §14.2: an INVITE while an earlier one is unanswered (or un-ACKed).
    respond_retry_later(*transaction);
    return;
  }
  const bool ours_pending = reinvite_ && (reinvite_->state() == TransactionState::Calling ||
                                          reinvite_->state() == TransactionState::Proceeding);
  if (ours_pending) {
    respond_simple(*transaction, 491);  // §14.2 glare
    return;
  }
  dialog_->refresh_target(request);
  offer_ = transaction;
  answer_in_ack_ = request.body().empty();
  emit(session_event::OfferReceived{Method::Invite, std::string(request.body())});
}

void SessionCore::on_update(const std::shared_ptr<ServerTransaction>& transaction) {
  const Message& request = transaction->request();
  dialog_->refresh_target(request);
  if (request.body().empty()) {
    transaction->respond(response_with_sdp(200, {}));
    return;
  }
  if (offer_) {
    respond_retry_later(*transaction);  // RFC 3311 §5.2: an offer of theirs is unanswered
    return;
  }
  const bool ours_pending = reinvite_ && (reinvite_->state() == TransactionState::Calling ||
                                          reinvite_->state() == TransactionState::Proceeding);
  if (ours_pending || answer_in_ack_) {
    respond_simple(*transaction, 491);  // our offer is outstanding
    return;
  }
  offer_ = transaction;
  emit(session_event::OfferReceived{Method::Update, std::string(request.body())});
}

void SessionCore::on_info(const std::shared_ptr<ServerTransaction>& transaction) {
  const Message& request = transaction->request();
  const std::string_view type = media_type(request.content_type());
  respond_simple(*transaction, 200);
  if (iequals(type, "application/dtmf-relay")) {
    if (auto dtmf = parse_dtmf_relay(request.body())) emit(*dtmf);
    return;
  }
  if (iequals(type, "application/dtmf")) {
    if (auto digit = dtmf_digit(request.body())) emit(session_event::Dtmf{*digit, {}});
    return;
  }
  emit(session_event::InfoReceived{std::string(request.content_type()),
                                   std::string(request.body())});
}

void SessionCore::on_refer(const std::shared_ptr<ServerTransaction>& transaction) {
  const Message& request = transaction->request();
  const auto refuse = [&](int status, std::string reason) {
    ResponseSpec response;
    response.status = status;
    response.reason = std::move(reason);
    transaction->respond(response);
  };
  // RFC 3515 §2.4.1: exactly one Refer-To, else 400.
  const std::vector<std::string_view> refer_to = request.header_values(HeaderId::ReferTo);
  if (refer_to.empty()) return refuse(400, "Missing Refer-To");
  if (refer_to.size() > 1) return refuse(400, "Multiple Refer-To");
  const std::optional<NameAddr> target = parse_name_addr(refer_to.front());
  if (!target || target->wildcard) return refuse(400, "Invalid Refer-To");
  // URI headers ask for more than a blind transfer (Replaces: attended transfer).
  if (!target->uri.headers.empty()) {
    std::string headers = unescape(target->uri.headers);
    for (char& c : headers) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const bool replaces = headers.find("replaces=") != std::string::npos;
    return refuse(501,
                  replaces ? "Attended Transfer Not Supported" : "Refer-To Headers Not Supported");
  }
  if (state_ != SessionState::Confirmed) return refuse(403, "Call Not Established");
  if (refer_ || refer_subscription_) return refuse(491, "Transfer In Progress");
  if (!handler_) return refuse(603, "Transfer Declined");
  refer_ = transaction;
  refer_cseq_ = request.cseq().number;
  ++refers_received_;
  session_event::ReferReceived event;
  event.target = std::string(target->uri.text);
  event.target_user = refer_target_user(target->uri);
  event.referred_by = std::string(request.header("Referred-By").value_or(""));
  emit(std::move(event));
}

// ---------------------------------------------------------------------------------------
// Our re-INVITE (§14.1)

std::optional<std::string> SessionCore::send_reinvite() {
  return send_in_dialog(Method::Invite, {{"Allow", host_.allow()}}, kAcceptedBody, reinvite_sdp_,
                        weak_handler(&SessionCore::on_reinvite_response), &reinvite_);
}

void SessionCore::on_reinvite_response(const ClientResponse& response) {
  if (released_ || response.status < 200) return;
  if (response.status < 300) {
    if (response.message == nullptr) return;
    const Message& ok = *response.message;
    if (ok.cseq().number == sent_ack_cseq_) {
      resend_ack();  // the 2xx again: our ACK was lost
      return;
    }
    dialog_->refresh_target(ok);
    if (auto error = send_ack(*dialog_, ok.cseq().number)) {
      host_.transactions().transport().log().debug("sip: ACK not sent: {}", *error);
    }
    if (!reinvite_wanted_ || ended_) return;
    reinvite_wanted_ = false;
    emit(session_event::ReinviteResult{response.status, std::string(ok.body())});
    return;
  }
  if (!reinvite_wanted_ || ended_) return;
  if (response.status == 491) {
    schedule_glare_retry();
    return;
  }
  reinvite_wanted_ = false;
  if (response.status == 481) {
    end(EndReason::DialogGone, 481, Delivery::Now, SessionState::Terminated);
    return;
  }
  if (response.message == nullptr) {  // timeout or transport error: §14.1, end with BYE
    hang_up_with_bye(response.status == 408 ? EndReason::Timeout : EndReason::TransportError,
                     response.status);
    return;
  }
  emit(session_event::ReinviteResult{response.status, {}});
}

void SessionCore::schedule_glare_retry() {
  // §14.1: the Call-ID's owner (the dialog's UAC) waits 2.1-4 s, the other side 0-2 s.
  using std::chrono::milliseconds;
  RandomSource& random = host_.transactions().random();
  const Duration wait =
      role_ == SessionRole::Uac
          ? random.between(milliseconds(2100), milliseconds(4000), milliseconds(10))
          : random.between(milliseconds(0), milliseconds(2000), milliseconds(10));
  glare_timer_.start(wait, [this] {
    auto self = shared_from_this();
    if (state_ != SessionState::Confirmed || !reinvite_wanted_) return;
    if (offer_ || awaiting_ack_) {
      schedule_glare_retry();  // the other side's offer is being answered; try after
      return;
    }
    if (auto error = send_reinvite()) {
      reinvite_wanted_ = false;
      emit(session_event::ReinviteResult{503, {}});
    }
  });
}

}  // namespace kefu::sip::detail
