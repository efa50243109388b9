#include "demo/demo_flow.hpp"

#include <stdexcept>
#include <string>
#include <vector>

#include "tts/tts_cache.hpp"

namespace kefu::demo {

namespace {

constexpr std::array<std::string_view, kDigits.size()> kDigitWords = {
    "零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "星号", "井号"};

// Builds the play list outside the coroutine body: g++ 12 fails on braced lists inside a
// co_await expression ("array used as initializer").
std::vector<call::Clip> clips(const call::Clip& clip) { return {clip}; }

}  // namespace

DemoPrompts prepare_prompts(tts::TtsCache& tts) {
  using tts::Voice;
  std::vector<tts::Prompt> prompts = {
      {Voice::mandarin, "您好，欢迎致电客服中心。"},
      {Voice::mandarin, "自助查询请按一，留言请按二，人工服务请按零。"},
      {Voice::mandarin, "抱歉，没有收到您的按键。"},
      {Voice::mandarin, "感谢您的来电，再见。"},
  };
  for (auto word : kDigitWords) {
    prompts.push_back({Voice::mandarin, "您按的是" + std::string(word) + "。"});
  }
  auto clips = tts.prepare(prompts);
  for (std::size_t i = 0; i < clips.size(); ++i) {
    if (!clips[i]) {
      throw std::runtime_error("cannot render prompt '" + prompts[i].text + "': " + clips[i].error());
    }
  }
  DemoPrompts result;
  result.greeting = *clips[0];
  result.menu = *clips[1];
  result.no_input = *clips[2];
  result.goodbye = *clips[3];
  for (std::size_t i = 0; i < kDigits.size(); ++i) result.you_pressed[i] = *clips[4 + i];
  return result;
}

boost::asio::awaitable<void> run_demo_flow(std::shared_ptr<call::Leg> leg,
                                           const DemoPrompts& prompts, DemoSettings settings) {
  using call::Interrupt;
  using call::PlayResult;
  if (settings.answer_delay.count() > 0) {
    leg->ring();
    if (!co_await leg->pause(settings.answer_delay)) co_return;
  }
  if (!co_await leg->answer()) co_return;
  if (co_await leg->play(clips(prompts.greeting), Interrupt::by_digit) == PlayResult::ended) co_return;

  int timeouts = 0;
  while (!leg->ended()) {
    if (co_await leg->play(clips(prompts.menu), Interrupt::by_digit) == PlayResult::ended) co_return;
    auto digit = co_await leg->next_digit(settings.digit_timeout);
    if (leg->ended()) co_return;
    if (!digit) {
      if (++timeouts >= settings.max_timeouts) break;
      if (co_await leg->play(clips(prompts.no_input), Interrupt::by_digit) == PlayResult::ended) co_return;
      continue;
    }
    timeouts = 0;
    auto index = kDigits.find(*digit);
    if (index == std::string_view::npos) continue;  // 'A'-'D' and flash: not on this menu
    if (*digit == '0' && settings.to_agent) {
      co_await settings.to_agent(leg);
      co_return;
    }
    if (co_await leg->play(clips(prompts.you_pressed[index]), Interrupt::none) == PlayResult::ended) {
      co_return;
    }
  }
  if (co_await leg->play(clips(prompts.goodbye), Interrupt::none) == PlayResult::ended) co_return;
  leg->hangup();
}

boost::asio::awaitable<void> run_prompt_loop(std::shared_ptr<call::Leg> leg, call::Clip prompt) {
  if (!co_await leg->answer()) co_return;
  // Not `while (co_await ...)`: g++ 12 miscompiles co_await in a loop condition.
  for (;;) {
    auto result = co_await leg->play(clips(prompt), call::Interrupt::none);
    if (result != call::PlayResult::completed) break;
  }
}

}  // namespace kefu::demo
