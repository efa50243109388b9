// DTMF both ways through the engine: RFC 4733 events and in-band tones.
#include <gtest/gtest.h>

#include <string>

#include "media/inband_dtmf.hpp"
#include "media/media_engine.hpp"
#include "rtp/g711.hpp"
#include "rtp/telephone_event.hpp"
#include "test_support.hpp"

namespace kefu::media {
namespace {

using namespace test;
using namespace std::chrono_literals;

MediaConfig loopback_config() {
  MediaConfig config;
  config.threads = 1;
  config.bind_address = boost::asio::ip::address_v4::loopback();
  config.rtp_port_min = 34000;
  config.rtp_port_max = 34999;
  config.rtp_timeout = std::chrono::milliseconds(0);
  return config;
}

MediaParams params_to(const Phone& phone, std::optional<std::uint8_t> telephone_event) {
  MediaParams params;
  params.remote = phone.endpoint();
  params.codec = CodecSpec{Codec::pcmu, 0};
  params.telephone_event_payload_type = telephone_event;
  return params;
}

std::string digits_of(const std::vector<DtmfReceived>& events) {
  std::string out;
  for (const auto& e : events) out += e.digit;
  return out;
}

// Sends one RFC 4733 event the way phones do, with a duplicated update and three end packets.
void send_event(const Phone& phone, std::uint16_t port, std::uint16_t& seq, std::uint32_t ts,
                char digit) {
  const std::uint8_t code = *rtp::event_for_dtmf_digit(digit);
  std::array<std::byte, 4> payload{};
  const auto send = [&](bool marker, bool end, std::uint16_t duration) {
    rtp::write_telephone_event({code, end, 10, duration}, payload);
    phone.send_to(port, rtp_packet(marker, 101, seq++, ts, 0xABCD, payload));
  };
  send(true, false, 160);
  send(false, false, 320);
  send(false, false, 320);  // duplicate
  send(false, false, 480);
  for (int i = 0; i < 3; ++i) send(false, true, 640);
}

TEST(MediaDtmf, Rfc4733PacketsGiveExactlyOneDigitEach) {
  EventLog log;
  MediaEngine engine(loopback_config(), log.callback());
  Phone phone;
  auto session = engine.create_session();
  ASSERT_TRUE(session);
  ASSERT_TRUE(engine.start(session->id, params_to(phone, 101)));
  std::uint16_t seq = 100;
  std::uint32_t ts = 8000;
  for (char digit : std::string("1#91")) {
    send_event(phone, session->local_port, seq, ts, digit);
    ts += 1600;
  }
  // Late copies of the first event's end packet must not count again.
  std::array<std::byte, 4> payload{};
  rtp::write_telephone_event({1, true, 10, 640}, payload);
  phone.send_to(session->local_port, rtp_packet(false, 101, seq++, 8000, 0xABCD, payload));
  // A last digit marks the end of the stream: once it arrives, everything before it has too.
  send_event(phone, session->local_port, seq, ts, '0');
  ASSERT_TRUE(log.wait_for<DtmfReceived>([](const DtmfReceived& d) { return d.digit == '0'; }));
  const auto received = log.all<DtmfReceived>();
  EXPECT_EQ(digits_of(received), "1#910");
  for (const auto& d : received) {
    EXPECT_EQ(d.source, DtmfSource::rfc4733);
    EXPECT_EQ(d.duration, std::chrono::milliseconds(80));
    EXPECT_EQ(d.session, session->id);
  }
}

// In-band tones generated with spandsp, encoded as PCMU and sent as ordinary audio packets.
TEST(MediaDtmf, InbandTonesAreDetectedWhenTelephoneEventIsNotNegotiated) {
  EventLog log;
  MediaEngine engine(loopback_config(), log.callback());
  Phone phone;
  auto session = engine.create_session();
  ASSERT_TRUE(session);
  ASSERT_TRUE(engine.start(session->id, params_to(phone, std::nullopt)));

  InbandDtmfGenerator generator;
  std::vector<std::int16_t> pcm;
  for (char digit : std::string("5*0")) {
    ASSERT_TRUE(
        generator.start(digit, std::chrono::milliseconds(100), std::chrono::milliseconds(100)));
    std::array<std::int16_t, 160> frame{};
    while (true) {
      const std::size_t n = generator.generate(frame);
      pcm.insert(pcm.end(), frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(n));
      if (n < frame.size()) break;
    }
  }
  pcm.resize((pcm.size() / 160 + 2) * 160, 0);  // trailing silence ends the last tone
  std::uint16_t seq = 1;
  std::uint32_t ts = 0;
  for (std::size_t at = 0; at < pcm.size(); at += 160) {
    std::array<std::byte, 160> payload{};
    rtp::g711::encode_ulaw(std::span(pcm).subspan(at, 160), payload);
    phone.send_to(session->local_port, rtp_packet(at == 0, 0, seq++, ts, 42, payload));
    ts += 160;
  }
  ASSERT_TRUE(log.wait_for<DtmfReceived>([](const DtmfReceived& d) { return d.digit == '0'; }));
  const auto received = log.all<DtmfReceived>();
  EXPECT_EQ(digits_of(received), "5*0");
  for (const auto& d : received) {
    EXPECT_EQ(d.source, DtmfSource::inband);
    EXPECT_GE(d.duration, std::chrono::milliseconds(60));
    EXPECT_LE(d.duration, std::chrono::milliseconds(140));
  }
}

TEST(MediaDtmf, SendsRfc4733EventsWhenNegotiated) {
  EventLog log;
  MediaEngine engine(loopback_config(), log.callback());
  Phone phone;
  auto session = engine.create_session();
  ASSERT_TRUE(session);
  ASSERT_TRUE(engine.start(session->id, params_to(phone, 101)));
  ASSERT_TRUE(engine.send_dtmf(session->id, '7', std::chrono::milliseconds(100)));
  ASSERT_TRUE(engine.send_dtmf(session->id, '#', std::chrono::milliseconds(60)));

  rtp::TelephoneEventReceiver receiver;
  std::string digits;
  std::vector<rtp::PacketView> packets;
  std::vector<std::vector<std::byte>> storage;
  const auto deadline = Clock::now() + 5s;
  std::uint64_t now = 0;
  while (digits.size() < 2 && Clock::now() < deadline) {
    auto d = phone.receive(deadline);
    if (!d) break;
    storage.push_back(std::move(d->bytes));
    auto p = rtp::parse_packet(storage.back());
    ASSERT_TRUE(p);
    ASSERT_EQ(p->payload_type, 101);
    packets.push_back(*p);
    auto event = rtp::parse_telephone_event(p->payload);
    ASSERT_TRUE(event);
    for (const auto& e : receiver.on_packet(p->timestamp, p->marker, *event, now += 20)) {
      digits += *rtp::dtmf_digit_for_event(e.event);
      if (digits.size() == 1) {
        EXPECT_EQ(e.duration, 800U);
      }
    }
  }
  EXPECT_EQ(digits, "7#");
  // 100 ms at 20 ms per packet: 5 packets, the last 3 of them end packets; marker on the first.
  ASSERT_GE(packets.size(), 7U);
  EXPECT_TRUE(packets[0].marker);
  int ends = 0;
  for (std::size_t i = 0; i < 7; ++i) {
    EXPECT_EQ(packets[i].timestamp, packets[0].timestamp);
    if (i > 0) {
      EXPECT_EQ(packets[i].sequence, static_cast<std::uint16_t>(packets[i - 1].sequence + 1));
    }
    if (rtp::parse_telephone_event(packets[i].payload)->end) ++ends;
  }
  EXPECT_EQ(ends, 3);
  EXPECT_NE(packets[7].timestamp, packets[0].timestamp);  // the next digit is a new event
  EXPECT_TRUE(packets[7].marker);
}

TEST(MediaDtmf, SendsInbandTonesWithoutTelephoneEvent) {
  EventLog log;
  MediaEngine engine(loopback_config(), log.callback());
  Phone phone;
  auto session = engine.create_session();
  ASSERT_TRUE(session);
  ASSERT_TRUE(engine.start(session->id, params_to(phone, std::nullopt)));
  ASSERT_TRUE(engine.send_dtmf(session->id, '3', std::chrono::milliseconds(100)));
  ASSERT_TRUE(engine.send_dtmf(session->id, '9', std::chrono::milliseconds(100)));

  InbandDtmfDetector detector;
  std::string digits;
  const auto deadline = Clock::now() + 5s;
  while (digits.size() < 2 && Clock::now() < deadline) {
    auto d = phone.receive(deadline);
    if (!d) break;
    auto p = rtp::parse_packet(d->bytes);
    ASSERT_TRUE(p);
    ASSERT_EQ(p->payload_type, 0);
    std::array<std::int16_t, 160> pcm{};
    rtp::g711::decode_ulaw(p->payload, pcm);
    for (const auto& digit : detector.process(pcm)) digits += digit.digit;
  }
  EXPECT_EQ(digits, "39");
}

TEST(InbandDtmf, GeneratorAndDetectorRoundTripEveryDigit) {
  const std::string all = "0123456789*#ABCD";
  InbandDtmfGenerator generator;
  InbandDtmfDetector detector;
  std::string detected;
  for (char digit : all) {
    ASSERT_TRUE(
        generator.start(digit, std::chrono::milliseconds(80), std::chrono::milliseconds(80)));
    std::array<std::int16_t, 160> frame{};
    while (true) {
      const std::size_t n = generator.generate(frame);
      std::fill(frame.begin() + static_cast<std::ptrdiff_t>(n), frame.end(), std::int16_t{0});
      for (const auto& d : detector.process(frame)) detected += d.digit;
      if (n < frame.size()) break;
    }
  }
  std::array<std::int16_t, 160> silence{};
  for (const auto& d : detector.process(silence)) detected += d.digit;
  EXPECT_EQ(detected, all);
  EXPECT_FALSE(generator.start('x', std::chrono::milliseconds(80), std::chrono::milliseconds(80)));
}

}  // namespace
}  // namespace kefu::media
