#pragma once
// Transport-facing types: addresses, where a message came from and where one goes, and the
// two small interfaces between a transport (UDP, TCP, loopback) and the stack above it.
#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace kefu::sip {

enum class TransportKind : std::uint8_t { Udp, Tcp };
inline constexpr std::size_t kTransportKindCount = 2;

// Reliable transports need no SIP-level retransmission (RFC 3261 §17.1.1.2, §17.1.2.2).
constexpr bool is_reliable(TransportKind kind) {
  return kind != TransportKind::Udp;
}
std::string_view to_string(TransportKind kind);  // "UDP", "TCP" (Via spelling)
// Case-insensitive "udp"/"tcp" (Via transport, URI transport= parameter).
std::optional<TransportKind> transport_from_string(std::string_view text);

struct Endpoint {
  boost::asio::ip::address address;
  std::uint16_t port = 0;

  friend bool operator==(const Endpoint&, const Endpoint&) = default;
  std::string to_string() const;  // "192.0.2.1:5060", "[2001:db8::1]:5060"
  // Parses "ip:port" / "[v6]:port"; nullopt otherwise (no DNS).
  static std::optional<Endpoint> parse(std::string_view text);
};

struct EndpointHash {
  std::size_t operator()(const Endpoint& endpoint) const;
};

// A TCP (or later TLS/WebSocket) connection; None for datagrams.
enum class ConnectionId : std::uint64_t { None = 0 };

// Where a received message came from.
struct Inbound {
  TransportKind transport = TransportKind::Udp;
  Endpoint source;
  Endpoint local;
  ConnectionId connection = ConnectionId::None;
};

// Where to send a message. For reliable transports an open `connection` is used first; when
// it is closed the transport connects to `address` (RFC 3261 §18.2.2).
struct Destination {
  TransportKind transport = TransportKind::Udp;
  Endpoint address;
  ConnectionId connection = ConnectionId::None;
  // Send from this local socket when there is one (a response leaves where its request came
  // in); otherwise the transport picks one of the destination's address family.
  std::optional<Endpoint> local;
};

// Echoed back by the transport when a send that already returned fails later (e.g. a TCP
// connect), so the transaction that sent it can be told (RFC 3261 §17.1.4).
enum class SendToken : std::uint64_t { None = 0 };

// What a transport reports to the stack. All calls happen on the control loop.
class TransportSink {
 public:
  virtual ~TransportSink() = default;
  // One complete message: a datagram, or one framed out of a stream.
  virtual void on_received(std::string bytes, const Inbound& from) = 0;
  // A stream that could not be framed; the transport has closed the connection.
  virtual void on_stream_error(const Inbound& from, std::string_view reason) = 0;
  virtual void on_send_failed(SendToken token, std::string_view reason) = 0;
};

class Transport {
 public:
  virtual ~Transport() = default;
  virtual TransportKind kind() const = 0;
  virtual Endpoint local_endpoint() const = 0;
  // Queues `bytes`; errors known at once are returned as text, later ones reported to the
  // sink's on_send_failed with `token`.
  virtual std::optional<std::string> send(const Destination& to, std::string bytes,
                                          SendToken token) = 0;
  // Stops reading and closes sockets; the sink is not called afterwards.
  virtual void close() = 0;
};

}  // namespace kefu::sip
