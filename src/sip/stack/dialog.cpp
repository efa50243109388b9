#include "sip/stack/dialog.hpp"

namespace kefu::sip {
namespace {

constexpr std::uint16_t kDefaultSipPort = 5060;

std::string_view uri_of(std::string_view name_addr) {
  if (auto parsed = parse_name_addr(name_addr)) return parsed->uri.text;
  return name_addr;
}

bool is_loose_route(std::string_view name_addr) {
  auto parsed = parse_name_addr(name_addr);
  return parsed && parsed->uri.param("lr").has_value();
}

std::string contact_target(const Message& message) {
  if (message.contacts().empty()) return {};
  return std::string(message.contacts().front().uri.text);
}

}  // namespace

Result<Destination, std::string> resolve_uri(const Uri& uri) {
  if (uri.scheme != Scheme::Sip) {
    return unexpected("cannot send to " + std::string(uri.text) + ": only sip: URIs");
  }
  std::string_view host = uri.host;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  boost::system::error_code error;
  const auto address = boost::asio::ip::make_address(std::string(host), error);
  if (error) {
    return unexpected("cannot send to " + std::string(uri.text) +
                      ": host is not an IP address (no DNS)");
  }
  Destination to;
  to.address = Endpoint{address, uri.port != 0 ? uri.port : kDefaultSipPort};
  to.transport = TransportKind::Udp;
  if (auto transport = uri.param("transport")) {
    auto kind = transport_from_string(*transport);
    if (!kind) return unexpected("unsupported transport in " + std::string(uri.text));
    to.transport = *kind;
  }
  return to;
}

Result<Destination, std::string> resolve_uri(std::string_view uri_text) {
  auto uri = Uri::parse(uri_text);
  if (!uri) return unexpected("not a URI: " + std::string(uri_text));
  return resolve_uri(*uri);
}

Dialog Dialog::as_uas(const Message& request, std::string_view local_tag) {
  Dialog dialog;
  dialog.call_id_ = std::string(request.call_id());
  dialog.local_tag_ = std::string(local_tag);
  dialog.remote_tag_ = std::string(request.from().tag().value_or(""));
  dialog.remote_header_ = std::string(request.header(HeaderId::From).value_or(""));
  dialog.local_header_ = std::string(request.header(HeaderId::To).value_or(""));
  if (!request.to().tag()) dialog.local_header_ += ";tag=" + dialog.local_tag_;
  dialog.remote_target_ = contact_target(request);
  if (dialog.remote_target_.empty()) {
    // RFC 2543 peers may leave Contact out (RFC 4475 inv2543): use From's URI.
    dialog.remote_target_ = std::string(request.from().uri.text);
  }
  for (std::string_view route : request.header_values(HeaderId::RecordRoute)) {
    dialog.route_set_.emplace_back(route);
  }
  dialog.remote_cseq_ = request.cseq().number;
  return dialog;
}

Dialog Dialog::as_uac(const Message& request, const Message& response) {
  Dialog dialog;
  dialog.call_id_ = std::string(request.call_id());
  dialog.local_tag_ = std::string(request.from().tag().value_or(""));
  dialog.remote_tag_ = std::string(response.to().tag().value_or(""));
  dialog.local_header_ = std::string(request.header(HeaderId::From).value_or(""));
  dialog.remote_header_ = std::string(response.header(HeaderId::To).value_or(""));
  dialog.remote_target_ = contact_target(response);
  if (dialog.remote_target_.empty()) dialog.remote_target_ = request.request_uri().text;
  const auto routes = response.header_values(HeaderId::RecordRoute);
  for (auto route = routes.rbegin(); route != routes.rend(); ++route) {
    dialog.route_set_.emplace_back(*route);
  }
  dialog.local_cseq_ = request.cseq().number;
  return dialog;
}

std::string Dialog::key_of(std::string_view call_id, std::string_view local_tag,
                           std::string_view remote_tag) {
  std::string key;
  key.reserve(call_id.size() + local_tag.size() + remote_tag.size() + 2);
  key.append(call_id).append("|").append(local_tag).append("|").append(remote_tag);
  return key;
}

bool Dialog::accept_remote_cseq(std::uint32_t number) {
  if (remote_cseq_ && number <= *remote_cseq_) return false;
  remote_cseq_ = number;
  return true;
}

void Dialog::refresh_target(const Message& message) {
  std::string target = contact_target(message);
  if (!target.empty()) remote_target_ = std::move(target);
}

Result<Destination, std::string> Dialog::destination() const {
  if (fixed_destination_) return *fixed_destination_;
  const std::string_view next_hop =
      route_set_.empty() ? std::string_view(remote_target_) : uri_of(route_set_.front());
  auto resolved = resolve_uri(next_hop);
  if (!resolved && fallback_destination_) return *fallback_destination_;
  return resolved;
}

std::string Dialog::build_request(Method method, std::uint32_t cseq, std::string_view contact,
                                  const HeaderList& headers, std::string_view content_type,
                                  std::string_view body) const {
  // §12.2.1.1: loose routing keeps the remote target as Request-URI; a strict router in
  // front gets the Request-URI and the remote target moves to the end of Route.
  std::string_view request_uri = remote_target_;
  std::vector<std::string> routes;
  if (!route_set_.empty() && !is_loose_route(route_set_.front())) {
    request_uri = uri_of(route_set_.front());
    routes.assign(route_set_.begin() + 1, route_set_.end());
    routes.push_back("<" + remote_target_ + ">");
  } else {
    routes = route_set_;
  }
  MessageBuilder builder = MessageBuilder::request(method, request_uri);
  builder.header("Max-Forwards", "70");
  for (const std::string& route : routes) builder.header("Route", route);
  builder.header("From", local_header_);
  builder.header("To", remote_header_);
  builder.header("Call-ID", call_id_);
  builder.header("CSeq", std::to_string(cseq) + " " + std::string(to_string(method)));
  if (!contact.empty()) builder.header("Contact", contact);
  for (const auto& [name, value] : headers) builder.header(name, value);
  if (!body.empty() || !content_type.empty()) builder.body(content_type, body);
  return builder.build();
}

}  // namespace kefu::sip
