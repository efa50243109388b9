#include "store/queue_repository.hpp"

namespace kefu::store {
namespace {

constexpr std::string_view queue_columns =
    "SELECT id, name, strategy, max_wait_ms, max_length, overflow_kind, overflow_queue_id, "
    "wrap_up_ms, ring_timeout_ms, service_level_ms, recording_policy, music_on_hold FROM queues ";

Queue queue_from(const Row& row) {
  Queue q;
  q.id = row.id<QueueId>(0);
  q.name = row.text(1);
  q.strategy = row.enumeration<QueueStrategy>(2);
  q.max_wait = Millis{row.int64(3)};
  q.max_length = static_cast<int>(row.int64(4));
  q.overflow = row.enumeration<OverflowKind>(5);
  q.overflow_queue = row.optional_id<QueueId>(6);
  q.wrap_up = Millis{row.int64(7)};
  q.ring_timeout = Millis{row.int64(8)};
  q.service_level = Millis{row.int64(9)};
  q.recording = row.enumeration<RecordingPolicy>(10);
  q.music_on_hold = row.text(11);
  return q;
}

std::vector<Queue> queues_from(std::vector<Row> rows) {
  std::vector<Queue> queues;
  queues.reserve(rows.size());
  for (const Row& row : rows) queues.push_back(queue_from(row));
  return queues;
}

}  // namespace

QueueId QueueRepository::create(const Queue& q) {
  auto row = connection_.query_one(
      "INSERT INTO queues (name, strategy, max_wait_ms, max_length, overflow_kind, "
      "overflow_queue_id, wrap_up_ms, ring_timeout_ms, service_level_ms, recording_policy, "
      "music_on_hold) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
      {q.name, std::string(to_string(q.strategy)), q.max_wait.count(), std::int64_t{q.max_length},
       std::string(to_string(q.overflow)), nullable(q.overflow_queue), q.wrap_up.count(),
       q.ring_timeout.count(), q.service_level.count(), std::string(to_string(q.recording)),
       q.music_on_hold});
  return row->id<QueueId>(0);
}

void QueueRepository::update(const Queue& q) {
  auto changed = connection_.execute(
      "UPDATE queues SET name = ?, strategy = ?, max_wait_ms = ?, max_length = ?, "
      "overflow_kind = ?, overflow_queue_id = ?, wrap_up_ms = ?, ring_timeout_ms = ?, "
      "service_level_ms = ?, recording_policy = ?, music_on_hold = ? WHERE id = ?",
      {q.name, std::string(to_string(q.strategy)), q.max_wait.count(), std::int64_t{q.max_length},
       std::string(to_string(q.overflow)), nullable(q.overflow_queue), q.wrap_up.count(),
       q.ring_timeout.count(), q.service_level.count(), std::string(to_string(q.recording)),
       q.music_on_hold, raw(q.id)});
  if (changed == 0) throw StoreError(StoreErrorKind::not_found, "no queue " + q.name);
}

void QueueRepository::remove(QueueId id) {
  connection_.execute("DELETE FROM queues WHERE id = ?", {raw(id)});
}

std::optional<Queue> QueueRepository::find(QueueId id) {
  auto row = connection_.query_one(std::string(queue_columns) + "WHERE id = ?", {raw(id)});
  if (!row) return std::nullopt;
  return queue_from(*row);
}

std::optional<Queue> QueueRepository::find_by_name(const std::string& name) {
  auto row = connection_.query_one(std::string(queue_columns) + "WHERE name = ?", {name});
  if (!row) return std::nullopt;
  return queue_from(*row);
}

std::vector<Queue> QueueRepository::list() {
  return queues_from(connection_.query(std::string(queue_columns) + "ORDER BY name"));
}

void QueueRepository::set_member(QueueId queue, AgentId agent, int penalty) {
  connection_.execute(
      "INSERT INTO queue_members (queue_id, agent_id, penalty) VALUES (?, ?, ?) "
      "ON CONFLICT (queue_id, agent_id) DO UPDATE SET penalty = excluded.penalty",
      {raw(queue), raw(agent), std::int64_t{penalty}});
}

void QueueRepository::remove_member(QueueId queue, AgentId agent) {
  connection_.execute("DELETE FROM queue_members WHERE queue_id = ? AND agent_id = ?",
                      {raw(queue), raw(agent)});
}

std::vector<QueueMember> QueueRepository::members(QueueId queue) {
  std::vector<QueueMember> members;
  for (const Row& row :
       connection_.query("SELECT queue_id, agent_id, penalty FROM queue_members WHERE queue_id = ? "
                         "ORDER BY penalty, agent_id",
                         {raw(queue)})) {
    members.push_back({row.id<QueueId>(0), row.id<AgentId>(1), static_cast<int>(row.int64(2))});
  }
  return members;
}

std::vector<QueueMember> QueueRepository::memberships_of(AgentId agent) {
  std::vector<QueueMember> members;
  for (const Row& row :
       connection_.query("SELECT queue_id, agent_id, penalty FROM queue_members WHERE agent_id = ? "
                         "ORDER BY queue_id",
                         {raw(agent)})) {
    members.push_back({row.id<QueueId>(0), row.id<AgentId>(1), static_cast<int>(row.int64(2))});
  }
  return members;
}

void QueueRepository::set_required_skill(QueueId queue, SkillId skill, int min_level) {
  connection_.execute(
      "INSERT INTO queue_skills (queue_id, skill_id, min_level) VALUES (?, ?, ?) "
      "ON CONFLICT (queue_id, skill_id) DO UPDATE SET min_level = excluded.min_level",
      {raw(queue), raw(skill), std::int64_t{min_level}});
}

void QueueRepository::remove_required_skill(QueueId queue, SkillId skill) {
  connection_.execute("DELETE FROM queue_skills WHERE queue_id = ? AND skill_id = ?",
                      {raw(queue), raw(skill)});
}

std::vector<QueueSkillRequirement> QueueRepository::required_skills(QueueId queue) {
  std::vector<QueueSkillRequirement> skills;
  for (const Row& row : connection_.query(
           "SELECT skill_id, min_level FROM queue_skills WHERE queue_id = ? ORDER BY skill_id",
           {raw(queue)})) {
    skills.push_back({row.id<SkillId>(0), static_cast<int>(row.int64(1))});
  }
  return skills;
}

void QueueEventLog::append(const QueueEvent& e) {
  connection_.execute(
      "INSERT INTO queue_events (call_id, queue_id, agent_id, kind, at, details) "
      "VALUES (?, ?, ?, ?, ?, ?)",
      {e.call_id, nullable(e.queue), nullable(e.agent), std::string(to_string(e.kind)),
       to_epoch_ms(e.at), e.details});
}

void QueueEventLog::append_all(std::span<const QueueEvent> events) {
  Transaction tx(connection_);
  for (const QueueEvent& e : events) append(e);
  tx.commit();
}

std::vector<QueueEvent> QueueEventLog::for_call(const std::string& call_id) {
  std::vector<QueueEvent> events;
  for (const Row& row :
       connection_.query("SELECT call_id, queue_id, agent_id, kind, at, details FROM queue_events "
                         "WHERE call_id = ? ORDER BY at, id",
                         {call_id})) {
    events.push_back({row.text(0), row.optional_id<QueueId>(1), row.optional_id<AgentId>(2),
                      row.enumeration<QueueEventKind>(3), row.time(4), row.text(5)});
  }
  return events;
}

}  // namespace kefu::store
