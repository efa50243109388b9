#pragma once
// Stereo call recording of a bridged pair: left = audio received from one leg (the caller),
// right = audio received from the other (the agent). Both legs live on one media thread; each
// leg adds its decoded audio on arrival and every 20 ms tick of the thread's clock takes one
// slot (160 frames) from each channel, so the channels are aligned by arrival time on that
// thread, with silence where a leg sent nothing. Ticks the thread skipped when it fell behind
// still get their slots (the recording keeps the call's real length). Blocks of half a second
// go to the RecordingWriter (its storage thread writes `path.part` and renames it). Internal to
// kefu_media; media thread only.
#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "media/recording_writer.hpp"
#include "media/types.hpp"

namespace kefu::media::detail {

enum class StereoChannel : std::uint8_t { left, right };

class StereoRecorder {
 public:
  // `tick` is the media thread's current tick: the first slot is the one after it.
  StereoRecorder(RecordingWriter& writer, SessionId left, SessionId right,
                 std::filesystem::path path, std::uint64_t tick);
  ~StereoRecorder();  // finish() if not yet finished
  StereoRecorder(const StereoRecorder&) = delete;
  StereoRecorder& operator=(const StereoRecorder&) = delete;

  SessionId left() const { return left_; }
  SessionId right() const { return right_; }
  bool records(SessionId id) const { return id == left_ || id == right_; }

  // Decoded audio that just arrived on one leg.
  void add(StereoChannel channel, std::span<const std::int16_t> pcm);
  // The thread's tick `tick` ran: one 20 ms slot (160 frames) for every tick since the last
  // call, skipped ticks included, each from the channels' oldest pending audio or silence.
  void on_tick(std::uint64_t tick);
  // Hands the last block to the writer and finishes the file (RecordingDone follows).
  void finish();

 private:
  // Audio that arrived but is not yet in a slot. Bounded: a leg that sends faster than real
  // time (or a burst after a stall) loses its oldest samples beyond this backlog.
  static constexpr std::size_t max_pending = 960;  // 120 ms
  // A ring: no copying of the backlog on every slot.
  struct Pending {
    std::array<std::int16_t, max_pending> samples{};
    std::size_t head = 0;  // oldest sample
    std::size_t size = 0;
  };
  void write_slot();

  RecordingWriter& writer_;
  SessionId left_;
  SessionId right_;
  RecordingWriter::JobId job_ = 0;
  bool finished_ = false;
  std::uint64_t last_tick_;
  std::array<Pending, 2> pending_;
  std::vector<std::int16_t> block_;  // interleaved L/R frames
};

}  // namespace kefu::media::detail
