#pragma once
// Agents (工号, name, extensions, presence flag), skills and the append-only agent state log.
// Repositories are thin, stateless views over a Connection; construct one inside a storage job.
#include <optional>
#include <string>
#include <vector>

#include "store/database.hpp"

namespace kefu::store {

struct Agent {
  AgentId id{};              // assigned by create()
  std::string agent_number;  // 工号, e.g. "1001"; unique
  std::string name;
  std::string password_hash;  // filled by the API issue (argon2id); never the password itself
  std::vector<std::string> extensions;  // SIP user parts registered through the registrar
  PresenceFollowsPhone presence_follows_phone = PresenceFollowsPhone::no;
  RecordCalls record_calls = RecordCalls::no;  // for queues with RecordingPolicy::chosen_agents
};

struct Skill {
  SkillId id{};
  std::string name;
};

struct AgentSkill {
  SkillId skill{};
  int level = 1;  // 1–10
};

struct AgentStateChange {
  AgentId agent{};
  AgentState state = AgentState::logged_out;
  std::string reason;  // NotReady reason code, or what caused the change
  Timestamp at{};
};

class AgentRepository {
 public:
  explicit AgentRepository(Connection& connection) : connection_(connection) {}

  AgentId create(const Agent& agent);  // agent.id is ignored
  void update(const Agent& agent);     // throws not_found
  void remove(AgentId id);
  std::optional<Agent> find(AgentId id);
  std::optional<Agent> find_by_number(const std::string& agent_number);
  std::optional<Agent> find_by_extension(const std::string& extension);
  std::vector<Agent> list();

  void set_skill(AgentId agent, SkillId skill, int level);  // insert or change the level
  void remove_skill(AgentId agent, SkillId skill);
  std::vector<AgentSkill> skills_of(AgentId agent);

 private:
  std::optional<Agent> find_where(std::string_view sql, const Value& key);
  void load_extensions(Agent& agent);
  void replace_extensions(const Agent& agent);
  Connection& connection_;
};

class SkillRepository {
 public:
  explicit SkillRepository(Connection& connection) : connection_(connection) {}
  SkillId create(const std::string& name);
  std::optional<Skill> find_by_name(const std::string& name);
  std::vector<Skill> list();

 private:
  Connection& connection_;
};

class AgentStateLog {
 public:
  explicit AgentStateLog(Connection& connection) : connection_(connection) {}
  void append(const AgentStateChange& change);
  // Changes of one agent at or after `since`, oldest first.
  std::vector<AgentStateChange> for_agent(AgentId agent, Timestamp since);

 private:
  Connection& connection_;
};

}  // namespace kefu::store
