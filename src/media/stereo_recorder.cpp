#include "media/stereo_recorder.hpp"

#include <algorithm>

#include "media/audio_clip.hpp"

namespace kefu::media::detail {

namespace {
constexpr std::size_t slot_frames = 160;
// Half a second per writer call: two writes a second per recording, and 16 KB of buffer per
// call instead of 32 (the resident-memory budget is 64 KB a bridged, recorded call).
constexpr std::size_t block_frames = media_sample_rate / 2;
}  // namespace

StereoRecorder::StereoRecorder(RecordingWriter& writer, SessionId left, SessionId right,
                               std::filesystem::path path, std::uint64_t tick)
    : writer_(writer), left_(left), right_(right), last_tick_(tick) {
  job_ = writer_.open(left, std::move(path), 2);
  block_ = writer_.take_buffer();
  block_.reserve(block_frames * 2);
}

StereoRecorder::~StereoRecorder() {
  finish();
}

void StereoRecorder::add(StereoChannel channel, std::span<const std::int16_t> pcm) {
  Pending& p = pending_[static_cast<std::size_t>(channel)];
  if (pcm.size() > max_pending) pcm = pcm.last(max_pending);
  // Beyond the backlog the oldest samples go (a burst after a stall).
  const std::size_t overflow =
      p.size + pcm.size() > max_pending ? p.size + pcm.size() - max_pending : 0;
  p.head = (p.head + overflow) % max_pending;
  p.size -= overflow;
  std::size_t tail = (p.head + p.size) % max_pending;
  for (const std::int16_t sample : pcm) {
    p.samples[tail] = sample;
    tail = tail + 1 == max_pending ? 0 : tail + 1;
  }
  p.size += pcm.size();
}

void StereoRecorder::on_tick(std::uint64_t tick) {
  if (finished_) return;
  // A clock that did not advance (or went back) writes nothing; every tick since the last call
  // writes its slot, so time the thread skipped is in the file as what arrived, then silence.
  while (last_tick_ < tick) {
    if (tick - last_tick_ > 1 && pending_[0].size == 0 && pending_[1].size == 0) {
      // The rest of a stretch the thread skipped is silence: sent as a length, not as a
      // buffer of zeros (after a stall every recording would allocate its whole gap at once).
      if (!block_.empty()) {
        writer_.append(job_, std::move(block_));
        block_ = writer_.take_buffer();
        block_.reserve(block_frames * 2);
      }
      writer_.append_silence(job_, (tick - last_tick_) * slot_frames * 2);
      last_tick_ = tick;
      return;
    }
    write_slot();
    ++last_tick_;
  }
}

void StereoRecorder::write_slot() {
  const std::size_t start = block_.size();
  block_.resize(start + slot_frames * 2, std::int16_t{0});
  for (std::size_t channel = 0; channel < 2; ++channel) {
    Pending& p = pending_[channel];
    const std::size_t n = std::min(p.size, slot_frames);
    for (std::size_t i = 0; i < n; ++i) {
      block_[start + i * 2 + channel] = p.samples[p.head];
      p.head = p.head + 1 == max_pending ? 0 : p.head + 1;
    }
    p.size -= n;
  }
  if (block_.size() >= block_frames * 2) {
    writer_.append(job_, std::move(block_));
    block_ = writer_.take_buffer();
    block_.reserve(block_frames * 2);
  }
}

void StereoRecorder::finish() {
  if (finished_) return;
  finished_ = true;
  if (!block_.empty()) writer_.append(job_, std::move(block_));
  block_ = {};
  writer_.finish(job_);
}

}  // namespace kefu::media::detail
