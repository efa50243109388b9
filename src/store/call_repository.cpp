#include "store/call_repository.hpp"

namespace kefu::store {
namespace {

Value disposition_value(const std::optional<Disposition>& d) {
  if (!d) return nullptr;
  return std::string(to_string(*d));
}

constexpr std::string_view leg_columns =
    "SELECT id, call_id, role, number, agent_id, started_at, answered_at, ended_at, end_reason "
    "FROM call_legs ";

}  // namespace

std::string call_record_columns(std::string_view table) {
  std::string out;
  for (std::string_view column :
       {"call_id", "direction", "caller_number", "dialed_number", "queue_id", "agent_id",
        "arrival_at", "queued_at", "offered_at", "answered_at", "ended_at", "wait_ms", "talk_ms",
        "hold_ms", "disposition"}) {
    if (!out.empty()) out += ", ";
    out += std::string(table) + "." + std::string(column);
  }
  return out;
}

CallRecord call_record_from(const Row& row) {
  CallRecord r;
  r.call_id = row.text(0);
  r.direction = row.enumeration<CallDirection>(1);
  r.caller_number = row.text(2);
  r.dialed_number = row.text(3);
  r.queue = row.optional_id<QueueId>(4);
  r.agent = row.optional_id<AgentId>(5);
  r.arrival = row.time(6);
  r.queued = row.optional_time(7);
  r.offered = row.optional_time(8);
  r.answered = row.optional_time(9);
  r.ended = row.optional_time(10);
  r.wait = Millis{row.int64(11)};
  r.talk = Millis{row.int64(12)};
  r.hold = Millis{row.int64(13)};
  if (!row.is_null(14)) r.disposition = row.enumeration<Disposition>(14);
  return r;
}

namespace {

std::string select_records() {
  return "SELECT " + call_record_columns("call_records") + " FROM call_records ";
}

}  // namespace

void CallRecordRepository::insert(const CallRecord& r) {
  connection_.execute(
      "INSERT INTO call_records (call_id, direction, caller_number, dialed_number, queue_id, "
      "agent_id, arrival_at, queued_at, offered_at, answered_at, ended_at, wait_ms, talk_ms, "
      "hold_ms, disposition) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {r.call_id, std::string(to_string(r.direction)), r.caller_number, r.dialed_number,
       nullable(r.queue), nullable(r.agent), to_epoch_ms(r.arrival), nullable(r.queued),
       nullable(r.offered), nullable(r.answered), nullable(r.ended), r.wait.count(), r.talk.count(),
       r.hold.count(), disposition_value(r.disposition)});
}

void CallRecordRepository::update(const CallRecord& r) {
  auto changed = connection_.execute(
      "UPDATE call_records SET direction = ?, caller_number = ?, dialed_number = ?, "
      "queue_id = ?, agent_id = ?, arrival_at = ?, queued_at = ?, offered_at = ?, "
      "answered_at = ?, ended_at = ?, wait_ms = ?, talk_ms = ?, hold_ms = ?, disposition = ? "
      "WHERE call_id = ?",
      {std::string(to_string(r.direction)), r.caller_number, r.dialed_number, nullable(r.queue),
       nullable(r.agent), to_epoch_ms(r.arrival), nullable(r.queued), nullable(r.offered),
       nullable(r.answered), nullable(r.ended), r.wait.count(), r.talk.count(), r.hold.count(),
       disposition_value(r.disposition), r.call_id});
  if (changed == 0) throw StoreError(StoreErrorKind::not_found, "no call record " + r.call_id);
}

bool CallRecordRepository::finish(const std::string& call_id, const CallEnd& end) {
  return connection_.execute(
             "UPDATE call_records SET ended_at = ?, disposition = ?, wait_ms = ?, talk_ms = ?, "
             "hold_ms = ? WHERE call_id = ? AND ended_at IS NULL",
             {to_epoch_ms(end.ended), std::string(to_string(end.disposition)), end.wait.count(),
              end.talk.count(), end.hold.count(), call_id}) > 0;
}

std::optional<CallRecord> CallRecordRepository::find(const std::string& call_id) {
  auto row = connection_.query_one(select_records() + "WHERE call_id = ?", {call_id});
  if (!row) return std::nullopt;
  return call_record_from(*row);
}

std::vector<CallRecord> CallRecordRepository::open_calls() {
  std::vector<CallRecord> records;
  for (const Row& row :
       connection_.query(select_records() + "WHERE ended_at IS NULL ORDER BY arrival_at")) {
    records.push_back(call_record_from(row));
  }
  return records;
}

LegRowId CallRecordRepository::add_leg(const CallLeg& leg) {
  auto row = connection_.query_one(
      "INSERT INTO call_legs (call_id, role, number, agent_id, started_at, answered_at, "
      "ended_at, end_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
      {leg.call_id, std::string(to_string(leg.role)), leg.number, nullable(leg.agent),
       to_epoch_ms(leg.started), nullable(leg.answered), nullable(leg.ended), leg.end_reason});
  return row->id<LegRowId>(0);
}

void CallRecordRepository::update_leg(const CallLeg& leg) {
  auto changed = connection_.execute(
      "UPDATE call_legs SET role = ?, number = ?, agent_id = ?, started_at = ?, "
      "answered_at = ?, ended_at = ?, end_reason = ? WHERE id = ?",
      {std::string(to_string(leg.role)), leg.number, nullable(leg.agent), to_epoch_ms(leg.started),
       nullable(leg.answered), nullable(leg.ended), leg.end_reason, raw(leg.id)});
  if (changed == 0) throw StoreError(StoreErrorKind::not_found, "no call leg");
}

std::vector<CallLeg> CallRecordRepository::legs(const std::string& call_id) {
  std::vector<CallLeg> legs;
  for (const Row& row : connection_.query(
           std::string(leg_columns) + "WHERE call_id = ? ORDER BY started_at, id", {call_id})) {
    legs.push_back({row.id<LegRowId>(0), row.text(1), row.enumeration<LegRole>(2), row.text(3),
                    row.optional_id<AgentId>(4), row.time(5), row.optional_time(6),
                    row.optional_time(7), row.text(8)});
  }
  return legs;
}

int CallRecordRepository::close_interrupted_calls(Timestamp now) {
  Transaction tx(connection_);
  const std::int64_t at = to_epoch_ms(now);
  connection_.execute(
      "UPDATE call_legs SET ended_at = ?, end_reason = 'interrupted' WHERE ended_at IS NULL "
      "AND call_id IN (SELECT call_id FROM call_records WHERE ended_at IS NULL)",
      {at});
  const auto closed = connection_.execute(
      "UPDATE call_records SET ended_at = ?, disposition = ? WHERE ended_at IS NULL",
      {at, std::string(to_string(Disposition::interrupted))});
  tx.commit();
  return static_cast<int>(closed);
}

std::optional<AgentId> CallRecordRepository::last_agent_for(const std::string& caller_number,
                                                            Timestamp since) {
  auto row = connection_.query_one(
      "SELECT agent_id FROM call_records WHERE caller_number = ? AND arrival_at >= ? "
      "AND agent_id IS NOT NULL AND answered_at IS NOT NULL "
      "ORDER BY arrival_at DESC LIMIT 1",
      {caller_number, to_epoch_ms(since)});
  if (!row) return std::nullopt;
  return row->id<AgentId>(0);
}

}  // namespace kefu::store
