#pragma once
// Value types of people and permissions: typed ids, roles, permissions, data scopes. Enums are
// stored by name (store::EnumNames, specialised below) so that rows read well in a SQL shell and
// a new enumerator never changes the meaning of old rows.
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>
#include <utility>

#include "store/types.hpp"

namespace kefu::auth {

enum class UserId : std::int64_t {};
enum class DepartmentId : std::int64_t {};
enum class ApiKeyId : std::int64_t {};

using store::Millis;
using store::Timestamp;

// Wall-clock time, injected so that tests move it by hand (session time-outs, back-off).
using Clock = std::function<Timestamp()>;
inline Clock system_clock() {
  return [] { return std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now()); };
}

// 班长 is the team leader: a supervisor of one team, with fewer rights than a supervisor.
enum class Role { admin, supervisor, team_leader, agent, back_office };

enum class UserStatus { active, disabled };

// What a caller may do. Roles give defaults (permissions.cpp); a user's individual grants and
// revocations apply on top. `data_all` widens every data scope to everything.
enum class Permission {
  users_read,
  users_write,
  departments_write,
  api_keys_manage,
  audit_read,
  agents_read,
  agents_control,
  queues_read,
  queues_write,
  calls_monitor,
  calls_control,
  customers_read,
  customers_write,
  tickets_read,
  tickets_write,
  recordings_read,
  reports_read,
  settings_write,
  data_all,
};

// An individual permission on top of the role: granted, or taken away from the role's defaults.
enum class PermissionEffect { grant, revoke };

// Which rows of a resource a caller sees: their own, their department and every department under
// it, or all.
enum class ScopeKind { own, department, all };

// Resources whose rows belong to a user and a department, for scope_for().
enum class Resource { users, customers, tickets, calls, recordings, agents };

// How a request proved who it comes from. Sessions (browser cookies) need a CSRF header on
// writes; API keys (Authorization: Bearer) cannot be sent by a browser on its own and need none.
enum class CredentialKind { session, api_key };

}  // namespace kefu::auth

namespace kefu::store {

template <>
struct EnumNames<auth::Role> {
  static constexpr std::array<std::pair<auth::Role, std::string_view>, 5> values{{
      {auth::Role::admin, "admin"},
      {auth::Role::supervisor, "supervisor"},
      {auth::Role::team_leader, "team_leader"},
      {auth::Role::agent, "agent"},
      {auth::Role::back_office, "back_office"},
  }};
};
template <>
struct EnumNames<auth::UserStatus> {
  static constexpr std::array<std::pair<auth::UserStatus, std::string_view>, 2> values{{
      {auth::UserStatus::active, "active"},
      {auth::UserStatus::disabled, "disabled"},
  }};
};
template <>
struct EnumNames<auth::Permission> {
  static constexpr std::array<std::pair<auth::Permission, std::string_view>, 19> values{{
      {auth::Permission::users_read, "users.read"},
      {auth::Permission::users_write, "users.write"},
      {auth::Permission::departments_write, "departments.write"},
      {auth::Permission::api_keys_manage, "api_keys.manage"},
      {auth::Permission::audit_read, "audit.read"},
      {auth::Permission::agents_read, "agents.read"},
      {auth::Permission::agents_control, "agents.control"},
      {auth::Permission::queues_read, "queues.read"},
      {auth::Permission::queues_write, "queues.write"},
      {auth::Permission::calls_monitor, "calls.monitor"},
      {auth::Permission::calls_control, "calls.control"},
      {auth::Permission::customers_read, "customers.read"},
      {auth::Permission::customers_write, "customers.write"},
      {auth::Permission::tickets_read, "tickets.read"},
      {auth::Permission::tickets_write, "tickets.write"},
      {auth::Permission::recordings_read, "recordings.read"},
      {auth::Permission::reports_read, "reports.read"},
      {auth::Permission::settings_write, "settings.write"},
      {auth::Permission::data_all, "data.all"},
  }};
};
template <>
struct EnumNames<auth::PermissionEffect> {
  static constexpr std::array<std::pair<auth::PermissionEffect, std::string_view>, 2> values{{
      {auth::PermissionEffect::grant, "grant"},
      {auth::PermissionEffect::revoke, "revoke"},
  }};
};
template <>
struct EnumNames<auth::ScopeKind> {
  static constexpr std::array<std::pair<auth::ScopeKind, std::string_view>, 3> values{{
      {auth::ScopeKind::own, "own"},
      {auth::ScopeKind::department, "department"},
      {auth::ScopeKind::all, "all"},
  }};
};
template <>
struct EnumNames<auth::Resource> {
  static constexpr std::array<std::pair<auth::Resource, std::string_view>, 6> values{{
      {auth::Resource::users, "users"},
      {auth::Resource::customers, "customers"},
      {auth::Resource::tickets, "tickets"},
      {auth::Resource::calls, "calls"},
      {auth::Resource::recordings, "recordings"},
      {auth::Resource::agents, "agents"},
  }};
};
template <>
struct EnumNames<auth::CredentialKind> {
  static constexpr std::array<std::pair<auth::CredentialKind, std::string_view>, 2> values{{
      {auth::CredentialKind::session, "session"},
      {auth::CredentialKind::api_key, "api_key"},
  }};
};

}  // namespace kefu::store

namespace kefu::auth {

inline constexpr std::size_t kPermissionCount = store::EnumNames<Permission>::values.size();

}  // namespace kefu::auth
