#pragma once
// The recording writer: one storage thread that owns every open recording file. Media threads
// hand it blocks of audio (a quarter to one second each) and never touch the disk themselves;
// the writer writes each block with one write(2) into the WAV file `path.part`
// (detail::WavFileWriter) and renames the file to `path` when the recording finishes. Mono
// (one leg) and stereo (caller left, agent right: channels = 2, interleaved frames).
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>
#include <variant>
#include <vector>

#include "media/types.hpp"

namespace kefu::media {

class RecordingWriter {
 public:
  using JobId = std::uint64_t;

  // `on_done` is called on the writer thread with a RecordingDone per finished job.
  // `max_queued_samples` (or one second of stereo audio per open recording, when more) bounds
  // memory when the disk (or this thread) falls behind: beyond it,
  // blocks are dropped and written as silence of the same length, so the file keeps its
  // timeline and what was written before and after (a warning is logged once per file).
  explicit RecordingWriter(EventCallback on_done,
                           std::size_t max_queued_samples = std::size_t{8000} * 600);
  ~RecordingWriter();  // writes everything queued, finishes open jobs, joins
  RecordingWriter(const RecordingWriter&) = delete;
  RecordingWriter& operator=(const RecordingWriter&) = delete;

  // All three are thread-safe and never wait for the disk.
  JobId open(SessionId session, std::filesystem::path path, int channels);
  void append(JobId job, std::vector<std::int16_t> interleaved_frames);
  // `samples` (interleaved, like append's) of silence: stretches only the clock saw (a media
  // thread that fell behind) cost no buffer.
  void append_silence(JobId job, std::uint64_t samples);
  void finish(JobId job);
  // An empty buffer for the next block, recycled from blocks already written when there is one
  // (its capacity kept): a media thread reuses the same few allocations instead of allocating
  // a block that the writer thread frees — with thousands of recordings that churn across
  // threads cost more resident memory than the audio itself. Thread-safe.
  std::vector<std::int16_t> take_buffer();

  // Blocks until everything queued so far has been written (tests, shutdown).
  void drain();

  // Samples written as silence because the queue was full, since the start; samples queued now.
  std::uint64_t dropped_samples() const { return dropped_samples_.load(std::memory_order_relaxed); }
  std::uint64_t queued_samples() const;

 private:
  struct Open {
    JobId job;
    SessionId session;
    std::filesystem::path path;
    int channels;
  };
  struct Append {
    JobId job;
    std::vector<std::int16_t> frames;
    std::uint64_t silent_samples = 0;  // zeros written after `frames`
    bool dropped = false;              // the queue was full: the block became silence
  };
  struct Finish {
    JobId job;
  };
  using Command = std::variant<Open, Append, Finish>;
  struct Job;

  void push(Command command);
  void run();

  EventCallback on_done_;
  const std::size_t max_queued_samples_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<Command> queue_;
  std::vector<std::vector<std::int16_t>> spare_buffers_;  // written blocks, emptied, for reuse
  std::size_t queued_samples_ = 0;
  std::atomic<std::uint64_t> dropped_samples_{0};
  std::size_t open_jobs_ = 0;
  bool busy_ = false;
  bool stopping_ = false;
  JobId next_job_ = 1;
  std::thread thread_;
};

}  // namespace kefu::media
