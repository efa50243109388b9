#pragma once
// Recording metadata. The file itself is written as `<file_path>.part` and renamed when
// complete; a row still in 'writing' after a restart tells the app which `.part` to reconcile.
#include <optional>
#include <string>
#include <vector>

#include "store/database.hpp"

namespace kefu::store {

struct Recording {
  RecordingId id{};  // assigned by create()
  std::string call_id;
  std::optional<AgentId> agent;
  std::string caller_number;
  Timestamp started{};
  Millis duration{0};
  std::string file_path;  // the final name, without ".part"
  RecordingState state = RecordingState::writing;
};

class RecordingRepository {
 public:
  explicit RecordingRepository(Connection& connection) : connection_(connection) {}

  RecordingId create(const Recording& recording);
  // Marks the recording finished (complete or failed) with its duration; throws not_found.
  void finish(RecordingId id, RecordingState state, Millis duration);
  std::optional<Recording> find(RecordingId id);
  std::vector<Recording> for_call(const std::string& call_id);
  std::vector<Recording> in_state(RecordingState state);

 private:
  Connection& connection_;
};

}  // namespace kefu::store
