#include "media/stereo_recorder.hpp"

#include <algorithm>
#include <cstring>

#include "media/audio_clip.hpp"

namespace kefu::media::detail {

namespace {
constexpr std::size_t slot_frames = 160;
// Half a second per writer call: two writes a second per recording, and 16 KB of buffer per
// call instead of 32 (the resident-memory budget is 64 KB a bridged, recorded call).
constexpr std::size_t block_frames = media_sample_rate / 2;
}  // namespace

StereoRecorder::StereoRecorder(RecordingWriter& writer, SessionId left, SessionId right,
                               std::filesystem::path path)
    : writer_(writer), left_(left), right_(right) {
  job_ = writer_.open(left, std::move(path), 2);
  block_.reserve(block_frames * 2);
}

StereoRecorder::~StereoRecorder() {
  finish();
}

void StereoRecorder::add(StereoChannel channel, std::span<const std::int16_t> pcm) {
  Pending& p = pending_[static_cast<std::size_t>(channel)];
  if (pcm.size() > max_pending) pcm = pcm.last(max_pending);
  const std::size_t overflow =
      p.size + pcm.size() > max_pending ? p.size + pcm.size() - max_pending : 0;
  if (overflow > 0) {
    std::memmove(p.samples.data(), p.samples.data() + overflow,
                 (p.size - overflow) * sizeof(std::int16_t));
    p.size -= overflow;
  }
  std::copy(pcm.begin(), pcm.end(), p.samples.begin() + static_cast<std::ptrdiff_t>(p.size));
  p.size += pcm.size();
}

void StereoRecorder::on_tick() {
  if (finished_) return;
  const std::size_t start = block_.size();
  block_.resize(start + slot_frames * 2, std::int16_t{0});
  for (std::size_t channel = 0; channel < 2; ++channel) {
    Pending& p = pending_[channel];
    const std::size_t n = std::min(p.size, slot_frames);
    for (std::size_t i = 0; i < n; ++i) block_[start + i * 2 + channel] = p.samples[i];
    if (n > 0) {
      std::memmove(p.samples.data(), p.samples.data() + n, (p.size - n) * sizeof(std::int16_t));
      p.size -= n;
    }
  }
  if (block_.size() >= block_frames * 2) {
    writer_.append(job_, std::move(block_));
    block_ = {};
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
