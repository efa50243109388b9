#pragma once
// Writes a 16-bit PCM WAV file straight to a file descriptor: a 44-byte header, then each block
// of frames with one write(2); the header's sizes are filled in at close. The recording writer
// keeps thousands of these open at once, and libsndfile's per-file state (about 9 KiB, measured
// with 2,000 recordings) was an eighth of the memory budget of a recorded call (ADR 0012). A file
// cut short by a crash has a header with zero sizes; recording recovery repairs it from its
// length. Not thread-safe (the recording writer's thread only).
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

namespace kefu::media::detail {

class WavFileWriter {
 public:
  WavFileWriter() = default;
  ~WavFileWriter();  // closes without finishing the header (close() does that)
  WavFileWriter(WavFileWriter&& other) noexcept;
  WavFileWriter& operator=(WavFileWriter&& other) noexcept;
  WavFileWriter(const WavFileWriter&) = delete;
  WavFileWriter& operator=(const WavFileWriter&) = delete;

  // Creates (or truncates) `path` and writes the header. False with error() set on failure.
  bool open(const std::filesystem::path& path, int channels, int sample_rate);
  bool is_open() const { return fd_ >= 0; }
  // Interleaved frames (samples.size() a multiple of the channel count).
  bool write(std::span<const std::int16_t> samples);
  bool write_silence(std::uint64_t frames);
  // Fills in the sizes and closes. False with error() set when a write failed.
  bool close();

  std::uint64_t frames() const { return frames_; }
  const std::string& error() const { return error_; }

 private:
  bool write_all(const void* data, std::size_t bytes);
  bool fail(const char* what);

  int fd_ = -1;
  int channels_ = 1;
  std::uint64_t frames_ = 0;
  std::string error_;
};

}  // namespace kefu::media::detail
