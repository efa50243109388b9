#include "store/recording_repository.hpp"

namespace kefu::store {
namespace {

constexpr std::string_view recording_columns =
    "SELECT id, call_id, agent_id, caller_number, started_at, duration_ms, file_path, state "
    "FROM recordings ";

Recording recording_from(const Row& row) {
  return {row.id<RecordingId>(0),
          row.text(1),
          row.optional_id<AgentId>(2),
          row.text(3),
          row.time(4),
          Millis{row.int64(5)},
          row.text(6),
          row.enumeration<RecordingState>(7)};
}

std::vector<Recording> recordings_from(std::vector<Row> rows) {
  std::vector<Recording> recordings;
  recordings.reserve(rows.size());
  for (const Row& row : rows) recordings.push_back(recording_from(row));
  return recordings;
}

}  // namespace

RecordingId RecordingRepository::create(const Recording& r) {
  auto row = connection_.query_one(
      "INSERT INTO recordings (call_id, agent_id, caller_number, started_at, duration_ms, "
      "file_path, state) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
      {r.call_id, nullable(r.agent), r.caller_number, to_epoch_ms(r.started), r.duration.count(),
       r.file_path, std::string(to_string(r.state))});
  return row->id<RecordingId>(0);
}

void RecordingRepository::finish(RecordingId id, RecordingState state, Millis duration) {
  auto changed =
      connection_.execute("UPDATE recordings SET state = ?, duration_ms = ? WHERE id = ?",
                          {std::string(to_string(state)), duration.count(), raw(id)});
  if (changed == 0) throw StoreError(StoreErrorKind::not_found, "no recording");
}

std::optional<Recording> RecordingRepository::find(RecordingId id) {
  auto row = connection_.query_one(std::string(recording_columns) + "WHERE id = ?", {raw(id)});
  if (!row) return std::nullopt;
  return recording_from(*row);
}

std::vector<Recording> RecordingRepository::for_call(const std::string& call_id) {
  return recordings_from(connection_.query(
      std::string(recording_columns) + "WHERE call_id = ? ORDER BY started_at, id", {call_id}));
}

std::vector<Recording> RecordingRepository::in_state(RecordingState state) {
  return recordings_from(
      connection_.query(std::string(recording_columns) + "WHERE state = ? ORDER BY started_at, id",
                        {std::string(to_string(state))}));
}

}  // namespace kefu::store
