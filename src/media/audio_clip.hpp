#pragma once
// Immutable audio shared by every session that plays it: 8 kHz 16-bit mono samples plus their
// PCMU and PCMA encodings, computed once when the clip is made, so playing a clip costs a memcpy
// per packet.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "media/types.hpp"

namespace kefu::media {

inline constexpr int media_sample_rate = 8000;

class AudioClip {
 public:
  // Clips are only handled through shared_ptr<const AudioClip>; build them with make().
  static std::shared_ptr<const AudioClip> make(std::vector<std::int16_t> samples,
                                               std::string name = {});

  std::span<const std::int16_t> samples() const { return samples_; }
  std::span<const std::byte> encoded(Codec codec) const {
    return codec == Codec::pcmu ? std::span<const std::byte>(ulaw_)
                                : std::span<const std::byte>(alaw_);
  }
  std::size_t sample_count() const { return samples_.size(); }
  std::chrono::milliseconds duration() const {
    return std::chrono::milliseconds(samples_.size() * 1000 / media_sample_rate);
  }
  const std::string& name() const { return name_; }

  struct Private;  // keeps the constructor for make() only
  AudioClip(Private, std::vector<std::int16_t> samples, std::string name);

 private:
  std::vector<std::int16_t> samples_;
  std::vector<std::byte> ulaw_;
  std::vector<std::byte> alaw_;
  std::string name_;
};

// A steady or cadenced tone: one or two frequencies, `on` then `off` (off = 0: continuous).
// The clip holds one cadence cycle, to be played with Loop::yes.
struct ToneSpec {
  double frequency1_hz = 425.0;
  double frequency2_hz = 0.0;  // 0 = single frequency
  double level_dbfs = -16.0;   // per frequency
  std::chrono::milliseconds on{1000};
  std::chrono::milliseconds off{0};
};
std::shared_ptr<const AudioClip> make_tone(const ToneSpec& spec, std::string name = "tone");

// Common cadences: China ringback (450 Hz, 1 s on 4 s off), North American ringback (440+480 Hz,
// 2 s on 4 s off).
ToneSpec ringback_tone_cn();
ToneSpec ringback_tone_us();

// `duration` of silence, e.g. a pause between prompts.
std::shared_ptr<const AudioClip> make_silence(std::chrono::milliseconds duration);

}  // namespace kefu::media
