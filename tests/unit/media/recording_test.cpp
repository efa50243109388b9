// Recording: what the remote sends ends up in a WAV file, written off the media thread.
#include <sndfile.h>

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "media/media_engine.hpp"
#include "media/recording_writer.hpp"
#include "rtp/g711.hpp"
#include "test_support.hpp"

namespace kefu::media {
namespace {

using namespace test;
using namespace std::chrono_literals;

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("kefu-media-test-" + std::to_string(::getpid()) + "-" +
            std::to_string(Clock::now().time_since_epoch().count()));
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

struct Wav {
  int rate = 0;
  int channels = 0;
  int format = 0;
  std::vector<std::int16_t> samples;
};

Wav read_wav(const std::filesystem::path& path) {
  SF_INFO info{};
  SNDFILE* file = sf_open(path.c_str(), SFM_READ, &info);
  Wav wav;
  if (file == nullptr) return wav;
  wav.rate = info.samplerate;
  wav.channels = info.channels;
  wav.format = info.format;
  wav.samples.resize(static_cast<std::size_t>(info.frames * info.channels));
  sf_readf_short(file, wav.samples.data(), info.frames);
  sf_close(file);
  return wav;
}

// Sends datagrams in batches small enough for a default socket buffer, waiting after each batch
// until the engine has read it (a burst of hundreds would overflow the session's socket).
bool send_in_batches(const MediaEngine& engine, const Phone& phone, std::uint16_t port,
                     const std::vector<std::vector<std::byte>>& datagrams) {
  const std::uint64_t start = engine.counters().packets_received;
  const auto deadline = Clock::now() + 10s;
  for (std::size_t sent = 0; sent < datagrams.size();) {
    const std::size_t batch_end = std::min(datagrams.size(), sent + 40);
    for (; sent < batch_end; ++sent) phone.send_to(port, datagrams[sent]);
    while (engine.counters().packets_received - start < sent) {
      if (Clock::now() > deadline) return false;
      phone.receive(Clock::now() + 2ms);
    }
  }
  return true;
}

MediaConfig loopback_config() {
  MediaConfig config;
  config.threads = 1;
  config.bind_address = boost::asio::ip::address_v4::loopback();
  config.rtp_port_min = 35000;
  config.rtp_port_max = 35999;
  config.rtp_timeout = std::chrono::milliseconds(0);
  return config;
}

TEST(MediaRecording, WavMatchesWhatTheRemoteSent) {
  TempDir dir;
  EventLog log;
  MediaEngine engine(loopback_config(), log.callback());
  Phone phone;
  auto session = engine.create_session();
  ASSERT_TRUE(session);
  MediaParams params;
  params.remote = phone.endpoint();
  params.telephone_event_payload_type = 101;
  ASSERT_TRUE(engine.start(session->id, params));
  const auto path = dir.path / "leg.wav";
  ASSERT_TRUE(engine.record_start(session->id, path));

  // 3 seconds of a sweep; packet 20 is lost on the way (its 160 samples become silence).
  std::vector<std::int16_t> expected;
  std::vector<std::vector<std::byte>> datagrams;
  std::uint32_t ts = 5000;
  std::uint16_t seq = 7;
  for (int packet = 0; packet < 150; ++packet) {
    std::array<std::int16_t, 160> pcm{};
    for (std::size_t i = 0; i < pcm.size(); ++i) {
      const double t = (packet * 160.0 + static_cast<double>(i)) / 8000.0;
      pcm[i] = static_cast<std::int16_t>(12000 * std::sin(2 * M_PI * (300 + 200 * t) * t));
    }
    std::array<std::byte, 160> payload{};
    rtp::g711::encode_ulaw(pcm, payload);
    std::array<std::int16_t, 160> decoded{};
    rtp::g711::decode_ulaw(payload, decoded);
    if (packet == 20) {
      expected.insert(expected.end(), 160, 0);
    } else {
      expected.insert(expected.end(), decoded.begin(), decoded.end());
      datagrams.push_back(rtp_packet(packet == 0, 0, seq, ts, 99, payload));
    }
    ts += 160;
    ++seq;
  }
  ASSERT_TRUE(send_in_batches(engine, phone, session->local_port, datagrams));
  std::filesystem::path part = path;
  part += ".part";
  ASSERT_TRUE(engine.record_stop(session->id));

  const auto done = log.wait_for<RecordingDone>([](const RecordingDone&) { return true; });
  ASSERT_TRUE(done);
  EXPECT_TRUE(done->ok);
  EXPECT_EQ(done->path, path);
  EXPECT_EQ(done->session, session->id);
  EXPECT_EQ(done->duration, std::chrono::milliseconds(3000));
  EXPECT_FALSE(std::filesystem::exists(part));

  const Wav wav = read_wav(path);
  EXPECT_EQ(wav.rate, 8000);
  EXPECT_EQ(wav.channels, 1);
  EXPECT_EQ(wav.format, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  EXPECT_EQ(wav.samples, expected);
}

// Captured speech (PCMA, 30 ms packets, shipped with SIPp) through a session: the recording is
// exactly the decoded capture, and speech does not trigger the in-band DTMF detector.
TEST(MediaRecording, CapturedSpeechIsRecordedExactlyWithoutFalseDigits) {
  const std::filesystem::path capture = "/usr/share/sip-tester/g711a.pcap";
  // scripts/install-deps installs sip-tester; without its captures this test must fail.
  ASSERT_TRUE(std::filesystem::exists(capture)) << "sip-tester captures missing: " << capture;
  const auto payloads = udp_payloads_from_pcap(capture);
  ASSERT_GT(payloads.size(), 200U);

  TempDir dir;
  EventLog log;
  MediaEngine engine(loopback_config(), log.callback());
  Phone phone;
  auto session = engine.create_session();
  ASSERT_TRUE(session);
  MediaParams params;
  params.remote = phone.endpoint();
  params.codec = CodecSpec{Codec::pcma, 8};
  params.ptime = std::chrono::milliseconds(30);
  ASSERT_TRUE(engine.start(session->id, params));  // no telephone-event: in-band detection on
  const auto path = dir.path / "speech.wav";
  ASSERT_TRUE(engine.record_start(session->id, path));

  std::vector<std::int16_t> expected;
  for (const auto& bytes : payloads) {
    const auto packet = rtp::parse_packet(bytes);
    ASSERT_TRUE(packet);
    std::vector<std::int16_t> pcm(packet->payload.size());
    rtp::g711::decode_alaw(packet->payload, pcm);
    expected.insert(expected.end(), pcm.begin(), pcm.end());
  }
  ASSERT_TRUE(send_in_batches(engine, phone, session->local_port, payloads));
  ASSERT_TRUE(engine.record_stop(session->id));
  const auto done = log.wait_for<RecordingDone>([](const RecordingDone&) { return true; });
  ASSERT_TRUE(done);
  ASSERT_TRUE(done->ok);
  EXPECT_EQ(read_wav(path).samples, expected);
  EXPECT_TRUE(log.all<DtmfReceived>().empty());
}

TEST(MediaRecording, DestroyAndShutdownFinishOpenRecordings) {
  TempDir dir;
  EventLog log;
  {
    MediaEngine engine(loopback_config(), log.callback());
    Phone phone;
    auto a = engine.create_session();
    auto b = engine.create_session();
    ASSERT_TRUE(a && b);
    MediaParams params;
    params.remote = phone.endpoint();
    ASSERT_TRUE(engine.start(a->id, params));
    ASSERT_TRUE(engine.start(b->id, params));
    ASSERT_TRUE(engine.record_start(a->id, dir.path / "a.wav"));
    ASSERT_TRUE(engine.record_start(b->id, dir.path / "b.wav"));
    ASSERT_TRUE(engine.destroy(a->id));
    ASSERT_TRUE(log.wait_for<RecordingDone>(
        [&](const RecordingDone& r) { return r.path == dir.path / "a.wav"; }));
  }  // engine shutdown finishes b
  const auto all = log.all<RecordingDone>();
  ASSERT_EQ(all.size(), 2U);
  for (const auto& r : all) {
    EXPECT_TRUE(r.ok);
    EXPECT_TRUE(std::filesystem::exists(r.path));
  }
}

TEST(RecordingWriter, UnwritablePathReportsFailure) {
  EventLog log;
  RecordingWriter writer(log.callback());
  const auto job = writer.open(SessionId{1, 1}, "/nonexistent-dir/x.wav", 1);
  writer.append(job, std::vector<std::int16_t>(8000, 100));
  writer.finish(job);
  const auto done = log.wait_for<RecordingDone>([](const RecordingDone&) { return true; });
  ASSERT_TRUE(done);
  EXPECT_FALSE(done->ok);
}

TEST(RecordingWriter, StereoFramesAndQueueLimit) {
  TempDir dir;
  EventLog log;
  RecordingWriter writer(log.callback(), 16000);
  const auto stereo = writer.open(SessionId{1, 1}, dir.path / "stereo.wav", 2);
  std::vector<std::int16_t> frames;
  for (int i = 0; i < 800; ++i) {
    frames.push_back(1000);   // left: caller
    frames.push_back(-1000);  // right: agent
  }
  writer.append(stereo, frames);
  writer.finish(stereo);
  ASSERT_TRUE(log.wait_for<RecordingDone>([](const RecordingDone& r) { return r.ok; }));
  const Wav wav = read_wav(dir.path / "stereo.wav");
  EXPECT_EQ(wav.channels, 2);
  EXPECT_EQ(wav.samples, frames);
  EXPECT_EQ(log.all<RecordingDone>()[0].duration, std::chrono::milliseconds(100));

  // A block larger than the queue allows is dropped: written as silence of its length, so the
  // file keeps its timeline and the audio around the gap; silence appended by the clock costs
  // no buffer and lands in order.
  const auto big = writer.open(SessionId{2, 1}, dir.path / "big.wav", 1);
  writer.append(big, std::vector<std::int16_t>(800, 7));
  writer.append(big, std::vector<std::int16_t>(16001, 1));
  writer.append_silence(big, 400);
  writer.append(big, std::vector<std::int16_t>(800, 9));
  writer.finish(big);
  ASSERT_TRUE(log.wait_for<RecordingDone>(
      [&](const RecordingDone& r) { return r.path == dir.path / "big.wav"; }));
  const auto done_big = log.all<RecordingDone>().back();
  EXPECT_TRUE(done_big.ok);
  const Wav with_gap = read_wav(dir.path / "big.wav");
  ASSERT_EQ(with_gap.samples.size(), std::size_t{800 + 16001 + 400 + 800});
  EXPECT_EQ(with_gap.samples[799], 7);
  EXPECT_EQ(with_gap.samples[800], 0);
  EXPECT_EQ(with_gap.samples[800 + 16001 + 399], 0);
  EXPECT_EQ(with_gap.samples[800 + 16001 + 400], 9);
  EXPECT_FALSE(std::filesystem::exists(dir.path / "big.wav.part"));
}

}  // namespace
}  // namespace kefu::media
