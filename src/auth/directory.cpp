#include "auth/directory.hpp"

#include <unordered_map>

namespace kefu::auth {
namespace {

using store::Row;
using store::Value;

constexpr std::string_view user_columns =
    "id, login, display_name, department_id, role, disabled, agent_number, created_at, "
    "updated_at";

User read_user(const Row& row) {
  User user;
  user.id = row.id<UserId>(0);
  user.login = row.text(1);
  user.display_name = row.text(2);
  user.department = row.optional_id<DepartmentId>(3);
  user.role = row.enumeration<Role>(4);
  user.status = row.int64(5) != 0 ? UserStatus::disabled : UserStatus::active;
  if (!row.is_null(6)) user.agent_number = row.text(6);
  user.created_at = row.time(7);
  user.updated_at = row.time(8);
  return user;
}

Department read_department(const Row& row) {
  return {row.id<DepartmentId>(0), row.text(1), row.optional_id<DepartmentId>(2), row.time(3)};
}

Value optional_text(const std::optional<std::string>& text) {
  if (!text) return nullptr;
  return *text;
}

Value optional_department(const std::optional<DepartmentId>& id) {
  if (!id) return nullptr;
  return store::raw(*id);
}

// LIKE pattern for "contains `text`", with the pattern characters escaped (ESCAPE '\').
std::string contains_pattern(const std::string& text) {
  std::string pattern = "%";
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') pattern.push_back('\\');
    pattern.push_back(c);
  }
  pattern.push_back('%');
  return pattern;
}

std::string ascii_lower(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

}  // namespace

DepartmentId DepartmentRepository::create(const std::string& name,
                                          std::optional<DepartmentId> parent, Timestamp at) {
  auto row = connection_.query_one(
      "INSERT INTO departments (name, parent_id, created_at) VALUES (?, ?, ?) RETURNING id",
      {name, optional_department(parent), store::to_epoch_ms(at)});
  return row->id<DepartmentId>(0);
}

std::optional<Department> DepartmentRepository::find(DepartmentId id) {
  auto row = connection_.query_one(
      "SELECT id, name, parent_id, created_at FROM departments WHERE id = ?", {store::raw(id)});
  if (!row) return std::nullopt;
  return read_department(*row);
}

std::optional<Department> DepartmentRepository::find_by_name(const std::string& name,
                                                             std::optional<DepartmentId> parent) {
  // `parent_id = NULL` is never true, and `IS ?` is SQLite only: two statements.
  auto row = parent ? connection_.query_one(
                          "SELECT id, name, parent_id, created_at FROM departments "
                          "WHERE name = ? AND parent_id = ?",
                          {name, store::raw(*parent)})
                    : connection_.query_one(
                          "SELECT id, name, parent_id, created_at FROM departments "
                          "WHERE name = ? AND parent_id IS NULL",
                          {name});
  if (!row) return std::nullopt;
  return read_department(*row);
}

std::vector<Department> DepartmentRepository::list() {
  std::vector<Department> out;
  for (const auto& row :
       connection_.query("SELECT id, name, parent_id, created_at FROM departments ORDER BY id")) {
    out.push_back(read_department(row));
  }
  return out;
}

UserId UserRepository::create(const User& user, const std::string& password_hash) {
  store::Transaction tx(connection_);
  auto row = connection_.query_one(
      "INSERT INTO users (login, display_name, department_id, role, password_hash, agent_number, "
      "disabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
      {user.login, user.display_name, optional_department(user.department),
       std::string(store::to_string(user.role)), password_hash, optional_text(user.agent_number),
       std::int64_t{user.status == UserStatus::disabled ? 1 : 0},
       store::to_epoch_ms(user.created_at), store::to_epoch_ms(user.updated_at)});
  User created = user;
  created.id = row->id<UserId>(0);
  replace_overrides(created);
  tx.commit();
  return created.id;
}

void UserRepository::update(const User& user) {
  store::Transaction tx(connection_);
  auto changed = connection_.execute(
      "UPDATE users SET display_name = ?, department_id = ?, role = ?, agent_number = ?, "
      "updated_at = ? WHERE id = ?",
      {user.display_name, optional_department(user.department),
       std::string(store::to_string(user.role)), optional_text(user.agent_number),
       store::to_epoch_ms(user.updated_at), store::raw(user.id)});
  if (changed == 0) {
    throw store::StoreError(store::StoreErrorKind::not_found,
                            "no user " + std::to_string(store::raw(user.id)));
  }
  replace_overrides(user);
  tx.commit();
}

void UserRepository::set_password_hash(UserId id, const std::string& password_hash, Timestamp at) {
  auto changed =
      connection_.execute("UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?",
                          {password_hash, store::to_epoch_ms(at), store::raw(id)});
  if (changed == 0) {
    throw store::StoreError(store::StoreErrorKind::not_found,
                            "no user " + std::to_string(store::raw(id)));
  }
}

void UserRepository::set_status(UserId id, UserStatus status, Timestamp at) {
  auto changed = connection_.execute("UPDATE users SET disabled = ?, updated_at = ? WHERE id = ?",
                                     {std::int64_t{status == UserStatus::disabled ? 1 : 0},
                                      store::to_epoch_ms(at), store::raw(id)});
  if (changed == 0) {
    throw store::StoreError(store::StoreErrorKind::not_found,
                            "no user " + std::to_string(store::raw(id)));
  }
}

std::optional<User> UserRepository::find_where(std::string_view condition, const Value& key) {
  auto rows = connection_.query(
      "SELECT " + std::string(user_columns) + " FROM users WHERE " + std::string(condition), {key});
  if (rows.empty()) return std::nullopt;
  std::vector<User> users{read_user(rows.front())};
  load_overrides(users);
  return std::move(users.front());
}

std::optional<User> UserRepository::find(UserId id) {
  return find_where("id = ?", store::raw(id));
}

std::optional<User> UserRepository::find_by_login(const std::string& login) {
  return find_where("login = ?", login);
}

std::optional<User> UserRepository::find_by_agent_number(const std::string& agent_number) {
  return find_where("agent_number = ?", agent_number);
}

std::optional<std::string> UserRepository::password_hash(UserId id) {
  auto row =
      connection_.query_one("SELECT password_hash FROM users WHERE id = ?", {store::raw(id)});
  if (!row) return std::nullopt;
  return row->text(0);
}

UserPage UserRepository::list(const UserFilter& filter) {
  // Every value is a bound parameter; only fixed SQL text is concatenated.
  std::string where = "1=1";
  std::vector<Value> params;
  if (filter.scope) where += " AND " + filter.scope->sql_condition("id", "department_id", params);
  if (filter.departments) {
    if (filter.departments->empty()) {
      where += " AND 1=0";
    } else {
      where += " AND department_id IN (";
      for (std::size_t i = 0; i < filter.departments->size(); ++i) {
        where += i == 0 ? "?" : ", ?";
        params.emplace_back(store::raw((*filter.departments)[i]));
      }
      where += ")";
    }
  }
  if (filter.role) {
    where += " AND role = ?";
    params.emplace_back(std::string(store::to_string(*filter.role)));
  }
  if (!filter.text.empty()) {
    const std::string pattern = contains_pattern(ascii_lower(filter.text));
    where += " AND (LOWER(login) LIKE ? ESCAPE '\\' OR LOWER(display_name) LIKE ? ESCAPE '\\')";
    params.emplace_back(pattern);
    params.emplace_back(pattern);
  }
  UserPage page;
  auto count = connection_.query("SELECT COUNT(*) FROM users WHERE " + where, params);
  page.total = count.empty() ? 0 : count.front().int64(0);
  params.emplace_back(filter.limit);
  params.emplace_back(filter.offset);
  for (const auto& row :
       connection_.query("SELECT " + std::string(user_columns) + " FROM users WHERE " + where +
                             " ORDER BY login LIMIT ? OFFSET ?",
                         params)) {
    page.items.push_back(read_user(row));
  }
  load_overrides(page.items);
  return page;
}

void UserRepository::load_overrides(std::vector<User>& users) {
  if (users.empty()) return;
  std::string sql = "SELECT user_id, permission, effect FROM user_permissions WHERE user_id IN (";
  std::vector<Value> params;
  std::unordered_map<std::int64_t, User*> by_id;
  for (std::size_t i = 0; i < users.size(); ++i) {
    sql += i == 0 ? "?" : ", ?";
    params.emplace_back(store::raw(users[i].id));
    users[i].overrides.clear();
    by_id[store::raw(users[i].id)] = &users[i];
  }
  sql += ") ORDER BY user_id, permission";
  for (const auto& row : connection_.query(sql, params)) {
    auto found = by_id.find(row.int64(0));
    if (found == by_id.end()) continue;
    found->second->overrides.push_back(
        {row.enumeration<Permission>(1), row.enumeration<PermissionEffect>(2)});
  }
}

void UserRepository::replace_overrides(const User& user) {
  connection_.execute("DELETE FROM user_permissions WHERE user_id = ?", {store::raw(user.id)});
  for (const auto& o : user.overrides) {
    connection_.execute(
        "INSERT INTO user_permissions (user_id, permission, effect) VALUES (?, ?, ?)",
        {store::raw(user.id), std::string(store::to_string(o.permission)),
         std::string(store::to_string(o.effect))});
  }
}

}  // namespace kefu::auth
