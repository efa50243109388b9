#include "tts/tts_cache.hpp"

#include <espeak-ng/speak_lib.h>

#include <cstdio>
#include <stdexcept>

#include "media/audio_file.hpp"

namespace kefu::tts {

namespace {

// espeak-ng is one per process (its state is global), so its owner must be too. This flag is
// the one piece of process-wide state here, and exists only to turn misuse into an error.
std::atomic<bool> instance_exists{false};

// FNV-1a, 64 bit: stable across builds and platforms (std::hash is not), good enough to name
// a few thousand prompt files.
std::uint64_t fnv1a(std::string_view bytes) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const char c : bytes) {
    hash ^= static_cast<std::uint8_t>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

int collect_samples(short* wav, int count, espeak_EVENT* events) {
  if (wav == nullptr || count <= 0 || events == nullptr) return 0;
  auto* samples = static_cast<std::vector<std::int16_t>*>(events->user_data);
  if (samples != nullptr) samples->insert(samples->end(), wav, wav + count);
  return 0;  // 0 = continue synthesis
}

}  // namespace

std::string_view espeak_voice_name(Voice voice) {
  switch (voice) {
    case Voice::mandarin:
      return "cmn";
    case Voice::cantonese:
      return "yue";
    case Voice::english:
      return "en";
  }
  return "cmn";
}

TtsCache::TtsCache(TtsConfig config) : config_(std::move(config)) {
  if (instance_exists.exchange(true)) {
    throw std::logic_error("only one TtsCache may exist at a time (espeak-ng is process-global)");
  }
  std::error_code ec;
  std::filesystem::create_directories(config_.cache_dir, ec);
  thread_ = std::thread([this] { run(); });
}

TtsCache::~TtsCache() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  instance_exists.store(false);
}

std::filesystem::path TtsCache::path_for(Voice voice, std::string_view text) const {
  const std::string name(espeak_voice_name(voice));
  std::string key = "kefu-tts-v1|" + name + "|" + std::to_string(config_.words_per_minute) + "|";
  key += text;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(fnv1a(key)));
  return config_.cache_dir / (name + "-" + hex + ".wav");
}

void TtsCache::render_async(Voice voice, std::string text, ClipCallback done) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(Request{voice, std::move(text), std::move(done)});
  }
  wake_.notify_one();
}

std::future<ClipResult> TtsCache::render(Voice voice, std::string text) {
  auto promise = std::make_shared<std::promise<ClipResult>>();
  auto future = promise->get_future();
  render_async(voice, std::move(text),
               [promise](ClipResult result) { promise->set_value(std::move(result)); });
  return future;
}

std::vector<ClipResult> TtsCache::prepare(std::span<const Prompt> prompts) {
  std::vector<std::future<ClipResult>> pending;
  pending.reserve(prompts.size());
  for (const Prompt& prompt : prompts) pending.push_back(render(prompt.voice, prompt.text));
  std::vector<ClipResult> results;
  results.reserve(pending.size());
  for (auto& future : pending) results.push_back(future.get());
  return results;
}

void TtsCache::run() {
  while (true) {
    Request request;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) break;  // stopping, and everything queued was served
      request = std::move(queue_.front());
      queue_.pop_front();
    }
    ClipResult result = serve(request);
    if (request.done) request.done(std::move(result));
  }
  // espeak_Terminate() is deliberately not called: with espeak-ng 1.51 a process that
  // initialises the library again after terminating it hangs in the second terminate. Calling
  // espeak_Initialize() again (the next TtsCache) is safe, and the OS reclaims the rest.
}

ClipResult TtsCache::serve(const Request& request) {
  const auto path = path_for(request.voice, request.text);
  const std::string key = path.filename().string();
  if (const auto found = loaded_.find(key); found != loaded_.end()) return found->second;
  if (std::filesystem::exists(path)) {
    auto clip = media::load_audio_clip(path);
    if (clip) {
      loaded_.emplace(key, *clip);
      return clip;
    }
    // An unreadable cache file is rendered again below.
  }
  auto clip = synthesise(request.voice, request.text, path);
  if (clip) loaded_.emplace(key, *clip);
  return clip;
}

ClipResult TtsCache::synthesise(Voice voice, const std::string& text,
                                const std::filesystem::path& path) {
  if (espeak_rate_ == 0) {
    const std::string data = config_.espeak_data_dir.string();
    espeak_rate_ =
        espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, data.empty() ? nullptr : data.c_str(),
                          espeakINITIALIZE_DONT_EXIT);
    if (espeak_rate_ <= 0) espeak_rate_ = -1;
    if (espeak_rate_ > 0) espeak_SetSynthCallback(collect_samples);
  }
  if (espeak_rate_ < 0) return unexpected(std::string("espeak-ng could not be initialised"));

  const std::string name(espeak_voice_name(voice));
  if (espeak_SetVoiceByName(name.c_str()) != EE_OK) {
    return unexpected("espeak-ng has no voice " + name);
  }
  espeak_SetParameter(espeakRATE, config_.words_per_minute, 0);
  std::vector<std::int16_t> samples;
  const espeak_ERROR status = espeak_Synth(text.c_str(), text.size() + 1, 0, POS_CHARACTER, 0,
                                           espeakCHARS_UTF8, nullptr, &samples);
  if (status != EE_OK) return unexpected("espeak-ng failed to speak: " + text);
  if (samples.empty()) return unexpected("espeak-ng produced no audio for: " + text);
  synthesised_.fetch_add(1, std::memory_order_relaxed);

  std::vector<float> audio(samples.size());
  for (std::size_t i = 0; i < samples.size(); ++i) audio[i] = samples[i] / 32768.0f;
  auto pcm = media::to_pcm16(media::resample(audio, espeak_rate_, media::media_sample_rate));
  if (auto saved = media::save_wav(path, pcm); !saved) return unexpected(saved.error());
  return media::AudioClip::make(std::move(pcm), path.filename().string());
}

}  // namespace kefu::tts
