#include "rtp/g711.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <vector>

namespace kefu::rtp::g711 {
namespace {

TEST(G711, TablesMatchArithmeticForEverySample) {
  for (int s = std::numeric_limits<std::int16_t>::min();
       s <= std::numeric_limits<std::int16_t>::max(); ++s) {
    const auto sample = static_cast<std::int16_t>(s);
    ASSERT_EQ(linear_to_ulaw(sample), compute_linear_to_ulaw(sample)) << s;
    ASSERT_EQ(linear_to_alaw(sample), compute_linear_to_alaw(sample)) << s;
  }
}

TEST(G711, KnownCodes) {
  EXPECT_EQ(linear_to_ulaw(0), ulaw_silence);
  EXPECT_EQ(linear_to_alaw(0), alaw_silence);
  EXPECT_EQ(ulaw_to_linear(ulaw_silence), 0);
  EXPECT_EQ(linear_to_ulaw(32767), 0x80);
  EXPECT_EQ(linear_to_ulaw(-32768), 0x00);
  EXPECT_EQ(linear_to_alaw(32767), 0xAA);
  EXPECT_EQ(linear_to_alaw(-32768), 0x2A);
  EXPECT_EQ(ulaw_to_linear(0x80), 32124);
  EXPECT_EQ(ulaw_to_linear(0x00), -32124);
  EXPECT_EQ(alaw_to_linear(0xAA), 32256);
  EXPECT_EQ(alaw_to_linear(0x2A), -32256);
  EXPECT_EQ(alaw_to_linear(0xD5), 8);
}

TEST(G711, DecodeThenEncodeReturnsTheCode) {
  for (int code = 0; code < 256; ++code) {
    const auto c = static_cast<std::uint8_t>(code);
    EXPECT_EQ(linear_to_alaw(alaw_to_linear(c)), c) << code;
    // µ-law has two zeros (0x7F is negative zero); everything else round-trips.
    if (c != 0x7F) {
      EXPECT_EQ(linear_to_ulaw(ulaw_to_linear(c)), c) << code;
    }
  }
  EXPECT_EQ(linear_to_ulaw(ulaw_to_linear(0x7F)), 0xFF);
}

TEST(G711, QuantisationErrorIsBoundedBySegmentStep) {
  for (int s = -32000; s <= 32000; s += 7) {
    const auto sample = static_cast<std::int16_t>(s);
    const int ulaw_error = std::abs(ulaw_to_linear(linear_to_ulaw(sample)) - s);
    const int alaw_error = std::abs(alaw_to_linear(linear_to_alaw(sample)) - s);
    // The largest step is 1024 (µ-law) / 1024 (A-law) in the top segment: error <= half a step
    // plus the bias rounding.
    ASSERT_LE(ulaw_error, 1024) << s;
    ASSERT_LE(alaw_error, 1024) << s;
    // Relative error stays small outside the lowest segments (log companding).
    if (std::abs(s) > 256) {
      ASSERT_LT(ulaw_error, std::abs(s) / 16 + 8) << s;
      ASSERT_LT(alaw_error, std::abs(s) / 16 + 8) << s;
    }
  }
}

TEST(G711, FrameEncodeDecodeAndTranscode) {
  std::vector<std::int16_t> pcm(160);
  for (std::size_t i = 0; i < pcm.size(); ++i) {
    pcm[i] =
        static_cast<std::int16_t>(8000 * std::sin(2 * M_PI * 1000 * static_cast<double>(i) / 8000));
  }
  std::vector<std::byte> ulaw(160), alaw(160), transcoded(160), back(160);
  ASSERT_EQ(encode_ulaw(pcm, ulaw), 160U);
  ASSERT_EQ(encode_alaw(pcm, alaw), 160U);
  std::vector<std::int16_t> decoded(160);
  ASSERT_EQ(decode_ulaw(ulaw, decoded), 160U);
  for (std::size_t i = 0; i < pcm.size(); ++i) EXPECT_NEAR(decoded[i], pcm[i], 260);
  ASSERT_EQ(decode_alaw(alaw, decoded), 160U);
  for (std::size_t i = 0; i < pcm.size(); ++i) EXPECT_NEAR(decoded[i], pcm[i], 260);

  // PCMU -> PCMA equals encoding the µ-law decoded value as A-law.
  ASSERT_EQ(transcode_ulaw_to_alaw(ulaw, transcoded), 160U);
  for (std::size_t i = 0; i < 160; ++i) {
    EXPECT_EQ(std::to_integer<std::uint8_t>(transcoded[i]),
              linear_to_alaw(ulaw_to_linear(std::to_integer<std::uint8_t>(ulaw[i]))));
  }
  // And back again stays within one A-law step of the original µ-law value.
  ASSERT_EQ(transcode_alaw_to_ulaw(transcoded, back), 160U);
  for (std::size_t i = 0; i < 160; ++i) {
    const int original = ulaw_to_linear(std::to_integer<std::uint8_t>(ulaw[i]));
    const int twice = ulaw_to_linear(std::to_integer<std::uint8_t>(back[i]));
    EXPECT_NEAR(twice, original, std::abs(original) / 16 + 16);
  }
}

TEST(G711, ShortOutputLimitsWork) {
  const std::array<std::int16_t, 4> pcm{1, 2, 3, 4};
  std::array<std::byte, 2> out{};
  EXPECT_EQ(encode_ulaw(pcm, out), 2U);
}

}  // namespace
}  // namespace kefu::rtp::g711
