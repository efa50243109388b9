#include "media/inband_dtmf.hpp"

#include <spandsp.h>

#include <string_view>

namespace kefu::media {

struct InbandDtmfDetector::State {
  dtmf_rx_state_t* rx = nullptr;
  std::uint64_t samples_seen = 0;  // before the current process() call
  std::uint64_t position = 0;      // end of the block being processed, in samples
  std::optional<std::pair<char, std::uint64_t>> current;  // digit and its start sample
  std::vector<Digit> finished;
};

InbandDtmfDetector::InbandDtmfDetector() : state_(std::make_unique<State>()) {
  state_->rx = dtmf_rx_init(nullptr, nullptr, nullptr);
  dtmf_rx_set_realtime_callback(state_->rx, &InbandDtmfDetector::on_tone_change, state_.get());
}

InbandDtmfDetector::~InbandDtmfDetector() {
  dtmf_rx_free(state_->rx);
}

void InbandDtmfDetector::on_tone_change(void* self, int code, int /*level*/, int /*delay*/) {
  auto* state = static_cast<State*>(self);
  // Positions are taken at the end of the block handed to process() (a 20 ms frame), which is
  // precise enough for a digit's duration.
  const std::uint64_t now = state->position;
  if (state->current) {
    const auto [digit, started] = *state->current;
    state->finished.push_back(
        Digit{digit, std::chrono::milliseconds((now - started) * 1000 / 8000)});
    state->current.reset();
  }
  if (code != 0) state->current = std::make_pair(static_cast<char>(code), now);
}

std::span<const InbandDtmfDetector::Digit> InbandDtmfDetector::process(
    std::span<const std::int16_t> samples) {
  state_->finished.clear();
  state_->position = state_->samples_seen + samples.size();
  dtmf_rx(state_->rx, samples.data(), static_cast<int>(samples.size()));
  state_->samples_seen += samples.size();
  return state_->finished;
}

struct InbandDtmfGenerator::State {
  dtmf_tx_state_t* tx = nullptr;
};

InbandDtmfGenerator::InbandDtmfGenerator() : state_(std::make_unique<State>()) {
  state_->tx = dtmf_tx_init(nullptr);
}

InbandDtmfGenerator::~InbandDtmfGenerator() {
  dtmf_tx_free(state_->tx);
}

bool InbandDtmfGenerator::start(char digit, std::chrono::milliseconds on,
                                std::chrono::milliseconds off) {
  constexpr std::string_view known = "0123456789*#ABCDabcd";
  if (known.find(digit) == std::string_view::npos) return false;
  dtmf_tx_set_timing(state_->tx, static_cast<int>(on.count()), static_cast<int>(off.count()));
  const char digits[2] = {digit, 0};
  if (dtmf_tx_put(state_->tx, digits, 1) != 0) return false;  // 0: all digits queued
  busy_ = true;
  return true;
}

std::size_t InbandDtmfGenerator::generate(std::span<std::int16_t> out) {
  if (!busy_) return 0;
  const int produced = dtmf_tx(state_->tx, out.data(), static_cast<int>(out.size()));
  if (produced < static_cast<int>(out.size())) busy_ = false;
  return produced > 0 ? static_cast<std::size_t>(produced) : 0;
}

}  // namespace kefu::media
