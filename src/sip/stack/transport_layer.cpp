#include "sip/stack/transport_layer.hpp"

#include <spdlog/spdlog.h>

namespace kefu::sip {
namespace {

constexpr std::uint16_t kDefaultSipPort = 5060;

bool same_host(std::string_view via_host, const boost::asio::ip::address& source) {
  if (via_host.size() >= 2 && via_host.front() == '[' && via_host.back() == ']') {
    via_host = via_host.substr(1, via_host.size() - 2);
  }
  boost::system::error_code error;
  const auto address = boost::asio::ip::make_address(std::string(via_host), error);
  return !error && address == source;
}

bool inside(std::string_view outer, std::string_view inner) {
  const auto outer_begin = reinterpret_cast<std::uintptr_t>(outer.data());
  const auto inner_begin = reinterpret_cast<std::uintptr_t>(inner.data());
  return inner_begin >= outer_begin && inner_begin + inner.size() <= outer_begin + outer.size();
}

}  // namespace

ResponseRoute route_response(const Message& request, const Inbound& from) {
  ResponseRoute route;
  route.destination.transport = from.transport;
  route.destination.connection = from.connection;
  route.destination.local = from.local;
  if (request.vias().empty()) {
    route.destination.address = from.source;
    return route;
  }
  const Via& via = request.vias().front();
  const bool rport_requested = [&] {
    for (const Param& param : via.params) {
      if (iequals(param.name, "rport") && !param.has_value) return true;
    }
    return false;
  }();
  const std::uint16_t sent_by_port = via.port != 0 ? via.port : kDefaultSipPort;
  // The source address always wins over an unresolved sent-by host (we add received= then).
  route.destination.address.address = from.source.address;
  route.destination.address.port =
      (rport_requested && !is_reliable(from.transport)) ? from.source.port : sent_by_port;

  std::string& top = route.top_via;
  top.reserve(via.text.size() + 48);
  std::size_t copied = 0;
  for (const Param& param : via.params) {
    if (rport_requested && iequals(param.name, "rport") && !param.has_value &&
        inside(via.text, param.name)) {
      const std::size_t end =
          static_cast<std::size_t>(param.name.data() - via.text.data()) + param.name.size();
      top.append(via.text.substr(copied, end - copied));
      top.append("=").append(std::to_string(from.source.port));
      copied = end;
    }
  }
  top.append(via.text.substr(copied));
  if ((rport_requested || !same_host(via.host, from.source.address)) &&
      !via.received().has_value()) {
    top.append(";received=").append(from.source.address.to_string());
  }
  return route;
}

TransportLayer::TransportLayer(TrafficCounters& counters, std::shared_ptr<spdlog::logger> logger)
    : counters_(counters), logger_(logger ? std::move(logger) : spdlog::default_logger()) {}

TransportLayer::~TransportLayer() {
  close_all();
}

void TransportLayer::add(std::unique_ptr<Transport> transport, std::string advertised_host) {
  const Endpoint local = transport->local_endpoint();
  if (advertised_host.empty()) {
    if (local.address.is_unspecified()) {
      logger_->warn("sip: {} listens on {} without an advertised address; using 127.0.0.1",
                    to_string(transport->kind()), local.to_string());
      advertised_host = "127.0.0.1";
    } else {
      advertised_host =
          local.address.is_v6() ? "[" + local.address.to_string() + "]" : local.address.to_string();
    }
  }
  Entry entry;
  entry.sent_by = advertised_host + ":" + std::to_string(local.port);
  entry.transport = std::move(transport);
  transports_.push_back(std::move(entry));
}

void TransportLayer::close_all() {
  for (Entry& entry : transports_) entry.transport->close();
  transports_.clear();
}

const TransportLayer::Entry* TransportLayer::select(const Destination& to) const {
  const Entry* same_family = nullptr;
  const Entry* any = nullptr;
  for (const Entry& entry : transports_) {
    if (entry.transport->kind() != to.transport) continue;
    const Endpoint local = entry.transport->local_endpoint();
    if (to.local && local == *to.local) return &entry;
    if (any == nullptr) any = &entry;
    if (same_family == nullptr && local.address.is_v4() == to.address.address.is_v4()) {
      same_family = &entry;
    }
  }
  return same_family != nullptr ? same_family : any;
}

bool TransportLayer::has_transport(TransportKind kind) const {
  for (const Entry& entry : transports_) {
    if (entry.transport->kind() == kind) return true;
  }
  return false;
}

std::optional<std::string> TransportLayer::sent_by(const Destination& to) const {
  const Entry* entry = select(to);
  if (entry == nullptr) return std::nullopt;
  return entry->sent_by;
}

std::optional<std::string> TransportLayer::send(const Destination& to, std::string bytes,
                                                MessageClass message_class, Method method,
                                                SendToken token) {
  const Entry* entry = select(to);
  if (entry == nullptr) {
    return std::string("no ") + std::string(to_string(to.transport)) + " transport";
  }
  counters_.count(Direction::Sent, to.transport, message_class, method);
  if (logger_->should_log(spdlog::level::trace)) {
    logger_->trace("sip: send {} to {}\n{}", to_string(to.transport), to.address.to_string(),
                   bytes);
  }
  return entry->transport->send(to, std::move(bytes), token);
}

void TransportLayer::on_received(std::string bytes, const Inbound& from) {
  if (logger_->should_log(spdlog::level::trace)) {
    logger_->trace("sip: recv {} from {}\n{}", to_string(from.transport), from.source.to_string(),
                   bytes);
  }
  auto parsed = Message::parse(std::move(bytes));
  if (!parsed) {
    counters_.count_malformed(from.transport);
    const ParseError& error = parsed.error();
    logger_->debug("sip: malformed {} from {}: {}", error.is_request ? "request" : "message",
                   from.source.to_string(), error.reason);
    if (error.is_request) answer_malformed(error, from);
    return;
  }
  Message message = std::move(parsed).value();
  if (message.is_request()) {
    counters_.count(Direction::Received, from.transport, MessageClass::Request, message.method());
    if (receiver_ != nullptr) receiver_->on_request(std::move(message), from);
  } else {
    counters_.count(Direction::Received, from.transport, MessageClass::Response,
                    message.cseq().method);
    if (receiver_ != nullptr) receiver_->on_response(std::move(message), from);
  }
}

void TransportLayer::answer_malformed(const ParseError& error, const Inbound& from) {
  // Built from the echoed header lines: the parse failed, so there is no Message to use.
  std::string response = "SIP/2.0 " + std::to_string(error.status) + " ";
  response += error.reason.empty() ? std::string(default_reason(error.status)) : error.reason;
  response += "\r\n";
  response += error.echo_headers;
  if (!response.ends_with("\r\n")) response += "\r\n";
  response += "Content-Length: 0\r\n\r\n";
  Destination to;
  to.transport = from.transport;
  to.address = from.source;
  to.connection = from.connection;
  to.local = from.local;
  if (auto failure = send(to, std::move(response), MessageClass::Response, Method::Unknown)) {
    logger_->debug("sip: could not answer malformed request: {}", *failure);
  }
}

void TransportLayer::on_stream_error(const Inbound& from, std::string_view reason) {
  counters_.count_malformed(from.transport);
  logger_->debug("sip: closed {} connection from {}: {}", to_string(from.transport),
                 from.source.to_string(), reason);
}

void TransportLayer::on_send_failed(SendToken token, std::string_view reason) {
  logger_->debug("sip: send failed: {}", reason);
  if (receiver_ != nullptr && token != SendToken::None) receiver_->on_send_failed(token, reason);
}

}  // namespace kefu::sip
