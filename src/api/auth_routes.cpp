#include "api/auth_routes.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <nlohmann/json.hpp>

#include "auth/seed.hpp"

namespace kefu::api {
namespace {

using auth::ApiKeyId;
using auth::DepartmentId;
using auth::Identity;
using auth::Permission;
using auth::PermissionEffect;
using auth::Role;
using auth::User;
using auth::UserId;
using nlohmann::json;

constexpr std::size_t max_department_depth = 16;
constexpr std::size_t max_name_chars = 100;
constexpr std::size_t min_password_chars = 8;
constexpr std::size_t max_password_bytes = 1024;

// ---------------------------------------------------------------- validation

InvalidInput forbidden(std::string field, const std::string& message) {
  return InvalidInput(std::move(field), message, 403, "forbidden");
}

std::string checked_new_password(std::string_view field, std::string value) {
  if (utf8_length(value) < min_password_chars || value.size() > max_password_bytes) {
    throw InvalidInput(std::string(field), "must be at least " +
                                               std::to_string(min_password_chars) +
                                               " characters and at most " +
                                               std::to_string(max_password_bytes) + " bytes long");
  }
  return value;
}

std::optional<std::vector<Permission>> permission_list(JsonBody& body, const std::string& field) {
  return body.enum_list<Permission>(field, auth::kPermissionCount);
}

// ---------------------------------------------------------------- output

json optional_id_json(const std::optional<DepartmentId>& id) {
  if (!id) return nullptr;
  return store::raw(*id);
}

json permission_names(const std::vector<Permission>& permissions) {
  json out = json::array();
  for (Permission p : permissions) out.push_back(store::to_string(p));
  return out;
}

json user_json(const User& user) {
  std::vector<Permission> granted;
  std::vector<Permission> revoked;
  for (const auto& o : user.overrides) {
    (o.effect == PermissionEffect::grant ? granted : revoked).push_back(o.permission);
  }
  return {{"id", store::raw(user.id)},
          {"login", user.login},
          {"display_name", user.display_name},
          {"department_id", optional_id_json(user.department)},
          {"role", store::to_string(user.role)},
          {"status", store::to_string(user.status)},
          {"agent_number", user.agent_number ? json(*user.agent_number) : json()},
          {"granted_permissions", permission_names(granted)},
          {"revoked_permissions", permission_names(revoked)},
          {"permissions",
           permission_names(auth::effective_permissions(user.role, user.overrides).list())},
          {"created_at", store::to_epoch_ms(user.created_at)},
          {"updated_at", store::to_epoch_ms(user.updated_at)}};
}

json identity_json(const Identity& identity) {
  json scopes = json::object();
  for (const auto& [resource, name] : store::EnumNames<auth::Resource>::values) {
    scopes[std::string(name)] = store::to_string(auth::scope_for(identity, resource).kind);
  }
  return {{"id", store::raw(identity.user_id)},
          {"login", identity.login},
          {"display_name", identity.display_name},
          {"role", store::to_string(identity.role)},
          {"department_id", optional_id_json(identity.department)},
          {"agent_number", identity.agent_number ? json(*identity.agent_number) : json()},
          {"permissions", permission_names(identity.permissions.list())},
          {"scopes", scopes}};
}

json department_tree_json(const auth::DepartmentTree& tree, std::optional<DepartmentId> parent,
                          std::size_t depth) {
  json out = json::array();
  for (DepartmentId id : tree.children(parent)) {
    const auth::Department* d = tree.find(id);
    out.push_back(
        {{"id", store::raw(d->id)},
         {"name", d->name},
         {"parent_id", optional_id_json(d->parent)},
         {"children", depth < max_department_depth ? department_tree_json(tree, id, depth + 1)
                                                   : json::array()}});
  }
  return out;
}

json api_key_json(const auth::ApiKey& key) {
  auto time = [](const std::optional<store::Timestamp>& at) {
    return at ? json(store::to_epoch_ms(*at)) : json();
  };
  return {{"id", store::raw(key.id)},
          {"user_id", store::raw(key.user)},
          {"name", key.name},
          {"prefix", key.prefix},
          {"created_at", store::to_epoch_ms(key.created_at)},
          {"last_used_at", time(key.last_used_at)},
          {"revoked_at", time(key.revoked_at)}};
}

json audit_entry_json(const auth::AuditEntry& entry) {
  auto snapshot = [](const std::optional<std::string>& text) {
    return text ? json::parse(*text, nullptr, false) : json();
  };
  return {{"id", entry.id},
          {"at", store::to_epoch_ms(entry.at)},
          {"actor_user_id", entry.actor.user ? json(store::raw(*entry.actor.user)) : json()},
          {"actor_login", entry.actor.login},
          {"client_ip", entry.actor.client_ip},
          {"action", entry.action},
          {"entity", entry.entity},
          {"entity_id", entry.entity_id},
          {"before", snapshot(entry.before_json)},
          {"after", snapshot(entry.after_json)}};
}

HttpResponse json_response(unsigned status, const json& body) {
  return {
      status, "application/json", body.dump(-1, ' ', false, json::error_handler_t::replace), {}};
}

HttpResponse failure_response(const store::StoreFailure& failure, spdlog::logger& log) {
  switch (failure.kind) {
    case store::StoreErrorKind::not_found:
      return error_response(404, "not_found", "no such record");
    case store::StoreErrorKind::constraint:
      return error_response(409, "conflict", "this conflicts with an existing record");
    case store::StoreErrorKind::busy: {
      auto response = error_response(503, "busy", "the database is busy; try again");
      response.headers.push_back({"Retry-After", "1"});
      return response;
    }
    default:
      log.error("auth api storage failure: {}", failure.message);
      return error_response(500, "internal", "internal error");
  }
}

auth::Actor actor_of(const HttpRequest& request) {
  return {request.caller->user_id, request.caller->login, request.client_ip};
}

std::string retry_seconds(auth::Millis wait) {
  return std::to_string((wait.count() + 999) / 1000);
}

// The rules for writing a user besides the permission (see auth_routes.hpp).
void check_user_write(const Identity& caller, const std::optional<User>& before,
                      const User& after) {
  const auth::DataScope scope = auth::scope_for(caller, auth::Resource::users);
  if (scope.kind == auth::ScopeKind::all) return;
  auto senior = [](Role role) { return role == Role::admin || role == Role::supervisor; };
  if (before && before->id != caller.user_id && senior(before->role)) {
    throw forbidden("id", "only an administrator can change this user");
  }
  if (senior(after.role) && (!before || before->role != after.role)) {
    throw forbidden("role", "only an administrator can give this role");
  }
  if (!scope.allows_department(after.department) &&
      !(before && before->department == after.department)) {
    throw forbidden("department_id", "is not one of your departments");
  }
  for (const auto& o : after.overrides) {
    const bool had = before && std::find(before->overrides.begin(), before->overrides.end(), o) !=
                                   before->overrides.end();
    if (o.effect == PermissionEffect::grant && !had &&
        (o.permission == Permission::data_all || !auth::can(caller, o.permission))) {
      throw forbidden("granted_permissions", "you cannot grant a permission you do not hold");
    }
  }
}

std::vector<auth::PermissionOverride> overrides_of(const std::vector<Permission>& granted,
                                                   const std::vector<Permission>& revoked) {
  std::vector<auth::PermissionOverride> out;
  for (Permission p : granted) {
    if (std::find(revoked.begin(), revoked.end(), p) != revoked.end()) {
      throw InvalidInput("revoked_permissions", "names a permission that is also granted");
    }
    out.push_back({p, PermissionEffect::grant});
  }
  for (Permission p : revoked) out.push_back({p, PermissionEffect::revoke});
  return out;
}

}  // namespace

// ---------------------------------------------------------------- routes

struct AuthRoutes::Impl {
  Impl(auth::AuthService& auth_service, store::StorageExecutor& storage_executor,
       std::shared_ptr<spdlog::logger> logger, AuthRoutesOptions routes_options)
      : auth(auth_service),
        storage(storage_executor),
        log(std::move(logger)),
        options(std::move(routes_options)),
        verified(options.credential_cache_ttl, options.credential_cache_capacity),
        hashing(std::max<std::size_t>(options.hashing_threads, 1)) {}

  void add_routes(HttpServer& http);
  void authenticate(const HttpRequest& request, AuthenticationDone done);

  // Runs `job(Connection&) -> HttpResponse` in a storage job and answers with its result; input
  // refused inside the job and database failures become their error responses.
  template <typename Job>
  void in_storage(const Responder& respond, Job job) {
    storage.post(
        [job = std::move(job)](store::Connection& connection) mutable -> HttpResponse {
          try {
            return job(connection);
          } catch (const InvalidInput& e) {
            return e.response();
          }
        },
        [respond, log = log](store::StoreResult<HttpResponse> result) {
          respond(result ? std::move(*result) : failure_response(result.error(), *log));
        });
  }

  // Runs slow password work on the hashing threads.
  template <typename Work>
  void off_loop(const Responder& respond, Work work) {
    boost::asio::post(hashing, [respond, log = log, work = std::move(work)]() mutable {
      try {
        work();
      } catch (const std::exception& e) {
        log->error("auth api password work failed: {}", e.what());
        respond(error_response(500, "internal", "internal error"));
      }
    });
  }

  HttpServer::AsyncHandler bind(void (Impl::*method)(HttpRequest, Responder)) {
    return [this, method](HttpRequest request, Responder respond) {
      (this->*method)(std::move(request), std::move(respond));
    };
  }

  std::string session_cookie(const std::string& token) const {
    return options.cookie_name + "=" + token + "; Path=/; HttpOnly; SameSite=Strict" +
           (options.cookie_security == CookieSecurity::secure ? "; Secure" : "");
  }
  std::string cleared_cookie() const {
    return options.cookie_name + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0" +
           (options.cookie_security == CookieSecurity::secure ? "; Secure" : "");
  }

  void login(HttpRequest request, Responder respond);
  void finish_login(auth::LoginCandidate candidate, bool password_ok, std::string previous,
                    Responder respond);
  void logout(HttpRequest request, Responder respond);
  void change_password(HttpRequest request, Responder respond);
  void list_users(HttpRequest request, Responder respond);
  void create_user(HttpRequest request, Responder respond);
  void read_user(HttpRequest request, Responder respond);
  void update_user(HttpRequest request, Responder respond);
  void set_status(HttpRequest request, Responder respond, auth::UserStatus status);
  void disable_user(HttpRequest request, Responder respond) {
    set_status(std::move(request), std::move(respond), auth::UserStatus::disabled);
  }
  void enable_user(HttpRequest request, Responder respond) {
    set_status(std::move(request), std::move(respond), auth::UserStatus::active);
  }
  void create_department(HttpRequest request, Responder respond);
  void create_api_key(HttpRequest request, Responder respond);
  void revoke_api_key(HttpRequest request, Responder respond);
  void list_audit(HttpRequest request, Responder respond);

  auth::AuthService& auth;
  store::StorageExecutor& storage;
  std::shared_ptr<spdlog::logger> log;
  AuthRoutesOptions options;
  auth::CredentialCache verified;
  boost::asio::thread_pool hashing;
};

void AuthRoutes::Impl::authenticate(const HttpRequest& request, AuthenticationDone done) {
  // A bearer key wins over the cookie: a browser never adds it to a cross-site request.
  std::optional<std::string> key;
  const std::string_view authorization = request.header("authorization");
  if (authorization.size() > 7 &&
      (authorization.starts_with("Bearer ") || authorization.starts_with("bearer "))) {
    key = std::string(authorization.substr(7));
  }
  std::optional<std::string> token = key ? std::nullopt : request.cookie(options.cookie_name);
  if (!key && !token) {
    done(error_response(401, "unauthenticated", "sign in first"));
    return;
  }
  const std::string& credential = key ? *key : *token;
  if (auto identity = verified.find(credential, auth.credential_generation(), auth.now())) {
    done(std::move(*identity));
    return;
  }
  storage.post(
      [this, key, token](store::Connection& connection) {
        return key ? auth.verify_api_key(connection, *key)
                   : auth.verify_session(connection, *token);
      },
      [this, done, credential](store::StoreResult<std::optional<auth::VerifiedCredential>> result) {
        if (!result) {
          log->error("authentication failed in storage: {}", result.error().message);
          done(error_response(503, "unavailable", "authentication is not available right now"));
        } else if (!*result) {
          done(error_response(401, "unauthenticated",
                              "the session has ended or the credentials are not valid"));
        } else {
          verified.store(credential, **result, auth.now());
          done(std::move((*result)->identity));
        }
      });
}

void AuthRoutes::Impl::login(HttpRequest request, Responder respond) {
  JsonBody body(request);
  std::string login = body.text("login", 1, 64);
  std::string password = body.secret("password", max_password_bytes);
  body.no_other_fields();
  std::string previous = request.cookie(options.cookie_name).value_or("");
  storage.post(
      [this, login, ip = request.client_ip](store::Connection& connection) {
        return auth.begin_login(connection, login, ip);
      },
      [this, respond, password = std::move(password), previous = std::move(previous)](
          store::StoreResult<Result<auth::LoginCandidate, auth::LoginRefusal>> begun) mutable {
        if (!begun) {
          respond(failure_response(begun.error(), *log));
          return;
        }
        if (!*begun) {
          const auth::LoginRefusal refusal = begun->error();
          log->warn("login throttled retry_after_ms={}", refusal.retry_after.count());
          auto response = error_response(429, "too_many_attempts",
                                         "too many failed sign-ins; wait and try again");
          response.headers.push_back({"Retry-After", retry_seconds(refusal.retry_after)});
          respond(std::move(response));
          return;
        }
        off_loop(respond,
                 [this, respond, password = std::move(password), previous = std::move(previous),
                  candidate = std::move(begun->value())]() mutable {
                   const bool ok = auth.check_password(candidate, password);
                   finish_login(std::move(candidate), ok, std::move(previous), respond);
                 });
      });
}

void AuthRoutes::Impl::finish_login(auth::LoginCandidate candidate, bool password_ok,
                                    std::string previous, Responder respond) {
  storage.post(
      [this, candidate, password_ok, previous](store::Connection& connection) {
        return auth.finish_login(connection, candidate, password_ok, previous);
      },
      [this, respond, login = candidate.login, ip = candidate.client_ip](
          store::StoreResult<Result<auth::LoginSuccess, auth::LoginRefusal>> done) {
        if (!done) {
          respond(failure_response(done.error(), *log));
          return;
        }
        if (!*done) {
          log->warn("login failed login={} client={}", login, ip);
          respond(error_response(401, "invalid_credentials", "wrong login or password"));
          return;
        }
        const auth::LoginSuccess& success = done->value();
        log->info("login login={} client={}", login, ip);
        auto response =
            json_response(200, {{"user", identity_json(success.identity)},
                                {"csrf_token", success.csrf_token},
                                {"expires_at", store::to_epoch_ms(success.expires_at)}});
        response.headers.push_back({"Set-Cookie", session_cookie(success.session_token)});
        respond(std::move(response));
      });
}

void AuthRoutes::Impl::logout(HttpRequest request, Responder respond) {
  auto token = request.caller->credential == auth::CredentialKind::session
                   ? request.cookie(options.cookie_name).value_or("")
                   : std::string();
  in_storage(respond, [this, token, actor = actor_of(request)](store::Connection& connection) {
    if (!token.empty()) auth.logout(connection, token, actor);
    auto response = json_response(200, {{"status", "signed_out"}});
    if (!token.empty()) response.headers.push_back({"Set-Cookie", cleared_cookie()});
    return response;
  });
}

void AuthRoutes::Impl::change_password(HttpRequest request, Responder respond) {
  JsonBody body(request);
  std::string current = body.secret("current_password", max_password_bytes);
  std::string next =
      checked_new_password("new_password", body.secret("new_password", max_password_bytes));
  body.no_other_fields();
  const Identity caller = *request.caller;
  const std::string ip = request.client_ip;
  // Guessing the current password through a stolen session is throttled like sign-in.
  if (auto wait = auth.throttle().begin_attempt(caller.login, ip)) {
    auto response =
        error_response(429, "too_many_attempts", "too many wrong passwords; wait and try again");
    response.headers.push_back({"Retry-After", retry_seconds(*wait)});
    respond(std::move(response));
    return;
  }
  storage.post(
      [id = caller.user_id](store::Connection& connection) {
        return auth::UserRepository(connection).password_hash(id).value_or("");
      },
      [this, respond, caller, ip, current = std::move(current),
       next = std::move(next)](store::StoreResult<std::string> stored) mutable {
        if (!stored) {
          respond(failure_response(stored.error(), *log));
          return;
        }
        off_loop(respond, [this, respond, caller, ip, hash = std::move(*stored),
                           current = std::move(current), next = std::move(next)] {
          if (!auth::verify_password(hash, current)) {
            respond(error_response(403, "wrong_password", "is not your current password",
                                   "current_password"));
            return;
          }
          auth.throttle().record_success(caller.login, ip);
          in_storage(respond, [this, caller, ip,
                               new_hash = auth.hash_password(next)](store::Connection& connection) {
            auth.set_password_hash(connection, caller.user_id, new_hash,
                                   {caller.user_id, caller.login, ip});
            auto response = json_response(200, {{"status", "password_changed"}});
            response.headers.push_back({"Set-Cookie", cleared_cookie()});
            return response;
          });
        });
      });
}

void AuthRoutes::Impl::list_users(HttpRequest request, Responder respond) {
  auto query = parse_query(request.query(), {"page", "page_size", "department", "role", "q"});
  auto value = [&query](const std::string& name) -> std::optional<std::string> {
    auto found = query.find(name);
    if (found == query.end()) return std::nullopt;
    return found->second;
  };
  const std::int64_t page = value("page") ? parse_int_in("page", *value("page"), 1, 1'000'000) : 1;
  const std::int64_t page_size =
      value("page_size") ? parse_int_in("page_size", *value("page_size"), 1, 200) : 50;
  std::optional<DepartmentId> department;
  if (auto text = value("department")) {
    department = DepartmentId{parse_id("department", *text)};
  }
  std::optional<Role> role;
  if (auto text = value("role")) role = parse_enum<Role>("role", *text);
  const std::string text = checked_text("q", value("q").value_or(""), 0, max_name_chars);
  in_storage(respond, [caller = *request.caller, page, page_size, department, role,
                       text](store::Connection& connection) {
    auth::UserFilter filter;
    filter.scope = auth::scope_for(caller, auth::Resource::users);
    if (department) {
      auto tree = auth::DepartmentRepository(connection).tree();
      if (!tree.contains(*department)) throw InvalidInput("department", "no such department");
      filter.departments = tree.subtree(*department);
    }
    filter.role = role;
    filter.text = text;
    filter.offset = (page - 1) * page_size;
    filter.limit = page_size;
    auto found = auth::UserRepository(connection).list(filter);
    json items = json::array();
    for (const auto& user : found.items) items.push_back(user_json(user));
    return json_response(
        200, {{"items", items}, {"page", page}, {"page_size", page_size}, {"total", found.total}});
  });
}

// The user `id` as the caller may see it, or 404 (an existing user outside the caller's scope
// is not told apart from a missing one).
User visible_user(store::Connection& connection, const Identity& caller, UserId id) {
  auto user = auth::UserRepository(connection).find(id);
  if (!user || !auth::scope_for(caller, auth::Resource::users).allows(user->id, user->department)) {
    throw InvalidInput("id", "no such user", 404, "not_found");
  }
  return *user;
}

// Checks what only the database can tell: the department exists, the login and the agent
// number are free.
void check_user_references(store::Connection& connection, const User& user,
                           std::optional<UserId> self) {
  if (user.department && !auth::DepartmentRepository(connection).find(*user.department)) {
    throw InvalidInput("department_id", "no such department");
  }
  auth::UserRepository users(connection);
  if (!self && users.find_by_login(user.login)) {
    throw InvalidInput("login", "is already taken", 409, "conflict");
  }
  if (user.agent_number) {
    auto holder = users.find_by_agent_number(*user.agent_number);
    if (holder && (!self || holder->id != *self)) {
      throw InvalidInput("agent_number", "is already linked to another user", 409, "conflict");
    }
  }
}

void AuthRoutes::Impl::create_user(HttpRequest request, Responder respond) {
  JsonBody body(request);
  auth::NewUser user;
  user.profile.login = body.text("login", 1, 64);
  if (!auth::valid_login(user.profile.login)) {
    throw InvalidInput("login",
                       "must be 1 to 64 lower-case letters, digits, '.', '_' or '-', starting "
                       "with a letter or digit");
  }
  user.profile.display_name = body.text("display_name", 1, max_name_chars);
  std::string password =
      checked_new_password("password", body.secret("password", max_password_bytes));
  auto role = body.optional_enum<Role>("role");
  if (!role) throw InvalidInput("role", "is required");
  user.profile.role = *role;
  if (auto id = body.nullable_id("department_id"); id && *id) {
    user.profile.department = DepartmentId{**id};
  }
  if (auto number = body.nullable_digits("agent_number", 16)) user.profile.agent_number = *number;
  user.profile.overrides = overrides_of(
      permission_list(body, "granted_permissions").value_or(std::vector<Permission>{}),
      permission_list(body, "revoked_permissions").value_or(std::vector<Permission>{}));
  body.no_other_fields();
  check_user_write(*request.caller, std::nullopt, user.profile);
  off_loop(respond, [this, respond, user = std::move(user), password = std::move(password),
                     caller = *request.caller, actor = actor_of(request)]() mutable {
    user.password_hash = auth.hash_password(password);
    in_storage(respond,
               [this, user = std::move(user), caller, actor](store::Connection& connection) {
                 check_user_references(connection, user.profile, std::nullopt);
                 User created = auth.create_user(connection, user, actor);
                 return json_response(201, user_json(created));
               });
  });
}

void AuthRoutes::Impl::read_user(HttpRequest request, Responder respond) {
  const UserId id{parse_id("id", request.params.at(0))};
  in_storage(respond, [caller = *request.caller, id](store::Connection& connection) {
    return json_response(200, user_json(visible_user(connection, caller, id)));
  });
}

void AuthRoutes::Impl::update_user(HttpRequest request, Responder respond) {
  const UserId id{parse_id("id", request.params.at(0))};
  JsonBody body(request);
  if (body.empty()) throw InvalidInput("", "give at least one field to change");
  auth::UserChanges changes;
  changes.display_name = body.optional_text("display_name", 1, max_name_chars);
  changes.role = body.optional_enum<Role>("role");
  if (auto department = body.nullable_id("department_id")) {
    changes.department = *department ? std::optional<DepartmentId>(DepartmentId{**department})
                                     : std::optional<DepartmentId>();
  }
  changes.agent_number = body.nullable_digits("agent_number", 16);
  auto granted = permission_list(body, "granted_permissions");
  auto revoked = permission_list(body, "revoked_permissions");
  std::optional<std::string> password;
  if (body.has("password")) {
    password = checked_new_password("password", body.secret("password", max_password_bytes));
  }
  body.no_other_fields();
  const Identity caller = *request.caller;
  auto apply = [this, id, changes, granted, revoked, caller, actor = actor_of(request)](
                   store::Connection& connection,
                   const std::optional<std::string>& password_hash) mutable {
    const User before = visible_user(connection, caller, id);
    if (changes.role && id == caller.user_id && *changes.role != before.role) {
      throw InvalidInput("role", "you cannot change your own role", 409, "conflict");
    }
    if (granted || revoked) {
      // A list that is not given keeps its current entries.
      std::vector<Permission> keep_granted;
      std::vector<Permission> keep_revoked;
      for (const auto& o : before.overrides) {
        (o.effect == PermissionEffect::grant ? keep_granted : keep_revoked).push_back(o.permission);
      }
      changes.overrides =
          overrides_of(granted.value_or(keep_granted), revoked.value_or(keep_revoked));
    }
    User after = before;
    if (changes.display_name) after.display_name = *changes.display_name;
    if (changes.department) after.department = *changes.department;
    if (changes.role) after.role = *changes.role;
    if (changes.agent_number) after.agent_number = *changes.agent_number;
    if (changes.overrides) after.overrides = *changes.overrides;
    check_user_write(caller, before, after);
    check_user_references(connection, after, id);
    store::Transaction tx(connection);
    User updated = auth.update_user(connection, id, changes, actor);
    if (password_hash) auth.set_password_hash(connection, id, *password_hash, actor);
    tx.commit();
    return json_response(200, user_json(updated));
  };
  if (!password) {
    in_storage(respond, [apply](store::Connection& connection) mutable {
      return apply(connection, std::nullopt);
    });
    return;
  }
  off_loop(respond, [this, respond, apply, password = std::move(*password)]() mutable {
    in_storage(respond,
               [apply, hash = auth.hash_password(password)](store::Connection& connection) mutable {
                 return apply(connection, hash);
               });
  });
}

void AuthRoutes::Impl::set_status(HttpRequest request, Responder respond, auth::UserStatus status) {
  const UserId id{parse_id("id", request.params.at(0))};
  in_storage(respond, [this, id, status, caller = *request.caller,
                       actor = actor_of(request)](store::Connection& connection) {
    const User before = visible_user(connection, caller, id);
    if (id == caller.user_id) {
      throw InvalidInput("id", "you cannot change the status of your own account", 409, "conflict");
    }
    check_user_write(caller, before, before);
    return json_response(200, user_json(auth.set_user_status(connection, id, status, actor)));
  });
}

void AuthRoutes::Impl::create_department(HttpRequest request, Responder respond) {
  JsonBody body(request);
  std::string name = body.text("name", 1, max_name_chars);
  std::optional<DepartmentId> parent;
  if (auto id = body.nullable_id("parent_id"); id && *id) parent = DepartmentId{**id};
  body.no_other_fields();
  in_storage(
      respond, [this, name, parent, actor = actor_of(request)](store::Connection& connection) {
        auth::DepartmentRepository departments(connection);
        if (parent) {
          auto tree = departments.tree();
          if (!tree.contains(*parent)) throw InvalidInput("parent_id", "no such department");
          std::size_t depth = 1;
          for (auto at = tree.find(*parent); at && at->parent && depth <= max_department_depth;
               at = tree.find(*at->parent)) {
            ++depth;
          }
          if (depth >= max_department_depth) {
            throw InvalidInput("parent_id", "departments nest at most " +
                                                std::to_string(max_department_depth) + " deep");
          }
        }
        if (departments.find_by_name(name, parent)) {
          throw InvalidInput("name", "is already the name of a department there", 409, "conflict");
        }
        const auth::Department created = auth.create_department(connection, name, parent, actor);
        return json_response(201, {{"id", store::raw(created.id)},
                                   {"name", created.name},
                                   {"parent_id", optional_id_json(created.parent)},
                                   {"children", json::array()}});
      });
}

void AuthRoutes::Impl::create_api_key(HttpRequest request, Responder respond) {
  JsonBody body(request);
  std::string name = body.text("name", 1, max_name_chars);
  UserId owner = request.caller->user_id;
  if (auto id = body.nullable_id("user_id"); id && *id) owner = UserId{**id};
  body.no_other_fields();
  in_storage(respond,
             [this, name, owner, actor = actor_of(request)](store::Connection& connection) {
               if (!auth::UserRepository(connection).find(owner)) {
                 throw InvalidInput("user_id", "no such user");
               }
               auto created = auth.create_api_key(connection, owner, name, actor);
               log->info("api key created id={} prefix={} user={}", store::raw(created.key.id),
                         created.key.prefix, store::raw(owner));
               json out = api_key_json(created.key);
               out["key"] = created.secret;  // the only time it is shown
               return json_response(201, out);
             });
}

void AuthRoutes::Impl::revoke_api_key(HttpRequest request, Responder respond) {
  const ApiKeyId id{parse_id("id", request.params.at(0))};
  in_storage(respond, [this, id, actor = actor_of(request)](store::Connection& connection) {
    if (!auth.revoke_api_key(connection, id, actor)) {
      throw InvalidInput("id", "no such active API key", 404, "not_found");
    }
    return json_response(200, api_key_json(*auth::ApiKeyRepository(connection).find(id)));
  });
}

void AuthRoutes::Impl::list_audit(HttpRequest request, Responder respond) {
  auto query = parse_query(request.query(), {"entity", "entity_id", "limit"});
  auth::AuditQuery filter;
  if (auto found = query.find("entity"); found != query.end()) {
    filter.entity = checked_text("entity", found->second, 0, 32);
  }
  if (auto found = query.find("entity_id"); found != query.end()) {
    filter.entity_id = checked_text("entity_id", found->second, 0, 64);
  }
  if (auto found = query.find("limit"); found != query.end()) {
    filter.limit = parse_int_in("limit", found->second, 1, 500);
  }
  in_storage(respond, [filter](store::Connection& connection) {
    json items = json::array();
    for (const auto& entry : auth::AuditLog(connection).list(filter)) {
      items.push_back(audit_entry_json(entry));
    }
    return json_response(200, {{"items", items}});
  });
}

void AuthRoutes::Impl::add_routes(HttpServer& http) {
  using P = Permission;
  http.set_authenticator([this](const HttpRequest& request, AuthenticationDone done) {
    authenticate(request, std::move(done));
  });
  http.route_async("POST", "/api/v1/auth/login", Access::anyone(), bind(&Impl::login));
  http.route_async("POST", "/api/v1/auth/logout", Access::signed_in(), bind(&Impl::logout));
  http.route("GET", "/api/v1/auth/me", Access::signed_in(), [](const HttpRequest& request) {
    json body{{"user", identity_json(*request.caller)},
              {"credential", store::to_string(request.caller->credential)}};
    if (!request.caller->csrf_token.empty()) body["csrf_token"] = request.caller->csrf_token;
    return json_response(200, body);
  });
  http.route_async("POST", "/api/v1/auth/password", Access::signed_in(),
                   bind(&Impl::change_password));

  http.route_async("GET", "/api/v1/users", Access::needs(P::users_read), bind(&Impl::list_users));
  http.route_async("POST", "/api/v1/users", Access::needs(P::users_write),
                   bind(&Impl::create_user));
  http.route_async("GET", "/api/v1/users/{}", Access::needs(P::users_read), bind(&Impl::read_user));
  http.route_async("PATCH", "/api/v1/users/{}", Access::needs(P::users_write),
                   bind(&Impl::update_user));
  http.route_async("POST", "/api/v1/users/{}/disable", Access::needs(P::users_write),
                   bind(&Impl::disable_user));
  http.route_async("POST", "/api/v1/users/{}/enable", Access::needs(P::users_write),
                   bind(&Impl::enable_user));

  http.route_async("GET", "/api/v1/departments", Access::needs(P::users_read),
                   [this](HttpRequest, Responder respond) {
                     in_storage(respond, [](store::Connection& connection) {
                       auto tree = auth::DepartmentRepository(connection).tree();
                       return json_response(200, {{"items", department_tree_json(tree, {}, 0)}});
                     });
                   });
  http.route_async("POST", "/api/v1/departments", Access::needs(P::departments_write),
                   bind(&Impl::create_department));

  http.route_async("GET", "/api/v1/api-keys", Access::needs(P::api_keys_manage),
                   [this](HttpRequest, Responder respond) {
                     in_storage(respond, [](store::Connection& connection) {
                       json items = json::array();
                       for (const auto& key : auth::ApiKeyRepository(connection).list({})) {
                         items.push_back(api_key_json(key));
                       }
                       return json_response(200, {{"items", items}});
                     });
                   });
  http.route_async("POST", "/api/v1/api-keys", Access::needs(P::api_keys_manage),
                   bind(&Impl::create_api_key));
  http.route_async("DELETE", "/api/v1/api-keys/{}", Access::needs(P::api_keys_manage),
                   bind(&Impl::revoke_api_key));
  http.route_async("GET", "/api/v1/audit", Access::needs(P::audit_read), bind(&Impl::list_audit));
}

AuthRoutes::AuthRoutes(HttpServer& http, auth::AuthService& auth, store::StorageExecutor& storage,
                       std::shared_ptr<spdlog::logger> log, AuthRoutesOptions options)
    : impl_(std::make_unique<Impl>(auth, storage, std::move(log), std::move(options))) {
  impl_->add_routes(http);
}

AuthRoutes::~AuthRoutes() {
  // Hashing work posts storage jobs, and storage jobs call into this object: wait for both
  // before it goes. (Their completions go to the stopped loop and never run.)
  impl_->hashing.join();
  impl_->storage.drain();
}

std::unique_ptr<AuthRoutes> add_auth_routes(HttpServer& http, auth::AuthService& auth,
                                            store::StorageExecutor& storage,
                                            std::shared_ptr<spdlog::logger> log,
                                            AuthRoutesOptions options) {
  return std::make_unique<AuthRoutes>(http, auth, storage, std::move(log), std::move(options));
}

}  // namespace kefu::api
