#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

#include <sndfile.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include "app/recording_recovery.hpp"
#include "store/migrations.hpp"
#include "store/recording_repository.hpp"
#include "store/sqlite_database.hpp"

namespace kefu::app {
namespace {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "kefu-rec-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A stereo WAV as the recorder writes it, cut off the way a crash leaves it: the header still
// says what libsndfile wrote at open (no data), the samples follow.
std::filesystem::path write_cut_wav(const std::filesystem::path& path, int frames) {
  SF_INFO info{};
  info.samplerate = 8000;
  info.channels = 2;
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  SNDFILE* file = sf_open(path.c_str(), SFM_WRITE, &info);
  EXPECT_NE(file, nullptr);
  sf_command(file, SFC_UPDATE_HEADER_NOW, nullptr, 0);
  const auto header_size = std::filesystem::file_size(path);
  sf_close(file);  // header only
  std::filesystem::resize_file(path, header_size);
  std::ofstream out(path, std::ios::binary | std::ios::app);
  std::vector<std::int16_t> samples(static_cast<std::size_t>(frames) * 2, 1000);
  out.write(reinterpret_cast<const char*>(samples.data()), static_cast<std::streamsize>(samples.size() * 2));
  out.write("\x01", 1);  // half a sample: the crash hit mid-write
  return path;
}

int frames_in(const std::filesystem::path& path) {
  SF_INFO info{};
  SNDFILE* file = sf_open(path.c_str(), SFM_READ, &info);
  if (file == nullptr) return -1;
  sf_close(file);
  return static_cast<int>(info.frames);
}

TEST(RepairWav, FixesSizesToTheDataOnDisk) {
  TempDir dir;
  auto path = write_cut_wav(dir.path() / "cut.wav", 16000);
  auto duration = repair_wav(path);
  ASSERT_TRUE(duration);
  EXPECT_EQ(duration->count(), 2000);
  EXPECT_EQ(frames_in(path), 16000);
}

TEST(RepairWav, RefusesWhatIsNotAWav) {
  TempDir dir;
  std::ofstream(dir.path() / "x.wav") << "not a wave file at all";
  EXPECT_FALSE(repair_wav(dir.path() / "x.wav"));
  EXPECT_FALSE(repair_wav(dir.path() / "missing.wav"));
}

TEST(RecoverRecordings, FinishesRowsAndOrphansLeavesNoPart) {
  TempDir dir;
  store::SqliteDatabase database(dir.path() / "kefu.db");
  auto connection = database.connect();
  store::migrate(*connection);
  store::RecordingRepository recordings(*connection);
  const auto day = dir.path() / "recordings" / "2026-11-23";
  std::filesystem::create_directories(day);

  store::Recording cut;  // .part left by the crash
  cut.call_id = "a";
  cut.caller_number = "1";
  cut.file_path = (day / "a.wav").string();
  auto cut_id = recordings.create(cut);
  write_cut_wav(day / "a.wav.part", 8000);

  store::Recording renamed;  // renamed, but the end never stored
  renamed.call_id = "b";
  renamed.caller_number = "2";
  renamed.file_path = (day / "b.wav").string();
  auto renamed_id = recordings.create(renamed);
  write_cut_wav(day / "b.wav", 4000);

  store::Recording lost;  // nothing on disk
  lost.call_id = "c";
  lost.caller_number = "3";
  lost.file_path = (day / "c.wav").string();
  auto lost_id = recordings.create(lost);

  write_cut_wav(day / "orphan.wav.part", 800);  // no row at all

  auto logger = std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
  EXPECT_EQ(recover_recordings(*connection, dir.path() / "recordings", *logger), 3);

  EXPECT_EQ(recordings.find(cut_id)->state, store::RecordingState::complete);
  EXPECT_EQ(recordings.find(cut_id)->duration.count(), 1000);
  EXPECT_EQ(frames_in(day / "a.wav"), 8000);
  EXPECT_EQ(recordings.find(renamed_id)->state, store::RecordingState::complete);
  EXPECT_EQ(recordings.find(lost_id)->state, store::RecordingState::failed);
  auto orphan = recordings.for_call("orphan");
  ASSERT_EQ(orphan.size(), 1u);
  EXPECT_EQ(orphan[0].state, store::RecordingState::complete);
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.path() / "recordings")) {
    EXPECT_NE(entry.path().extension(), ".part") << entry.path();
  }
  EXPECT_TRUE(recordings.in_state(store::RecordingState::writing).empty());
}

}  // namespace
}  // namespace kefu::app
