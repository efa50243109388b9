#include "auth/audit_log.hpp"

namespace kefu::auth {
namespace {

store::Value optional_text(const std::optional<std::string>& text) {
  if (!text) return nullptr;
  return *text;
}

}  // namespace

std::int64_t AuditLog::append(const AuditEntry& entry) {
  store::Value actor_id = nullptr;
  if (entry.actor.user) actor_id = store::raw(*entry.actor.user);
  auto row = connection_.query_one(
      "INSERT INTO audit_log (at, actor_user_id, actor_login, client_ip, action, entity, "
      "entity_id, before_json, after_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
      {store::to_epoch_ms(entry.at), actor_id, entry.actor.login, entry.actor.client_ip,
       entry.action, entry.entity, entry.entity_id, optional_text(entry.before_json),
       optional_text(entry.after_json)});
  return row->int64(0);
}

std::vector<AuditEntry> AuditLog::list(const AuditQuery& query) {
  std::string sql =
      "SELECT id, at, actor_user_id, actor_login, client_ip, action, entity, entity_id, "
      "before_json, after_json FROM audit_log WHERE 1=1";
  std::vector<store::Value> params;
  if (!query.entity.empty()) {
    sql += " AND entity = ?";
    params.emplace_back(query.entity);
  }
  if (!query.entity_id.empty()) {
    sql += " AND entity_id = ?";
    params.emplace_back(query.entity_id);
  }
  if (query.actor) {
    sql += " AND actor_user_id = ?";
    params.emplace_back(store::raw(*query.actor));
  }
  sql += " ORDER BY id DESC LIMIT ?";
  params.emplace_back(query.limit);
  std::vector<AuditEntry> out;
  for (const auto& row : connection_.query(sql, params)) {
    AuditEntry entry;
    entry.id = row.int64(0);
    entry.at = row.time(1);
    entry.actor.user = row.optional_id<UserId>(2);
    entry.actor.login = row.text(3);
    entry.actor.client_ip = row.text(4);
    entry.action = row.text(5);
    entry.entity = row.text(6);
    entry.entity_id = row.text(7);
    if (!row.is_null(8)) entry.before_json = row.text(8);
    if (!row.is_null(9)) entry.after_json = row.text(9);
    out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace kefu::auth
