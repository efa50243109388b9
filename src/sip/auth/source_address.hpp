#pragma once
// Where a request came from: the transport and the address/port it was received from. The
// registrar stores it with each binding so calls reach phones behind NAT (RFC 3261 §18.2.1
// "received"/rport logic, RFC 5626 flows) without trusting the Contact address.
#include <cstdint>
#include <string>
#include <string_view>

namespace kefu::sip {

enum class SourceTransport : std::uint8_t { Udp, Tcp, Tls, Ws, Wss };
std::string_view to_string(SourceTransport transport);

struct SourceAddress {
  SourceTransport transport = SourceTransport::Udp;
  std::string ip;  // textual, IPv6 without brackets
  std::uint16_t port = 0;
  bool operator==(const SourceAddress&) const = default;
};

}  // namespace kefu::sip
