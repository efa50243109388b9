#include "rtp/telephone_event.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "rtp/packet.hpp"

namespace kefu::rtp {
namespace {

using Event = TelephoneEventReceiver::Event;

TEST(TelephoneEvent, ParseAndWriteRoundTrip) {
  const TelephoneEvent event{11, true, 10, 1600};
  std::array<std::byte, telephone_event_size> out{};
  write_telephone_event(event, out);
  EXPECT_EQ(out[0], std::byte{11});
  EXPECT_EQ(out[1], std::byte{0x8A});
  EXPECT_EQ(out[2], std::byte{0x06});
  EXPECT_EQ(out[3], std::byte{0x40});
  const auto parsed = parse_telephone_event(out);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->event, 11);
  EXPECT_TRUE(parsed->end);
  EXPECT_EQ(parsed->volume, 10);
  EXPECT_EQ(parsed->duration, 1600);
}

TEST(TelephoneEvent, ReservedBitIgnoredAndShortPayloadRejected) {
  const std::array<std::byte, 4> with_r{std::byte{5}, std::byte{0x40 | 0x3F}, std::byte{0},
                                        std::byte{160}};
  const auto parsed = parse_telephone_event(with_r);
  ASSERT_TRUE(parsed);
  EXPECT_FALSE(parsed->end);
  EXPECT_EQ(parsed->volume, 63);
  const std::array<std::byte, 3> short_payload{};
  EXPECT_FALSE(parse_telephone_event(short_payload));
}

TEST(TelephoneEvent, DigitMapping) {
  EXPECT_EQ(dtmf_digit_for_event(0), '0');
  EXPECT_EQ(dtmf_digit_for_event(9), '9');
  EXPECT_EQ(dtmf_digit_for_event(10), '*');
  EXPECT_EQ(dtmf_digit_for_event(11), '#');
  EXPECT_EQ(dtmf_digit_for_event(15), 'D');
  EXPECT_FALSE(dtmf_digit_for_event(16));
  EXPECT_EQ(event_for_dtmf_digit('#'), 11);
  EXPECT_EQ(event_for_dtmf_digit('a'), 12);
  EXPECT_FALSE(event_for_dtmf_digit('x'));
}

// Feeds a whole event the way senders do: marker on the first packet, durations growing by 160,
// the end packet three times.
struct Feed {
  TelephoneEventReceiver receiver;
  std::vector<Event> reported;
  std::uint64_t now_ms = 0;

  void packet(std::uint32_t ts, bool marker, std::uint8_t event, bool end, std::uint16_t duration) {
    now_ms += 20;
    const auto finished =
        receiver.on_packet(ts, marker, TelephoneEvent{event, end, 10, duration}, now_ms);
    for (const Event& e : finished) reported.push_back(e);
  }
};

TEST(TelephoneEventReceiver, ReportsOneDigitForRedundantEndPackets) {
  Feed feed;
  feed.packet(1000, true, 5, false, 160);
  feed.packet(1000, false, 5, false, 320);
  feed.packet(1000, false, 5, false, 480);
  EXPECT_TRUE(feed.reported.empty());
  feed.packet(1000, false, 5, true, 640);
  feed.packet(1000, false, 5, true, 640);
  feed.packet(1000, false, 5, true, 640);
  ASSERT_EQ(feed.reported.size(), 1U);
  EXPECT_EQ(feed.reported[0].event, 5);
  EXPECT_EQ(feed.reported[0].duration, 640U);
}

TEST(TelephoneEventReceiver, SameDigitTwiceIsTwoEvents) {
  Feed feed;
  for (std::uint32_t ts : {1000U, 3000U}) {
    feed.packet(ts, true, 1, false, 160);
    feed.packet(ts, false, 1, true, 320);
    feed.packet(ts, false, 1, true, 320);
    feed.packet(ts, false, 1, true, 320);
  }
  ASSERT_EQ(feed.reported.size(), 2U);
}

TEST(TelephoneEventReceiver, LostStartPacketsStillReportOnce) {
  Feed feed;
  feed.packet(5000, false, 7, false, 480);  // the marker packet was lost
  feed.packet(5000, false, 7, true, 800);
  feed.packet(5000, false, 7, true, 800);
  ASSERT_EQ(feed.reported.size(), 1U);
  EXPECT_EQ(feed.reported[0].event, 7);
  EXPECT_EQ(feed.reported[0].duration, 800U);
}

TEST(TelephoneEventReceiver, OnlyEndPacketsSurvive) {
  Feed feed;
  feed.packet(5000, false, 3, true, 800);
  feed.packet(5000, false, 3, true, 800);
  ASSERT_EQ(feed.reported.size(), 1U);
  EXPECT_EQ(feed.reported[0].event, 3);
}

TEST(TelephoneEventReceiver, LostEndPacketsReportedWhenNextEventStarts) {
  Feed feed;
  feed.packet(1000, true, 1, false, 160);
  feed.packet(1000, false, 1, false, 320);
  // All three end packets of digit 1 lost; digit 2 starts.
  feed.packet(4000, true, 2, false, 160);
  ASSERT_EQ(feed.reported.size(), 1U);
  EXPECT_EQ(feed.reported[0].event, 1);
  EXPECT_EQ(feed.reported[0].duration, 320U);
  feed.packet(4000, false, 2, true, 320);
  ASSERT_EQ(feed.reported.size(), 2U);
  EXPECT_EQ(feed.reported[1].event, 2);
}

TEST(TelephoneEventReceiver, PreviousAndNewEndInOnePacket) {
  Feed feed;
  feed.packet(1000, true, 1, false, 160);
  feed.packet(4000, false, 2, true, 480);  // everything else lost
  ASSERT_EQ(feed.reported.size(), 2U);
  EXPECT_EQ(feed.reported[0].event, 1);
  EXPECT_EQ(feed.reported[1].event, 2);
}

TEST(TelephoneEventReceiver, StaleEventExpires) {
  TelephoneEventReceiver receiver(500);
  EXPECT_TRUE(receiver.on_packet(100, true, TelephoneEvent{9, false, 10, 160}, 1000).empty());
  EXPECT_FALSE(receiver.expire(1400));
  const auto expired = receiver.expire(1500);
  ASSERT_TRUE(expired);
  EXPECT_EQ(expired->event, 9);
  // The end packets arriving afterwards are not a second digit.
  EXPECT_TRUE(receiver.on_packet(100, false, TelephoneEvent{9, true, 10, 800}, 1600).empty());
}

TEST(TelephoneEventReceiver, OldReorderedPacketIgnored) {
  Feed feed;
  feed.packet(1000, true, 1, false, 160);
  feed.packet(1000, false, 1, true, 320);
  feed.packet(3000, true, 2, false, 160);
  feed.packet(1000, false, 1, false, 160);  // late packet of the finished digit
  feed.packet(3000, false, 2, true, 320);
  ASSERT_EQ(feed.reported.size(), 2U);
  EXPECT_EQ(feed.reported[1].event, 2);
}

TEST(TelephoneEventReceiver, LongEventSegmentsAreOneEvent) {
  Feed feed;
  feed.packet(1000, true, 4, false, 0xFFFF);
  // Next segment starts where the first one's duration ended, without the marker bit.
  feed.packet(1000 + 0xFFFF, false, 4, false, 800);
  feed.packet(1000 + 0xFFFF, false, 4, true, 1600);
  ASSERT_EQ(feed.reported.size(), 1U);
  EXPECT_EQ(feed.reported[0].duration, 0xFFFFU + 1600U);
}

TEST(TelephoneEventReceiver, TimestampWrapAround) {
  Feed feed;
  feed.packet(0xFFFFFF00U, true, 1, true, 160);
  feed.packet(0x00000100U, true, 2, true, 160);
  ASSERT_EQ(feed.reported.size(), 2U);
}

// Captured RFC 4733 streams shipped with SIPp (package sip-tester): each holds one digit.
std::vector<std::vector<std::byte>> udp_payloads_from_pcap(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> file(raw.size());
  std::transform(raw.begin(), raw.end(), file.begin(), [](char c) { return std::byte(c); });
  auto u32le = [&](std::size_t at) {
    return std::to_integer<std::uint32_t>(file[at]) |
           (std::to_integer<std::uint32_t>(file[at + 1]) << 8) |
           (std::to_integer<std::uint32_t>(file[at + 2]) << 16) |
           (std::to_integer<std::uint32_t>(file[at + 3]) << 24);
  };
  std::vector<std::vector<std::byte>> payloads;
  if (file.size() < 24 || u32le(0) != 0xA1B2C3D4U || u32le(20) != 1) return payloads;  // Ethernet
  std::size_t at = 24;
  while (at + 16 <= file.size()) {
    const std::size_t length = u32le(at + 8);
    at += 16;
    if (at + length > file.size()) break;
    const std::span<const std::byte> frame(file.data() + at, length);
    at += length;
    if (frame.size() < 14 + 20 + 8) continue;
    const std::size_t ip_header = (std::to_integer<std::size_t>(frame[14]) & 0x0F) * 4;
    if (std::to_integer<int>(frame[14 + 9]) != 17) continue;  // UDP
    const std::size_t udp = 14 + ip_header;
    if (frame.size() < udp + 8) continue;
    const auto payload = frame.subspan(udp + 8);
    payloads.emplace_back(payload.begin(), payload.end());
  }
  return payloads;
}

TEST(TelephoneEventReceiver, CapturedSippStreamsGiveOneDigitEach) {
  const std::filesystem::path dir = "/usr/share/sip-tester";
  // scripts/install-deps installs sip-tester; without its captures this test must fail.
  ASSERT_TRUE(std::filesystem::exists(dir / "dtmf_2833_0.pcap")) << "sip-tester captures missing";
  const std::vector<std::pair<std::string, char>> files{{"0", '0'}, {"1", '1'},    {"5", '5'},
                                                        {"9", '9'}, {"star", '*'}, {"pound", '#'}};
  for (const auto& [name, digit] : files) {
    const auto payloads = udp_payloads_from_pcap(dir / ("dtmf_2833_" + name + ".pcap"));
    ASSERT_FALSE(payloads.empty()) << name;
    TelephoneEventReceiver receiver;
    std::vector<char> digits;
    std::uint64_t now = 0;
    for (const auto& bytes : payloads) {
      const auto packet = parse_packet(bytes);
      ASSERT_TRUE(packet) << name;
      const auto event = parse_telephone_event(packet->payload);
      ASSERT_TRUE(event) << name;
      for (const Event& e :
           receiver.on_packet(packet->timestamp, packet->marker, *event, now += 20)) {
        digits.push_back(dtmf_digit_for_event(e.event).value_or('?'));
      }
    }
    ASSERT_EQ(digits.size(), 1U) << name;
    EXPECT_EQ(digits[0], digit) << name;
  }
}

}  // namespace
}  // namespace kefu::rtp
