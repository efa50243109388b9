// The stereo recorder of a bridged pair: one 20 ms slot per tick of the media thread's clock,
// ticks the thread skipped included, so a late thread never shortens a recording.
#include "media/stereo_recorder.hpp"

#include <sndfile.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <vector>

#include "media/recording_writer.hpp"

namespace kefu::media::detail {
namespace {

constexpr std::size_t slot = 160;

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

  // Interleaved L/R samples of a finished recording.
  std::vector<std::int16_t> read(const std::filesystem::path& path, int& channels) {
    writer.drain();
    SF_INFO info{};
    SNDFILE* file = sf_open(path.c_str(), SFM_READ, &info);
    if (file == nullptr) return {};
    channels = info.channels;
    std::vector<std::int16_t> samples(static_cast<std::size_t>(info.frames * info.channels));
    sf_readf_short(file, samples.data(), info.frames);
    sf_close(file);
    return samples;
  }
};

std::vector<std::int16_t> constant(std::size_t n, std::int16_t value) {
  return std::vector<std::int16_t>(n, value);
}

TEST_F(StereoRecorderTest, OneSlotPerTickWithEachLegOnItsChannel) {
  const auto path = dir / "plain.wav";
  {
    StereoRecorder recorder(writer, SessionId{1, 1}, SessionId{2, 1}, path, 10);
    for (std::uint64_t tick = 11; tick <= 60; ++tick) {
      recorder.add(StereoChannel::left, constant(slot, 1000));
      recorder.add(StereoChannel::right, constant(slot, -2000));
      recorder.on_tick(tick);
    }
    recorder.finish();
  }
  int channels = 0;
  const auto samples = read(path, channels);
  ASSERT_EQ(channels, 2);
  ASSERT_EQ(samples.size(), 50 * slot * 2);  // 50 ticks = 1 s
  for (std::size_t frame = 0; frame < samples.size() / 2; ++frame) {
    ASSERT_EQ(samples[frame * 2], 1000) << frame;
    ASSERT_EQ(samples[frame * 2 + 1], -2000) << frame;
  }
}

// The media thread fell behind and skipped 200 ticks (4 s): the file still covers every tick;
// what was pending fills the first skipped slots, silence the rest, and audio after the gap
// lands at its real time.
TEST_F(StereoRecorderTest, SkippedTicksKeepTheRecordingsLength) {
  const auto path = dir / "skipped.wav";
  {
    StereoRecorder recorder(writer, SessionId{1, 1}, SessionId{2, 1}, path, 0);
    for (std::uint64_t tick = 1; tick <= 50; ++tick) {
      recorder.add(StereoChannel::left, constant(slot, 500));
      recorder.on_tick(tick);
    }
    recorder.add(StereoChannel::left, constant(slot * 2, 700));  // arrived during the stall
    recorder.on_tick(250);                                       // ticks 51..250 at once
    for (std::uint64_t tick = 251; tick <= 300; ++tick) {
      recorder.add(StereoChannel::right, constant(slot, 900));
      recorder.on_tick(tick);
    }
    recorder.finish();
  }
  int channels = 0;
  const auto samples = read(path, channels);
  ASSERT_EQ(channels, 2);
  ASSERT_EQ(samples.size(), 300 * slot * 2);  // 6 s, not 2 s
  auto left = [&](std::size_t frame) { return samples[frame * 2]; };
  auto right = [&](std::size_t frame) { return samples[frame * 2 + 1]; };
  EXPECT_EQ(left(0), 500);
  EXPECT_EQ(left(50 * slot - 1), 500);
  EXPECT_EQ(left(50 * slot), 700);
  EXPECT_EQ(left(52 * slot - 1), 700);
  EXPECT_EQ(left(52 * slot), 0);
  EXPECT_EQ(left(250 * slot - 1), 0);
  EXPECT_EQ(right(250 * slot - 1), 0);
  EXPECT_EQ(right(250 * slot), 900);
  EXPECT_EQ(right(300 * slot - 1), 900);
}

// The backlog is a ring: order is kept across wrap-around, and beyond 120 ms the oldest go.
TEST_F(StereoRecorderTest, BacklogKeepsOrderAndDropsTheOldestBeyondItsBound) {
  const auto path = dir / "ring.wav";
  {
    StereoRecorder recorder(writer, SessionId{1, 1}, SessionId{2, 1}, path, 0);
    std::uint64_t tick = 0;
    // Wrap the ring several times with a ramp whose order the file must keep.
    std::int16_t next = 0;
    for (int round = 0; round < 40; ++round) {
      std::vector<std::int16_t> chunk(100);
      for (auto& s : chunk) s = next++;
      recorder.add(StereoChannel::left, chunk);
      if (round % 2 == 1) recorder.on_tick(++tick);  // 200 samples in, 160 out
    }
    // 1,000 more than the ring holds: only the newest 960 survive.
    std::vector<std::int16_t> burst(2000);
    for (std::size_t i = 0; i < burst.size(); ++i) burst[i] = static_cast<std::int16_t>(10000 + i);
    recorder.add(StereoChannel::left, burst);
    for (int i = 0; i < 6; ++i) recorder.on_tick(++tick);
    recorder.finish();
  }
  int channels = 0;
  const auto samples = read(path, channels);
  ASSERT_EQ(samples.size(), 26 * slot * 2);
  for (std::size_t frame = 0; frame < 20 * slot; ++frame) {
    ASSERT_EQ(samples[frame * 2], static_cast<std::int16_t>(frame)) << frame;
  }
  for (std::size_t frame = 0; frame < 6 * slot; ++frame) {
    ASSERT_EQ(samples[(20 * slot + frame) * 2], static_cast<std::int16_t>(10000 + 1040 + frame))
        << frame;
  }
}

// Written blocks come back for reuse (capacity kept), so recorders do not allocate a block per
// half second that another thread frees.
TEST_F(StereoRecorderTest, WrittenBlocksAreRecycled) {
  const auto path = dir / "recycled.wav";
  StereoRecorder recorder(writer, SessionId{1, 1}, SessionId{2, 1}, path, 0);
  for (std::uint64_t tick = 1; tick <= 50; ++tick) recorder.on_tick(tick);  // two ½ s blocks
  writer.drain();
  auto spare = writer.take_buffer();
  EXPECT_TRUE(spare.empty());
  EXPECT_GE(spare.capacity(), std::size_t{8000});
  recorder.finish();
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
