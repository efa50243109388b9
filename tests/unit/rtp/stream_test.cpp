#include "rtp/stream.hpp"

#include <gtest/gtest.h>

#include <string>

#include "rtp/symmetric_latch.hpp"

namespace kefu::rtp {
namespace {

TEST(ReceiveStats, CleanStreamHasNoLossOrJitter) {
  ReceiveStats stats;
  std::uint16_t seq = 65500;  // wraps during the stream
  std::uint32_t ts = 1000;
  for (int i = 0; i < 100; ++i) {
    stats.on_packet(seq++, ts, ts + 5000);
    ts += 160;
  }
  // The first packet is the new source's probation packet.
  EXPECT_EQ(stats.packets_received(), 99U);
  EXPECT_EQ(stats.packets_expected(), 99U);
  EXPECT_EQ(stats.packets_lost(), 0U);
  EXPECT_EQ(stats.jitter(), 0U);
  EXPECT_EQ(stats.extended_max_sequence(), 0x10000U + static_cast<std::uint16_t>(65500 + 99));
}

TEST(ReceiveStats, GapsCountAsLost) {
  ReceiveStats stats;
  std::uint32_t ts = 0;
  for (std::uint16_t seq = 100; seq < 200; ++seq) {
    ts += 160;
    if (seq % 10 == 5) continue;  // lose every tenth packet
    stats.on_packet(seq, ts, ts);
  }
  EXPECT_EQ(stats.packets_lost(), 10U);
}

TEST(ReceiveStats, JitterGrowsWithVaryingTransit) {
  ReceiveStats stats;
  std::uint32_t ts = 0;
  for (std::uint16_t seq = 0; seq < 200; ++seq) {
    ts += 160;
    const std::uint32_t wobble = (seq % 2) ? 80 : 0;  // +-10 ms at 8 kHz
    stats.on_packet(seq, ts, ts + wobble);
  }
  // |D| = 80 every packet: J converges to 80.
  EXPECT_NEAR(static_cast<double>(stats.jitter()), 80.0, 2.0);
}

TEST(ReceiveStats, LargeJumpIsRejectedUntilConfirmed) {
  ReceiveStats stats;
  for (std::uint16_t seq = 0; seq < 10; ++seq) stats.on_packet(seq, seq * 160U, seq * 160U);
  EXPECT_EQ(stats.on_packet(30000, 0, 0), SequenceVerdict::rejected);
  EXPECT_EQ(stats.on_packet(30001, 160, 160), SequenceVerdict::accepted);  // restarted
  EXPECT_EQ(stats.packets_lost(), 0U);
}

TEST(SendStream, SequenceAndTimestampFollowTheMediaClock) {
  SendStream stream({65534, 0xFFFFFF00U, 42});
  const auto first = stream.next(0);
  const auto second = stream.next(160);
  const auto third = stream.next(480);  // a silent slot in between
  EXPECT_EQ(first.sequence, 65534);
  EXPECT_EQ(second.sequence, 65535);
  EXPECT_EQ(third.sequence, 0);
  EXPECT_EQ(first.timestamp, 0xFFFFFF00U);
  EXPECT_EQ(second.timestamp, 0xFFFFFFA0U);
  EXPECT_EQ(third.timestamp, 0xE0U);
  EXPECT_EQ(stream.ssrc(), 42U);
  EXPECT_EQ(stream.packets_sent(), 3U);
}

TEST(SendStream, RandomStartsDiffer) {
  std::mt19937_64 random(7);
  const auto a = SendStream::random_start(random);
  const auto b = SendStream::random_start(random);
  EXPECT_NE(a.ssrc, b.ssrc);
  EXPECT_NE(a.timestamp, b.timestamp);
}

TEST(SymmetricLatch, LatchesOnFirstSourceThenDropsOthers) {
  SymmetricLatch<std::string> latch;
  latch.reset("signaled:4000", Latching::on);
  EXPECT_EQ(latch.send_target(), "signaled:4000");
  EXPECT_EQ(latch.on_receive("nat:61000"), SourceVerdict::latched);
  EXPECT_EQ(latch.send_target(), "nat:61000");
  EXPECT_EQ(latch.on_receive("nat:61000"), SourceVerdict::accepted);
  EXPECT_EQ(latch.on_receive("attacker:1"), SourceVerdict::wrong_source);
  EXPECT_EQ(latch.send_target(), "nat:61000");
  latch.reset("moved:5000", Latching::on);  // re-INVITE
  EXPECT_FALSE(latch.latched());
  EXPECT_EQ(latch.on_receive("moved:5000"), SourceVerdict::accepted);
}

TEST(SymmetricLatch, OffAcceptsAnySourceAndKeepsTarget) {
  SymmetricLatch<std::string> latch;
  latch.reset("signaled:4000", Latching::off);
  EXPECT_EQ(latch.on_receive("other:1"), SourceVerdict::accepted);
  EXPECT_EQ(latch.send_target(), "signaled:4000");
}

}  // namespace
}  // namespace kefu::rtp
