#pragma once
// After a crash: recordings still marked 'writing' are finished from what reached the disk
// (their `.part` WAV header is fixed to the data present, then renamed), or marked failed when
// nothing is left; `.part` files without a row are recovered too. Nothing is left unexplained.
#include <chrono>
#include <filesystem>
#include <optional>

#include <spdlog/logger.h>

#include "store/database.hpp"

namespace kefu::app {

// Rewrites a WAV file's RIFF and data sizes to match the bytes on disk; returns its duration.
std::optional<std::chrono::milliseconds> repair_wav(const std::filesystem::path& path);

// Returns how many recordings were recovered. Blocking; call at start, before serving.
int recover_recordings(store::Connection& connection, const std::filesystem::path& recordings_dir,
                       spdlog::logger& log);

}  // namespace kefu::app
