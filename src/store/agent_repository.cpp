#include "store/agent_repository.hpp"

namespace kefu::store {
namespace {

constexpr std::string_view agent_columns =
    "SELECT id, agent_number, name, password_hash, presence_follows_phone, record_calls "
    "FROM agents ";

Agent agent_from(const Row& row) {
  Agent agent;
  agent.id = row.id<AgentId>(0);
  agent.agent_number = row.text(1);
  agent.name = row.text(2);
  agent.password_hash = row.text(3);
  agent.presence_follows_phone =
      row.int64(4) != 0 ? PresenceFollowsPhone::yes : PresenceFollowsPhone::no;
  agent.record_calls = row.int64(5) != 0 ? RecordCalls::yes : RecordCalls::no;
  return agent;
}

std::int64_t flag(PresenceFollowsPhone v) {
  return v == PresenceFollowsPhone::yes ? 1 : 0;
}
std::int64_t flag(RecordCalls v) {
  return v == RecordCalls::yes ? 1 : 0;
}

}  // namespace

AgentId AgentRepository::create(const Agent& agent) {
  Transaction tx(connection_);
  auto row = connection_.query_one(
      "INSERT INTO agents (agent_number, name, password_hash, presence_follows_phone, "
      "record_calls) VALUES (?, ?, ?, ?, ?) RETURNING id",
      {agent.agent_number, agent.name, agent.password_hash, flag(agent.presence_follows_phone),
       flag(agent.record_calls)});
  const auto id = row->id<AgentId>(0);
  Agent stored = agent;
  stored.id = id;
  replace_extensions(stored);
  tx.commit();
  return id;
}

void AgentRepository::update(const Agent& agent) {
  Transaction tx(connection_);
  auto changed = connection_.execute(
      "UPDATE agents SET agent_number = ?, name = ?, password_hash = ?, "
      "presence_follows_phone = ?, record_calls = ? WHERE id = ?",
      {agent.agent_number, agent.name, agent.password_hash, flag(agent.presence_follows_phone),
       flag(agent.record_calls), raw(agent.id)});
  if (changed == 0) throw StoreError(StoreErrorKind::not_found, "no agent " + agent.agent_number);
  replace_extensions(agent);
  tx.commit();
}

void AgentRepository::remove(AgentId id) {
  connection_.execute("DELETE FROM agents WHERE id = ?", {raw(id)});
}

std::optional<Agent> AgentRepository::find_where(std::string_view where, const Value& key) {
  const std::string sql = std::string(agent_columns) + std::string(where);
  auto rows = connection_.query(sql, std::span<const Value>(&key, 1));
  if (rows.empty()) return std::nullopt;
  Agent agent = agent_from(rows.front());
  load_extensions(agent);
  return agent;
}

std::optional<Agent> AgentRepository::find(AgentId id) {
  return find_where("WHERE id = ?", raw(id));
}

std::optional<Agent> AgentRepository::find_by_number(const std::string& agent_number) {
  return find_where("WHERE agent_number = ?", agent_number);
}

std::optional<Agent> AgentRepository::find_by_extension(const std::string& extension) {
  return find_where("WHERE id = (SELECT agent_id FROM agent_extensions WHERE extension = ?)",
                    extension);
}

std::vector<Agent> AgentRepository::list() {
  std::vector<Agent> agents;
  for (const Row& row : connection_.query(std::string(agent_columns) + "ORDER BY agent_number")) {
    agents.push_back(agent_from(row));
  }
  for (Agent& agent : agents) load_extensions(agent);
  return agents;
}

void AgentRepository::load_extensions(Agent& agent) {
  agent.extensions.clear();
  for (const Row& row : connection_.query(
           "SELECT extension FROM agent_extensions WHERE agent_id = ? ORDER BY extension",
           {raw(agent.id)})) {
    agent.extensions.push_back(row.text(0));
  }
}

void AgentRepository::replace_extensions(const Agent& agent) {
  connection_.execute("DELETE FROM agent_extensions WHERE agent_id = ?", {raw(agent.id)});
  for (const std::string& extension : agent.extensions) {
    connection_.execute("INSERT INTO agent_extensions (extension, agent_id) VALUES (?, ?)",
                        {extension, raw(agent.id)});
  }
}

void AgentRepository::set_skill(AgentId agent, SkillId skill, int level) {
  connection_.execute(
      "INSERT INTO agent_skills (agent_id, skill_id, level) VALUES (?, ?, ?) "
      "ON CONFLICT (agent_id, skill_id) DO UPDATE SET level = excluded.level",
      {raw(agent), raw(skill), std::int64_t{level}});
}

void AgentRepository::remove_skill(AgentId agent, SkillId skill) {
  connection_.execute("DELETE FROM agent_skills WHERE agent_id = ? AND skill_id = ?",
                      {raw(agent), raw(skill)});
}

std::vector<AgentSkill> AgentRepository::skills_of(AgentId agent) {
  std::vector<AgentSkill> skills;
  for (const Row& row : connection_.query(
           "SELECT skill_id, level FROM agent_skills WHERE agent_id = ? ORDER BY skill_id",
           {raw(agent)})) {
    skills.push_back({row.id<SkillId>(0), static_cast<int>(row.int64(1))});
  }
  return skills;
}

SkillId SkillRepository::create(const std::string& name) {
  auto row = connection_.query_one("INSERT INTO skills (name) VALUES (?) RETURNING id", {name});
  return row->id<SkillId>(0);
}

std::optional<Skill> SkillRepository::find_by_name(const std::string& name) {
  auto row = connection_.query_one("SELECT id, name FROM skills WHERE name = ?", {name});
  if (!row) return std::nullopt;
  return Skill{row->id<SkillId>(0), row->text(1)};
}

std::vector<Skill> SkillRepository::list() {
  std::vector<Skill> skills;
  for (const Row& row : connection_.query("SELECT id, name FROM skills ORDER BY name")) {
    skills.push_back({row.id<SkillId>(0), row.text(1)});
  }
  return skills;
}

void AgentStateLog::append(const AgentStateChange& change) {
  connection_.execute(
      "INSERT INTO agent_state_changes (agent_id, state, reason, at) VALUES (?, ?, ?, ?)",
      {raw(change.agent), std::string(to_string(change.state)), change.reason,
       to_epoch_ms(change.at)});
}

std::vector<AgentStateChange> AgentStateLog::for_agent(AgentId agent, Timestamp since) {
  std::vector<AgentStateChange> changes;
  for (const Row& row :
       connection_.query("SELECT agent_id, state, reason, at FROM agent_state_changes "
                         "WHERE agent_id = ? AND at >= ? ORDER BY at, id",
                         {raw(agent), to_epoch_ms(since)})) {
    changes.push_back(
        {row.id<AgentId>(0), row.enumeration<AgentState>(1), row.text(2), row.time(3)});
  }
  return changes;
}

}  // namespace kefu::store
