#include "media/recording_writer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <map>
#include <system_error>

#include "media/audio_clip.hpp"
#include "media/wav_file_writer.hpp"

namespace kefu::media {

struct RecordingWriter::Job {
  SessionId session;
  std::filesystem::path path;
  std::filesystem::path part;
  int channels = 1;
  detail::WavFileWriter file;
  std::uint64_t frames = 0;
  bool ok = true;
  bool warned_behind = false;
};

RecordingWriter::RecordingWriter(EventCallback on_done, std::size_t max_queued_samples)
    : on_done_(std::move(on_done)), max_queued_samples_(max_queued_samples) {
  thread_ = std::thread([this] { run(); });
}

RecordingWriter::~RecordingWriter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

RecordingWriter::JobId RecordingWriter::open(SessionId session, std::filesystem::path path,
                                             int channels) {
  JobId job = 0;
  {
    std::lock_guard lock(mutex_);
    job = next_job_++;
    ++open_jobs_;
    queue_.emplace_back(Open{job, session, std::move(path), channels});
  }
  wake_.notify_one();
  return job;
}

void RecordingWriter::append(JobId job, std::vector<std::int16_t> interleaved_frames) {
  {
    std::lock_guard lock(mutex_);
    // The bound grows with the recordings open (a second of stereo audio each), so a busy
    // server is not held to what suits a quiet one.
    const std::size_t bound =
        std::max(max_queued_samples_, open_jobs_ * std::size_t{2 * media_sample_rate});
    if (queued_samples_ + interleaved_frames.size() > bound) {
      dropped_samples_.fetch_add(interleaved_frames.size(), std::memory_order_relaxed);
      queue_.emplace_back(Append{job, {}, interleaved_frames.size(), true});
    } else {
      queued_samples_ += interleaved_frames.size();
      queue_.emplace_back(Append{job, std::move(interleaved_frames), 0, false});
    }
  }
  wake_.notify_one();
}

void RecordingWriter::append_silence(JobId job, std::uint64_t samples) {
  if (samples == 0) return;
  push(Append{job, {}, samples, false});
}

std::uint64_t RecordingWriter::queued_samples() const {
  std::lock_guard lock(mutex_);
  return queued_samples_;
}

std::vector<std::int16_t> RecordingWriter::take_buffer() {
  std::lock_guard lock(mutex_);
  if (spare_buffers_.empty()) return {};
  auto buffer = std::move(spare_buffers_.back());
  spare_buffers_.pop_back();
  return buffer;
}

void RecordingWriter::finish(JobId job) {
  {
    std::lock_guard lock(mutex_);
    if (open_jobs_ > 0) --open_jobs_;
  }
  push(Finish{job});
}

void RecordingWriter::push(Command command) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(command));
  }
  wake_.notify_one();
}

void RecordingWriter::drain() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return queue_.empty() && !busy_; });
}

void RecordingWriter::run() {
  std::map<JobId, Job> jobs;
  auto complete = [this](Job& job) {
    if (job.file.is_open() && !job.file.close()) {
      if (job.ok) {
        spdlog::warn("media: finishing recording {} failed: {}", job.part.string(),
                     job.file.error());
      }
      job.ok = false;
    }
    std::error_code ec;
    if (job.ok) {
      std::filesystem::rename(job.part, job.path, ec);
      if (ec) job.ok = false;
    }
    if (!job.ok) std::filesystem::remove(job.part, ec);
    const auto duration = std::chrono::milliseconds(job.frames * 1000 / media_sample_rate);
    if (on_done_) on_done_(RecordingDone{job.session, job.path, duration, job.ok});
  };

  // Spares beyond one per open recording (and a few) are freed: each recording takes one back
  // per block it hands over, so more would only hold memory after a writer's long batch.
  constexpr std::size_t max_spare_buffers = 8192;
  std::deque<Command> batch;
  std::vector<std::vector<std::int16_t>> written;
  while (true) {
    {
      std::unique_lock lock(mutex_);
      busy_ = false;
      if (queue_.empty()) idle_.notify_all();
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) break;
      batch.swap(queue_);
      busy_ = true;
    }
    std::size_t written_samples = 0;
    for (Command& command : batch) {
      if (auto* open = std::get_if<Open>(&command)) {
        Job job;
        job.session = open->session;
        job.path = open->path;
        job.part = open->path;
        job.part += ".part";
        job.channels = open->channels;
        job.ok = job.file.open(job.part, open->channels, media_sample_rate);
        if (!job.ok) {
          spdlog::warn("media: cannot open recording {}: {}", job.part.string(), job.file.error());
        }
        jobs.emplace(open->job, std::move(job));
      } else if (auto* append = std::get_if<Append>(&command)) {
        written_samples += append->frames.size();
        const auto found = jobs.find(append->job);
        if (found == jobs.end()) continue;
        Job& job = found->second;
        if (append->dropped && job.ok && !job.warned_behind) {
          spdlog::warn("media: recording {} fell behind; audio written as silence",
                       job.path.string());
          job.warned_behind = true;
        }
        if (!job.ok) continue;
        const auto channels = static_cast<std::size_t>(job.channels);
        const std::uint64_t frames = append->frames.size() / channels;
        const std::uint64_t silent = append->silent_samples / channels;
        if (!job.file.write(append->frames) || !job.file.write_silence(silent)) {
          spdlog::warn("media: writing recording {} failed: {}", job.part.string(),
                       job.file.error());
          job.ok = false;
        }
        job.frames += frames + silent;
        if (append->frames.capacity() > 0) {
          append->frames.clear();
          written.push_back(std::move(append->frames));
        }
      } else if (auto* finish = std::get_if<Finish>(&command)) {
        const auto found = jobs.find(finish->job);
        if (found == jobs.end()) continue;
        complete(found->second);
        jobs.erase(found);
      }
    }
    batch.clear();
    std::lock_guard lock(mutex_);
    queued_samples_ -= written_samples;
    const std::size_t spare_limit = std::min(max_spare_buffers, open_jobs_ + 16);
    for (auto& buffer : written) {
      if (spare_buffers_.size() >= spare_limit) break;
      spare_buffers_.push_back(std::move(buffer));
    }
    written.clear();
  }
  // Shutdown with recordings still open (the engine finishes them first; this is the backstop).
  for (auto& [id, job] : jobs) complete(job);
}

}  // namespace kefu::media
