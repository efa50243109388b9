#include "media/audio_clip.hpp"

#include <cmath>
#include <numbers>

#include "rtp/g711.hpp"

namespace kefu::media {

struct AudioClip::Private {};

AudioClip::AudioClip(Private, std::vector<std::int16_t> samples, std::string name)
    : samples_(std::move(samples)),
      ulaw_(samples_.size()),
      alaw_(samples_.size()),
      name_(std::move(name)) {
  rtp::g711::encode_ulaw(samples_, ulaw_);
  rtp::g711::encode_alaw(samples_, alaw_);
}

std::shared_ptr<const AudioClip> AudioClip::make(std::vector<std::int16_t> samples,
                                                 std::string name) {
  return std::make_shared<const AudioClip>(Private{}, std::move(samples), std::move(name));
}

std::shared_ptr<const AudioClip> make_tone(const ToneSpec& spec, std::string name) {
  const auto samples_for = [](std::chrono::milliseconds d) {
    return static_cast<std::size_t>(d.count()) * media_sample_rate / 1000;
  };
  const std::size_t on = samples_for(spec.on);
  const std::size_t off = samples_for(spec.off);
  std::vector<std::int16_t> samples(on + off, 0);
  const double amplitude = 32767.0 * std::pow(10.0, spec.level_dbfs / 20.0);
  const double w1 = 2 * std::numbers::pi * spec.frequency1_hz / media_sample_rate;
  const double w2 = 2 * std::numbers::pi * spec.frequency2_hz / media_sample_rate;
  for (std::size_t i = 0; i < on; ++i) {
    double value = amplitude * std::sin(w1 * static_cast<double>(i));
    if (spec.frequency2_hz > 0) value += amplitude * std::sin(w2 * static_cast<double>(i));
    samples[i] = static_cast<std::int16_t>(std::lround(std::clamp(value, -32768.0, 32767.0)));
  }
  return AudioClip::make(std::move(samples), std::move(name));
}

ToneSpec ringback_tone_cn() {
  return ToneSpec{450.0, 0.0, -16.0, std::chrono::milliseconds(1000),
                  std::chrono::milliseconds(4000)};
}

ToneSpec ringback_tone_us() {
  return ToneSpec{440.0, 480.0, -19.0, std::chrono::milliseconds(2000),
                  std::chrono::milliseconds(4000)};
}

std::shared_ptr<const AudioClip> make_silence(std::chrono::milliseconds duration) {
  return AudioClip::make(std::vector<std::int16_t>(static_cast<std::size_t>(duration.count()) *
                                                   media_sample_rate / 1000),
                         "silence");
}

}  // namespace kefu::media
