#pragma once
// Sign-in, request authentication and the audited administration of users, departments and API
// keys. Methods that touch the database take the Connection of the storage job they run in;
// password hashing (argon2id, ~0.1 s and 64 MiB each) is separate (hash_password,
// check_password) so that callers run it off the storage threads. Thread-safe: the only
// mutable state is the login throttle, which locks, and an atomic change counter.
//
// Sessions: a random 128-bit token (32 hex characters) in an HttpOnly cookie, stored as its
// SHA-256. A session ends after `session_idle_timeout` without a request, at
// `session_absolute_timeout` after sign-in whatever happens, at logout, and when its user is
// disabled or changes password. Every sign-in creates a new token (and ends the one the client
// sent, if any), so a token planted before sign-in is never promoted. The CSRF token writes
// must echo is derived from the session token (SHA-256 with a label): nothing more to store, and
// it reveals neither the session token nor its stored hash.
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/audit_log.hpp"
#include "auth/credential_cache.hpp"
#include "auth/credentials.hpp"
#include "auth/crypto.hpp"
#include "auth/directory.hpp"
#include "auth/login_throttle.hpp"
#include "auth/permissions.hpp"
#include "common/result.hpp"

namespace kefu::auth {

struct AuthSettings {
  Millis session_idle_timeout{30 * 60 * 1000};
  Millis session_absolute_timeout{12 * 60 * 60 * 1000};
  // last_seen_at is written at most this often (a write per request would be a write per
  // request); the idle time-out is therefore exact to within this interval.
  Millis session_touch_interval{60 * 1000};
  PasswordCost password_cost = PasswordCost::interactive();
  ThrottlePolicy throttle;
};

enum class LoginFailure { invalid_credentials, throttled };
struct LoginRefusal {
  LoginFailure reason = LoginFailure::invalid_credentials;
  Millis retry_after{0};  // for `throttled`
};

// What a sign-in found in the database, before the password is checked.
struct LoginCandidate {
  std::string login;  // normalised
  std::string client_ip;
  std::optional<User> user;  // absent: no such (or a disabled) user
  std::string password_hash;
};

struct LoginSuccess {
  std::string session_token;  // for the cookie; not stored anywhere
  std::string csrf_token;
  Timestamp expires_at{};
  Identity identity;
};

struct NewUser {
  User profile;  // id, status and times are set by create_user
  std::string password_hash;
};

// Fields left empty are not changed. The nested optionals set or clear a nullable column.
struct UserChanges {
  std::optional<std::string> display_name;
  std::optional<std::optional<DepartmentId>> department;
  std::optional<Role> role;
  std::optional<std::optional<std::string>> agent_number;
  std::optional<std::vector<PermissionOverride>> overrides;
};

struct CreatedApiKey {
  ApiKey key;
  std::string secret;  // the full key: shown once, never stored
};

class AuthService {
 public:
  AuthService(AuthSettings settings, Clock clock);

  const AuthSettings& settings() const { return settings_; }
  Timestamp now() const { return clock_(); }

  // --- Sign-in in three steps, so that the slow step can run on its own thread:
  // 1 (storage): refuses at once when throttled, else loads the login's credentials.
  Result<LoginCandidate, LoginRefusal> begin_login(store::Connection& connection,
                                                   std::string_view login,
                                                   std::string_view client_ip);
  // 2 (any thread, slow): whether the password is right. Unknown logins are checked against a
  // dummy hash, so the answer takes as long whether or not the login exists.
  bool check_password(const LoginCandidate& candidate, std::string_view password) const;
  // 3 (storage): the new session, or the refusal. `previous_token` (the cookie the client sent,
  // if any) is ended either way on success.
  Result<LoginSuccess, LoginRefusal> finish_login(store::Connection& connection,
                                                  const LoginCandidate& candidate, bool password_ok,
                                                  std::string_view previous_token = {});
  // All three in a row (tests, tools).
  Result<LoginSuccess, LoginRefusal> login(store::Connection& connection, std::string_view login,
                                           std::string_view password, std::string_view client_ip,
                                           std::string_view previous_token = {});

  // --- Requests. nullopt: no such credential, expired, revoked, or the user is disabled.
  std::optional<Identity> authenticate_session(store::Connection& connection,
                                               std::string_view token);
  std::optional<Identity> authenticate_api_key(store::Connection& connection, std::string_view key);
  // The same, with how long the answer may be reused (the session's own limits) and the
  // credential generation read before the look-up: what CredentialCache keeps.
  std::optional<VerifiedCredential> verify_session(store::Connection& connection,
                                                   std::string_view token);
  std::optional<VerifiedCredential> verify_api_key(store::Connection& connection,
                                                   std::string_view key);
  // Counts the changes that can end or alter a verified credential: logout, a user's status,
  // password, role, permissions or department, a new department (subtrees), a revoked key.
  std::uint64_t credential_generation() const {
    return credential_generation_.load(std::memory_order_acquire);
  }
  void logout(store::Connection& connection, std::string_view token, const Actor& actor);
  static std::string csrf_token_for(std::string_view session_token);
  // Deletes sessions past either time-out (housekeeping; expired sessions are refused anyway).
  std::int64_t remove_expired_sessions(store::Connection& connection);

  // The identity of `user` (effective permissions, department subtree).
  Identity identity_of(store::Connection& connection, const User& user, CredentialKind credential,
                       std::string csrf_token = {});

  // --- Passwords: slow; call off the storage threads.
  std::string hash_password(std::string_view password) const;

  // --- Administration. Each write and its audit row commit together. Throw StoreError:
  // not_found for an unknown id, constraint for a taken login or agent number.
  User create_user(store::Connection& connection, const NewUser& user, const Actor& actor);
  User update_user(store::Connection& connection, UserId id, const UserChanges& changes,
                   const Actor& actor);
  // Disabling ends every session of the user at once.
  User set_user_status(store::Connection& connection, UserId id, UserStatus status,
                       const Actor& actor);
  // Ends every session of the user: a password change is how a stolen session is cut off.
  void set_password_hash(store::Connection& connection, UserId id, const std::string& hash,
                         const Actor& actor);
  Department create_department(store::Connection& connection, const std::string& name,
                               std::optional<DepartmentId> parent, const Actor& actor);
  CreatedApiKey create_api_key(store::Connection& connection, UserId owner, const std::string& name,
                               const Actor& actor);
  // False when the key is unknown or already revoked.
  bool revoke_api_key(store::Connection& connection, ApiKeyId id, const Actor& actor);

  LoginThrottle& throttle() { return throttle_; }

 private:
  std::optional<Identity> session_identity(store::Connection& connection,
                                           const StoredSession& session, std::string_view token);
  void credentials_changed() { credential_generation_.fetch_add(1, std::memory_order_acq_rel); }
  void audit(store::Connection& connection, const Actor& actor, std::string action,
             std::string entity, std::string entity_id, std::optional<std::string> before,
             std::optional<std::string> after);

  AuthSettings settings_;
  Clock clock_;
  LoginThrottle throttle_;
  std::string dummy_hash_;  // for unknown logins (check_password)
  std::atomic<std::uint64_t> credential_generation_{0};
};

// Audit snapshots (JSON text, never with secrets).
std::string audit_json(const User& user);
std::string audit_json(const Department& department);
std::string audit_json(const ApiKey& key);

// Credential formats, checked before any database lookup.
bool looks_like_session_token(std::string_view token);
bool looks_like_api_key(std::string_view key);

}  // namespace kefu::auth
