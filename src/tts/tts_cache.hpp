#pragma once
// Text-to-speech prompts rendered with espeak-ng and cached as 8 kHz WAV files.
//
// espeak-ng keeps its state in process globals and is not thread-safe, so a TtsCache owns one
// synthesis thread that makes every espeak-ng call, and only one TtsCache may exist at a time
// in a process (a second one throws). Nothing here runs on the control loop or a media thread:
// requests are queued, and the result comes back as a std::future or through a callback called
// on the synthesis thread (post it to your loop).
//
// A prompt is rendered once: the file `<cache_dir>/<voice>-<hash of voice, rate, text>.wav`
// outlives the process, and clips already loaded are kept in memory.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/result.hpp"
#include "media/audio_clip.hpp"

namespace kefu::tts {

enum class Voice : std::uint8_t { mandarin, cantonese, english };
// espeak-ng voice names: "cmn", "yue", "en".
std::string_view espeak_voice_name(Voice voice);

struct TtsConfig {
  std::filesystem::path cache_dir;
  int words_per_minute = 150;             // espeak-ng's default is 175; prompts read better slower
  std::filesystem::path espeak_data_dir;  // empty: the library's built-in location
};

using ClipResult = Result<std::shared_ptr<const media::AudioClip>, std::string>;
using ClipCallback = std::function<void(ClipResult)>;

struct Prompt {
  Voice voice = Voice::mandarin;
  std::string text;
};

class TtsCache {
 public:
  explicit TtsCache(TtsConfig config);  // throws std::logic_error if another TtsCache exists
  ~TtsCache();                          // finishes queued requests, then stops the thread
  TtsCache(const TtsCache&) = delete;
  TtsCache& operator=(const TtsCache&) = delete;

  // Any thread. The callback runs on the synthesis thread.
  void render_async(Voice voice, std::string text, ClipCallback done);
  std::future<ClipResult> render(Voice voice, std::string text);

  // Startup helper: renders (or finds) every prompt and waits for all of them. Never call it
  // from an event loop.
  std::vector<ClipResult> prepare(std::span<const Prompt> prompts);

  // Where a prompt's file lives (whether or not it was rendered yet).
  std::filesystem::path path_for(Voice voice, std::string_view text) const;

  // How many prompts espeak-ng actually synthesised (not found in memory or on disk).
  std::uint64_t synthesised_count() const { return synthesised_.load(std::memory_order_relaxed); }

 private:
  struct Request {
    Voice voice;
    std::string text;
    ClipCallback done;
  };
  void run();
  ClipResult serve(const Request& request);
  ClipResult synthesise(Voice voice, const std::string& text, const std::filesystem::path& path);

  TtsConfig config_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Request> queue_;
  bool stopping_ = false;
  std::atomic<std::uint64_t> synthesised_{0};
  // Synthesis thread only.
  std::map<std::string, std::shared_ptr<const media::AudioClip>> loaded_;
  int espeak_rate_ = 0;  // sample rate once espeak-ng is initialised, < 0 if that failed
  std::thread thread_;
};

}  // namespace kefu::tts
