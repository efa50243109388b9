#include "tts/tts_cache.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>

namespace kefu::tts {
namespace {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("kefu-tts-test-" + std::to_string(::getpid()) + "-" +
            std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

TtsConfig config_for(const std::filesystem::path& dir) {
  TtsConfig config;
  config.cache_dir = dir;
  return config;
}

double rms(std::span<const std::int16_t> samples) {
  double sum = 0;
  for (auto s : samples) sum += static_cast<double>(s) * s;
  return samples.empty() ? 0 : std::sqrt(sum / static_cast<double>(samples.size()));
}

TEST(TtsCache, RendersMandarinOnceThenServesTheCachedClip) {
  TempDir dir;
  const std::string text = "您好，欢迎致电客服中心。请按一。";
  std::filesystem::path file;
  {
    TtsCache cache(config_for(dir.path));
    auto first = cache.render(Voice::mandarin, text).get();
    ASSERT_TRUE(first) << first.error();
    const auto& clip = *first;
    EXPECT_GT(clip->duration(), std::chrono::milliseconds(1000));
    EXPECT_GT(rms(clip->samples()), 500.0);  // speech, not silence
    file = cache.path_for(Voice::mandarin, text);
    EXPECT_TRUE(std::filesystem::exists(file));
    EXPECT_EQ(file.filename().string().rfind("cmn-", 0), 0U);
    EXPECT_EQ(cache.synthesised_count(), 1U);

    auto second = cache.render(Voice::mandarin, text).get();
    ASSERT_TRUE(second);
    EXPECT_EQ(second->get(), clip.get());  // the same shared clip
    EXPECT_EQ(cache.synthesised_count(), 1U);
  }
  const auto written = std::filesystem::last_write_time(file);
  {
    // A new process (here: a new cache) finds the file and does not render again.
    TtsCache cache(config_for(dir.path));
    auto again = cache.render(Voice::mandarin, text).get();
    ASSERT_TRUE(again) << again.error();
    EXPECT_EQ(cache.synthesised_count(), 0U);
    EXPECT_EQ(std::filesystem::last_write_time(file), written);
    EXPECT_GT(rms((*again)->samples()), 500.0);
  }
}

TEST(TtsCache, PrepareRendersEveryVoiceAndKeepsThemApart) {
  TempDir dir;
  TtsCache cache(config_for(dir.path));
  const std::vector<Prompt> prompts{{Voice::mandarin, "排队中，请稍候"},
                                    {Voice::cantonese, "多謝你嘅來電"},
                                    {Voice::english, "Your call is important to us."},
                                    {Voice::english, "Your call is important to us."}};
  const auto results = cache.prepare(prompts);
  ASSERT_EQ(results.size(), 4U);
  for (const auto& r : results) {
    ASSERT_TRUE(r) << r.error();
    EXPECT_GT(rms((*r)->samples()), 500.0);
  }
  EXPECT_EQ(cache.synthesised_count(), 3U);
  EXPECT_EQ(results[2]->get(), results[3]->get());
  EXPECT_NE(cache.path_for(Voice::mandarin, "x"), cache.path_for(Voice::cantonese, "x"));
}

TEST(TtsCache, OnlyOneInstanceAtATime) {
  TempDir dir;
  TtsCache cache(config_for(dir.path));
  EXPECT_THROW(TtsCache second(config_for(dir.path)), std::logic_error);
}

TEST(TtsCache, AsyncCallbackRunsOffTheCallingThread) {
  TempDir dir;
  TtsCache cache(config_for(dir.path));
  std::promise<std::thread::id> ran_on;
  cache.render_async(Voice::english, "Hello", [&ran_on](ClipResult result) {
    EXPECT_TRUE(result);
    ran_on.set_value(std::this_thread::get_id());
  });
  auto future = ran_on.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  EXPECT_NE(future.get(), std::this_thread::get_id());
}

}  // namespace
}  // namespace kefu::tts
