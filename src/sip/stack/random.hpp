#pragma once
// Random identifiers for branches, tags and Call-IDs, and random intervals (§14.1 glare).
// One generator per stack, seedable so tests are reproducible.
#include <cstdint>
#include <random>
#include <string>

#include "sip/stack/timer.hpp"

namespace kefu::sip {

class RandomSource {
 public:
  // 0 = seed from std::random_device.
  explicit RandomSource(std::uint64_t seed = 0)
      : engine_(seed != 0
                    ? seed
                    : (std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}()) {}

  std::uint64_t next() { return engine_(); }
  // `digits` lowercase hex characters.
  std::string hex(std::size_t digits) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string text(digits, '0');
    std::uint64_t bits = 0;
    for (std::size_t i = 0; i < digits; ++i) {
      if (i % 16 == 0) bits = engine_();
      text[i] = kHex[bits & 0xF];
      bits >>= 4;
    }
    return text;
  }
  // Uniform in [low, high], in steps of `step`.
  Duration between(Duration low, Duration high, Duration step) {
    const auto steps = static_cast<std::uint64_t>((high - low) / step);
    return low + step * static_cast<std::int64_t>(engine_() % (steps + 1));
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace kefu::sip
