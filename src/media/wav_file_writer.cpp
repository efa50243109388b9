#include "media/wav_file_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstring>
#include <limits>
#include <utility>

namespace kefu::media::detail {

namespace {

static_assert(std::endian::native == std::endian::little,
              "WAV samples are little-endian; a big-endian host would need a byte swap");

constexpr std::size_t header_bytes = 44;

void put_u32(std::uint8_t* out, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<std::uint8_t>(value >> (8 * i));
}
void put_u16(std::uint8_t* out, std::uint16_t value) {
  out[0] = static_cast<std::uint8_t>(value);
  out[1] = static_cast<std::uint8_t>(value >> 8);
}

std::array<std::uint8_t, header_bytes> header(int channels, int sample_rate,
                                              std::uint32_t data_bytes) {
  std::array<std::uint8_t, header_bytes> h{};
  const auto block_align = static_cast<std::uint16_t>(channels * 2);
  std::memcpy(h.data(), "RIFF", 4);
  put_u32(h.data() + 4, data_bytes == 0 ? 0 : 36 + data_bytes);
  std::memcpy(h.data() + 8, "WAVEfmt ", 8);
  put_u32(h.data() + 16, 16);
  put_u16(h.data() + 20, 1);  // PCM
  put_u16(h.data() + 22, static_cast<std::uint16_t>(channels));
  put_u32(h.data() + 24, static_cast<std::uint32_t>(sample_rate));
  put_u32(h.data() + 28, static_cast<std::uint32_t>(sample_rate) * block_align);
  put_u16(h.data() + 32, block_align);
  put_u16(h.data() + 34, 16);
  std::memcpy(h.data() + 36, "data", 4);
  put_u32(h.data() + 40, data_bytes);
  return h;
}

}  // namespace

WavFileWriter::~WavFileWriter() {
  if (fd_ >= 0) ::close(fd_);
}

WavFileWriter::WavFileWriter(WavFileWriter&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      channels_(other.channels_),
      frames_(other.frames_),
      error_(std::move(other.error_)) {}

WavFileWriter& WavFileWriter::operator=(WavFileWriter&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    channels_ = other.channels_;
    frames_ = other.frames_;
    error_ = std::move(other.error_);
  }
  return *this;
}

bool WavFileWriter::open(const std::filesystem::path& path, int channels, int sample_rate) {
  if (fd_ >= 0) ::close(fd_);
  channels_ = std::max(channels, 1);
  frames_ = 0;
  error_.clear();
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd_ < 0) return fail("open");
  const auto h = header(channels_, sample_rate, 0);
  return write_all(h.data(), h.size());
}

bool WavFileWriter::write(std::span<const std::int16_t> samples) {
  if (fd_ < 0) return false;
  const auto channels = static_cast<std::size_t>(channels_);
  const std::size_t frames = samples.size() / channels;
  if (frames == 0) return true;
  if (!write_all(samples.data(), frames * channels * sizeof(std::int16_t))) return false;
  frames_ += frames;
  return true;
}

bool WavFileWriter::write_silence(std::uint64_t frames) {
  static const std::array<std::int16_t, 8192> zeros{};
  const auto channels = static_cast<std::size_t>(channels_);
  const std::uint64_t chunk = zeros.size() / channels;
  while (frames > 0) {
    const std::uint64_t n = std::min(frames, chunk);
    if (!write(std::span(zeros).first(static_cast<std::size_t>(n) * channels))) return false;
    frames -= n;
  }
  return true;
}

bool WavFileWriter::close() {
  if (fd_ < 0) return false;
  const std::uint64_t data_bytes =
      frames_ * static_cast<std::uint64_t>(channels_) * sizeof(std::int16_t);
  bool ok = true;
  if (data_bytes > std::numeric_limits<std::uint32_t>::max() - 36) {
    error_ = "recording longer than a WAV file can hold";
    ok = false;
  } else {
    // Sample rate and layout are already in place; only the two sizes change.
    std::array<std::uint8_t, 4> riff_size{};
    std::array<std::uint8_t, 4> data_size{};
    put_u32(riff_size.data(), static_cast<std::uint32_t>(36 + data_bytes));
    put_u32(data_size.data(), static_cast<std::uint32_t>(data_bytes));
    if (::pwrite(fd_, riff_size.data(), 4, 4) != 4 || ::pwrite(fd_, data_size.data(), 4, 40) != 4) {
      ok = fail("pwrite");
    }
  }
  if (::close(fd_) != 0 && ok) ok = fail("close");
  fd_ = -1;
  return ok;
}

bool WavFileWriter::write_all(const void* data, std::size_t bytes) {
  const auto* p = static_cast<const std::uint8_t*>(data);
  while (bytes > 0) {
    const ssize_t n = ::write(fd_, p, bytes);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("write");
    }
    p += n;
    bytes -= static_cast<std::size_t>(n);
  }
  return true;
}

bool WavFileWriter::fail(const char* what) {
  error_ = std::string(what) + ": " + std::strerror(errno);
  return false;
}

}  // namespace kefu::media::detail
