// Two-party bridging on loopback: two plain UDP sockets play the caller's and the agent's phones.
#include <sndfile.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>

#include "media/media_engine.hpp"
#include "rtp/g711.hpp"
#include "rtp/packet.hpp"
#include "rtp/telephone_event.hpp"
#include "test_support.hpp"

namespace kefu::media {
namespace {

using namespace test;
using namespace std::chrono_literals;

MediaConfig loopback_config(unsigned threads = 1) {
  MediaConfig config;
  config.threads = threads;
  config.bind_address = boost::asio::ip::address_v4::loopback();
  config.rtp_port_min = 37000;
  config.rtp_port_max = 37999;
  config.rtp_timeout = std::chrono::milliseconds(0);
  return config;
}

std::uint8_t static_pt(Codec codec) {
  return codec == Codec::pcmu ? 0 : 8;
}

MediaParams params_to(const Phone& phone, Codec codec,
                      std::optional<std::uint8_t> telephone_event = std::nullopt) {
  MediaParams params;
  params.remote = phone.endpoint();
  params.codec = CodecSpec{codec, static_pt(codec)};
  params.telephone_event_payload_type = telephone_event;
  return params;
}

std::vector<std::int16_t> tone(double hz, std::size_t samples, std::size_t phase = 0) {
  std::vector<std::int16_t> pcm(samples);
  for (std::size_t i = 0; i < samples; ++i) {
    pcm[i] = static_cast<std::int16_t>(
        8000.0 * std::sin(2 * M_PI * hz * static_cast<double>(i + phase) / 8000.0));
  }
  return pcm;
}

std::vector<std::byte> encode(Codec codec, std::span<const std::int16_t> pcm) {
  std::vector<std::byte> out(pcm.size());
  if (codec == Codec::pcmu) {
    rtp::g711::encode_ulaw(pcm, out);
  } else {
    rtp::g711::encode_alaw(pcm, out);
  }
  return out;
}

std::vector<std::int16_t> decode(Codec codec, std::span<const std::byte> bytes) {
  std::vector<std::int16_t> out(bytes.size());
  if (codec == Codec::pcmu) {
    rtp::g711::decode_ulaw(bytes, out);
  } else {
    rtp::g711::decode_alaw(bytes, out);
  }
  return out;
}

struct Received {
  bool marker = false;
  std::uint8_t payload_type = 0;
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  std::uint32_t ssrc = 0;
  std::vector<std::byte> payload;
  std::uint16_t from_port = 0;
};

std::optional<Received> receive_rtp(const Phone& phone, Clock::time_point deadline) {
  auto d = phone.receive(deadline);
  if (!d) return std::nullopt;
  auto p = rtp::parse_packet(d->bytes);
  if (!p) return std::nullopt;
  return Received{p->marker,    p->payload_type, p->sequence,
                  p->timestamp, p->ssrc,         {p->payload.begin(), p->payload.end()},
                  d->from_port};
}

// Receives `count` packets (or fewer if the deadline passes).
std::vector<Received> receive_n(const Phone& phone, std::size_t count,
                                Clock::duration timeout = 3s) {
  std::vector<Received> out;
  const auto deadline = Clock::now() + timeout;
  while (out.size() < count) {
    auto r = receive_rtp(phone, deadline);
    if (!r) break;
    out.push_back(std::move(*r));
  }
  return out;
}

// A phone's outgoing RTP stream: consecutive sequence numbers, 160 samples per packet.
struct Talker {
  const Phone& phone;
  std::uint16_t to_port;
  std::uint32_t ssrc;
  std::uint16_t sequence = 1000;
  std::uint32_t timestamp = 50000;

  void send(std::uint8_t pt, std::span<const std::byte> payload, bool marker = false) {
    phone.send_to(to_port, rtp_packet(marker, pt, sequence++, timestamp, ssrc, payload));
    timestamp += static_cast<std::uint32_t>(payload.size());
  }
  void send_event(std::uint8_t pt, std::uint8_t code, bool marker, bool end,
                  std::uint16_t duration) {
    std::array<std::byte, 4> payload{};
    rtp::write_telephone_event({code, end, 10, duration}, payload);
    phone.send_to(to_port, rtp_packet(marker, pt, sequence++, timestamp, ssrc, payload));
  }
};

// A caller and an agent leg on one media thread, started and bridged.
struct BridgedCall {
  EventLog log;
  MediaEngine engine;
  Phone caller_phone;
  Phone agent_phone;
  CreatedSession caller;
  CreatedSession agent;
  PlayId next_play = 1000;

  BridgedCall(Codec caller_codec, Codec agent_codec,
              std::optional<std::uint8_t> caller_events = std::nullopt,
              std::optional<std::uint8_t> agent_events = std::nullopt)
      : engine(loopback_config(), log.callback()) {
    caller = *engine.create_session();
    agent = *engine.create_session({.same_thread_as = caller.id});
    EXPECT_TRUE(engine.start(caller.id, params_to(caller_phone, caller_codec, caller_events)));
    EXPECT_TRUE(engine.start(agent.id, params_to(agent_phone, agent_codec, agent_events)));
    EXPECT_TRUE(engine.bridge(caller.id, agent.id));
    sync();
  }

  // Waits until every command posted so far has run on the media thread: a 20 ms play on the
  // caller leg completes after them (commands run in order). Its packet is drained.
  void sync() {
    const PlayId id = next_play++;
    ASSERT_TRUE(engine.play(caller.id, {make_silence(20ms)}, Loop::no, id));
    ASSERT_TRUE(log.wait_for<PlayDone>([id](const PlayDone& p) { return p.play_id == id; }));
    (void)receive_n(caller_phone, 1, 1s);
  }

  bool wait_counter(const std::function<bool(const MediaCounters&)>& reached) {
    const auto deadline = Clock::now() + 5s;
    while (!reached(engine.counters())) {
      if (Clock::now() > deadline) return false;
      (void)agent_phone.receive(Clock::now() + 1ms);
    }
    return true;
  }

  // Waits until the engine has read `count` more packets than `before`.
  bool wait_received(std::uint64_t before, std::uint64_t count) {
    const auto deadline = Clock::now() + 5s;
    while (engine.counters().packets_received < before + count) {
      if (Clock::now() > deadline) return false;
      (void)agent_phone.receive(Clock::now() + 2ms);  // a short wait, discarding nothing useful
    }
    return true;
  }
};

void expect_our_stream(const std::vector<Received>& packets, std::uint32_t foreign_ssrc,
                       std::uint16_t from_port) {
  ASSERT_FALSE(packets.empty());
  for (std::size_t i = 0; i < packets.size(); ++i) {
    EXPECT_EQ(packets[i].ssrc, packets[0].ssrc);
    EXPECT_EQ(packets[i].from_port, from_port);  // symmetric: sent from the leg's own port
    if (i > 0) {
      EXPECT_EQ(packets[i].sequence, static_cast<std::uint16_t>(packets[i - 1].sequence + 1)) << i;
    }
  }
  EXPECT_NE(packets[0].ssrc, foreign_ssrc);
}

TEST(MediaBridge, SameCodecForwardsPayloadWithOurHeaderBothWays) {
  BridgedCall call(Codec::pcmu, Codec::pcmu);
  Talker caller{call.caller_phone, call.caller.local_port, 0x11111111};
  Talker agent{call.agent_phone, call.agent.local_port, 0x22222222};
  std::vector<std::vector<std::byte>> sent;
  for (int i = 0; i < 20; ++i) {
    std::vector<std::byte> payload(160);
    for (std::size_t k = 0; k < payload.size(); ++k) {
      payload[k] = std::byte(static_cast<std::uint8_t>(i * 7 + k));
    }
    caller.send(0, payload, i == 0);
    sent.push_back(std::move(payload));
  }
  const auto at_agent = receive_n(call.agent_phone, 20);
  ASSERT_EQ(at_agent.size(), 20U);
  expect_our_stream(at_agent, caller.ssrc, call.agent.local_port);
  for (std::size_t i = 0; i < at_agent.size(); ++i) {
    EXPECT_EQ(at_agent[i].payload_type, 0);
    EXPECT_EQ(at_agent[i].payload, sent[i]) << i;
    EXPECT_EQ(at_agent[i].marker, i == 0) << i;
    if (i > 0) {
      EXPECT_EQ(at_agent[i].timestamp, at_agent[i - 1].timestamp + 160);
    }
  }

  for (int i = 0; i < 10; ++i) agent.send(0, sent[static_cast<std::size_t>(i)]);
  const auto at_caller = receive_n(call.caller_phone, 10);
  ASSERT_EQ(at_caller.size(), 10U);
  expect_our_stream(at_caller, agent.ssrc, call.caller.local_port);
  for (std::size_t i = 0; i < at_caller.size(); ++i) EXPECT_EQ(at_caller[i].payload, sent[i]);
  EXPECT_TRUE(at_caller[0].marker);  // first packet after a switch (from the sync's prompt)

  // The counter moves just after the send: wait for it.
  ASSERT_TRUE(call.wait_counter([](const MediaCounters& c) { return c.forwarded_packets >= 30; }));
  const auto counters = call.engine.counters();
  EXPECT_EQ(counters.forwarded_packets, 30U);
  EXPECT_EQ(counters.transcoded_packets, 0U);
}

// Decoding what arrived must give what was sent, within G.711's quantisation step.
void expect_close(std::span<const std::int16_t> got, std::span<const std::int16_t> want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    const int tolerance = std::max(32, std::abs(want[i]) / 10);
    EXPECT_LE(std::abs(got[i] - want[i]), tolerance) << i;
  }
}

TEST(MediaBridge, PcmuCallerAndPcmaAgentAreTranscoded) {
  BridgedCall call(Codec::pcmu, Codec::pcma);
  Talker caller{call.caller_phone, call.caller.local_port, 0x1234};
  Talker agent{call.agent_phone, call.agent.local_port, 0x5678};
  const auto pcm = tone(1000, 160 * 10);
  for (int i = 0; i < 10; ++i) {
    caller.send(
        0, encode(Codec::pcmu, std::span(pcm).subspan(static_cast<std::size_t>(i) * 160, 160)));
  }
  const auto at_agent = receive_n(call.agent_phone, 10);
  ASSERT_EQ(at_agent.size(), 10U);
  std::vector<std::byte> alaw;
  for (const auto& p : at_agent) {
    EXPECT_EQ(p.payload_type, 8);
    alaw.insert(alaw.end(), p.payload.begin(), p.payload.end());
  }
  expect_close(decode(Codec::pcma, alaw), decode(Codec::pcmu, encode(Codec::pcmu, pcm)));

  const auto agent_pcm = tone(2000, 160 * 5);
  for (int i = 0; i < 5; ++i) {
    agent.send(8, encode(Codec::pcma,
                         std::span(agent_pcm).subspan(static_cast<std::size_t>(i) * 160, 160)));
  }
  const auto at_caller = receive_n(call.caller_phone, 5);
  ASSERT_EQ(at_caller.size(), 5U);
  std::vector<std::byte> ulaw;
  for (const auto& p : at_caller) {
    EXPECT_EQ(p.payload_type, 0);
    ulaw.insert(ulaw.end(), p.payload.begin(), p.payload.end());
  }
  expect_close(decode(Codec::pcmu, ulaw), decode(Codec::pcma, encode(Codec::pcma, agent_pcm)));
  ASSERT_TRUE(call.wait_counter([](const MediaCounters& c) { return c.transcoded_packets >= 15; }));
  EXPECT_EQ(call.engine.counters().transcoded_packets, 15U);
}

TEST(MediaBridge, TelephoneEventsForwardedWithTheOtherLegsPayloadType) {
  BridgedCall call(Codec::pcmu, Codec::pcmu, 101, 96);
  Talker caller{call.caller_phone, call.caller.local_port, 0xCAFE};
  const std::uint8_t code = *rtp::event_for_dtmf_digit('5');
  caller.send_event(101, code, true, false, 160);
  caller.send_event(101, code, false, false, 320);
  for (int i = 0; i < 3; ++i) caller.send_event(101, code, false, true, 480);
  const auto at_agent = receive_n(call.agent_phone, 5);
  ASSERT_EQ(at_agent.size(), 5U);
  expect_our_stream(at_agent, caller.ssrc, call.agent.local_port);
  for (const auto& p : at_agent) {
    EXPECT_EQ(p.payload_type, 96);
    EXPECT_EQ(p.timestamp, at_agent[0].timestamp);  // one event: one start timestamp
    const auto event = rtp::parse_telephone_event(p.payload);
    ASSERT_TRUE(event);
    EXPECT_EQ(event->event, code);
  }
  EXPECT_TRUE(at_agent[0].marker);
  EXPECT_TRUE(rtp::parse_telephone_event(at_agent[4].payload)->end);
  const auto digit = call.log.wait_for<DtmfReceived>(
      [&](const DtmfReceived& d) { return d.session == call.caller.id; });
  ASSERT_TRUE(digit);
  EXPECT_EQ(digit->digit, '5');
}

TEST(MediaBridge, TelephoneEventsNotForwardedToALegWithoutThem) {
  BridgedCall call(Codec::pcmu, Codec::pcmu, 101, std::nullopt);
  Talker caller{call.caller_phone, call.caller.local_port, 0xCAFE};
  const std::uint8_t code = *rtp::event_for_dtmf_digit('7');
  caller.send_event(101, code, true, false, 160);
  for (int i = 0; i < 3; ++i) caller.send_event(101, code, false, true, 320);
  const std::vector<std::byte> audio(160, std::byte{0x42});
  caller.send(0, audio);  // marks the end: the events were handled before it
  const auto at_agent = receive_n(call.agent_phone, 1);
  ASSERT_EQ(at_agent.size(), 1U);
  EXPECT_EQ(at_agent[0].payload_type, 0);
  EXPECT_EQ(at_agent[0].payload, audio);
  const auto digit = call.log.wait_for<DtmfReceived>(
      [&](const DtmfReceived& d) { return d.session == call.caller.id; });
  ASSERT_TRUE(digit);
  EXPECT_EQ(digit->digit, '7');
}

std::shared_ptr<const AudioClip> clip_of(std::vector<std::int16_t> pcm) {
  return AudioClip::make(std::move(pcm), "prompt");
}

// The caller keeps talking (one packet per 20 ms, paced by waiting on the agent's socket) while
// the agent leg plays; returns what the agent's phone received.
std::vector<Received> talk_while(BridgedCall& call, Talker& caller,
                                 std::span<const std::byte> payload,
                                 const std::function<bool(const std::vector<Received>&)>& done,
                                 Clock::duration timeout = 5s) {
  std::vector<Received> got;
  const auto deadline = Clock::now() + timeout;
  auto next_send = Clock::now();
  while (Clock::now() < deadline && !done(got)) {
    if (Clock::now() >= next_send) {
      caller.send(0, payload);
      next_send += 20ms;
    }
    if (auto r = receive_rtp(call.agent_phone, std::min(next_send, deadline))) {
      got.push_back(std::move(*r));
    }
  }
  return got;
}

bool is_caller_audio(const Received& r, std::span<const std::byte> payload) {
  return std::ranges::equal(r.payload, payload);
}

TEST(MediaBridge, PlayOnABridgedLegOverridesThenForwardingResumes) {
  BridgedCall call(Codec::pcmu, Codec::pcmu);
  Talker caller{call.caller_phone, call.caller.local_port, 0xAAAA};
  const std::vector<std::byte> voice(160, std::byte{0x33});
  const auto prompt = clip_of(tone(500, 160 * 10));  // 200 ms: "agent 1001 at your service"
  ASSERT_TRUE(call.engine.play(call.agent.id, {prompt}, Loop::no, 1));
  const auto got = talk_while(call, caller, voice, [&](const std::vector<Received>& g) {
    // Until forwarding has clearly resumed after the prompt.
    return std::count_if(g.begin(), g.end(),
                         [&](const Received& r) { return is_caller_audio(r, voice); }) >= 10 &&
           call.log.wait_for<PlayDone>([](const PlayDone& p) { return p.play_id == 1; }, 0s);
  });
  const auto prompt_packets = std::count_if(
      got.begin(), got.end(), [&](const Received& r) { return !is_caller_audio(r, voice); });
  EXPECT_GE(prompt_packets, 9);  // the prompt's first frame may be skipped if it overlaps
  // Once the caller's audio is heard, the prompt is over: no prompt packet after a forwarded one
  // that followed the prompt.
  const auto first_prompt = std::find_if(
      got.begin(), got.end(), [&](const Received& r) { return !is_caller_audio(r, voice); });
  ASSERT_NE(first_prompt, got.end());
  const auto resumed = std::find_if(first_prompt, got.end(),
                                    [&](const Received& r) { return is_caller_audio(r, voice); });
  ASSERT_NE(resumed, got.end());
  EXPECT_TRUE(resumed->marker);  // first packet after the switch back
  EXPECT_TRUE(std::all_of(resumed, got.end(),
                          [&](const Received& r) { return is_caller_audio(r, voice); }));
  // One outgoing stream throughout: same SSRC, continuous sequence, timestamps moving forward.
  expect_our_stream(got, caller.ssrc, call.agent.local_port);
  for (std::size_t i = 1; i < got.size(); ++i) {
    EXPECT_TRUE(rtp::timestamp_before(got[i - 1].timestamp, got[i].timestamp)) << i;
  }
}

TEST(MediaBridge, HoldMusicLoopsUntilStoppedThenForwardingResumes) {
  BridgedCall call(Codec::pcmu, Codec::pcmu);
  Talker caller{call.caller_phone, call.caller.local_port, 0xBBBB};
  const std::vector<std::byte> voice(160, std::byte{0x44});
  const auto music = clip_of(tone(700, 160 * 5));  // 100 ms, looped
  ASSERT_TRUE(call.engine.play(call.agent.id, {music}, Loop::yes, 2));
  const auto during = talk_while(call, caller, voice, [](const std::vector<Received>& g) {
    return g.size() >= 20;  // four times round the loop
  });
  ASSERT_GE(during.size(), 20U);
  for (const auto& r : during) EXPECT_FALSE(is_caller_audio(r, voice));
  // The loop really repeats: packet i and i+5 carry the same music.
  for (std::size_t i = 5; i < during.size(); ++i) {
    EXPECT_EQ(during[i].payload, during[i - 5].payload) << i;
  }
  ASSERT_TRUE(call.engine.stop_play(call.agent.id));
  const auto after = talk_while(call, caller, voice, [&](const std::vector<Received>& g) {
    return !g.empty() && is_caller_audio(g.back(), voice) && g.size() >= 3;
  });
  ASSERT_FALSE(after.empty());
  EXPECT_TRUE(is_caller_audio(after.back(), voice));
  const auto done = call.log.wait_for<PlayDone>([](const PlayDone& p) { return p.play_id == 2; });
  ASSERT_TRUE(done);
  EXPECT_EQ(done->outcome, PlayOutcome::stopped);
}

TEST(MediaBridge, UnbridgeStopsForwarding) {
  BridgedCall call(Codec::pcmu, Codec::pcmu);
  Talker caller{call.caller_phone, call.caller.local_port, 0xCCCC};
  const std::vector<std::byte> voice(160, std::byte{0x55});
  caller.send(0, voice);
  ASSERT_EQ(receive_n(call.agent_phone, 1).size(), 1U);
  ASSERT_TRUE(call.engine.unbridge(call.agent.id));  // either leg ends it
  call.sync();
  const auto before = call.engine.counters();
  for (int i = 0; i < 5; ++i) caller.send(0, voice);
  ASSERT_TRUE(call.wait_received(before.packets_received, 5));
  EXPECT_FALSE(call.agent_phone.receive(Clock::now() + 100ms));
  EXPECT_EQ(call.engine.counters().forwarded_packets, before.forwarded_packets);
}

TEST(MediaBridge, BridgeAcrossThreadsIsRefused) {
  EventLog log;
  MediaEngine engine(loopback_config(2), log.callback());
  auto first = engine.create_session();
  auto second = engine.create_session();  // least-loaded: the other thread
  ASSERT_TRUE(first && second);
  ASSERT_NE(engine.thread_of(first->id), engine.thread_of(second->id));
  const auto refused = engine.bridge(first->id, second->id);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), MediaError::bad_argument);
  EXPECT_EQ(engine.record_bridge_start(first->id, second->id, "/tmp/x.wav").error(),
            MediaError::bad_argument);
  EXPECT_EQ(engine.bridge(first->id, first->id).error(), MediaError::bad_argument);
  auto beside = engine.create_session({.same_thread_as = first->id});
  ASSERT_TRUE(beside);
  EXPECT_TRUE(engine.bridge(first->id, beside->id));
  ASSERT_TRUE(engine.destroy(second->id));
  EXPECT_EQ(engine.bridge(first->id, second->id).error(), MediaError::unknown_session);
}

double goertzel_power(std::span<const double> x, double hz) {
  const double coefficient = 2 * std::cos(2 * M_PI * hz / 8000.0);
  double s1 = 0;
  double s2 = 0;
  for (const double v : x) {
    const double s = v + coefficient * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  return s1 * s1 + s2 * s2 - coefficient * s1 * s2;
}

TEST(MediaBridge, StereoRecordingPutsCallerLeftAndAgentRight) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("kefu-bridge-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = dir / "call.wav";
  {
    BridgedCall call(Codec::pcmu, Codec::pcma);
    ASSERT_TRUE(call.engine.record_bridge_start(call.caller.id, call.agent.id, path));
    Talker caller{call.caller_phone, call.caller.local_port, 0x1};
    Talker agent{call.agent_phone, call.agent.local_port, 0x2};
    const auto caller_pcm = tone(1000, 160 * 50);
    const auto agent_pcm = tone(2000, 160 * 50);
    const auto caller_audio = encode(Codec::pcmu, caller_pcm);
    const auto agent_audio = encode(Codec::pcma, agent_pcm);
    // One second of both talking at once, paced by waiting on the phones' sockets.
    auto next = Clock::now();
    for (std::size_t i = 0; i < 50; ++i) {
      caller.send(0, std::span(caller_audio).subspan(i * 160, 160));
      agent.send(8, std::span(agent_audio).subspan(i * 160, 160));
      next += 20ms;
      while (Clock::now() < next) {
        (void)call.agent_phone.receive(next);
        (void)call.caller_phone.receive(Clock::now());
      }
    }
    ASSERT_TRUE(call.engine.record_bridge_stop(call.agent.id));  // either leg stops it
    const auto done =
        call.log.wait_for<RecordingDone>([&](const RecordingDone& r) { return r.path == path; });
    ASSERT_TRUE(done);
    EXPECT_TRUE(done->ok);
    EXPECT_EQ(done->session, call.caller.id);
    EXPECT_GE(done->duration, 900ms);
    EXPECT_LE(done->duration, 1500ms);
  }
  EXPECT_FALSE(std::filesystem::exists(path.string() + ".part"));
  SF_INFO info{};
  SNDFILE* file = sf_open(path.c_str(), SFM_READ, &info);
  ASSERT_NE(file, nullptr);
  EXPECT_EQ(info.channels, 2);
  EXPECT_EQ(info.samplerate, 8000);
  std::vector<std::int16_t> frames(static_cast<std::size_t>(info.frames) * 2);
  sf_readf_short(file, frames.data(), info.frames);
  sf_close(file);
  std::vector<double> left;
  std::vector<double> right;
  for (std::size_t i = 0; i + 1 < frames.size(); i += 2) {
    left.push_back(frames[i]);
    right.push_back(frames[i + 1]);
  }
  const double left_1k = goertzel_power(left, 1000);
  const double left_2k = goertzel_power(left, 2000);
  const double right_1k = goertzel_power(right, 1000);
  const double right_2k = goertzel_power(right, 2000);
  EXPECT_GT(left_1k, 1000 * left_2k);
  EXPECT_GT(right_2k, 1000 * right_1k);
  EXPECT_GT(left_1k, 1e9);  // and the tones are really there, not two silent channels
  EXPECT_GT(right_2k, 1e9);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kefu::media
