#include "sip/stack/user_agent.hpp"

#include <spdlog/spdlog.h>

#include "sip/stack/dialog.hpp"
#include "sip/stack/tcp_transport.hpp"
#include "sip/stack/udp_transport.hpp"

namespace kefu::sip {

// ---------------------------------------------------------------------------------------
// IncomingRequest

bool IncomingRequest::alive() const {
  auto transaction = transaction_.lock();
  return transaction && transaction->state() != TransactionState::Terminated;
}

const Message* IncomingRequest::request() const {
  auto transaction = transaction_.lock();
  return transaction ? &transaction->request() : nullptr;
}

std::optional<Inbound> IncomingRequest::source() const {
  auto transaction = transaction_.lock();
  if (!transaction) return std::nullopt;
  return transaction->source();
}

bool IncomingRequest::respond(const ResponseSpec& response) const {
  auto transaction = transaction_.lock();
  return transaction && transaction->respond(response);
}

// ---------------------------------------------------------------------------------------
// UserAgent

UserAgent::UserAgent(TimerService& timers, UserAgentConfig config)
    : config_(std::move(config)),
      timers_(timers),
      random_(config_.random_seed),
      capabilities_{false, config_.supported},
      transport_(counters_, config_.logger),
      transactions_(transport_, timers, config_.timers, *this, random_, config_.product),
      shutdown_limit_(timers),
      shutdown_check_(timers) {}

UserAgent::~UserAgent() {
  transport_.close_all();
  for (auto& [id, session] : sessions_) session->abandon();
  sessions_.clear();
  dialogs_.clear();
}

Result<Endpoint, std::string> UserAgent::listen(boost::asio::io_context& io,
                                                const ListenSpec& spec) {
  const bool udp = spec.transports != ListenTransports::Tcp;
  const bool tcp = spec.transports != ListenTransports::Udp;
  // With port 0 the kernel picks the UDP port; TCP must get the same one, which can be
  // taken already, so a few attempts.
  constexpr int kAttempts = 8;
  std::string last_error;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    Endpoint address = spec.address;
    std::unique_ptr<Transport> udp_transport;
    std::unique_ptr<Transport> tcp_transport;
    if (udp) {
      auto opened = open_udp_transport(io, address, transport_);
      if (!opened) return unexpected(opened.error());
      udp_transport = std::move(*opened);
      address = udp_transport->local_endpoint();
    }
    if (tcp) {
      auto opened = open_tcp_transport(io, address, transport_, timers_, config_.tcp);
      if (!opened) {
        last_error = opened.error();
        if (udp && spec.address.port == 0) continue;  // try another ephemeral port
        return unexpected(last_error);
      }
      tcp_transport = std::move(*opened);
      address = tcp_transport->local_endpoint();
    }
    if (udp_transport) transport_.add(std::move(udp_transport), spec.advertised_host);
    if (tcp_transport) transport_.add(std::move(tcp_transport), spec.advertised_host);
    return address;
  }
  return unexpected(last_error);
}

void UserAgent::add_transport(std::unique_ptr<Transport> transport, std::string advertised_host) {
  transport_.add(std::move(transport), std::move(advertised_host));
}

void UserAgent::set_registrar(RegistrationHandler* handler) {
  registrar_ = handler;
  capabilities_.registrar = handler != nullptr;
}

std::string UserAgent::contact_for(const Destination& to) const {
  const auto sent_by = transport_.sent_by(to);
  std::string contact = "<sip:" + config_.contact_user + "@" + sent_by.value_or("invalid");
  if (to.transport == TransportKind::Tcp) contact += ";transport=tcp";
  contact += ">";
  return contact;
}

void UserAgent::register_dialog(const std::string& key, std::uint64_t session_id) {
  dialogs_[key] = session_id;
}

void UserAgent::unregister_dialog(const std::string& key, std::uint64_t session_id) {
  const auto found = dialogs_.find(key);
  if (found != dialogs_.end() && found->second == session_id) dialogs_.erase(found);
}

void UserAgent::release(std::uint64_t session_id) {
  sessions_.erase(session_id);
  if (shutting_down_) check_shutdown();
}

std::shared_ptr<detail::SessionCore> UserAgent::find_dialog(std::string_view call_id,
                                                            std::string_view local_tag,
                                                            std::string_view remote_tag) const {
  const auto dialog = dialogs_.find(Dialog::key_of(call_id, local_tag, remote_tag));
  if (dialog == dialogs_.end()) return nullptr;
  const auto session = sessions_.find(dialog->second);
  return session == sessions_.end() ? nullptr : session->second;
}

// ---------------------------------------------------------------------------------------
// Requests and responses from the transaction layer

void UserAgent::on_request(const std::shared_ptr<ServerTransaction>& transaction) {
  const Message& request = transaction->request();
  if (auto failure = check_request(request, capabilities_)) {
    transaction->respond(*failure);
    return;
  }
  if (const auto to_tag = request.to().tag()) {
    // §12.2.2: within a dialog; unknown dialogs get 481.
    auto session = find_dialog(request.call_id(), *to_tag, request.from().tag().value_or(""));
    if (!session) {
      transaction->respond(ResponseSpec{481, {}, {}, {}, {}});
      return;
    }
    session->on_request(transaction);
    return;
  }
  switch (request.method()) {
    case Method::Invite:
      on_new_invite(transaction);
      return;
    case Method::Options: {
      // Also with Max-Forwards: 0 (RFC 4475 zeromf): we are the endpoint.
      ResponseSpec response;
      response.headers = {
          {"Allow", allow()}, {"Accept", std::string(kAcceptedBody)}, {"Supported", ""}};
      for (const std::string& tag : config_.supported) {
        std::string& supported = response.headers.back().second;
        if (!supported.empty()) supported += ", ";
        supported += tag;
      }
      transaction->respond(response);
      return;
    }
    case Method::Register:
      if (registrar_ != nullptr) {
        registrar_->on_register(IncomingRequest(transaction));
        return;
      }
      break;
    case Method::Bye:
    case Method::Info:
    case Method::Update:
    case Method::Prack:
      // Requests that only exist inside a dialog, without a To tag: no such dialog.
      transaction->respond(ResponseSpec{481, {}, {}, {}, {}});
      return;
    case Method::Refer:
      // Only a call's transfer, in its dialog, is supported (RFC 3515 §2.4.1 allows refusing).
      transaction->respond(ResponseSpec{400, "REFER Outside A Dialog Not Supported", {}, {}, {}});
      return;
    default:
      break;
  }
  transaction->respond(ResponseSpec{405, {}, {{"Allow", allow()}}, {}, {}});
}

void UserAgent::on_new_invite(const std::shared_ptr<ServerTransaction>& transaction) {
  if (shutting_down_) {
    transaction->respond(ResponseSpec{503, "Shutting Down", {}, {}, {}});
    return;
  }
  if (!incoming_call_handler_) {
    transaction->respond(ResponseSpec{480, {}, {}, {}, {}});
    return;
  }
  const std::uint64_t id = next_session_id_++;
  auto session = std::make_shared<detail::SessionCore>(static_cast<detail::SessionHost&>(*this), id,
                                                       SessionRole::Uas);
  sessions_.emplace(id, session);
  session->start_uas(transaction);
  incoming_call_handler_(InviteSession(session, id));
}

void UserAgent::on_cancel(const std::shared_ptr<ServerTransaction>& invite) {
  const auto found = sessions_.find(invite->owner_id);
  if (found == sessions_.end()) {
    invite->respond(ResponseSpec{487, {}, {}, {}, {}});
    return;
  }
  auto session = found->second;
  session->on_cancel();
}

void UserAgent::on_ack(const Message& ack, const Inbound& /*from*/) {
  auto session =
      find_dialog(ack.call_id(), ack.to().tag().value_or(""), ack.from().tag().value_or(""));
  if (session) session->on_ack(ack);
}

void UserAgent::on_stray_response(const Message& response, const Inbound& /*from*/) {
  if (response.cseq().method != Method::Invite || response.status() < 200 ||
      response.status() >= 300) {
    return;
  }
  auto session = find_dialog(response.call_id(), response.from().tag().value_or(""),
                             response.to().tag().value_or(""));
  if (session) session->on_stray_2xx(response);
}

// ---------------------------------------------------------------------------------------
// Outgoing

Result<InviteSession, std::string> UserAgent::call(const OutgoingCall& call,
                                                   InviteSession::EventHandler handler) {
  if (shutting_down_) return unexpected(std::string("shutting down"));
  const std::uint64_t id = next_session_id_++;
  auto session = std::make_shared<detail::SessionCore>(static_cast<detail::SessionHost&>(*this), id,
                                                       SessionRole::Uac);
  session->set_event_handler(std::move(handler));
  if (auto error = session->start_uac(call)) return unexpected(std::move(*error));
  sessions_.emplace(id, session);
  return InviteSession(session, id);
}

std::optional<std::string> UserAgent::send_request(const OutgoingRequest& request,
                                                   ResponseHandler handler) {
  if (request.method == Method::Invite || request.method == Method::Ack ||
      request.method == Method::Cancel || request.method == Method::Unknown) {
    return std::string("use call() for INVITE sessions");
  }
  Destination to;
  if (request.destination) {
    to = *request.destination;
  } else {
    auto resolved = resolve_uri(request.target);
    if (!resolved) return resolved.error();
    to = *resolved;
  }
  MessageBuilder builder = MessageBuilder::request(request.method, request.target);
  builder.header("Max-Forwards", "70");
  builder.header("From", "<" + request.from + ">;tag=" + random_.hex(16));
  builder.header("To", "<" + (request.to.empty() ? request.target : request.to) + ">");
  builder.header("Call-ID", random_.hex(32));
  builder.header("CSeq", "1 " + std::string(to_string(request.method)));
  if (!config_.product.empty()) builder.header("User-Agent", config_.product);
  for (const auto& [name, value] : request.headers) builder.header(name, value);
  if (!request.body.empty() || !request.content_type.empty()) {
    builder.body(request.content_type, request.body);
  }
  auto started = transactions_.start_client(builder.build(), to, std::move(handler));
  if (!started) return started.error();
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------
// Shutdown

void UserAgent::shutdown(Duration limit, std::function<void()> done) {
  shutting_down_ = true;
  shutdown_done_ = std::move(done);
  std::vector<std::shared_ptr<detail::SessionCore>> sessions;
  sessions.reserve(sessions_.size());
  for (const auto& [id, session] : sessions_) sessions.push_back(session);
  for (const auto& session : sessions) (void)session->hangup();
  shutdown_limit_.start(limit, [this] {
    if (!shutdown_done_) return;
    transport_.log().warn("sip: shutdown limit reached with {} sessions", sessions_.size());
    auto done_now = std::move(shutdown_done_);
    shutdown_done_ = nullptr;
    done_now();
  });
  check_shutdown();
}

void UserAgent::check_shutdown() {
  if (!shutdown_done_ || !sessions_.empty()) return;
  // From a timer: `done` may stop the loop or destroy us, never from inside a session.
  shutdown_check_.start(Duration::zero(), [this] {
    if (!shutdown_done_ || !sessions_.empty()) return;
    shutdown_limit_.cancel();
    auto done_now = std::move(shutdown_done_);
    shutdown_done_ = nullptr;
    done_now();
  });
}

}  // namespace kefu::sip
