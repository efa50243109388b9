#include "app/recording_recovery.hpp"

#include <cstring>
#include <fstream>
#include <set>
#include <vector>

#include "store/recording_repository.hpp"

namespace kefu::app {

namespace {

std::uint32_t read_u32(const char* p) {
  return static_cast<std::uint32_t>(static_cast<unsigned char>(p[0])) |
         static_cast<std::uint32_t>(static_cast<unsigned char>(p[1])) << 8 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(p[2])) << 16 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(p[3])) << 24;
}

void write_u32(std::fstream& file, std::streamoff at, std::uint32_t value) {
  char bytes[4] = {static_cast<char>(value & 0xFF), static_cast<char>((value >> 8) & 0xFF),
                   static_cast<char>((value >> 16) & 0xFF), static_cast<char>((value >> 24) & 0xFF)};
  file.seekp(at);
  file.write(bytes, 4);
}

}  // namespace

std::optional<std::chrono::milliseconds> repair_wav(const std::filesystem::path& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec || size < 12 || size > 0xFFFFFFFFull) return std::nullopt;
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  if (!file) return std::nullopt;
  char riff[12];
  if (!file.read(riff, 12) || std::memcmp(riff, "RIFF", 4) != 0 || std::memcmp(riff + 8, "WAVE", 4) != 0)
    return std::nullopt;
  std::uint32_t byte_rate = 0;
  std::streamoff offset = 12;
  while (offset + 8 <= static_cast<std::streamoff>(size)) {
    char header[8];
    file.seekg(offset);
    if (!file.read(header, 8)) return std::nullopt;
    const std::uint32_t chunk_size = read_u32(header + 4);
    if (std::memcmp(header, "fmt ", 4) == 0) {
      char fmt[16];
      if (chunk_size < 16 || !file.read(fmt, 16)) return std::nullopt;
      byte_rate = read_u32(fmt + 8);
    } else if (std::memcmp(header, "data", 4) == 0) {
      // The data runs to the end of what reached the disk, in whole frames of 4 bytes.
      const auto data_bytes = static_cast<std::uint32_t>((static_cast<std::streamoff>(size) - offset - 8) & ~std::streamoff{3});
      write_u32(file, offset + 4, data_bytes);
      write_u32(file, 4, static_cast<std::uint32_t>(offset + 8 + data_bytes - 8));
      file.close();
      std::filesystem::resize_file(path, static_cast<std::uintmax_t>(offset + 8 + data_bytes), ec);
      if (byte_rate == 0) return std::nullopt;
      return std::chrono::milliseconds(static_cast<std::int64_t>(data_bytes) * 1000 / byte_rate);
    }
    offset += 8 + chunk_size + (chunk_size & 1);
  }
  return std::nullopt;
}

int recover_recordings(store::Connection& connection, const std::filesystem::path& recordings_dir,
                       spdlog::logger& log) {
  int recovered = 0;
  store::RecordingRepository recordings(connection);
  std::set<std::string> known;
  for (const auto& row : recordings.in_state(store::RecordingState::writing)) {
    known.insert(row.file_path);
    const std::filesystem::path final_path = row.file_path;
    std::filesystem::path part = final_path;
    part += ".part";
    std::error_code ec;
    if (std::filesystem::exists(part, ec)) {
      auto duration = repair_wav(part);
      if (duration) std::filesystem::rename(part, final_path, ec);
      if (duration && !ec) {
        recordings.finish(row.id, store::RecordingState::complete, *duration);
        log.warn("recording recovered file={} duration_ms={} (kefu stopped during the call)",
                 final_path.string(), duration->count());
        ++recovered;
      } else {
        recordings.finish(row.id, store::RecordingState::failed, std::chrono::milliseconds(0));
        log.error("recording unreadable after a crash file={}", part.string());
      }
    } else if (std::filesystem::exists(final_path, ec)) {
      // Renamed, but the end was not stored before the stop.
      auto duration = repair_wav(final_path);
      recordings.finish(row.id, store::RecordingState::complete, duration.value_or(std::chrono::milliseconds(0)));
      ++recovered;
    } else {
      recordings.finish(row.id, store::RecordingState::failed, std::chrono::milliseconds(0));
      log.error("recording missing after a crash file={}", final_path.string());
    }
  }
  // A file whose row never reached the database (a crash within the first moments).
  std::error_code ec;
  if (!std::filesystem::is_directory(recordings_dir, ec)) return recovered;
  // Listed first: renaming while iterating a directory may skip or repeat entries.
  std::vector<std::filesystem::path> orphans;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(recordings_dir, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".part") orphans.push_back(entry.path());
  }
  for (const auto& part : orphans) {
    std::filesystem::path final_path = part;
    final_path.replace_extension();  // drop ".part"
    if (known.contains(final_path.string())) continue;
    std::error_code time_error;
    const auto written = std::filesystem::last_write_time(part, time_error);
    auto duration = repair_wav(part);
    std::error_code rename_error;
    if (duration) std::filesystem::rename(part, final_path, rename_error);
    if (!duration || rename_error) {
      log.error("unreadable recording left by a crash file={}", part.string());
      continue;
    }
    store::Recording row;
    row.call_id = final_path.stem().string();
    row.file_path = final_path.string();
    row.started = std::chrono::time_point_cast<std::chrono::milliseconds>(
        time_error ? std::chrono::system_clock::now() : std::chrono::file_clock::to_sys(written));
    row.state = store::RecordingState::writing;
    auto id = recordings.create(row);
    recordings.finish(id, store::RecordingState::complete, *duration);
    log.warn("recording without a row recovered file={}", final_path.string());
    ++recovered;
  }
  return recovered;
}

}  // namespace kefu::app
