#include "sip/stack/transport.hpp"

#include <charconv>
#include <functional>

#include "sip/message.hpp"

namespace kefu::sip {

std::string_view to_string(TransportKind kind) {
  switch (kind) {
    case TransportKind::Udp:
      return "UDP";
    case TransportKind::Tcp:
      return "TCP";
  }
  return "UDP";
}

std::optional<TransportKind> transport_from_string(std::string_view text) {
  if (iequals(text, "udp")) return TransportKind::Udp;
  if (iequals(text, "tcp")) return TransportKind::Tcp;
  return std::nullopt;
}

std::string Endpoint::to_string() const {
  // Appended piece by piece: g++ 12 at -O2/-O3 reports a false -Wrestrict for
  // "[" + std::string&& (GCC bug 105329).
  std::string text;
  const bool v6 = address.is_v6();
  if (v6) text += '[';
  text += address.to_string();
  if (v6) text += ']';
  text += ':';
  text += std::to_string(port);
  return text;
}

std::optional<Endpoint> Endpoint::parse(std::string_view text) {
  std::string_view host;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  unsigned port = 0;
  const auto [end, error] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (error != std::errc{} || end != port_text.data() + port_text.size() || port > 65535) {
    return std::nullopt;
  }
  boost::system::error_code parse_error;
  auto address = boost::asio::ip::make_address(std::string(host), parse_error);
  if (parse_error) return std::nullopt;
  return Endpoint{address, static_cast<std::uint16_t>(port)};
}

std::size_t EndpointHash::operator()(const Endpoint& endpoint) const {
  std::size_t hash = std::hash<std::uint16_t>{}(endpoint.port);
  if (endpoint.address.is_v4()) {
    hash ^= std::hash<std::uint32_t>{}(endpoint.address.to_v4().to_uint()) * 31u;
  } else {
    for (auto byte : endpoint.address.to_v6().to_bytes()) hash = hash * 131u + byte;
  }
  return hash;
}

}  // namespace kefu::sip
