#include <sndfile.h>

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "media/audio_clip.hpp"
#include "media/audio_file.hpp"
#include "rtp/g711.hpp"

namespace kefu::media {
namespace {

// Estimated frequency from zero crossings.
double frequency_of(std::span<const std::int16_t> samples, int rate) {
  int crossings = 0;
  for (std::size_t i = 1; i < samples.size(); ++i) {
    if ((samples[i - 1] < 0) != (samples[i] < 0)) ++crossings;
  }
  return crossings / 2.0 * rate / static_cast<double>(samples.size());
}

double rms(std::span<const std::int16_t> samples) {
  double sum = 0;
  for (auto s : samples) sum += static_cast<double>(s) * s;
  return std::sqrt(sum / static_cast<double>(samples.size()));
}

struct TempFile {
  std::filesystem::path path;
  explicit TempFile(const std::string& name)
      : path(std::filesystem::temp_directory_path() / (name + "-" + std::to_string(::getpid()))) {}
  ~TempFile() { std::filesystem::remove(path); }
};

TEST(AudioClip, EncodingsAreComputedOnce) {
  const auto clip = AudioClip::make({0, 1000, -1000, 32767}, "x");
  ASSERT_EQ(clip->encoded(Codec::pcmu).size(), 4U);
  EXPECT_EQ(clip->encoded(Codec::pcmu)[0], std::byte{rtp::g711::ulaw_silence});
  EXPECT_EQ(clip->encoded(Codec::pcma)[0], std::byte{rtp::g711::alaw_silence});
  EXPECT_EQ(clip->encoded(Codec::pcmu)[3], std::byte{rtp::g711::linear_to_ulaw(32767)});
  EXPECT_EQ(clip->name(), "x");
}

TEST(AudioClip, ToneCadenceAndFrequency) {
  const auto tone = make_tone(ringback_tone_cn());
  EXPECT_EQ(tone->sample_count(), 40000U);  // 1 s on + 4 s off
  EXPECT_EQ(tone->duration(), std::chrono::milliseconds(5000));
  const auto on = tone->samples().first(8000);
  EXPECT_NEAR(frequency_of(on, 8000), 450.0, 5.0);
  EXPECT_GT(rms(on), 3000.0);
  EXPECT_EQ(rms(tone->samples().subspan(8000)), 0.0);
  const auto silence = make_silence(std::chrono::milliseconds(500));
  EXPECT_EQ(silence->sample_count(), 4000U);
}

TEST(AudioFile, LoadsStereo44kAsMono8k) {
  TempFile file("kefu-clip.wav");
  SF_INFO info{};
  info.samplerate = 44100;
  info.channels = 2;
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  SNDFILE* out = sf_open(file.path.c_str(), SFM_WRITE, &info);
  ASSERT_NE(out, nullptr);
  std::vector<std::int16_t> frames;
  for (int i = 0; i < 44100; ++i) {  // one second: 600 Hz on the left, silence on the right
    frames.push_back(static_cast<std::int16_t>(16000 * std::sin(2 * M_PI * 600 * i / 44100.0)));
    frames.push_back(0);
  }
  sf_writef_short(out, frames.data(), 44100);
  sf_close(out);

  const auto clip = load_audio_clip(file.path);
  ASSERT_TRUE(clip) << clip.error();
  EXPECT_NEAR(static_cast<double>((*clip)->sample_count()), 8000.0, 2.0);
  const auto middle = (*clip)->samples().subspan(1000, 6000);
  EXPECT_NEAR(frequency_of(middle, 8000), 600.0, 5.0);
  // Mixed down: half the amplitude of the left channel (16000 / 2 / sqrt 2).
  EXPECT_NEAR(rms(middle), 5657.0, 300.0);
}

TEST(AudioFile, MissingFileIsAnError) {
  const auto clip = load_audio_clip("/nonexistent/prompt.wav");
  ASSERT_FALSE(clip);
  EXPECT_NE(clip.error().find("/nonexistent/prompt.wav"), std::string::npos);
}

TEST(AudioFile, SaveThenLoadRoundTrips) {
  TempFile file("kefu-saved.wav");
  std::vector<std::int16_t> samples(4000);
  for (std::size_t i = 0; i < samples.size(); ++i) {
    samples[i] = static_cast<std::int16_t>((i * 37) % 20000 - 10000);
  }
  ASSERT_TRUE(save_wav(file.path, samples));
  std::filesystem::path part = file.path;
  part += ".part";
  EXPECT_FALSE(std::filesystem::exists(part));
  const auto clip = load_audio_clip(file.path);
  ASSERT_TRUE(clip);
  // 8 kHz in, 8 kHz out: no resampling, samples survive the float round trip exactly.
  EXPECT_TRUE(std::ranges::equal((*clip)->samples(), samples));
}

TEST(AudioFile, ResampleKeepsDuration) {
  std::vector<float> input(22050, 0.25f);
  const auto out = resample(input, 22050, 8000);
  EXPECT_EQ(out.size(), 8000U);
  EXPECT_NEAR(out[4000], 0.25f, 0.01f);
}

}  // namespace
}  // namespace kefu::media
