#include "sip/stack/transaction_layer.hpp"

#include <spdlog/spdlog.h>

namespace kefu::sip {
namespace {

constexpr std::string_view kMagicCookie = "z9hG4bK";

std::string_view method_key(Method method, std::string_view method_text) {
  return method == Method::Unknown ? method_text : to_string(method);
}

// Request text built without Via: the Via goes right after the request line.
std::string insert_via(std::string request, std::string_view via) {
  const std::size_t line_end = request.find("\r\n");
  const std::size_t at = line_end == std::string::npos ? request.size() : line_end + 2;
  std::string header = "Via: ";
  header.append(via).append("\r\n");
  request.insert(at, header);
  return request;
}

std::string merge_key(const Message& request) {
  const auto from_tag = request.from().tag();
  if (!from_tag || request.to().tag()) return {};
  std::string key;
  key.reserve(from_tag->size() + request.call_id().size() + 24);
  key.append(*from_tag).append("|").append(request.call_id()).append("|");
  key.append(std::to_string(request.cseq().number)).append("|");
  key.append(method_key(request.method(), request.method_text()));
  return key;
}

}  // namespace

bool is_rfc3261_branch(std::string_view branch) {
  return branch.size() > kMagicCookie.size() && branch.starts_with(kMagicCookie);
}

std::string server_key(const Message& request, Method method) {
  const std::string_view method_text =
      method == request.method() ? method_key(method, request.method_text()) : to_string(method);
  std::string key;
  if (request.vias().empty()) return key;
  const Via& via = request.vias().front();
  const std::string_view branch = via.branch().value_or("");
  if (is_rfc3261_branch(branch)) {
    // §17.2.3: branch + sent-by + method (ACK and CANCEL look up the INVITE's key).
    key.reserve(branch.size() + via.host.size() + method_text.size() + 12);
    key.append("1|").append(branch).append("|").append(via.host).append(":");
    key.append(std::to_string(via.port)).append("|").append(method_text);
    return key;
  }
  // RFC 2543 matching: Request-URI, From tag, Call-ID, CSeq, top Via, and for requests other
  // than INVITE the To tag (an INVITE's ACK carries the tag our response added).
  key.append("2|").append(method_text).append("|").append(request.request_uri().text);
  key.append("|").append(request.from().tag().value_or("")).append("|");
  key.append(request.call_id()).append("|").append(std::to_string(request.cseq().number));
  key.append("|").append(via.text);
  if (method != Method::Invite) key.append("|").append(request.to().tag().value_or(""));
  return key;
}

std::string client_key(std::string_view branch, Method method, std::string_view method_text) {
  std::string key;
  key.reserve(branch.size() + 12);
  key.append(branch).append("|").append(method_key(method, method_text));
  return key;
}

TransactionLayer::TransactionLayer(TransportLayer& transport, TimerService& timers,
                                   const TimerConfig& config, TransactionUser& user,
                                   RandomSource& random, std::string server_name)
    : transport_(transport),
      timers_(timers),
      config_(config),
      user_(user),
      random_(random),
      server_name_(std::move(server_name)) {
  transport_.set_receiver(this);
}

TransactionLayer::~TransactionLayer() {
  transport_.set_receiver(nullptr);
  // Transactions may outlive the layer through shared_ptrs held elsewhere (a late
  // IncomingRequest); terminating them first keeps them from calling back into it.
  auto servers = std::move(servers_);
  auto clients = std::move(clients_);
  servers_.clear();
  clients_.clear();
  for (auto& [key, transaction] : servers) {
    transaction->state_ = TransactionState::Terminated;
    transaction->trying_timer_.cancel();
    transaction->retransmit_timer_.cancel();
    transaction->timeout_timer_.cancel();
  }
  for (auto& [key, transaction] : clients) {
    transaction->state_ = TransactionState::Terminated;
    transaction->detached_ = true;
    transaction->retransmit_timer_.cancel();
    transaction->timeout_timer_.cancel();
  }
}

std::shared_ptr<ServerTransaction> TransactionLayer::create_server(std::string key, Message request,
                                                                   const Inbound& from,
                                                                   std::string local_tag) {
  std::string merge = merge_key(request);
  auto transaction = std::make_shared<ServerTransaction>(*this, key, std::move(request), from,
                                                         std::move(local_tag));
  if (!merge.empty() && merge_index_.try_emplace(merge, key).second) {
    transaction->merge_key_ = std::move(merge);
  }
  servers_.emplace(std::move(key), transaction);
  transaction->start();
  return transaction;
}

void TransactionLayer::on_request(Message request, const Inbound& from) {
  if (request.method() == Method::Ack) {
    on_ack_request(request, from);
    return;
  }
  std::string key = server_key(request, request.method());
  if (const auto found = servers_.find(key); found != servers_.end()) {
    auto transaction = found->second;
    transaction->on_retransmission();
    return;
  }
  if (request.method() == Method::Cancel) {
    on_cancel_request(std::move(request), from);
    return;
  }
  std::string local_tag(request.to().tag().value_or(""));
  if (local_tag.empty()) local_tag = random_.hex(16);
  // §8.2.2.2: the same request arriving over another path (a different branch) is a merge.
  const std::string merge = merge_key(request);
  if (!merge.empty()) {
    const auto earlier = merge_index_.find(merge);
    if (earlier != merge_index_.end() && earlier->second != key &&
        servers_.contains(earlier->second)) {
      auto transaction = create_server(std::move(key), std::move(request), from, local_tag);
      transaction->respond(ResponseSpec{482, "Loop Detected", {}, {}, {}});
      return;
    }
  }
  auto transaction = create_server(std::move(key), std::move(request), from, local_tag);
  user_.on_request(transaction);
}

void TransactionLayer::on_cancel_request(Message cancel, const Inbound& from) {
  std::string key = server_key(cancel, Method::Cancel);
  std::shared_ptr<ServerTransaction> invite;
  if (const auto found = servers_.find(server_key(cancel, Method::Invite));
      found != servers_.end() && found->second->is_invite()) {
    invite = found->second;
  }
  std::string local_tag(cancel.to().tag().value_or(""));
  if (local_tag.empty()) local_tag = invite ? std::string(invite->local_tag()) : random_.hex(16);
  auto transaction = create_server(std::move(key), std::move(cancel), from, local_tag);
  if (!invite) {
    transaction->respond(ResponseSpec{481, {}, {}, {}, {}});
    return;
  }
  // §9.2: 200 to the CANCEL whatever the INVITE's state; the TU answers the INVITE (487).
  transaction->respond(ResponseSpec{200, {}, {}, {}, {}});
  if (!invite->answered()) user_.on_cancel(invite);
}

void TransactionLayer::on_ack_request(const Message& ack, const Inbound& from) {
  const std::string key = server_key(ack, Method::Invite);
  if (const auto found = servers_.find(key); found != servers_.end()) {
    auto transaction = found->second;
    const bool rfc2543 = key.starts_with("2|");
    const bool matches = !rfc2543 || ack.to().tag().value_or("") == transaction->local_tag();
    if (matches) {
      switch (transaction->state()) {
        case TransactionState::Completed:
          transaction->on_ack();
          return;
        case TransactionState::Confirmed:
        case TransactionState::Proceeding:
          return;  // a retransmitted ACK, or one for a response never sent
        default:
          break;  // Accepted: an RFC 2543 client's ACK for our 2xx goes to the TU
      }
    }
  }
  user_.on_ack(ack, from);
}

void TransactionLayer::on_response(Message response, const Inbound& from) {
  // §8.1.3.3: a response with more than one Via was misrouted.
  if (response.vias().size() != 1) {
    transport_.log().debug("sip: dropped response with {} Via values", response.vias().size());
    return;
  }
  const auto branch = response.vias().front().branch();
  if (branch) {
    const auto found =
        clients_.find(client_key(*branch, response.cseq().method, response.cseq().method_text));
    if (found != clients_.end()) {
      auto transaction = found->second;
      transaction->on_response(response);
      return;
    }
  }
  user_.on_stray_response(response, from);
}

void TransactionLayer::on_send_failed(SendToken token, std::string_view reason) {
  const auto found = tokens_.find(static_cast<std::uint64_t>(token));
  if (found == tokens_.end()) return;
  if (auto transaction = found->second.lock()) {
    transport_.log().debug("sip: {} failed: {}", transaction->request().method_text(), reason);
    transaction->on_transport_error();
  }
}

std::optional<std::string> TransactionLayer::via_for(const Destination& to,
                                                     std::string_view branch) const {
  auto sent_by = transport_.sent_by(to);
  if (!sent_by) return std::nullopt;
  std::string via = "SIP/2.0/";
  via.append(to_string(to.transport)).append(" ").append(*sent_by);
  via.append(";branch=").append(branch).append(";rport");
  return via;
}

Result<std::shared_ptr<ClientTransaction>, std::string> TransactionLayer::start_client(
    std::string request, const Destination& to, ResponseHandler handler) {
  const auto via = via_for(to, new_branch());
  if (!via)
    return unexpected(std::string("no ") + std::string(to_string(to.transport)) + " transport");
  return launch(insert_via(std::move(request), *via), to, std::move(handler));
}

Result<std::shared_ptr<ClientTransaction>, std::string> TransactionLayer::start_cancel(
    const ClientTransaction& invite, ResponseHandler handler) {
  const Message& request = invite.request();
  MessageBuilder builder = MessageBuilder::request(Method::Cancel, request.request_uri().text);
  if (!request.vias().empty()) builder.header("Via", request.vias().front().text);
  for (const HeaderField& field : request.headers()) {
    if (field.id == HeaderId::Route) builder.header("Route", field.value);
  }
  builder.header("Max-Forwards", "70");
  builder.header("From", request.header(HeaderId::From).value_or(""));
  builder.header("To", request.header(HeaderId::To).value_or(""));
  builder.header("Call-ID", request.call_id());
  builder.header("CSeq", std::to_string(request.cseq().number) + " CANCEL");
  return launch(builder.build(), invite.destination(), std::move(handler));
}

Result<std::shared_ptr<ClientTransaction>, std::string> TransactionLayer::launch(
    std::string bytes, const Destination& to, ResponseHandler handler) {
  auto parsed = Message::parse(bytes);
  if (!parsed) return unexpected("request does not parse: " + parsed.error().reason);
  Message request = std::move(parsed).value();
  if (!request.is_request() || request.vias().empty()) {
    return unexpected(std::string("not a request"));
  }
  std::string key = client_key(request.vias().front().branch().value_or(""), request.method(),
                               request.method_text());
  if (clients_.contains(key)) return unexpected(std::string("duplicate branch"));
  const Method method = request.method();
  auto transaction = std::make_shared<ClientTransaction>(*this, key, std::move(request), bytes, to,
                                                         std::move(handler));
  const std::uint64_t token = next_token_++;
  transaction->token_ = SendToken{token};
  if (auto error = transport_.send(to, std::move(bytes), MessageClass::Request, method,
                                   transaction->token_)) {
    return unexpected(std::move(*error));
  }
  tokens_.emplace(token, transaction);
  clients_.emplace(std::move(key), transaction);
  transaction->start();
  return transaction;
}

Result<std::string, std::string> TransactionLayer::send_stateless(std::string request,
                                                                  const Destination& to) {
  const auto via = via_for(to, new_branch());
  if (!via)
    return unexpected(std::string("no ") + std::string(to_string(to.transport)) + " transport");
  std::string bytes = insert_via(std::move(request), *via);
  const std::size_t space = bytes.find(' ');
  const Method method =
      method_from_string(std::string_view(bytes).substr(0, std::min(space, bytes.size())));
  if (auto error = transport_.send(to, bytes, MessageClass::Request, method)) {
    return unexpected(std::move(*error));
  }
  return bytes;
}

void TransactionLayer::remove(const ServerTransaction& transaction) {
  if (!transaction.merge_key_.empty()) {
    const auto merge = merge_index_.find(transaction.merge_key_);
    if (merge != merge_index_.end() && merge->second == transaction.key_) {
      merge_index_.erase(merge);
    }
  }
  const auto found = servers_.find(transaction.key_);
  if (found != servers_.end() && found->second.get() == &transaction) servers_.erase(found);
}

void TransactionLayer::remove(const ClientTransaction& transaction) {
  tokens_.erase(static_cast<std::uint64_t>(transaction.token_));
  const auto found = clients_.find(transaction.key_);
  if (found != clients_.end() && found->second.get() == &transaction) clients_.erase(found);
}

}  // namespace kefu::sip
