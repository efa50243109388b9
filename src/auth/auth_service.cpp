#include "auth/auth_service.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace kefu::auth {
namespace {

using nlohmann::json;

constexpr std::string_view api_key_prefix = "kefu_";
constexpr std::size_t session_token_bytes = 16;  // 128 bits
constexpr std::size_t api_key_bytes = 32;        // 256 bits: long-lived, worth more

bool is_lower_hex(std::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

json optional_json(const std::optional<Timestamp>& at) {
  if (!at) return nullptr;
  return store::to_epoch_ms(*at);
}

std::string id_text(std::int64_t id) {
  return std::to_string(id);
}

store::StoreError not_found(std::string_view what, std::int64_t id) {
  return store::StoreError(store::StoreErrorKind::not_found,
                           "no " + std::string(what) + " " + std::to_string(id));
}

}  // namespace

bool looks_like_session_token(std::string_view token) {
  return token.size() == session_token_bytes * 2 && is_lower_hex(token);
}

bool looks_like_api_key(std::string_view key) {
  return key.size() == api_key_prefix.size() + api_key_bytes * 2 &&
         key.substr(0, api_key_prefix.size()) == api_key_prefix &&
         is_lower_hex(key.substr(api_key_prefix.size()));
}

std::string audit_json(const User& user) {
  json overrides = json::array();
  for (const auto& o : user.overrides) {
    overrides.push_back(
        {{"permission", store::to_string(o.permission)}, {"effect", store::to_string(o.effect)}});
  }
  return json{{"id", store::raw(user.id)},
              {"login", user.login},
              {"display_name", user.display_name},
              {"department_id", user.department ? json(store::raw(*user.department)) : json()},
              {"role", store::to_string(user.role)},
              {"status", store::to_string(user.status)},
              {"agent_number", user.agent_number ? json(*user.agent_number) : json()},
              {"permissions", overrides}}
      .dump();
}

std::string audit_json(const Department& department) {
  return json{{"id", store::raw(department.id)},
              {"name", department.name},
              {"parent_id", department.parent ? json(store::raw(*department.parent)) : json()}}
      .dump();
}

std::string audit_json(const ApiKey& key) {
  return json{{"id", store::raw(key.id)},
              {"user_id", store::raw(key.user)},
              {"name", key.name},
              {"prefix", key.prefix},
              {"revoked_at", optional_json(key.revoked_at)}}
      .dump();
}

AuthService::AuthService(AuthSettings settings, Clock clock)
    : settings_(settings),
      clock_(std::move(clock)),
      throttle_(settings_.throttle, clock_),
      dummy_hash_(auth::hash_password(random_hex(16), settings_.password_cost)) {}

std::string AuthService::hash_password(std::string_view password) const {
  return auth::hash_password(password, settings_.password_cost);
}

Result<LoginCandidate, LoginRefusal> AuthService::begin_login(store::Connection& connection,
                                                              std::string_view login,
                                                              std::string_view client_ip) {
  LoginCandidate candidate;
  candidate.login = normalize_login(login);
  candidate.client_ip = std::string(client_ip);
  if (auto wait = throttle_.begin_attempt(candidate.login, client_ip)) {
    return unexpected(LoginRefusal{LoginFailure::throttled, *wait});
  }
  UserRepository users(connection);
  auto user = users.find_by_login(candidate.login);
  // A disabled user is refused exactly like a wrong password: nothing tells them apart.
  if (user && user->status == UserStatus::active) {
    candidate.password_hash = users.password_hash(user->id).value_or("");
    candidate.user = std::move(user);
  }
  return candidate;
}

bool AuthService::check_password(const LoginCandidate& candidate, std::string_view password) const {
  if (!candidate.user) {
    verify_password(dummy_hash_, password);  // the same work as for a real login
    return false;
  }
  return verify_password(candidate.password_hash, password);
}

Result<LoginSuccess, LoginRefusal> AuthService::finish_login(store::Connection& connection,
                                                             const LoginCandidate& candidate,
                                                             bool password_ok,
                                                             std::string_view previous_token) {
  if (!password_ok || !candidate.user) {
    return unexpected(LoginRefusal{LoginFailure::invalid_credentials, Millis{0}});
  }
  const User& user = *candidate.user;
  const Timestamp now = clock_();
  LoginSuccess success;
  success.session_token = random_hex(session_token_bytes);
  success.csrf_token = csrf_token_for(success.session_token);
  success.expires_at = now + settings_.session_absolute_timeout;

  store::Transaction tx(connection);
  SessionRepository sessions(connection);
  if (looks_like_session_token(previous_token)) sessions.remove(sha256_hex(previous_token));
  sessions.create({sha256_hex(success.session_token), user.id, now, now, success.expires_at,
                   candidate.client_ip});
  audit(connection, {user.id, user.login, candidate.client_ip}, "login", "user",
        id_text(store::raw(user.id)), std::nullopt, std::nullopt);
  success.identity = identity_of(connection, user, CredentialKind::session, success.csrf_token);
  tx.commit();
  if (looks_like_session_token(previous_token)) credentials_changed();  // it ended
  throttle_.record_success(candidate.login, candidate.client_ip);
  return success;
}

Result<LoginSuccess, LoginRefusal> AuthService::login(store::Connection& connection,
                                                      std::string_view login,
                                                      std::string_view password,
                                                      std::string_view client_ip,
                                                      std::string_view previous_token) {
  auto candidate = begin_login(connection, login, client_ip);
  if (!candidate) return unexpected(candidate.error());
  const bool ok = check_password(*candidate, password);
  return finish_login(connection, *candidate, ok, previous_token);
}

std::string AuthService::csrf_token_for(std::string_view session_token) {
  return sha256_hex("kefu-csrf\n" + std::string(session_token));
}

Identity AuthService::identity_of(store::Connection& connection, const User& user,
                                  CredentialKind credential, std::string csrf_token) {
  Identity identity;
  identity.user_id = user.id;
  identity.login = user.login;
  identity.display_name = user.display_name;
  identity.role = user.role;
  identity.department = user.department;
  if (user.department) {
    identity.department_subtree = DepartmentRepository(connection).tree().subtree(*user.department);
  }
  identity.permissions = effective_permissions(user.role, user.overrides);
  identity.agent_number = user.agent_number;
  identity.credential = credential;
  identity.csrf_token = std::move(csrf_token);
  return identity;
}

std::optional<Identity> AuthService::authenticate_session(store::Connection& connection,
                                                          std::string_view token) {
  auto verified = verify_session(connection, token);
  if (!verified) return std::nullopt;
  return std::move(verified->identity);
}

std::optional<VerifiedCredential> AuthService::verify_session(store::Connection& connection,
                                                              std::string_view token) {
  if (!looks_like_session_token(token)) return std::nullopt;
  const std::uint64_t generation = credential_generation();
  SessionRepository sessions(connection);
  const std::string hash = sha256_hex(token);
  auto session = sessions.find(hash);
  if (!session) return std::nullopt;
  const Timestamp now = clock_();
  if (now >= session->expires_at || now - session->last_seen_at >= settings_.session_idle_timeout) {
    sessions.remove(hash);
    return std::nullopt;
  }
  auto identity = session_identity(connection, *session, token);
  if (!identity) return std::nullopt;
  // Reused only within both limits as stored (session_identity touched it if it was due; a
  // reuse from the cache is not recorded as activity).
  const Timestamp last_seen =
      now - session->last_seen_at >= settings_.session_touch_interval ? now : session->last_seen_at;
  return VerifiedCredential{
      std::move(*identity),
      std::min(session->expires_at, last_seen + settings_.session_idle_timeout), generation};
}

std::optional<Identity> AuthService::session_identity(store::Connection& connection,
                                                      const StoredSession& session,
                                                      std::string_view token) {
  // Disabling a user removes their sessions; this is the second guard.
  SessionRepository sessions(connection);
  auto user = UserRepository(connection).find(session.user);
  if (!user || user->status != UserStatus::active) {
    sessions.remove(session.token_hash);
    return std::nullopt;
  }
  const Timestamp now = clock_();
  if (now - session.last_seen_at >= settings_.session_touch_interval) {
    sessions.touch(session.token_hash, now);
  }
  return identity_of(connection, *user, CredentialKind::session, csrf_token_for(token));
}

std::optional<Identity> AuthService::authenticate_api_key(store::Connection& connection,
                                                          std::string_view key) {
  auto verified = verify_api_key(connection, key);
  if (!verified) return std::nullopt;
  return std::move(verified->identity);
}

std::optional<VerifiedCredential> AuthService::verify_api_key(store::Connection& connection,
                                                              std::string_view key) {
  if (!looks_like_api_key(key)) return std::nullopt;
  const std::uint64_t generation = credential_generation();
  ApiKeyRepository keys(connection);
  auto stored = keys.find_by_hash(sha256_hex(key));
  if (!stored || stored->revoked_at) return std::nullopt;
  auto user = UserRepository(connection).find(stored->user);
  if (!user || user->status != UserStatus::active) return std::nullopt;
  const Timestamp now = clock_();
  if (!stored->last_used_at || now - *stored->last_used_at >= settings_.session_touch_interval) {
    keys.touch(stored->id, now);
  }
  // Keys have no time limit of their own; the cache's time to live bounds the reuse.
  return VerifiedCredential{identity_of(connection, *user, CredentialKind::api_key),
                            Timestamp::max(), generation};
}

void AuthService::logout(store::Connection& connection, std::string_view token,
                         const Actor& actor) {
  if (!looks_like_session_token(token)) return;
  store::Transaction tx(connection);
  SessionRepository sessions(connection);
  const std::string hash = sha256_hex(token);
  auto session = sessions.find(hash);
  if (!session) return;
  sessions.remove(hash);
  audit(connection, actor, "logout", "user", id_text(store::raw(session->user)), std::nullopt,
        std::nullopt);
  tx.commit();
  credentials_changed();
}

std::int64_t AuthService::remove_expired_sessions(store::Connection& connection) {
  const Timestamp now = clock_();
  return SessionRepository(connection).remove_expired(now, now - settings_.session_idle_timeout);
}

User AuthService::create_user(store::Connection& connection, const NewUser& user,
                              const Actor& actor) {
  store::Transaction tx(connection);
  UserRepository users(connection);
  User profile = user.profile;
  profile.status = UserStatus::active;
  profile.created_at = profile.updated_at = clock_();
  const UserId id = users.create(profile, user.password_hash);
  User created = *users.find(id);
  audit(connection, actor, "create", "user", id_text(store::raw(id)), std::nullopt,
        audit_json(created));
  tx.commit();
  return created;
}

User AuthService::update_user(store::Connection& connection, UserId id, const UserChanges& changes,
                              const Actor& actor) {
  store::Transaction tx(connection);
  UserRepository users(connection);
  auto before = users.find(id);
  if (!before) throw not_found("user", store::raw(id));
  User after = *before;
  if (changes.display_name) after.display_name = *changes.display_name;
  if (changes.department) after.department = *changes.department;
  if (changes.role) after.role = *changes.role;
  if (changes.agent_number) after.agent_number = *changes.agent_number;
  if (changes.overrides) after.overrides = *changes.overrides;
  after.updated_at = clock_();
  users.update(after);
  after = *users.find(id);
  audit(connection, actor, "update", "user", id_text(store::raw(id)), audit_json(*before),
        audit_json(after));
  tx.commit();
  credentials_changed();
  return after;
}

User AuthService::set_user_status(store::Connection& connection, UserId id, UserStatus status,
                                  const Actor& actor) {
  store::Transaction tx(connection);
  UserRepository users(connection);
  auto before = users.find(id);
  if (!before) throw not_found("user", store::raw(id));
  users.set_status(id, status, clock_());
  if (status == UserStatus::disabled) SessionRepository(connection).remove_for_user(id);
  User after = *users.find(id);
  audit(connection, actor, status == UserStatus::disabled ? "disable" : "enable", "user",
        id_text(store::raw(id)), audit_json(*before), audit_json(after));
  tx.commit();
  credentials_changed();
  return after;
}

void AuthService::set_password_hash(store::Connection& connection, UserId id,
                                    const std::string& hash, const Actor& actor) {
  store::Transaction tx(connection);
  UserRepository(connection).set_password_hash(id, hash, clock_());
  SessionRepository(connection).remove_for_user(id);
  // The snapshots would be equal: the hash is never in them. The row says that it changed.
  audit(connection, actor, "password_change", "user", id_text(store::raw(id)), std::nullopt,
        std::nullopt);
  tx.commit();
  credentials_changed();
}

Department AuthService::create_department(store::Connection& connection, const std::string& name,
                                          std::optional<DepartmentId> parent, const Actor& actor) {
  store::Transaction tx(connection);
  DepartmentRepository departments(connection);
  if (parent && !departments.find(*parent)) throw not_found("department", store::raw(*parent));
  const DepartmentId id = departments.create(name, parent, clock_());
  Department created = *departments.find(id);
  audit(connection, actor, "create", "department", id_text(store::raw(id)), std::nullopt,
        audit_json(created));
  tx.commit();
  credentials_changed();
  return created;
}

CreatedApiKey AuthService::create_api_key(store::Connection& connection, UserId owner,
                                          const std::string& name, const Actor& actor) {
  store::Transaction tx(connection);
  if (!UserRepository(connection).find(owner)) throw not_found("user", store::raw(owner));
  CreatedApiKey created;
  created.secret = std::string(api_key_prefix) + random_hex(api_key_bytes);
  ApiKey key;
  key.user = owner;
  key.name = name;
  key.prefix = created.secret.substr(0, api_key_prefix.size() + 8);
  key.created_at = clock_();
  ApiKeyRepository keys(connection);
  const ApiKeyId id = keys.create(key, sha256_hex(created.secret));
  created.key = *keys.find(id);
  audit(connection, actor, "create", "api_key", id_text(store::raw(id)), std::nullopt,
        audit_json(created.key));
  tx.commit();
  return created;
}

bool AuthService::revoke_api_key(store::Connection& connection, ApiKeyId id, const Actor& actor) {
  store::Transaction tx(connection);
  ApiKeyRepository keys(connection);
  auto before = keys.find(id);
  if (!before || !keys.revoke(id, clock_())) return false;
  audit(connection, actor, "revoke", "api_key", id_text(store::raw(id)), audit_json(*before),
        audit_json(*keys.find(id)));
  tx.commit();
  credentials_changed();
  return true;
}

void AuthService::audit(store::Connection& connection, const Actor& actor, std::string action,
                        std::string entity, std::string entity_id,
                        std::optional<std::string> before, std::optional<std::string> after) {
  AuditEntry entry;
  entry.at = clock_();
  entry.actor = actor;
  entry.action = std::move(action);
  entry.entity = std::move(entity);
  entry.entity_id = std::move(entity_id);
  entry.before_json = std::move(before);
  entry.after_json = std::move(after);
  AuditLog(connection).append(entry);
}

}  // namespace kefu::auth
