#include "media/stereo_recorder.hpp"

#include <algorithm>

#include "media/session.hpp"
#include "rtp/g711.hpp"

namespace kefu::media::detail {

namespace {
static_assert((StereoRecorder::window_frames & (StereoRecorder::window_frames - 1)) == 0,
              "the window is indexed with a mask");
constexpr std::size_t window_mask = StereoRecorder::window_frames - 1;
constexpr auto slot = static_cast<std::int64_t>(StereoRecorder::slot_frames);
// A timestamp further than this from where its arrival puts it is a new timeline (the sender
// restarted its clock, or a re-INVITE changed the source), not jitter.
constexpr std::int64_t max_timestamp_jump = 8000;  // 1 s
// Every so often each channel's smallest lag is checked; an offset beyond this is corrected.
constexpr std::uint64_t realign_every_ticks = 250;  // 5 s
constexpr std::int64_t max_steady_lag = 800;        // 100 ms
}  // namespace

StereoRecorder::StereoRecorder(RecordingWriter& writer, SessionId left, SessionId right,
                               std::filesystem::path path, std::uint64_t tick,
                               ThreadCounters* counters)
    : writer_(writer),
      counters_(counters),
      left_(left),
      right_(right),
      start_tick_(tick),
      last_tick_(tick),
      next_realign_tick_(tick + realign_every_ticks) {
  for (Channel& channel : channels_) channel.ulaw.fill(rtp::g711::ulaw_silence);
  job_ = writer_.open(left, std::move(path), 2);
  block_ = writer_.take_buffer();
  block_.reserve(block_frames * 2);
}

StereoRecorder::~StereoRecorder() {
  finish();
}

std::int64_t StereoRecorder::position_of_tick(std::uint64_t tick) const {
  return tick <= start_tick_ ? 0 : static_cast<std::int64_t>(tick - start_tick_) * slot;
}

void StereoRecorder::add(StereoChannel which, std::uint32_t ssrc, std::uint32_t rtp_timestamp,
                         Codec law, std::span<const std::byte> payload, std::uint64_t now_samples) {
  if (finished_ || payload.empty()) return;
  Channel& channel = channels_[static_cast<std::size_t>(which)];
  const std::uint64_t start_samples = start_tick_ * slot_frames;
  const std::int64_t now =
      now_samples <= start_samples ? 0 : static_cast<std::int64_t>(now_samples - start_samples);
  latest_ = std::max(latest_, now);
  write_slots_to(now - static_cast<std::int64_t>(playout_delay_slots) * slot);
  // Audio that arrives now belongs to the 20 ms that just ended.
  const std::int64_t arrival = std::max<std::int64_t>(now - slot, 0);
  const auto n = static_cast<std::int64_t>(payload.size());
  const std::int64_t window_end = cursor_ + static_cast<std::int64_t>(window_frames);
  std::int64_t position = arrival;
  if (channel.anchored && channel.ssrc == ssrc) {
    // Signed 32-bit difference: wraps of the timestamp need no special case.
    position =
        channel.last_position + static_cast<std::int32_t>(rtp_timestamp - channel.last_timestamp);
    if (position < arrival - max_timestamp_jump || position > arrival + max_timestamp_jump) {
      position = arrival;  // the timestamps jumped: a new timeline
    } else if (position + n > window_end) {
      // Too far ahead of its own arrival for the window: a packet cannot come before it was
      // sent, so the anchor packet came late (a stall as the call began) or the sender's clock
      // runs fast. Rather than lose it, move the timeline back just enough (what it overlaps
      // was placed under the late anchor); the periodic check settles the rest.
      position = window_end - n;
    }
  }
  channel.anchored = true;
  channel.ssrc = ssrc;
  channel.last_timestamp = rtp_timestamp;
  channel.last_position = position;
  const std::int64_t lag = arrival - position;
  if (!channel.lag_seen || lag < channel.min_lag) channel.min_lag = lag;
  channel.lag_seen = true;

  const std::int64_t from = std::max(position, cursor_);
  const std::int64_t to = std::min(position + n, window_end);
  if (from > position || position + n > window_end) {
    const std::int64_t late = std::max<std::int64_t>(std::min(from, position + n) - position, 0);
    const std::int64_t early =
        std::max<std::int64_t>(position + n - std::max(window_end, position), 0);
    late_samples_ += static_cast<std::uint64_t>(late);
    early_samples_ += static_cast<std::uint64_t>(early);
    if (counters_ != nullptr) {
      counters_->recording_late_samples.fetch_add(static_cast<std::uint64_t>(late),
                                                  std::memory_order_relaxed);
      counters_->recording_early_samples.fetch_add(static_cast<std::uint64_t>(early),
                                                   std::memory_order_relaxed);
    }
  }
  for (std::int64_t q = from; q < to; ++q) {
    const auto code = static_cast<std::uint8_t>(payload[static_cast<std::size_t>(q - position)]);
    channel.ulaw[static_cast<std::size_t>(q) & window_mask] =
        law == Codec::pcmu ? code : rtp::g711::alaw_to_ulaw(code);
  }
  if (to > from) channel.filled_to = std::max(channel.filled_to, to);
}

void StereoRecorder::on_tick(std::uint64_t tick) {
  if (finished_ || tick <= last_tick_) return;  // a clock that did not advance writes nothing
  last_tick_ = tick;
  const auto delay = static_cast<std::int64_t>(playout_delay_slots) * slot;
  write_slots_to(position_of_tick(tick) - delay);
  if (tick >= next_realign_tick_) {
    next_realign_tick_ = tick + realign_every_ticks;
    for (Channel& channel : channels_) realign(channel);
  }
}

void StereoRecorder::realign(Channel& channel) {
  // Even the timeliest packet of the last few seconds was this far from where its timestamp
  // put it: the anchor packet came late, or the sender's clock drifts. Moving the timeline by
  // that offset keeps the audio inside the window and the playout delay; a step of silence or
  // a few overwritten samples is the price, once.
  if (channel.lag_seen && (channel.min_lag > max_steady_lag || channel.min_lag < -max_steady_lag)) {
    channel.last_position += channel.min_lag;
  }
  channel.lag_seen = false;
}

void StereoRecorder::write_slots_to(std::int64_t end) {
  while (cursor_ < end) {
    const std::int64_t audio_end = std::max(channels_[0].filled_to, channels_[1].filled_to);
    if (cursor_ >= audio_end && end - cursor_ >= static_cast<std::int64_t>(block_frames)) {
      // Nothing placed from here on (the thread skipped ticks, or both legs are quiet): the
      // stretch goes to the writer as a length, not as a buffer of zeros.
      flush_block();
      writer_.append_silence(job_, static_cast<std::uint64_t>(end - cursor_) * 2);
      cursor_ = end;
      return;
    }
    write_slot();
  }
}

void StereoRecorder::write_slot() {
  const std::size_t start = block_.size();
  block_.resize(start + slot_frames * 2);
  for (std::size_t c = 0; c < 2; ++c) {
    auto& ulaw = channels_[c].ulaw;
    for (std::size_t i = 0; i < slot_frames; ++i) {
      std::uint8_t& code = ulaw[(static_cast<std::size_t>(cursor_) + i) & window_mask];
      block_[start + i * 2 + c] = rtp::g711::ulaw_to_linear(code);
      code = rtp::g711::ulaw_silence;
    }
  }
  cursor_ += slot;
  if (block_.size() >= block_frames * 2) flush_block();
}

void StereoRecorder::flush_block() {
  if (block_.empty()) return;
  writer_.append(job_, std::move(block_));
  block_ = writer_.take_buffer();
  block_.reserve(block_frames * 2);
}

void StereoRecorder::finish() {
  if (finished_) return;
  // Everything up to the last tick, and audio already placed beyond it (at most the window).
  const std::int64_t audio_end = std::max(channels_[0].filled_to, channels_[1].filled_to);
  std::int64_t end = std::max({position_of_tick(last_tick_), latest_, audio_end});
  end = std::min(end, cursor_ + static_cast<std::int64_t>(window_frames));
  end = cursor_ + (end - cursor_ + slot - 1) / slot * slot;  // whole slots
  while (cursor_ < end) write_slot();
  finished_ = true;
  if (!block_.empty()) writer_.append(job_, std::move(block_));
  block_ = {};
  writer_.finish(job_);
}

}  // namespace kefu::media::detail
