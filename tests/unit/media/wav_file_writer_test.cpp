// The recording files' WAV writer: what it writes is a WAV file libsndfile reads back as written.
#include "media/wav_file_writer.hpp"

#include <sndfile.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <vector>

namespace kefu::media::detail {
namespace {

struct WavFileWriterTest : ::testing::Test {
  std::filesystem::path dir;
  WavFileWriterTest() {
    dir = std::filesystem::temp_directory_path() /
          ("kefu-wav-test-" + std::to_string(::getpid()) + "-" +
           std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    std::filesystem::create_directories(dir);
  }
  ~WavFileWriterTest() override { std::filesystem::remove_all(dir); }
};

TEST_F(WavFileWriterTest, WhatIsWrittenReadsBackWithItsFormat) {
  const auto path = dir / "stereo.wav";
  WavFileWriter wav;
  ASSERT_TRUE(wav.open(path, 2, 8000)) << wav.error();
  std::vector<std::int16_t> frames;
  for (int i = 0; i < 1000; ++i) {
    frames.push_back(static_cast<std::int16_t>(i * 7));
    frames.push_back(static_cast<std::int16_t>(-i * 5));
  }
  ASSERT_TRUE(wav.write(frames));
  ASSERT_TRUE(wav.write_silence(20000));  // more than its buffer of zeros
  ASSERT_TRUE(wav.write(frames));
  EXPECT_EQ(wav.frames(), 22000u);
  ASSERT_TRUE(wav.close()) << wav.error();
  EXPECT_EQ(std::filesystem::file_size(path), 44u + 22000u * 4u);

  SF_INFO info{};
  SNDFILE* file = sf_open(path.c_str(), SFM_READ, &info);
  ASSERT_NE(file, nullptr) << sf_strerror(nullptr);
  EXPECT_EQ(info.channels, 2);
  EXPECT_EQ(info.samplerate, 8000);
  EXPECT_EQ(info.format, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  ASSERT_EQ(info.frames, 22000);
  std::vector<std::int16_t> read(static_cast<std::size_t>(info.frames) * 2);
  ASSERT_EQ(sf_readf_short(file, read.data(), info.frames), info.frames);
  sf_close(file);
  for (std::size_t i = 0; i < frames.size(); ++i) {
    ASSERT_EQ(read[i], frames[i]) << i;
    ASSERT_EQ(read[(21000 * 2) + i], frames[i]) << i;
  }
  for (std::size_t i = frames.size(); i < 21000 * 2; ++i) ASSERT_EQ(read[i], 0) << i;
}

TEST_F(WavFileWriterTest, MonoHeader) {
  const auto path = dir / "mono.wav";
  WavFileWriter wav;
  ASSERT_TRUE(wav.open(path, 1, 8000));
  const std::vector<std::int16_t> samples(800, 1234);
  ASSERT_TRUE(wav.write(samples));
  ASSERT_TRUE(wav.close());
  SF_INFO info{};
  SNDFILE* file = sf_open(path.c_str(), SFM_READ, &info);
  ASSERT_NE(file, nullptr);
  EXPECT_EQ(info.channels, 1);
  EXPECT_EQ(info.frames, 800);
  sf_close(file);
}

// A file left open by a crash: the header says 0 bytes of data, what reached the disk follows.
TEST_F(WavFileWriterTest, AFileNeverClosedHasItsAudioAfterAnEmptyHeader) {
  const auto path = dir / "cut.wav";
  {
    WavFileWriter wav;
    ASSERT_TRUE(wav.open(path, 2, 8000));
    ASSERT_TRUE(wav.write(std::vector<std::int16_t>(320, 5)));
  }  // destroyed without close()
  EXPECT_EQ(std::filesystem::file_size(path), 44u + 640u);
}

TEST_F(WavFileWriterTest, AnUnwritablePathIsAnErrorThatSaysWhy) {
  WavFileWriter wav;
  EXPECT_FALSE(wav.open(dir / "missing" / "x.wav", 2, 8000));
  EXPECT_NE(wav.error().find("No such file"), std::string::npos) << wav.error();
  EXPECT_FALSE(wav.is_open());
  EXPECT_FALSE(wav.write(std::vector<std::int16_t>(2, 0)));
}

}  // namespace
}  // namespace kefu::media::detail
