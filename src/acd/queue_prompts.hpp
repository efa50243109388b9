#pragma once
// What a queued caller hears: music on hold, the queue greeting, position and estimated-wait
// announcements, the agent's ID on connect ("工号 1001 为您服务"), the long-wait offer and the
// overflow goodbye. Sentences with numbers are assembled from pre-rendered pieces, so nothing is
// synthesized while a call waits.
#include <array>
#include <chrono>
#include <string_view>
#include <vector>

#include "call/leg.hpp"

namespace kefu::tts {
class TtsCache;
}

namespace kefu::acd {

struct QueuePrompts {
  call::Clip music_on_hold;  // loops
  call::Clip queued;         // "您的来电正在排队，请稍候。"
  call::Clip position_before, position_after;  // "您前面还有" N "位客户。"
  call::Clip wait_before, wait_after;          // "预计等待时间约" N "分钟。"
  call::Clip wait_under_minute;                // "预计等待时间不到一分钟。"
  call::Clip agent_before, agent_after;        // "工号" digits "为您服务。"
  call::Clip long_wait_offer;  // "当前等待时间较长。转到其他服务请按一，继续等待请按二。"
  call::Clip overflow_goodbye;  // "现在坐席繁忙，请您稍后再拨。感谢您的来电，再见。"
  call::Clip transferring;      // "正在为您转接，请稍候。"
  // Feature codes dialed by agents: "已登录。" "已退出。" "已就绪。" "已暂停。" "操作失败。"
  call::Clip logged_in, logged_out, ready, not_ready, failed;
  std::array<call::Clip, 10> digits;   // read one by one in IDs: 幺 for 1
  std::array<call::Clip, 11> numbers;  // 零 … 十
  std::array<call::Clip, 10> tens;     // tens[2] = 二十 … tens[9] = 九十; [0], [1] unused
  call::Clip many;                     // "很多"
};

// Renders (or loads from the TTS cache) every piece; blocking: call before serving. Throws
// std::runtime_error naming the piece that failed.
QueuePrompts prepare_queue_prompts(tts::TtsCache& tts);

// A gentle looping tune (pentatonic, soft attack and decay), so no music file has to ship.
call::Clip make_music_on_hold();

// "您前面还有三位客户。" for `ahead` callers, with the number spoken naturally (0 … 99).
std::vector<call::Clip> position_announcement(const QueuePrompts& prompts, std::size_t ahead);
// Rounded up to whole minutes; under a minute has its own sentence.
std::vector<call::Clip> wait_announcement(const QueuePrompts& prompts,
                                          std::chrono::seconds estimated);
// "工号一零零幺为您服务。" — digits read one by one, as agents' IDs are.
std::vector<call::Clip> agent_announcement(const QueuePrompts& prompts, std::string_view agent_id);
// A number 0 … 99 as spoken ("二十三"); above 99 "很多".
std::vector<call::Clip> spoken_number(const QueuePrompts& prompts, std::size_t n);

}  // namespace kefu::acd
