// The stereo recorder of a bridged pair: audio placed by RTP timestamp a fixed delay behind the
// media thread's clock, one 20 ms slot per tick (skipped ticks included), so late or bursty
// arrival and a late thread neither lose audio nor shorten a recording.
#include "media/stereo_recorder.hpp"

#include <sndfile.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "media/recording_writer.hpp"
#include "rtp/g711.hpp"

namespace kefu::media::detail {
namespace {

constexpr std::size_t slot = 160;
constexpr std::uint32_t caller_ssrc = 0x1111;
constexpr std::uint32_t agent_ssrc = 0x2222;

struct StereoRecorderTest : ::testing::Test {
  std::filesystem::path dir;
  std::vector<RecordingDone> done;
  RecordingWriter writer{[this](const MediaEvent& event) {
    if (const auto* d = std::get_if<RecordingDone>(&event)) done.push_back(*d);
  }};

  StereoRecorderTest() {
    dir = std::filesystem::temp_directory_path() /
          ("kefu-stereo-test-" + std::to_string(::getpid()) + "-" +
           std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    std::filesystem::create_directories(dir);
  }
  ~StereoRecorderTest() override { std::filesystem::remove_all(dir); }

  // Interleaved L/R samples of a finished recording (read back with libsndfile).
  std::vector<std::int16_t> read(const std::filesystem::path& path, int& channels) {
    writer.drain();
    SF_INFO info{};
    SNDFILE* file = sf_open(path.c_str(), SFM_READ, &info);
    if (file == nullptr) return {};
    channels = info.channels;
    EXPECT_EQ(info.samplerate, 8000);
    std::vector<std::int16_t> samples(static_cast<std::size_t>(info.frames * info.channels));
    sf_readf_short(file, samples.data(), info.frames);
    sf_close(file);
    return samples;
  }
};

// One 20 ms μ-law payload whose every byte is `code`.
std::vector<std::byte> payload(std::uint8_t code, std::size_t n = slot) {
  return std::vector<std::byte>(n, std::byte{code});
}
// Distinct μ-law codes per packet index (avoiding the silence code 0xFF).
std::uint8_t code_of(std::size_t packet) {
  return static_cast<std::uint8_t>(0x10 + packet % 0xE0);
}
// The media thread's clock at tick `tick`, in 8 kHz samples: when a packet read then arrived.
std::uint64_t at(std::uint64_t tick) {
  return tick * slot;
}
std::int16_t linear(std::uint8_t code) {
  return rtp::g711::ulaw_to_linear(code);
}

TEST_F(StereoRecorderTest, EachLegOnItsChannelOneSlotPerTick) {
  const auto path = dir / "plain.wav";
  {
    StereoRecorder recorder(writer, SessionId{1, 1}, SessionId{2, 1}, path, 10);
    for (std::uint64_t tick = 11; tick <= 60; ++tick) {
      const auto ts = static_cast<std::uint32_t>(1000 + (tick - 11) * slot);
      recorder.on_tick(tick);
      recorder.add(StereoChannel::left, caller_ssrc, ts, Codec::pcmu, payload(0x20), at(tick));
      recorder.add(StereoChannel::right, agent_ssrc, ts + 777777u, Codec::pcmu, payload(0xA0),
                   at(tick));
    }
    recorder.finish();
    EXPECT_EQ(recorder.late_samples(), 0u);
    EXPECT_EQ(recorder.early_samples(), 0u);
  }
  int channels = 0;
  const auto samples = read(path, channels);
  ASSERT_EQ(channels, 2);
  ASSERT_EQ(samples.size(), 50 * slot * 2);  // 50 ticks = 1 s
  for (std::size_t frame = 0; frame < samples.size() / 2; ++frame) {
    ASSERT_EQ(samples[frame * 2], linear(0x20)) << frame;
    ASSERT_EQ(samples[frame * 2 + 1], linear(0xA0)) << frame;
  }
  ASSERT_EQ(done.size(), 1u);
  EXPECT_TRUE(done[0].ok);
  EXPECT_EQ(done[0].duration, std::chrono::milliseconds(1000));
}

// The defect of placing by arrival: the media thread stalls for 240 ms, then runs the tick and
// reads the twelve packets that waited in the socket all at once. By timestamp each lands in
// its own 20 ms, and so does the other leg, which sent nothing during the stall.
TEST_F(StereoRecorderTest, ABurstAfterAStallLandsWhereItsTimestampsSay) {
  const auto path = dir / "burst.wav";
  std::size_t sent = 0;
  {
    StereoRecorder recorder(writer, SessionId{1, 1}, SessionId{2, 1}, path, 0);
    auto send = [&](std::uint64_t tick) {
      recorder.add(StereoChannel::left, caller_ssrc, static_cast<std::uint32_t>(sent * slot),
                   Codec::pcmu, payload(code_of(sent)), at(tick));
      ++sent;
    };
    for (std::uint64_t tick = 1; tick <= 50; ++tick) {
      recorder.on_tick(tick);
      send(tick);
    }
    recorder.on_tick(62);                   // ticks 51..62 at once
    for (int i = 0; i < 12; ++i) send(62);  // the packets of those ticks, in one read
    for (std::uint64_t tick = 63; tick <= 100; ++tick) {
      recorder.on_tick(tick);
      send(tick);
    }
    recorder.finish();
    EXPECT_EQ(recorder.late_samples(), 0u);
  }
  int channels = 0;
  const auto samples = read(path, channels);
  ASSERT_EQ(samples.size(), 100 * slot * 2);
  for (std::size_t packet = 0; packet < sent; ++packet) {
    for (std::size_t i = 0; i < slot; i += 40) {
      ASSERT_EQ(samples[(packet * slot + i) * 2], linear(code_of(packet))) << packet;
      ASSERT_EQ(samples[(packet * slot + i) * 2 + 1], 0) << packet;
    }
  }
}

TEST_F(StereoRecorderTest, ReorderedAndJitteredPacketsComeOutInOrder) {
  const auto path = dir / "jitter.wav";
  {
    StereoRecorder recorder(writer, SessionId{1, 1}, SessionId{2, 1}, path, 0);
    // After ten on time, packets 2k+1 overtake packets 2k, and every third pair waits two
    // ticks more.
    std::vector<std::vector<std::size_t>> arrivals(120);
    for (std::size_t packet = 0; packet < 100; ++packet) {
      const std::size_t delay =
          packet < 10 ? 0 : (packet % 2 == 0 ? 1 : 0) + ((packet / 2) % 3 == 0 ? 2 : 0);
      arrivals[1 + packet + delay].push_back(packet);
    }
    for (std::uint64_t tick = 1; tick < 120; ++tick) {
      recorder.on_tick(tick);
      for (std::size_t packet : arrivals[tick]) {
        recorder.add(StereoChannel::right, agent_ssrc, static_cast<std::uint32_t>(packet * slot),
                     Codec::pcmu, payload(code_of(packet)), at(tick));
      }
    }
    recorder.finish();
    EXPECT_EQ(recorder.late_samples(), 0u);
  }
  int channels = 0;
  const auto samples = read(path, channels);
  // The first packet to arrive anchors the timeline; every other one sits by its timestamp.
  std::size_t first = 0;
  while (first < samples.size() / 2 && samples[first * 2 + 1] == 0) ++first;
  ASSERT_LT(first, samples.size() / 2);
  for (std::size_t packet = 0; packet < 100; ++packet) {
    ASSERT_EQ(samples[(first + packet * slot) * 2 + 1], linear(code_of(packet))) << packet;
  }
}

// A thread too busy to run its ticks (none for a whole second) keeps receiving: the packets'
// own arrival times move the window, so none of them falls outside it.
TEST_F(StereoRecorderTest, PacketsKeepTheWindowMovingWhenTicksAreLate) {
  const auto path = dir / "starved.wav";
  {
    StereoRecorder recorder(writer, SessionId{1, 1}, SessionId{2, 1}, path, 0);
    for (std::uint64_t tick = 1; tick <= 150; ++tick) {
      if (tick <= 50 || tick > 100) recorder.on_tick(tick);  // ticks 51..100 never run
      recorder.add(StereoChannel::left, caller_ssrc, static_cast<std::uint32_t>(tick * slot),
                   Codec::pcmu, payload(code_of(tick)), at(tick));
    }
    recorder.finish();
    EXPECT_EQ(recorder.early_samples(), 0u);
    EXPECT_EQ(recorder.late_samples(), 0u);
  }
  int channels = 0;
  const auto samples = read(path, channels);
  ASSERT_EQ(samples.size(), 150 * slot * 2);
  for (std::uint64_t tick = 1; tick <= 150; ++tick) {
    ASSERT_EQ(samples[((tick - 1) * slot) * 2], linear(code_of(tick))) << tick;
  }
}

// The thread stalled as the call began: the first twelve packets arrive together, the rest on
// time. They all fit in the window by their timestamps; after the next check the timeline
// follows the timely packets, and the burst's audio is in the file in its order.
TEST_F(StereoRecorderTest, AStallAsTheCallBeginsLosesNothing) {
  const auto path = dir / "late-start.wav";
  {
    StereoRecorder recorder(writer, SessionId{1, 1}, SessionId{2, 1}, path, 0);
    for (std::uint64_t tick = 1; tick <= 600; ++tick) {
      recorder.on_tick(tick);
      if (tick < 12) continue;
      for (std::uint64_t packet = tick == 12 ? 0 : tick - 1; packet < tick; ++packet) {
        recorder.add(StereoChannel::left, caller_ssrc, static_cast<std::uint32_t>(packet * slot),
                     Codec::pcmu, payload(code_of(packet)), at(tick));
      }
    }
    recorder.finish();
    EXPECT_EQ(recorder.early_samples(), 0u);
    EXPECT_EQ(recorder.late_samples(), 0u);
  }
  int channels = 0;
  const auto samples = read(path, channels);
  std::size_t first = 0;
  while (first < samples.size() / 2 && samples[first * 2] == 0) ++first;
  for (std::size_t packet = 0; packet < 12; ++packet) {
    ASSERT_EQ(samples[(first + packet * slot) * 2], linear(code_of(packet))) << packet;
  }
}

// The thread skipped 200 ticks (4 s) and nobody sent anything meanwhile: the file still covers
// every tick, the stretch as silence, and audio after the gap lands at its real time.
TEST_F(StereoRecorderTest, SkippedTicksKeepTheRecordingsLength) {
  const auto path = dir / "skipped.wav";
  {
    StereoRecorder recorder(writer, SessionId{1, 1}, SessionId{2, 1}, path, 0);
    for (std::uint64_t tick = 1; tick <= 50; ++tick) {
      recorder.on_tick(tick);
      recorder.add(StereoChannel::left, caller_ssrc, static_cast<std::uint32_t>(tick * slot),
                   Codec::pcmu, payload(0x30), at(tick));
    }
    recorder.on_tick(250);  // ticks 51..250 at once
    for (std::uint64_t tick = 251; tick <= 300; ++tick) {
      recorder.on_tick(tick);
      recorder.add(StereoChannel::right, agent_ssrc, static_cast<std::uint32_t>(tick * slot),
                   Codec::pcmu, payload(0x40), at(tick));
    }
    recorder.finish();
  }
  int channels = 0;
  const auto samples = read(path, channels);
  ASSERT_EQ(samples.size(), 300 * slot * 2);  // 6 s, not 2 s
  auto left = [&](std::size_t frame) { return samples[frame * 2]; };
  auto right = [&](std::size_t frame) { return samples[frame * 2 + 1]; };
  EXPECT_EQ(left(0), linear(0x30));
  EXPECT_EQ(left(50 * slot - 1), linear(0x30));
  EXPECT_EQ(left(50 * slot), 0);
  EXPECT_EQ(right(250 * slot - 1), 0);
  EXPECT_EQ(right(250 * slot), linear(0x40));
  EXPECT_EQ(right(300 * slot - 1), linear(0x40));
}

TEST_F(StereoRecorderTest, ALawIsRecordedAsItsLinearValue) {
  const auto path = dir / "alaw.wav";
  std::vector<std::byte> codes;
  for (int code = 0; code < 256; ++code) codes.push_back(std::byte(code));
  {
    StereoRecorder recorder(writer, SessionId{1, 1}, SessionId{2, 1}, path, 0);
    recorder.on_tick(1);
    recorder.add(StereoChannel::left, caller_ssrc, 0, Codec::pcma, codes, at(1));
    recorder.finish();
  }
  int channels = 0;
  const auto samples = read(path, channels);
  ASSERT_GE(samples.size(), 256u * 2);
  for (int code = 0; code < 256; ++code) {
    const int expected = rtp::g711::alaw_to_linear(static_cast<std::uint8_t>(code));
    const int got = samples[static_cast<std::size_t>(code) * 2];
    // Through μ-law: within that law's step at this level.
    EXPECT_LE(std::abs(got - expected), std::max(16, std::abs(expected) / 8)) << code;
  }
}

// Audio later than the playout delay cannot be placed any more (it is counted), and a
// timestamp that jumps by more than a second starts a new timeline at the arrival time.
TEST_F(StereoRecorderTest, TooLateIsCountedAndAJumpStartsANewTimeline) {
  const auto path = dir / "late.wav";
  {
    StereoRecorder recorder(writer, SessionId{1, 1}, SessionId{2, 1}, path, 0);
    for (std::uint64_t tick = 1; tick <= 40; ++tick) {
      recorder.on_tick(tick);
      recorder.add(StereoChannel::left, caller_ssrc, static_cast<std::uint32_t>(tick * slot),
                   Codec::pcmu, payload(0x30), at(tick));
    }
    // Packet of tick 10 again, 30 ticks (600 ms) later than it belongs: beyond the delay.
    recorder.add(StereoChannel::left, caller_ssrc, 10 * slot, Codec::pcmu, payload(0x50), at(40));
    EXPECT_EQ(recorder.late_samples(), slot);
    // A jump of 10 s in the timestamps: placed at its arrival, not 10 s away.
    for (std::uint64_t tick = 41; tick <= 60; ++tick) {
      recorder.on_tick(tick);
      recorder.add(StereoChannel::left, caller_ssrc,
                   static_cast<std::uint32_t>(80000 + tick * slot), Codec::pcmu, payload(0x60),
                   at(tick));
    }
    recorder.finish();
    EXPECT_EQ(recorder.early_samples(), 0u);
  }
  int channels = 0;
  const auto samples = read(path, channels);
  ASSERT_EQ(samples.size(), 60 * slot * 2);
  EXPECT_EQ(samples[(9 * slot) * 2], linear(0x30)) << "the late copy did not overwrite";
  EXPECT_EQ(samples[(40 * slot) * 2], linear(0x60));
  EXPECT_EQ(samples[(59 * slot + 159) * 2], linear(0x60));
}

// A sender whose clock runs 1.25% fast or slow drifts 2 samples a tick from ours: without
// correction its audio would leave the window (fast) or the playout delay (slow) within 20 s.
// Early packets move the timeline back as they come; a steady lateness beyond 100 ms moves it
// forward every 5 s. Nothing is lost either way.
class StereoRecorderDriftTest : public StereoRecorderTest,
                                public ::testing::WithParamInterface<std::uint32_t> {};

TEST_P(StereoRecorderDriftTest, ASenderClockThatDriftsIsFollowed) {
  const auto path = dir / "drift.wav";
  {
    StereoRecorder recorder(writer, SessionId{1, 1}, SessionId{2, 1}, path, 0);
    std::uint32_t ts = 0;
    for (std::uint64_t tick = 1; tick <= 3000; ++tick) {  // 60 s
      recorder.on_tick(tick);
      recorder.add(StereoChannel::left, caller_ssrc, ts, Codec::pcmu, payload(0x30), at(tick));
      ts += GetParam();
    }
    recorder.finish();
    EXPECT_EQ(recorder.early_samples(), 0u);
    EXPECT_EQ(recorder.late_samples(), 0u);
  }
  int channels = 0;
  // As long as the call, plus what arrived ahead of our clock at the end (at most 200 ms).
  const std::size_t frames = read(path, channels).size() / 2;
  EXPECT_GE(frames, 2999 * slot);
  EXPECT_LE(frames, 3010 * slot);
}

INSTANTIATE_TEST_SUITE_P(FastAndSlow, StereoRecorderDriftTest, ::testing::Values(162u, 158u));

// Written blocks come back for reuse (capacity kept), so recorders do not allocate a block per
// quarter second that another thread frees.
TEST_F(StereoRecorderTest, WrittenBlocksAreRecycled) {
  const auto path = dir / "recycled.wav";
  StereoRecorder recorder(writer, SessionId{1, 1}, SessionId{2, 1}, path, 0);
  for (std::uint64_t tick = 1; tick <= 60; ++tick) {
    recorder.on_tick(tick);
    recorder.add(StereoChannel::left, caller_ssrc, static_cast<std::uint32_t>(tick * slot),
                 Codec::pcmu, payload(0x30), at(tick));
  }
  // Finished first: a running recorder may take the last block's buffer back as soon as the
  // writer returns it (a race the test would lose now and then); after finish() nothing takes.
  recorder.finish();
  writer.drain();
  auto spare = writer.take_buffer();
  EXPECT_TRUE(spare.empty());
  EXPECT_GE(spare.capacity(), StereoRecorder::block_frames * 2);
}

TEST_F(StereoRecorderTest, AClockThatDoesNotAdvanceWritesNothing) {
  const auto path = dir / "still.wav";
  {
    StereoRecorder recorder(writer, SessionId{1, 1}, SessionId{2, 1}, path, 100);
    recorder.on_tick(100);
    recorder.on_tick(99);
    recorder.on_tick(101);
    recorder.finish();
  }
  int channels = 0;
  EXPECT_EQ(read(path, channels).size(), slot * 2);
}

}  // namespace
}  // namespace kefu::media::detail
