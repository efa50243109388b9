#pragma once
// Loads the SIP conformance corpus (RFC 4475, RFC 5118) from KEFU_CONFORMANCE_DIR.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace kefu::sip::testing {

inline std::filesystem::path conformance_dir() {
  return KEFU_CONFORMANCE_DIR;
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

// Every *.dat under `relative` (not recursive), sorted by name.
inline std::vector<std::filesystem::path> dat_files(const std::string& relative) {
  std::vector<std::filesystem::path> files;
  const auto dir = conformance_dir() / relative;
  if (!std::filesystem::is_directory(dir)) return files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".dat") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

inline std::string conformance_message(const std::string& relative) {
  return read_file(conformance_dir() / relative);
}

}  // namespace kefu::sip::testing
