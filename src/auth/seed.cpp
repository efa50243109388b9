#include "auth/seed.hpp"

#include <array>
#include <stdexcept>

#include "auth/audit_log.hpp"
#include "auth/auth_service.hpp"
#include "auth/directory.hpp"

namespace kefu::auth {
namespace {

struct SeedUser {
  std::string login;
  std::string display_name;
  std::string password;
  Role role = Role::agent;
  std::optional<DepartmentId> department;
  std::optional<std::string> agent_number;
};

Seeded create_unless_present(store::Connection& connection, const SeedUser& seed, PasswordCost cost,
                             Timestamp now) {
  UserRepository users(connection);
  if (users.find_by_login(seed.login)) return Seeded::already_there;
  User user;
  user.login = seed.login;
  user.display_name = seed.display_name;
  user.role = seed.role;
  user.department = seed.department;
  user.agent_number = seed.agent_number;
  user.created_at = user.updated_at = now;
  store::Transaction tx(connection);
  const UserId id = users.create(user, hash_password(seed.password, cost));
  AuditEntry entry;
  entry.at = now;
  entry.actor = Actor::system();
  entry.action = "create";
  entry.entity = "user";
  entry.entity_id = std::to_string(store::raw(id));
  entry.after_json = audit_json(*users.find(id));
  AuditLog(connection).append(entry);
  tx.commit();
  return Seeded::created;
}

DepartmentId department_named(store::Connection& connection, const std::string& name,
                              std::optional<DepartmentId> parent, Timestamp now) {
  DepartmentRepository departments(connection);
  if (auto found = departments.find_by_name(name, parent)) return found->id;
  store::Transaction tx(connection);
  const DepartmentId id = departments.create(name, parent, now);
  AuditEntry entry;
  entry.at = now;
  entry.actor = Actor::system();
  entry.action = "create";
  entry.entity = "department";
  entry.entity_id = std::to_string(store::raw(id));
  entry.after_json = audit_json(*departments.find(id));
  AuditLog(connection).append(entry);
  tx.commit();
  return id;
}

}  // namespace

bool valid_login(std::string_view login) {
  if (login.empty() || login.size() > 64) return false;
  for (std::size_t i = 0; i < login.size(); ++i) {
    const char c = login[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-'))) return false;
  }
  return true;
}

Seeded ensure_admin(store::Connection& connection, const std::string& login,
                    const std::string& password, PasswordCost cost, Clock clock) {
  if (!valid_login(login))
    throw std::invalid_argument("invalid administrator login '" + login + "'");
  // The password is never part of a message.
  if (password.size() < 8 || password.size() > 1024) {
    throw std::invalid_argument("the administrator password must be 8 to 1024 bytes long");
  }
  return create_unless_present(connection, {login, login, password, Role::admin, {}, {}}, cost,
                               clock());
}

int seed_demo_users(store::Connection& connection, PasswordCost cost, Clock clock) {
  const Timestamp now = clock();
  const DepartmentId center = department_named(connection, "客服中心", std::nullopt, now);
  const DepartmentId team1 = department_named(connection, "客服一组", center, now);
  const DepartmentId team2 = department_named(connection, "客服二组", center, now);
  std::vector<SeedUser> people{
      {"admin", "系统管理员", "admin123", Role::admin, center, {}},
      {"supervisor", "王芳", "super123", Role::supervisor, team1, {}},
      {"leader", "张伟", "leader123", Role::team_leader, team2, {}},
  };
  constexpr std::array<const char*, 10> agent_names{"李娜", "王强", "刘洋", "陈静", "杨磊",
                                                    "赵敏", "黄涛", "周丽", "吴刚", "郑爽"};
  for (int i = 0; i < 10; ++i) {
    const std::string number = std::to_string(1001 + i);
    people.push_back({number, agent_names[static_cast<std::size_t>(i)], "demo" + number,
                      Role::agent, i < 5 ? team1 : team2, number});
  }
  int created = 0;
  for (const auto& person : people) {
    if (create_unless_present(connection, person, cost, now) == Seeded::created) ++created;
  }
  return created;
}

}  // namespace kefu::auth
