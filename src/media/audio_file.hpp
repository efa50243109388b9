#pragma once
// Reading any audio file libsndfile understands into an 8 kHz mono clip, and writing 8 kHz
// 16-bit WAV files. These do blocking file I/O: call them at startup or from a worker thread,
// never on the control loop or a media thread.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "media/audio_clip.hpp"

namespace kefu::media {

// Loads, mixes all channels down to mono and resamples to 8 kHz (speexdsp). Errors are
// human-readable messages (file name and libsndfile's reason).
Result<std::shared_ptr<const AudioClip>, std::string> load_audio_clip(
    const std::filesystem::path& path);

// Writes `path.part` and renames it to `path` when complete (no reader sees half a file).
Result<std::monostate, std::string> save_wav(const std::filesystem::path& path,
                                             std::span<const std::int16_t> samples,
                                             int sample_rate = media_sample_rate);

// Resamples mono float audio (-1..1) with speexdsp at `quality` 0..10.
std::vector<float> resample(std::span<const float> input, int from_rate, int to_rate,
                            int quality = 5);

// Float (-1..1) to 16-bit with clipping.
std::vector<std::int16_t> to_pcm16(std::span<const float> input);

}  // namespace kefu::media
