#pragma once
// G.711 µ-law (PCMU) and A-law (PCMA) with table lookups, and PCMU <-> PCMA transcoding.
// Encoding tables are indexed by the significant bits of the linear sample (14 for µ-law, 13 for
// A-law), so every 16-bit input maps exactly as the arithmetic G.711 encoder would map it.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace kefu::rtp::g711 {

namespace detail {
extern const std::array<std::int16_t, 256> ulaw_to_linear_table;
extern const std::array<std::int16_t, 256> alaw_to_linear_table;
extern const std::array<std::uint8_t, 16384> linear_to_ulaw_table;  // by sample >> 2
extern const std::array<std::uint8_t, 8192> linear_to_alaw_table;   // by sample >> 3
extern const std::array<std::uint8_t, 256> ulaw_to_alaw_table;
extern const std::array<std::uint8_t, 256> alaw_to_ulaw_table;
}  // namespace detail

// The encoded value of silence (linear 0) in each law.
inline constexpr std::uint8_t ulaw_silence = 0xFF;
inline constexpr std::uint8_t alaw_silence = 0xD5;

inline std::int16_t ulaw_to_linear(std::uint8_t code) {
  return detail::ulaw_to_linear_table[code];
}
inline std::int16_t alaw_to_linear(std::uint8_t code) {
  return detail::alaw_to_linear_table[code];
}
inline std::uint8_t linear_to_ulaw(std::int16_t sample) {
  return detail::linear_to_ulaw_table[static_cast<std::uint16_t>(sample) >> 2];
}
inline std::uint8_t linear_to_alaw(std::int16_t sample) {
  return detail::linear_to_alaw_table[static_cast<std::uint16_t>(sample) >> 3];
}
inline std::uint8_t ulaw_to_alaw(std::uint8_t code) {
  return detail::ulaw_to_alaw_table[code];
}
inline std::uint8_t alaw_to_ulaw(std::uint8_t code) {
  return detail::alaw_to_ulaw_table[code];
}

// Whole frames. Output spans must be at least as long as the input; returns samples processed.
std::size_t encode_ulaw(std::span<const std::int16_t> in, std::span<std::byte> out);
std::size_t encode_alaw(std::span<const std::int16_t> in, std::span<std::byte> out);
std::size_t decode_ulaw(std::span<const std::byte> in, std::span<std::int16_t> out);
std::size_t decode_alaw(std::span<const std::byte> in, std::span<std::int16_t> out);
std::size_t transcode_ulaw_to_alaw(std::span<const std::byte> in, std::span<std::byte> out);
std::size_t transcode_alaw_to_ulaw(std::span<const std::byte> in, std::span<std::byte> out);

// The arithmetic definitions the tables are built from (exposed for tests).
std::uint8_t compute_linear_to_ulaw(std::int16_t sample);
std::uint8_t compute_linear_to_alaw(std::int16_t sample);
std::int16_t compute_ulaw_to_linear(std::uint8_t code);
std::int16_t compute_alaw_to_linear(std::uint8_t code);

}  // namespace kefu::rtp::g711
