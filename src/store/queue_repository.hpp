#pragma once
// Queues (settings as columns), their members and required skills, and the append-only queue
// event log.
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "store/database.hpp"

namespace kefu::store {

struct Queue {
  QueueId id{};  // assigned by create()
  std::string name;
  QueueStrategy strategy = QueueStrategy::longest_idle;
  Millis max_wait{std::chrono::minutes{5}};
  int max_length = 50;
  OverflowKind overflow = OverflowKind::goodbye;
  std::optional<QueueId> overflow_queue;  // when overflow == OverflowKind::queue
  Millis wrap_up{std::chrono::seconds{10}};
  Millis ring_timeout{std::chrono::seconds{20}};
  Millis service_level{std::chrono::seconds{20}};  // answered within this counts as in-level
  RecordingPolicy recording = RecordingPolicy::none;
  std::string music_on_hold;  // clip name; empty = the default
};

struct QueueMember {
  QueueId queue{};
  AgentId agent{};
  int penalty = 0;  // higher = offered later
};

struct QueueSkillRequirement {
  SkillId skill{};
  int min_level = 1;
};

struct QueueEvent {
  std::string call_id;
  std::optional<QueueId> queue;
  std::optional<AgentId> agent;
  QueueEventKind kind = QueueEventKind::enqueue;
  Timestamp at{};
  std::string details;  // free text or small JSON for people reading the log (not parsed by us)
};

class QueueRepository {
 public:
  explicit QueueRepository(Connection& connection) : connection_(connection) {}

  QueueId create(const Queue& queue);
  void update(const Queue& queue);  // throws not_found
  void remove(QueueId id);
  std::optional<Queue> find(QueueId id);
  std::optional<Queue> find_by_name(const std::string& name);
  std::vector<Queue> list();

  void set_member(QueueId queue, AgentId agent, int penalty);  // insert or change the penalty
  void remove_member(QueueId queue, AgentId agent);
  std::vector<QueueMember> members(QueueId queue);
  std::vector<QueueMember> memberships_of(AgentId agent);

  void set_required_skill(QueueId queue, SkillId skill, int min_level);
  void remove_required_skill(QueueId queue, SkillId skill);
  std::vector<QueueSkillRequirement> required_skills(QueueId queue);

 private:
  Connection& connection_;
};

class QueueEventLog {
 public:
  explicit QueueEventLog(Connection& connection) : connection_(connection) {}
  void append(const QueueEvent& event);
  void append_all(std::span<const QueueEvent> events);           // one transaction
  std::vector<QueueEvent> for_call(const std::string& call_id);  // oldest first

 private:
  Connection& connection_;
};

}  // namespace kefu::store
