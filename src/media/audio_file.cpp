#include "media/audio_file.hpp"

#include <sndfile.h>
#include <speex/speex_resampler.h>

#include <algorithm>
#include <cmath>
#include <system_error>

namespace kefu::media {

namespace {

struct SndfileCloser {
  void operator()(SNDFILE* file) const { sf_close(file); }
};
using SndfileHandle = std::unique_ptr<SNDFILE, SndfileCloser>;

struct ResamplerDestroyer {
  void operator()(SpeexResamplerState* state) const { speex_resampler_destroy(state); }
};

}  // namespace

std::vector<float> resample(std::span<const float> input, int from_rate, int to_rate, int quality) {
  if (from_rate == to_rate || input.empty()) return {input.begin(), input.end()};
  int error = 0;
  std::unique_ptr<SpeexResamplerState, ResamplerDestroyer> state(
      speex_resampler_init(1, static_cast<spx_uint32_t>(from_rate),
                           static_cast<spx_uint32_t>(to_rate), quality, &error));
  if (!state || error != RESAMPLER_ERR_SUCCESS) return {};
  // Feed the input, then the filter's latency worth of zeros so the tail comes out.
  const auto latency = static_cast<std::size_t>(speex_resampler_get_input_latency(state.get()));
  std::vector<float> padded(input.begin(), input.end());
  padded.resize(padded.size() + latency, 0.0f);
  std::vector<float> output(
      static_cast<std::size_t>(static_cast<double>(padded.size()) * to_rate / from_rate) + 64);
  std::size_t consumed = 0;
  std::size_t produced = 0;
  while (consumed < padded.size() && produced < output.size()) {
    auto in_len = static_cast<spx_uint32_t>(padded.size() - consumed);
    auto out_len = static_cast<spx_uint32_t>(output.size() - produced);
    speex_resampler_process_float(state.get(), 0, padded.data() + consumed, &in_len,
                                  output.data() + produced, &out_len);
    if (in_len == 0 && out_len == 0) break;
    consumed += in_len;
    produced += out_len;
  }
  // Drop the output delay so the result lines up with the input.
  const auto output_latency =
      static_cast<std::size_t>(speex_resampler_get_output_latency(state.get()));
  const std::size_t wanted = static_cast<std::size_t>(
      std::llround(static_cast<double>(input.size()) * to_rate / from_rate));
  const std::size_t start = std::min(output_latency, produced);
  const std::size_t end = std::min(produced, start + wanted);
  return {output.begin() + static_cast<std::ptrdiff_t>(start),
          output.begin() + static_cast<std::ptrdiff_t>(end)};
}

std::vector<std::int16_t> to_pcm16(std::span<const float> input) {
  std::vector<std::int16_t> out(input.size());
  std::ranges::transform(input, out.begin(), [](float v) {
    return static_cast<std::int16_t>(std::lround(std::clamp(v * 32768.0f, -32768.0f, 32767.0f)));
  });
  return out;
}

Result<std::shared_ptr<const AudioClip>, std::string> load_audio_clip(
    const std::filesystem::path& path) {
  SF_INFO info{};
  SndfileHandle file(sf_open(path.c_str(), SFM_READ, &info));
  if (!file) return unexpected(path.string() + ": " + sf_strerror(nullptr));
  if (info.channels <= 0 || info.samplerate <= 0 || info.frames < 0) {
    return unexpected(path.string() + ": no audio");
  }
  const auto channels = static_cast<std::size_t>(info.channels);
  std::vector<float> mono;
  mono.reserve(static_cast<std::size_t>(info.frames));
  std::vector<float> block(4096 * channels);
  while (true) {
    const sf_count_t frames = sf_readf_float(file.get(), block.data(), 4096);
    if (frames <= 0) break;
    for (sf_count_t f = 0; f < frames; ++f) {
      float sum = 0;
      for (std::size_t c = 0; c < channels; ++c) {
        sum += block[static_cast<std::size_t>(f) * channels + c];
      }
      mono.push_back(sum / static_cast<float>(channels));
    }
  }
  if (sf_error(file.get()) != SF_ERR_NO_ERROR) {
    return unexpected(path.string() + ": " + sf_strerror(file.get()));
  }
  auto samples = to_pcm16(resample(mono, info.samplerate, media_sample_rate));
  return AudioClip::make(std::move(samples), path.filename().string());
}

Result<std::monostate, std::string> save_wav(const std::filesystem::path& path,
                                             std::span<const std::int16_t> samples,
                                             int sample_rate) {
  std::filesystem::path part = path;
  part += ".part";
  SF_INFO info{};
  info.samplerate = sample_rate;
  info.channels = 1;
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  {
    SndfileHandle file(sf_open(part.c_str(), SFM_WRITE, &info));
    if (!file) return unexpected(part.string() + ": " + sf_strerror(nullptr));
    const auto count = static_cast<sf_count_t>(samples.size());
    if (sf_writef_short(file.get(), samples.data(), count) != count) {
      std::string reason = part.string() + ": " + sf_strerror(file.get());
      file.reset();
      std::error_code ignored;
      std::filesystem::remove(part, ignored);
      return unexpected(std::move(reason));
    }
  }
  std::error_code ec;
  std::filesystem::rename(part, path, ec);
  if (ec) return unexpected(path.string() + ": " + ec.message());
  return std::monostate{};
}

}  // namespace kefu::media
