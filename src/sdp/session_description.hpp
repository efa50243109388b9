#pragma once
// SDP session descriptions (RFC 8866, formerly RFC 4566): a typed model, a parser that reports
// failure as a value, and a serializer. The lines kefu interprets (v, o, s, c, m and the
// rtpmap/fmtp/ptime/maxptime/direction attributes) are typed; every other line and attribute is
// kept as written so that a description survives parse -> serialize with its meaning intact.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace kefu::sdp {

enum class AddressType : std::uint8_t { Ip4, Ip6, Other };

// Media direction attributes (RFC 3264 §5.1, RFC 8866 §6.7).
enum class Direction : std::uint8_t { SendRecv, SendOnly, RecvOnly, Inactive };
std::string_view to_string(Direction direction);
std::optional<Direction> direction_from_string(std::string_view name);
// The direction the other side sees: sendonly <-> recvonly.
Direction mirror(Direction direction);
// Both sides' wishes at once: media flows one way only if both allow it.
Direction intersect(Direction a, Direction b);
inline bool sends(Direction d) {
  return d == Direction::SendRecv || d == Direction::SendOnly;
}
inline bool receives(Direction d) {
  return d == Direction::SendRecv || d == Direction::RecvOnly;
}

// <nettype> <addrtype> <address> as in c= and the tail of o=.
struct Connection {
  std::string network_type = "IN";
  std::string address_type = "IP4";  // as written; see type()
  std::string address;               // multicast "/ttl[/count]" suffixes stay here, see host()

  AddressType type() const;
  std::string_view host() const;  // address without a multicast suffix
  // RFC 2543 hold: c=0.0.0.0 means "do not send me media" (RFC 3264 §8.4).
  bool is_hold_address() const;
};

struct Origin {  // o=
  std::string username = "-";
  std::string session_id = "0";  // digits, kept as text: some exceed 64 bits
  std::uint64_t session_version = 0;
  Connection address;
};

// A line kefu does not interpret (i=, u=, e=, p=, b=, t=, r=, z=, k=), kept as written.
struct Field {
  char type = 0;
  std::string value;
  bool operator==(const Field&) const = default;
};

// An attribute kefu does not interpret (or an interpreted one that was malformed or
// repeated), kept as written: a=name or a=name:value.
struct Attribute {
  std::string name;
  std::optional<std::string> value;
  bool operator==(const Attribute&) const = default;
};

struct RtpMap {  // a=rtpmap:<pt> <encoding>/<clock rate>[/<parameters>]
  std::uint8_t payload_type = 0;
  std::string encoding;
  std::uint32_t clock_rate = 0;  // 0 = not given (RFC 4475 bodies carry "a=rtpmap:31 LPC")
  std::string parameters;        // e.g. channel count; empty = not given
  bool operator==(const RtpMap&) const = default;
};

struct Fmtp {  // a=fmtp:<format> <parameters>
  std::string format;
  std::string parameters;
  bool operator==(const Fmtp&) const = default;
};

struct MediaDescription {
  std::string media;  // "audio", "video", "image", ...
  std::uint16_t port = 0;
  std::optional<std::uint16_t> port_count;  // m=audio 49170/2 ...
  std::string protocol;                     // "RTP/AVP", "udptl", ...
  std::vector<std::string> formats;         // payload types for RTP, as written
  std::vector<Connection> connections;      // media-level c= (several only for multicast)
  std::vector<Field> fields;                // i=, b=, k=
  std::vector<RtpMap> rtpmaps;
  std::vector<Fmtp> fmtps;
  std::optional<std::uint32_t> ptime_ms;
  std::optional<std::uint32_t> maxptime_ms;
  std::optional<Direction> direction;
  std::vector<Attribute> attributes;

  bool is_rejected() const { return port == 0; }
  const RtpMap* rtpmap(std::uint8_t payload_type) const;
  const Fmtp* fmtp(std::string_view format) const;
  // Formats that are RTP payload type numbers (0..127), in offer order.
  std::vector<std::uint8_t> payload_types() const;
};

struct SessionDescription {
  Origin origin;
  std::string session_name = "-";
  std::optional<Connection> connection;  // session-level c=
  std::vector<Field> fields;             // i u e p b t r z k, in the order written
  std::optional<Direction> direction;    // session-level direction attribute
  std::vector<Attribute> attributes;
  std::vector<MediaDescription> media;

  // Media-level c= wins over the session-level one; nullptr when neither is present.
  const Connection* connection_for(const MediaDescription& m) const;
  // Media-level direction wins over session-level; sendrecv when neither is present.
  Direction direction_for(const MediaDescription& m) const;
};

struct ParseError {
  std::size_t line = 0;  // 1-based; 0 = the description as a whole
  std::string reason;
};
using ParseResult = Result<SessionDescription, ParseError>;

// Accepts CRLF or bare LF line ends and blank lines (RFC 5118's archive uses LF; SIP bodies
// often end with an extra CRLF). Liberal where interop needs it: s= and t= may be missing
// (RFC 4475 mismatch02), rtpmap may lack the clock rate. Strict where meaning would be lost:
// v=0 first, one o=, known type letters only (RFC 8866 §5: a description with an unknown
// type letter is ignored as a whole), well-formed c= and m= lines.
ParseResult parse(std::string_view text);

// Canonical text with CRLF line ends, lines in RFC 8866 order. Typed attributes are written
// before the kept ones, so parse(serialize(d)) serializes to the same text again.
std::string serialize(const SessionDescription& description);

}  // namespace kefu::sdp
