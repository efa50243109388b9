#pragma once
// The demo's entry flow on service number 4000, until the IVR engine replaces it: greet in
// Mandarin, offer a menu, collect one digit, say it back; replay the menu on timeout, at most
// three times in a row, then say goodbye and hang up.
#include <array>
#include <chrono>
#include <functional>
#include <memory>

#include <boost/asio/awaitable.hpp>

#include "call/leg.hpp"

namespace kefu::tts {
class TtsCache;
}

namespace kefu::demo {

inline constexpr std::string_view kServiceNumber = "4000";
// Answers and plays the menu prompt over and over until the caller hangs up: an audio check
// for softphones and the load benchmark's "call playing a prompt".
inline constexpr std::string_view kPromptLoopNumber = "4001";
inline constexpr std::string_view kDigits = "0123456789*#";

struct DemoPrompts {
  call::Clip greeting;
  call::Clip menu;
  call::Clip no_input;
  call::Clip goodbye;
  std::array<call::Clip, kDigits.size()> you_pressed;  // "您按的是 …", one per key
};

// Renders (or loads from the cache) every prompt; blocking: call before serving.
// Throws std::runtime_error naming the prompt that failed.
DemoPrompts prepare_prompts(tts::TtsCache& tts);

struct DemoSettings {
  // "0" at the menu: hand the caller to the ACD (queue, agent); unset: just say the digit.
  std::function<boost::asio::awaitable<void>(std::shared_ptr<call::Leg>)> to_agent;
  std::chrono::milliseconds answer_delay{0};  // ring this long first (180 Ringing)
  std::chrono::milliseconds digit_timeout{std::chrono::seconds(5)};
  int max_timeouts = 3;
};

boost::asio::awaitable<void> run_demo_flow(std::shared_ptr<call::Leg> leg,
                                           const DemoPrompts& prompts, DemoSettings settings);

boost::asio::awaitable<void> run_prompt_loop(std::shared_ptr<call::Leg> leg, call::Clip prompt);

}  // namespace kefu::demo
