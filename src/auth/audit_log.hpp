#pragma once
// The audit log: one row per write through the API — who, when, from where, what (action,
// entity, id) and the entity before and after as JSON (no secrets: snapshots never include
// password hashes, tokens or keys). Append-only; other modules write their own entities
// ("customer", "ticket") through the same repository.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "auth/types.hpp"
#include "store/database.hpp"

namespace kefu::auth {

// Who did it: a signed-in user, or the system (start-up, seeding) with no user id.
struct Actor {
  std::optional<UserId> user;
  std::string login;
  std::string client_ip;
  static Actor system() { return {std::nullopt, "system", ""}; }
};

struct AuditEntry {
  std::int64_t id = 0;  // assigned by append()
  Timestamp at{};
  Actor actor;
  std::string action;                      // "create", "update", "disable", "login", …
  std::string entity;                      // "user", "department", "api_key", …
  std::string entity_id;                   // the entity's id as text
  std::optional<std::string> before_json;  // absent for a creation
  std::optional<std::string> after_json;   // absent for a deletion
};

struct AuditQuery {
  std::string entity;     // empty: any
  std::string entity_id;  // empty: any
  std::optional<UserId> actor;
  std::int64_t limit = 100;
};

class AuditLog {
 public:
  explicit AuditLog(store::Connection& connection) : connection_(connection) {}
  std::int64_t append(const AuditEntry& entry);
  std::vector<AuditEntry> list(const AuditQuery& query);  // newest first

 private:
  store::Connection& connection_;
};

}  // namespace kefu::auth
