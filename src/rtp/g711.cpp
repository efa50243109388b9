#include "rtp/g711.hpp"

#include <algorithm>

namespace kefu::rtp::g711 {

namespace {

// Segment (exponent) of a magnitude: the number of the highest set bit above the mantissa.
constexpr int segment_of(int magnitude, int first_segment_end) {
  int segment = 0;
  int end = first_segment_end;
  while (segment < 8 && magnitude > end) {
    end = end * 2 + 1;
    ++segment;
  }
  return segment;
}

// µ-law on the 14-bit sample (G.711 table 2): bias 33, 8 segments of 16 steps.
constexpr std::uint8_t ulaw_encode(std::int16_t sample) {
  int value = sample >> 2;
  std::uint8_t mask = 0xFF;
  if (value < 0) {
    value = -value;
    mask = 0x7F;
  }
  value = std::min(value, 8159) + 0x21;
  const int segment = segment_of(value, 0x3F);
  if (segment >= 8) return static_cast<std::uint8_t>(0x7F ^ mask);
  const int code = (segment << 4) | ((value >> (segment + 1)) & 0x0F);
  return static_cast<std::uint8_t>(code ^ mask);
}

constexpr std::int16_t ulaw_decode(std::uint8_t code) {
  const int inverted = ~code & 0xFF;
  int magnitude = ((inverted & 0x0F) << 3) + 0x84;
  magnitude <<= (inverted & 0x70) >> 4;
  return static_cast<std::int16_t>((inverted & 0x80) ? (0x84 - magnitude) : (magnitude - 0x84));
}

// A-law on the 13-bit sample (G.711 table 1), even bits inverted (the 0x55 mask).
constexpr std::uint8_t alaw_encode(std::int16_t sample) {
  int value = sample >> 3;
  std::uint8_t mask = 0xD5;
  if (value < 0) {
    value = -value - 1;
    mask = 0x55;
  }
  const int segment = segment_of(value, 0x1F);
  if (segment >= 8) return static_cast<std::uint8_t>(0x7F ^ mask);
  int code = segment << 4;
  code |= (segment < 2) ? ((value >> 1) & 0x0F) : ((value >> segment) & 0x0F);
  return static_cast<std::uint8_t>(code ^ mask);
}

constexpr std::int16_t alaw_decode(std::uint8_t code) {
  const int value = code ^ 0x55;
  int magnitude = (value & 0x0F) << 4;
  const int segment = (value & 0x70) >> 4;
  if (segment == 0) {
    magnitude += 8;
  } else {
    magnitude = (magnitude + 0x108) << (segment - 1);
  }
  return static_cast<std::int16_t>((value & 0x80) ? magnitude : -magnitude);
}

template <std::size_t N, typename F>
constexpr std::array<std::invoke_result_t<F, std::size_t>, N> make_table(F entry) {
  std::array<std::invoke_result_t<F, std::size_t>, N> table{};
  for (std::size_t i = 0; i < N; ++i) table[i] = entry(i);
  return table;
}

}  // namespace

namespace detail {
constexpr std::array<std::int16_t, 256> ulaw_to_linear_table =
    make_table<256>([](std::size_t i) { return ulaw_decode(static_cast<std::uint8_t>(i)); });
constexpr std::array<std::int16_t, 256> alaw_to_linear_table =
    make_table<256>([](std::size_t i) { return alaw_decode(static_cast<std::uint8_t>(i)); });
constexpr std::array<std::uint8_t, 16384> linear_to_ulaw_table =
    make_table<16384>([](std::size_t i) { return ulaw_encode(static_cast<std::int16_t>(i << 2)); });
constexpr std::array<std::uint8_t, 8192> linear_to_alaw_table =
    make_table<8192>([](std::size_t i) { return alaw_encode(static_cast<std::int16_t>(i << 3)); });
// Transcoding goes through the linear value: decode with one law, encode with the other.
constexpr std::array<std::uint8_t, 256> ulaw_to_alaw_table = make_table<256>(
    [](std::size_t i) { return alaw_encode(ulaw_decode(static_cast<std::uint8_t>(i))); });
constexpr std::array<std::uint8_t, 256> alaw_to_ulaw_table = make_table<256>(
    [](std::size_t i) { return ulaw_encode(alaw_decode(static_cast<std::uint8_t>(i))); });
}  // namespace detail

std::uint8_t compute_linear_to_ulaw(std::int16_t sample) {
  return ulaw_encode(sample);
}
std::uint8_t compute_linear_to_alaw(std::int16_t sample) {
  return alaw_encode(sample);
}
std::int16_t compute_ulaw_to_linear(std::uint8_t code) {
  return ulaw_decode(code);
}
std::int16_t compute_alaw_to_linear(std::uint8_t code) {
  return alaw_decode(code);
}

namespace {
template <typename Table>
std::size_t map_bytes(std::span<const std::byte> in, std::span<std::byte> out, const Table& table) {
  const std::size_t n = std::min(in.size(), out.size());
  for (std::size_t i = 0; i < n; ++i) {
    out[i] = std::byte{table[std::to_integer<std::uint8_t>(in[i])]};
  }
  return n;
}
}  // namespace

std::size_t encode_ulaw(std::span<const std::int16_t> in, std::span<std::byte> out) {
  const std::size_t n = std::min(in.size(), out.size());
  for (std::size_t i = 0; i < n; ++i) out[i] = std::byte{linear_to_ulaw(in[i])};
  return n;
}

std::size_t encode_alaw(std::span<const std::int16_t> in, std::span<std::byte> out) {
  const std::size_t n = std::min(in.size(), out.size());
  for (std::size_t i = 0; i < n; ++i) out[i] = std::byte{linear_to_alaw(in[i])};
  return n;
}

std::size_t decode_ulaw(std::span<const std::byte> in, std::span<std::int16_t> out) {
  const std::size_t n = std::min(in.size(), out.size());
  for (std::size_t i = 0; i < n; ++i) out[i] = ulaw_to_linear(std::to_integer<std::uint8_t>(in[i]));
  return n;
}

std::size_t decode_alaw(std::span<const std::byte> in, std::span<std::int16_t> out) {
  const std::size_t n = std::min(in.size(), out.size());
  for (std::size_t i = 0; i < n; ++i) out[i] = alaw_to_linear(std::to_integer<std::uint8_t>(in[i]));
  return n;
}

std::size_t transcode_ulaw_to_alaw(std::span<const std::byte> in, std::span<std::byte> out) {
  return map_bytes(in, out, detail::ulaw_to_alaw_table);
}

std::size_t transcode_alaw_to_ulaw(std::span<const std::byte> in, std::span<std::byte> out) {
  return map_bytes(in, out, detail::alaw_to_ulaw_table);
}

}  // namespace kefu::rtp::g711
