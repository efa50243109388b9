#pragma once
// RTP packets (RFC 3550 section 5.1): parsing into a view over the received bytes and writing
// into a caller's buffer. Malformed input is a failure value, never an exception or assertion:
// these functions see raw network input.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "common/result.hpp"

namespace kefu::rtp {

inline constexpr std::size_t fixed_header_size = 12;
inline constexpr std::uint8_t rtp_version = 2;
inline constexpr std::size_t max_csrc_count = 15;

enum class ParseError : std::uint8_t {
  too_short,            // fewer than the 12 fixed header bytes
  bad_version,          // version field is not 2
  truncated_csrc,       // CSRC count says more identifiers than there are bytes
  truncated_extension,  // X bit set but the extension header or its words are missing
  bad_padding,          // P bit set with a pad count of 0 or larger than what follows the header
};
std::string_view to_string(ParseError error);

enum class SerializeError : std::uint8_t {
  buffer_too_small,
  too_many_csrcs,        // more than 15
  bad_extension_length,  // extension data not a multiple of 4 bytes or longer than 65535 words
  bad_payload_type,      // payload type does not fit in 7 bits
};
std::string_view to_string(SerializeError error);

// RFC 3550 5.3.1 header extension: a 16-bit profile word and data in 32-bit words.
struct HeaderExtension {
  std::uint16_t profile = 0;
  std::span<const std::byte> data;  // length is a multiple of 4
};

// A parsed packet: fields copied out, variable parts as views into the parsed bytes.
struct PacketView {
  bool marker = false;
  std::uint8_t payload_type = 0;
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  std::uint32_t ssrc = 0;
  std::span<const std::byte> csrc_bytes;  // 4 bytes per contributing source
  std::optional<HeaderExtension> extension;
  std::span<const std::byte> payload;  // without padding
  std::uint8_t padding_size = 0;       // bytes of padding including the count byte

  std::size_t csrc_count() const { return csrc_bytes.size() / 4; }
  std::uint32_t csrc(std::size_t index) const;
};

Result<PacketView, ParseError> parse_packet(std::span<const std::byte> bytes);

// Everything needed to write a packet. `padding_size` counts the pad bytes including the final
// count byte (0 = no padding).
struct PacketFields {
  bool marker = false;
  std::uint8_t payload_type = 0;
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  std::uint32_t ssrc = 0;
  std::span<const std::uint32_t> csrcs;
  std::optional<HeaderExtension> extension;
  std::uint8_t padding_size = 0;
};

// Writes header, payload and padding into `out`; returns the packet size.
Result<std::size_t, SerializeError> serialize_packet(const PacketFields& fields,
                                                     std::span<const std::byte> payload,
                                                     std::span<std::byte> out);

// The fast path for the packets we send: version 2, no CSRC, extension or padding.
// `out` must hold at least fixed_header_size bytes.
void write_fixed_header(std::span<std::byte, fixed_header_size> out, bool marker,
                        std::uint8_t payload_type, std::uint16_t sequence, std::uint32_t timestamp,
                        std::uint32_t ssrc);

// RFC 3550 serial-number arithmetic: is `a` before `b` modulo 2^16 / 2^32?
constexpr bool sequence_before(std::uint16_t a, std::uint16_t b) {
  return a != b && static_cast<std::uint16_t>(b - a) < 0x8000;
}
constexpr bool timestamp_before(std::uint32_t a, std::uint32_t b) {
  return a != b && (b - a) < 0x80000000U;
}

}  // namespace kefu::rtp
