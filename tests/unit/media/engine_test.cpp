// MediaEngine end to end on loopback: a plain UDP socket plays the remote phone.
#include "media/media_engine.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <span>

#include "rtp/g711.hpp"
#include "rtp/packet.hpp"
#include "rtp/telephone_event.hpp"
#include "test_support.hpp"

namespace kefu::media {
namespace {

using namespace test;
using namespace std::chrono_literals;

MediaConfig loopback_config(unsigned threads = 1, std::uint16_t first_port = 31000,
                            std::uint16_t last_port = 31999) {
  MediaConfig config;
  config.threads = threads;
  config.bind_address = boost::asio::ip::address_v4::loopback();
  config.rtp_port_min = first_port;
  config.rtp_port_max = last_port;
  config.rtp_timeout = std::chrono::milliseconds(0);
  return config;
}

MediaParams params_to(const Phone& phone, Codec codec = Codec::pcmu,
                      std::optional<std::uint8_t> telephone_event = std::nullopt) {
  MediaParams params;
  params.remote = phone.endpoint();
  params.codec = CodecSpec{codec, static_cast<std::uint8_t>(codec == Codec::pcmu ? 0 : 8)};
  params.telephone_event_payload_type = telephone_event;
  return params;
}

// One second of a 1 kHz tone with a rising amplitude, so every packet differs.
std::shared_ptr<const AudioClip> test_clip(std::size_t samples = 8000) {
  std::vector<std::int16_t> pcm(samples);
  for (std::size_t i = 0; i < pcm.size(); ++i) {
    const double amplitude =
        1000.0 + 20000.0 * static_cast<double>(i) / static_cast<double>(samples);
    pcm[i] = static_cast<std::int16_t>(amplitude *
                                       std::sin(2 * M_PI * 1000.0 * static_cast<double>(i) / 8000));
  }
  return AudioClip::make(std::move(pcm), "test");
}

// A received packet with its own copy of the payload (views would dangle).
struct Received {
  bool marker = false;
  std::uint8_t payload_type = 0;
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  std::uint32_t ssrc = 0;
  std::vector<std::byte> payload;
};

std::vector<Received> parse_all(const std::vector<Phone::Datagram>& datagrams) {
  std::vector<Received> out;
  for (const auto& d : datagrams) {
    auto p = rtp::parse_packet(d.bytes);
    EXPECT_TRUE(p);
    if (!p) continue;
    out.push_back(Received{p->marker,
                           p->payload_type,
                           p->sequence,
                           p->timestamp,
                           p->ssrc,
                           {p->payload.begin(), p->payload.end()}});
  }
  return out;
}

// Receives until PlayDone{play_id} was reported and the socket is quiet for a moment after it.
std::vector<Phone::Datagram> receive_play(Phone& phone, EventLog& log, PlayId play_id) {
  std::vector<Phone::Datagram> got;
  const auto deadline = Clock::now() + 10s;
  while (Clock::now() < deadline) {
    if (auto d = phone.receive(Clock::now() + 50ms)) {
      got.push_back(std::move(*d));
      continue;
    }
    if (log.wait_for<PlayDone>([&](const PlayDone& p) { return p.play_id == play_id; }, 0s)) {
      for (auto& d : phone.drain()) got.push_back(std::move(d));
      break;
    }
  }
  return got;
}

// Checks a played stream against the clip's encoding. A media thread starved by a loaded
// machine (ASan, parallel tests, 2 cores) skips ticks, and a prompt skips their audio rather
// than play it late: each packet still carries the audio its timestamp says, the sequence has
// no gap, and a packet after a gap starts a new talkspurt. Every frame arrives when no tick was
// skipped.
void expect_stream_of(const std::vector<Received>& packets, std::span<const std::byte> expected,
                      std::size_t frame_samples, std::uint64_t skipped_ticks) {
  ASSERT_FALSE(packets.empty());
  const std::size_t frames = expected.size() / frame_samples;
  constexpr std::size_t tick_samples = 160;
  EXPECT_LE(packets.size(), frames);
  EXPECT_GE(packets.size() * frame_samples + skipped_ticks * tick_samples, expected.size())
      << skipped_ticks << " ticks skipped";
  for (std::size_t i = 0; i < packets.size(); ++i) {
    const Received& p = packets[i];
    EXPECT_EQ(p.payload.size(), frame_samples) << i;
    EXPECT_EQ(p.ssrc, packets[0].ssrc) << i;
    const std::uint32_t offset = p.timestamp - packets[0].timestamp;
    bool after_gap = i == 0;
    if (i > 0) {
      EXPECT_EQ(p.sequence, static_cast<std::uint16_t>(packets[i - 1].sequence + 1)) << i;
      const std::uint32_t step = p.timestamp - packets[i - 1].timestamp;
      EXPECT_EQ(step % frame_samples, 0U) << i;
      EXPECT_GE(step, frame_samples) << i;
      after_gap = step != frame_samples;
      if (skipped_ticks == 0) {
        EXPECT_EQ(step, frame_samples) << i;
      }
    }
    EXPECT_EQ(p.marker, after_gap) << i;
    ASSERT_LE(offset + frame_samples, expected.size()) << i;
    EXPECT_TRUE(std::ranges::equal(p.payload, expected.subspan(offset, frame_samples)))
        << "packet " << i << " at sample " << offset;
  }
}

TEST(MediaEngine, CreateSessionBindsEvenPortsAndReusesThem) {
  EventLog log;
  MediaEngine engine(loopback_config(1, 31100, 31105), log.callback());  // 3 even ports
  std::vector<CreatedSession> sessions;
  for (int i = 0; i < 3; ++i) {
    auto created = engine.create_session();
    ASSERT_TRUE(created) << to_string(created.error());
    EXPECT_EQ(created->local_port % 2, 0);
    EXPECT_GE(created->local_port, 31100);
    EXPECT_LE(created->local_port, 31104);
    EXPECT_TRUE(engine.is_live(created->id));
    sessions.push_back(*created);
  }
  auto exhausted = engine.create_session();
  ASSERT_FALSE(exhausted);
  EXPECT_EQ(exhausted.error(), MediaError::no_free_port);

  const SessionId old = sessions[0].id;
  ASSERT_TRUE(engine.destroy(old));
  EXPECT_FALSE(engine.is_live(old));
  EXPECT_EQ(engine.destroy(old).error(), MediaError::unknown_session);
  // The media thread closes the socket and returns the port; creating succeeds again soon.
  std::optional<CreatedSession> again;
  const auto deadline = Clock::now() + 5s;
  while (!again && Clock::now() < deadline) {
    if (auto created = engine.create_session()) again = *created;
  }
  ASSERT_TRUE(again);
  EXPECT_EQ(again->local_port, sessions[0].local_port);
  EXPECT_EQ(again->id.index, old.index);            // slot reused ...
  EXPECT_NE(again->id.generation, old.generation);  // ... under a new generation
  EXPECT_FALSE(engine.is_live(old));
  EXPECT_EQ(engine.play(old, {test_clip()}, Loop::no, 1).error(), MediaError::unknown_session);
}

TEST(MediaEngine, PlaySendsPacedRtpThatDecodesToTheClip) {
  EventLog log;
  MediaEngine engine(loopback_config(), log.callback());
  Phone phone;
  auto session = engine.create_session();
  ASSERT_TRUE(session);
  ASSERT_TRUE(engine.start(session->id, params_to(phone)));
  const auto clip = test_clip();
  const auto skipped_at_start = engine.counters().skipped_ticks;
  ASSERT_TRUE(engine.play(session->id, {clip}, Loop::no, 7));

  const auto datagrams = receive_play(phone, log, 7);
  const auto done = log.wait_for<PlayDone>([](const PlayDone& p) { return p.play_id == 7; });
  ASSERT_TRUE(done);
  EXPECT_EQ(done->outcome, PlayOutcome::completed);
  EXPECT_EQ(done->session, session->id);

  const auto packets = parse_all(datagrams);
  ASSERT_FALSE(packets.empty());
  EXPECT_EQ(datagrams.front().from_port, session->local_port);  // symmetric: sent from our port
  for (const auto& p : packets) EXPECT_EQ(p.payload_type, 0);
  // 50 packets of 160 samples, fewer only by the ticks the thread skipped.
  expect_stream_of(packets, clip->encoded(Codec::pcmu), 160,
                   engine.counters().skipped_ticks - skipped_at_start);

  // ~50 packets per second: 49 intervals of 20 ms.
  const auto span = datagrams.back().arrival - datagrams.front().arrival;
  EXPECT_GT(span, 850ms);
  EXPECT_LT(span, 1300ms);
}

TEST(MediaEngine, PcmaWithTenMillisecondFrames) {
  EventLog log;
  MediaEngine engine(loopback_config(), log.callback());
  Phone phone;
  auto session = engine.create_session();
  ASSERT_TRUE(session);
  auto params = params_to(phone, Codec::pcma);
  params.ptime = 10ms;
  ASSERT_TRUE(engine.start(session->id, params));
  const auto clip = test_clip(1600);  // 200 ms
  const auto skipped_at_start = engine.counters().skipped_ticks;
  ASSERT_TRUE(engine.play(session->id, {clip, clip}, Loop::no, 1));
  const auto packets = parse_all(receive_play(phone, log, 1));
  for (const auto& p : packets) EXPECT_EQ(p.payload_type, 8);
  const auto once = clip->encoded(Codec::pcma);
  std::vector<std::byte> expected(once.begin(), once.end());
  expected.insert(expected.end(), once.begin(), once.end());
  // 40 packets of 80 samples (the clip twice), two fewer for each tick the thread skipped.
  expect_stream_of(packets, expected, 80, engine.counters().skipped_ticks - skipped_at_start);
}

TEST(MediaEngine, ReplacingAndStoppingPlayReportStopped) {
  EventLog log;
  MediaEngine engine(loopback_config(), log.callback());
  Phone phone;
  auto session = engine.create_session();
  ASSERT_TRUE(session);
  ASSERT_TRUE(engine.start(session->id, params_to(phone)));
  ASSERT_TRUE(engine.play(session->id, {test_clip()}, Loop::yes, 1));
  ASSERT_TRUE(engine.play(session->id, {test_clip()}, Loop::yes, 2));
  ASSERT_TRUE(engine.stop_play(session->id));
  for (PlayId id : {1, 2}) {
    const auto done = log.wait_for<PlayDone>([id](const PlayDone& p) { return p.play_id == id; });
    ASSERT_TRUE(done) << id;
    EXPECT_EQ(done->outcome, PlayOutcome::stopped);
  }
}

TEST(MediaEngine, HoldStopsSendingAndResumeContinuesTheStream) {
  EventLog log;
  MediaEngine engine(loopback_config(), log.callback());
  Phone phone;
  auto session = engine.create_session();
  ASSERT_TRUE(session);
  auto params = params_to(phone);
  ASSERT_TRUE(engine.start(session->id, params));
  // A media thread starved by a loaded machine (ASan, parallel tests, 2 cores) skips ticks, and
  // a prompt skips their audio rather than play it late: each tick skipped while it plays is
  // one packet fewer. Exactly 10 packets when none was skipped.
  const auto skipped_ticks = [&engine] { return engine.counters().skipped_ticks; };
  const auto expect_ten_packets = [](std::size_t packets, std::uint64_t skipped) {
    EXPECT_LE(packets, 10U);
    EXPECT_GE(packets + skipped, 10U) << skipped << " ticks skipped";
  };
  auto skipped_at_start = skipped_ticks();
  ASSERT_TRUE(engine.play(session->id, {test_clip(1600)}, Loop::no, 1));
  const auto before = parse_all(receive_play(phone, log, 1));
  ASSERT_FALSE(before.empty());
  expect_ten_packets(before.size(), skipped_ticks() - skipped_at_start);

  params.direction = Direction::recvonly;  // the remote put us on hold
  ASSERT_TRUE(engine.update(session->id, params));
  ASSERT_TRUE(engine.play(session->id, {test_clip(1600)}, Loop::no, 2));
  EXPECT_TRUE(receive_play(phone, log, 2).empty());

  params.direction = Direction::sendrecv;
  ASSERT_TRUE(engine.update(session->id, params));
  skipped_at_start = skipped_ticks();
  ASSERT_TRUE(engine.play(session->id, {test_clip(1600)}, Loop::no, 3));
  const auto after = parse_all(receive_play(phone, log, 3));
  ASSERT_FALSE(after.empty());
  expect_ten_packets(after.size(), skipped_ticks() - skipped_at_start);
  EXPECT_EQ(after[0].ssrc, before[0].ssrc);
  EXPECT_EQ(after[0].sequence, static_cast<std::uint16_t>(before.back().sequence + 1));
  EXPECT_TRUE(after[0].marker);  // a new talkspurt
  // The timestamp kept running through the pause (at least the 200 ms played on hold).
  EXPECT_GE(after[0].timestamp - before.back().timestamp, 160U + 1600U);
}

TEST(MediaEngine, LatchesToTheSourceOfTheFirstPacket) {
  EventLog log;
  MediaEngine engine(loopback_config(), log.callback());
  Phone phone;     // behind "NAT": its SDP names another port
  Phone stranger;  // sends after the latch
  auto session = engine.create_session();
  ASSERT_TRUE(session);
  MediaParams params;
  params.remote = {boost::asio::ip::address_v4::loopback(), 9};  // what the SDP said
  params.latching = Latching::on;
  ASSERT_TRUE(engine.start(session->id, params));
  const std::array<std::byte, 160> silence{};
  phone.send_to(session->local_port, rtp_packet(true, 0, 1, 0, 1234, silence));
  // Wait for the packet to be counted, then a stranger's packet must be dropped.
  const auto deadline = Clock::now() + 5s;
  while (engine.counters().packets_received < 1 && Clock::now() < deadline) {
    phone.receive(Clock::now() + 5ms);
  }
  stranger.send_to(session->local_port, rtp_packet(true, 0, 1, 0, 999, silence));
  while (engine.counters().wrong_source_packets < 1 && Clock::now() < deadline) {
    phone.receive(Clock::now() + 5ms);
  }
  EXPECT_EQ(engine.counters().wrong_source_packets, 1U);

  ASSERT_TRUE(engine.play(session->id, {test_clip(1600)}, Loop::no, 1));
  EXPECT_EQ(parse_all(receive_play(phone, log, 1)).size(), 10U);
  EXPECT_TRUE(stranger.drain().empty());
}

TEST(MediaEngine, Ipv6SocketReachesIpv4PhonesThroughMappedAddresses) {
  EventLog log;
  auto config = loopback_config();
  config.bind_address = boost::asio::ip::make_address("::ffff:127.0.0.1");
  MediaEngine engine(config, log.callback());
  Phone phone;  // IPv4
  auto session = engine.create_session();
  ASSERT_TRUE(session) << to_string(session.error());
  ASSERT_TRUE(engine.start(session->id, params_to(phone)));
  const std::array<std::byte, 160> silence{};
  phone.send_to(session->local_port, rtp_packet(true, 0, 1, 0, 5, silence));  // latch
  ASSERT_TRUE(engine.play(session->id, {test_clip(1600)}, Loop::no, 1));
  EXPECT_EQ(parse_all(receive_play(phone, log, 1)).size(), 10U);
  EXPECT_EQ(engine.counters().wrong_source_packets, 0U);
}

TEST(MediaEngine, SameThreadAffinity) {
  EventLog log;
  MediaEngine engine(loopback_config(3), log.callback());
  auto a = engine.create_session();
  ASSERT_TRUE(a);
  for (int i = 0; i < 4; ++i) {
    SessionOptions options;
    options.same_thread_as = a->id;
    auto b = engine.create_session(options);
    ASSERT_TRUE(b);
    EXPECT_EQ(engine.thread_of(b->id), engine.thread_of(a->id));
  }
  // Without affinity the least loaded thread is chosen.
  auto c = engine.create_session();
  ASSERT_TRUE(c);
  EXPECT_NE(engine.thread_of(c->id), engine.thread_of(a->id));
}

TEST(MediaEngine, RejectsBadArguments) {
  EventLog log;
  MediaEngine engine(loopback_config(), log.callback());
  Phone phone;
  auto session = engine.create_session();
  ASSERT_TRUE(session);
  auto params = params_to(phone);
  params.ptime = 25ms;
  EXPECT_EQ(engine.start(session->id, params).error(), MediaError::bad_argument);
  params.ptime = 20ms;
  params.telephone_event_payload_type = 0;  // collides with PCMU
  EXPECT_EQ(engine.start(session->id, params).error(), MediaError::bad_argument);
  EXPECT_EQ(engine.play(session->id, {}, Loop::no, 1).error(), MediaError::bad_argument);
  EXPECT_EQ(engine.play(session->id, {make_silence(0ms)}, Loop::yes, 1).error(),
            MediaError::bad_argument);
  EXPECT_EQ(engine.send_dtmf(session->id, 'x', 100ms).error(), MediaError::bad_argument);
  EXPECT_EQ(engine.start(SessionId{}, params_to(phone)).error(), MediaError::unknown_session);
}

TEST(MediaEngine, RtpTimeoutFiresOnceWhenNothingArrives) {
  EventLog log;
  auto config = loopback_config();
  config.rtp_timeout = 100ms;
  MediaEngine engine(config, log.callback());
  Phone phone;
  auto quiet = engine.create_session();
  auto held = engine.create_session();
  ASSERT_TRUE(quiet && held);
  ASSERT_TRUE(engine.start(quiet->id, params_to(phone)));
  auto hold = params_to(phone);
  hold.direction = Direction::sendonly;  // we hold them: they send nothing, no timeout
  ASSERT_TRUE(engine.start(held->id, hold));
  const auto timeout =
      log.wait_for<RtpTimeout>([&](const RtpTimeout& t) { return t.session == quiet->id; });
  ASSERT_TRUE(timeout);
  // A packet re-arms it; the silence after it times out again.
  const std::array<std::byte, 160> silence{};
  phone.send_to(quiet->local_port, rtp_packet(true, 0, 1, 0, 1, silence));
  const auto deadline = Clock::now() + 5s;
  while (log.all<RtpTimeout>().size() < 2 && Clock::now() < deadline) {
    log.wait_for<RtpTimeout>([](const RtpTimeout&) { return false; }, 50ms);
  }
  const auto timeouts = log.all<RtpTimeout>();
  ASSERT_EQ(timeouts.size(), 2U);
  EXPECT_EQ(timeouts[1].session, quiet->id);
}

TEST(MediaEngine, DestroyedSessionReportsNothingMore) {
  EventLog log;
  MediaEngine engine(loopback_config(), log.callback());
  Phone phone;
  auto doomed = engine.create_session();
  auto witness = engine.create_session();
  ASSERT_TRUE(doomed && witness);
  ASSERT_TRUE(engine.start(doomed->id, params_to(phone, Codec::pcmu, 101)));
  ASSERT_TRUE(engine.start(witness->id, params_to(phone, Codec::pcmu, 101)));
  ASSERT_TRUE(engine.play(doomed->id, {test_clip()}, Loop::yes, 1));
  ASSERT_TRUE(engine.destroy(doomed->id));

  // A digit sent to the destroyed session's old port, then one to the witness.
  std::array<std::byte, 4> event{};
  for (const auto& [port, ts] :
       {std::pair{doomed->local_port, 1000U}, std::pair{witness->local_port, 2000U}}) {
    for (int i = 0; i < 3; ++i) {
      rtp::write_telephone_event({5, true, 10, 800}, event);
      phone.send_to(port, rtp_packet(i == 0, 101, static_cast<std::uint16_t>(i), ts, 77, event));
    }
  }
  ASSERT_TRUE(
      log.wait_for<DtmfReceived>([&](const DtmfReceived& d) { return d.session == witness->id; }));
  for (const auto& d : log.all<DtmfReceived>()) EXPECT_NE(d.session, doomed->id);
  EXPECT_EQ(session_of(MediaEvent{RtpTimeout{witness->id}}), witness->id);
  // No PlayDone for the destroyed session's loop: destroy reports nothing.
  EXPECT_TRUE(log.all<PlayDone>().empty());
  EXPECT_FALSE(engine.is_live(doomed->id));
}

TEST(MediaEngine, FiveHundredSessionsOnTwoThreads) {
  EventLog log;
  MediaEngine engine(loopback_config(2, 32000, 33999), log.callback());
  Phone sink;
  std::vector<SessionId> ids;
  const auto clip = test_clip(1600);  // 10 packets each
  for (int i = 0; i < 500; ++i) {
    auto session = engine.create_session();
    ASSERT_TRUE(session) << i;
    ASSERT_TRUE(engine.start(session->id, params_to(sink)));
    ASSERT_TRUE(engine.play(session->id, {clip}, Loop::no, static_cast<PlayId>(i)));
    ids.push_back(session->id);
  }
  std::set<unsigned> threads;
  for (const auto id : ids) threads.insert(*engine.thread_of(id));
  EXPECT_EQ(threads.size(), 2U);

  std::size_t received = 0;
  std::map<std::uint32_t, std::uint16_t> last_sequence;  // per SSRC
  std::size_t out_of_order = 0;
  const auto deadline = Clock::now() + 20s;
  while (Clock::now() < deadline) {
    if (auto d = sink.receive(Clock::now() + 100ms)) {
      ++received;
      auto p = rtp::parse_packet(d->bytes);
      ASSERT_TRUE(p);
      auto [it, inserted] = last_sequence.emplace(p->ssrc, p->sequence);
      if (!inserted) {
        if (p->sequence != static_cast<std::uint16_t>(it->second + 1)) ++out_of_order;
        it->second = p->sequence;
      }
      continue;
    }
    if (log.all<PlayDone>().size() == 500) break;
  }
  EXPECT_EQ(log.all<PlayDone>().size(), 500U);
  EXPECT_EQ(last_sequence.size(), 500U);
  EXPECT_EQ(received, 5000U);
  EXPECT_EQ(out_of_order, 0U);
  const auto counters = engine.counters();
  EXPECT_EQ(counters.packets_sent, 5000U);
  EXPECT_EQ(counters.send_errors, 0U);
}

}  // namespace
}  // namespace kefu::media
