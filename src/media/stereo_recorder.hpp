#pragma once
// Stereo call recording of a bridged pair: left = audio received from one leg (the caller),
// right = audio received from the other (the agent). Both legs live on one media thread.
//
// Audio is placed by its RTP timestamp, not by when it arrived: each channel maps timestamps to
// positions in the recording (anchored at the first packet's arrival, again after a new source
// or a jump of more than a second), and the file is written a fixed delay behind the thread's
// clock, so packets that arrive late or in a burst after the thread stalled (up to
// `playout_delay`) still land where they belong (ADR 0012). One 20 ms slot is written per tick
// of the thread's clock, skipped ticks included, so a recording keeps the call's real length;
// stretches where neither leg sent anything go to the writer as a length of silence, not as
// zeros. The window holds G.711 μ-law bytes (A-law converted), half the memory of linear
// samples; they are decoded as slots are written. Blocks of a quarter second go to the
// RecordingWriter. Internal to kefu_media; media thread only.
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "media/audio_clip.hpp"
#include "media/recording_writer.hpp"
#include "media/types.hpp"

namespace kefu::media::detail {

enum class StereoChannel : std::uint8_t { left, right };
struct ThreadCounters;

class StereoRecorder {
 public:
  static constexpr std::size_t slot_frames = 160;           // one 20 ms tick
  static constexpr std::size_t window_frames = 4096;        // 512 ms per channel
  static constexpr std::uint64_t playout_delay_slots = 15;  // 300 ms
  static constexpr std::size_t block_frames = media_sample_rate / 4;

  // `tick` is the media thread's current tick: the first slot is the one after it.
  // `counters` (may be null) gets the late and early samples as they happen.
  StereoRecorder(RecordingWriter& writer, SessionId left, SessionId right,
                 std::filesystem::path path, std::uint64_t tick,
                 ThreadCounters* counters = nullptr);
  ~StereoRecorder();  // finish() if not yet finished
  StereoRecorder(const StereoRecorder&) = delete;
  StereoRecorder& operator=(const StereoRecorder&) = delete;

  SessionId left() const { return left_; }
  SessionId right() const { return right_; }
  bool records(SessionId id) const { return id == left_ || id == right_; }

  // A G.711 payload that arrived on one leg at `now_samples`: the thread's clock in 8 kHz
  // samples (tick t starts at t * 160), read when the packet was received. Slots due by then
  // are written first: a thread too busy to run its ticks on time still keeps the window moving.
  void add(StereoChannel channel, std::uint32_t ssrc, std::uint32_t rtp_timestamp, Codec law,
           std::span<const std::byte> payload, std::uint64_t now_samples);
  // The thread's tick `tick` ran: every slot up to `playout_delay_slots` before it is written.
  void on_tick(std::uint64_t tick);
  // Writes what is still in the window (up to the last tick seen), hands the last block to the
  // writer and finishes the file (RecordingDone follows).
  void finish();

  // Audio that came too late for its slot, or too early for the window, in samples.
  std::uint64_t late_samples() const { return late_samples_; }
  std::uint64_t early_samples() const { return early_samples_; }

 private:
  struct Channel {
    std::array<std::uint8_t, window_frames> ulaw{};  // by position % window_frames
    bool anchored = false;
    std::uint32_t ssrc = 0;
    std::uint32_t last_timestamp = 0;
    std::int64_t last_position = 0;  // of last_timestamp
    std::int64_t filled_to = 0;      // end of the latest audio placed
    // Smallest (arrival - position) seen this period: a steady offset means the anchor (or the
    // sender's clock) is off, and positions are moved by it.
    std::int64_t min_lag = 0;
    bool lag_seen = false;
  };

  std::int64_t position_of_tick(std::uint64_t tick) const;
  void write_slots_to(std::int64_t end);
  void write_slot();
  void flush_block();
  void realign(Channel& channel);

  RecordingWriter& writer_;
  ThreadCounters* counters_;
  SessionId left_;
  SessionId right_;
  RecordingWriter::JobId job_ = 0;
  bool finished_ = false;
  std::uint64_t start_tick_;
  std::uint64_t last_tick_;
  std::uint64_t next_realign_tick_;
  std::int64_t cursor_ = 0;  // the next position to write
  std::int64_t latest_ = 0;  // the latest arrival time seen, as a position
  std::array<Channel, 2> channels_;
  std::vector<std::int16_t> block_;  // interleaved L/R frames
  std::uint64_t late_samples_ = 0;
  std::uint64_t early_samples_ = 0;
};

}  // namespace kefu::media::detail
