#pragma once
// Explicit big-endian (network order) reads and writes over byte spans. Callers check bounds
// first; these helpers never read past what they are given because they index by position.
#include <cstddef>
#include <cstdint>
#include <span>

namespace kefu::rtp {

inline std::uint8_t read_u8(std::span<const std::byte> bytes, std::size_t at) {
  return std::to_integer<std::uint8_t>(bytes[at]);
}

inline std::uint16_t read_u16(std::span<const std::byte> bytes, std::size_t at) {
  return static_cast<std::uint16_t>((read_u8(bytes, at) << 8) | read_u8(bytes, at + 1));
}

inline std::uint32_t read_u32(std::span<const std::byte> bytes, std::size_t at) {
  return (static_cast<std::uint32_t>(read_u16(bytes, at)) << 16) | read_u16(bytes, at + 2);
}

inline void write_u8(std::span<std::byte> bytes, std::size_t at, std::uint8_t value) {
  bytes[at] = std::byte{value};
}

inline void write_u16(std::span<std::byte> bytes, std::size_t at, std::uint16_t value) {
  bytes[at] = std::byte{static_cast<std::uint8_t>(value >> 8)};
  bytes[at + 1] = std::byte{static_cast<std::uint8_t>(value & 0xFF)};
}

inline void write_u32(std::span<std::byte> bytes, std::size_t at, std::uint32_t value) {
  write_u16(bytes, at, static_cast<std::uint16_t>(value >> 16));
  write_u16(bytes, at + 2, static_cast<std::uint16_t>(value & 0xFFFF));
}

}  // namespace kefu::rtp
