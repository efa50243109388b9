#include "acd/queue_prompts.hpp"

#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>

#include "media/audio_clip.hpp"
#include "tts/tts_cache.hpp"

namespace kefu::acd {

namespace {

constexpr std::array<std::string_view, 10> kDigitWords = {"零", "幺", "二", "三", "四",
                                                          "五", "六", "七", "八", "九"};
constexpr std::array<std::string_view, 11> kNumberWords = {"零", "一", "二", "三", "四", "五",
                                                           "六", "七", "八", "九", "十"};

}  // namespace

QueuePrompts prepare_queue_prompts(tts::TtsCache& tts) {
  using tts::Voice;
  std::vector<tts::Prompt> prompts = {
      {Voice::mandarin, "您的来电正在排队，请稍候。"},
      {Voice::mandarin, "您前面还有"},
      {Voice::mandarin, "位客户。"},
      {Voice::mandarin, "预计等待时间约"},
      {Voice::mandarin, "分钟。"},
      {Voice::mandarin, "预计等待时间不到一分钟。"},
      {Voice::mandarin, "工号"},
      {Voice::mandarin, "为您服务。"},
      {Voice::mandarin, "当前等待时间较长。转到其他服务请按一，继续等待请按二。"},
      {Voice::mandarin, "现在坐席繁忙，请您稍后再拨。感谢您的来电，再见。"},
      {Voice::mandarin, "正在为您转接，请稍候。"},
      {Voice::mandarin, "很多"},
      {Voice::mandarin, "已登录。"},
      {Voice::mandarin, "已退出。"},
      {Voice::mandarin, "已就绪。"},
      {Voice::mandarin, "已暂停。"},
      {Voice::mandarin, "操作失败。"},
  };
  const std::size_t digits_at = prompts.size();
  for (auto word : kDigitWords) prompts.push_back({Voice::mandarin, std::string(word)});
  const std::size_t numbers_at = prompts.size();
  for (auto word : kNumberWords) prompts.push_back({Voice::mandarin, std::string(word)});
  const std::size_t tens_at = prompts.size();
  for (std::size_t t = 2; t < 10; ++t) {
    prompts.push_back({Voice::mandarin, std::string(kNumberWords[t]) + "十"});
  }
  auto clips = tts.prepare(prompts);
  for (std::size_t i = 0; i < clips.size(); ++i) {
    if (!clips[i]) {
      throw std::runtime_error("cannot render prompt '" + prompts[i].text + "': " + clips[i].error());
    }
  }
  QueuePrompts result;
  result.music_on_hold = make_music_on_hold();
  result.queued = *clips[0];
  result.position_before = *clips[1];
  result.position_after = *clips[2];
  result.wait_before = *clips[3];
  result.wait_after = *clips[4];
  result.wait_under_minute = *clips[5];
  result.agent_before = *clips[6];
  result.agent_after = *clips[7];
  result.long_wait_offer = *clips[8];
  result.overflow_goodbye = *clips[9];
  result.transferring = *clips[10];
  result.many = *clips[11];
  result.logged_in = *clips[12];
  result.logged_out = *clips[13];
  result.ready = *clips[14];
  result.not_ready = *clips[15];
  result.failed = *clips[16];
  for (std::size_t i = 0; i < result.digits.size(); ++i) result.digits[i] = *clips[digits_at + i];
  for (std::size_t i = 0; i < result.numbers.size(); ++i) result.numbers[i] = *clips[numbers_at + i];
  for (std::size_t t = 2; t < 10; ++t) result.tens[t] = *clips[tens_at + t - 2];
  return result;
}

call::Clip make_music_on_hold() {
  // A slow pentatonic phrase (C major pentatonic around middle C), each note a sine with a
  // little second harmonic, soft attack and exponential decay: about 8 s, loop-friendly.
  constexpr std::array<double, 16> notes = {261.63, 293.66, 329.63, 392.00, 440.00, 392.00,
                                            329.63, 293.66, 261.63, 329.63, 392.00, 523.25,
                                            440.00, 392.00, 329.63, 293.66};
  constexpr int note_samples = media::media_sample_rate / 2;  // 500 ms
  std::vector<std::int16_t> samples;
  samples.reserve(notes.size() * note_samples);
  const double amplitude = 0.18 * 32767.0;
  for (double frequency : notes) {
    for (int i = 0; i < note_samples; ++i) {
      const double t = static_cast<double>(i) / media::media_sample_rate;
      const double attack = std::min(1.0, t / 0.03);
      const double envelope = attack * std::exp(-3.0 * t);
      const double phase = 2.0 * std::numbers::pi * frequency * t;
      const double value = std::sin(phase) + 0.25 * std::sin(2.0 * phase);
      samples.push_back(static_cast<std::int16_t>(amplitude * envelope * value / 1.25));
    }
  }
  return media::AudioClip::make(std::move(samples), "music-on-hold");
}

std::vector<call::Clip> spoken_number(const QueuePrompts& prompts, std::size_t n) {
  if (n <= 10) return {prompts.numbers[n]};
  if (n < 20) return {prompts.numbers[10], prompts.numbers[n % 10]};
  if (n < 100) {
    std::vector<call::Clip> words = {prompts.tens[n / 10]};
    if (n % 10 != 0) words.push_back(prompts.numbers[n % 10]);
    return words;
  }
  return {prompts.many};
}

std::vector<call::Clip> position_announcement(const QueuePrompts& prompts, std::size_t ahead) {
  std::vector<call::Clip> clips = {prompts.position_before};
  for (auto& clip : spoken_number(prompts, ahead)) clips.push_back(clip);
  clips.push_back(prompts.position_after);
  return clips;
}

std::vector<call::Clip> wait_announcement(const QueuePrompts& prompts,
                                          std::chrono::seconds estimated) {
  if (estimated < std::chrono::minutes(1)) return {prompts.wait_under_minute};
  const auto minutes = static_cast<std::size_t>((estimated.count() + 59) / 60);
  std::vector<call::Clip> clips = {prompts.wait_before};
  for (auto& clip : spoken_number(prompts, minutes)) clips.push_back(clip);
  clips.push_back(prompts.wait_after);
  return clips;
}

std::vector<call::Clip> agent_announcement(const QueuePrompts& prompts, std::string_view agent_id) {
  std::vector<call::Clip> clips = {prompts.agent_before};
  for (char c : agent_id) {
    if (c >= '0' && c <= '9') clips.push_back(prompts.digits[static_cast<std::size_t>(c - '0')]);
  }
  clips.push_back(prompts.agent_after);
  return clips;
}

}  // namespace kefu::acd
