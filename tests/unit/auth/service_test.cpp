#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "auth/seed.hpp"
#include "auth_test_support.hpp"

namespace kefu::auth::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class ServiceTest : public AuthTest {};

TEST_P(ServiceTest, LoginCreatesASessionStoredOnlyAsAHash) {
  const User admin = user("admin", Role::admin);
  const LoginSuccess session = login("admin");
  ASSERT_TRUE(looks_like_session_token(session.session_token)) << session.session_token;
  EXPECT_EQ(session.identity.user_id, admin.id);
  EXPECT_EQ(session.expires_at, now + settings.session_absolute_timeout);
  EXPECT_EQ(session.csrf_token, AuthService::csrf_token_for(session.session_token));

  auto rows = db().query("SELECT token_hash FROM auth_sessions");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].text(0), sha256_hex(session.session_token));
  EXPECT_NE(rows[0].text(0), session.session_token);

  auto identity = service->authenticate_session(db(), session.session_token);
  ASSERT_TRUE(identity);
  EXPECT_EQ(identity->login, "admin");
  EXPECT_EQ(identity->credential, CredentialKind::session);
  EXPECT_EQ(identity->csrf_token, session.csrf_token);
  EXPECT_TRUE(can(*identity, Permission::users_write));
}

TEST_P(ServiceTest, LoginIsCaseInsensitiveForTheLogin) {
  user("admin", Role::admin);
  EXPECT_TRUE(service->login(db(), "ADMIN", "password1", "10.0.0.1"));
}

TEST_P(ServiceTest, WrongPasswordUnknownUserAndDisabledUserAreRefusedAlike) {
  const User agent = user("1001", Role::agent);
  user("1002", Role::agent);
  service->set_user_status(db(), agent.id, UserStatus::disabled, Actor::system());
  for (auto [login, password] :
       {std::pair{"1002", "wrong-password"}, std::pair{"nobody", "password1"},
        std::pair{"1001", "password1"}}) {
    auto result = service->login(db(), login, password, "10.0.0.1");
    ASSERT_FALSE(result) << login;
    EXPECT_EQ(result.error().reason, LoginFailure::invalid_credentials) << login;
  }
  EXPECT_TRUE(db().query("SELECT 1 FROM auth_sessions").empty());
}

TEST_P(ServiceTest, JunkTokensAreRefusedWithoutError) {
  user("admin", Role::admin);
  for (const std::string& junk : std::vector<std::string>{
           "", "x", "' OR '1'='1", std::string(32, 'g'), std::string(5000, 'a')}) {
    EXPECT_FALSE(service->authenticate_session(db(), junk)) << junk;
    EXPECT_FALSE(service->authenticate_api_key(db(), junk)) << junk;
  }
  EXPECT_FALSE(service->authenticate_session(db(), random_hex(16)));
}

TEST_P(ServiceTest, IdleTimeoutEndsTheSession) {
  user("1001", Role::agent);
  const std::string token = login("1001").session_token;
  now += 29min;
  ASSERT_TRUE(service->authenticate_session(db(), token));
  now += 29min;  // 58 minutes after sign-in, 29 after the last request
  ASSERT_TRUE(service->authenticate_session(db(), token));
  now += 30min;
  EXPECT_FALSE(service->authenticate_session(db(), token));
  EXPECT_TRUE(db().query("SELECT 1 FROM auth_sessions").empty()) << "an expired session is removed";
}

TEST_P(ServiceTest, AbsoluteTimeoutEndsEvenABusySession) {
  user("1001", Role::agent);
  const std::string token = login("1001").session_token;
  for (int i = 0; i < 35; ++i) {  // a request every 20 minutes for 11 h 40 min
    now += 20min;
    ASSERT_TRUE(service->authenticate_session(db(), token)) << i;
  }
  now += 20min;  // 12 h
  EXPECT_FALSE(service->authenticate_session(db(), token));
}

TEST_P(ServiceTest, LastSeenIsWrittenAtMostOncePerTouchInterval) {
  user("1001", Role::agent);
  const std::string token = login("1001").session_token;
  const auto last_seen = [&] {
    return db().query_one("SELECT last_seen_at FROM auth_sessions")->int64(0);
  };
  const std::int64_t at_login = last_seen();
  now += 10s;
  ASSERT_TRUE(service->authenticate_session(db(), token));
  EXPECT_EQ(last_seen(), at_login);
  now += 60s;
  ASSERT_TRUE(service->authenticate_session(db(), token));
  EXPECT_EQ(last_seen(), store::to_epoch_ms(now));
}

TEST_P(ServiceTest, AVerifiedSessionMayBeReusedOnlyWithinItsOwnLimits) {
  user("1001", Role::agent);
  const Timestamp signed_in = now;
  const std::string token = login("1001").session_token;
  auto verified = service->verify_session(db(), token);
  ASSERT_TRUE(verified);
  EXPECT_EQ(verified->identity.login, "1001");
  EXPECT_EQ(verified->valid_until, signed_in + settings.session_idle_timeout);
  // Not touched yet (within the touch interval): the idle limit counts from the stored time.
  now += 30s;
  verified = service->verify_session(db(), token);
  ASSERT_TRUE(verified);
  EXPECT_EQ(verified->valid_until, signed_in + settings.session_idle_timeout);
  // Close to the absolute limit, that one caps it.
  for (int i = 0; i < 35; ++i) {  // a request every 20 minutes for 11 h 40 min
    now += 20min;
    ASSERT_TRUE(service->verify_session(db(), token)) << i;
  }
  now = signed_in + settings.session_absolute_timeout - 5min;
  verified = service->verify_session(db(), token);
  ASSERT_TRUE(verified);
  EXPECT_EQ(verified->valid_until, signed_in + settings.session_absolute_timeout);
}

TEST_P(ServiceTest, EveryChangeThatEndsOrAltersACredentialCountsAGeneration) {
  const User admin = user("admin", Role::admin);
  const User agent = user("1001", Role::agent);
  const std::string token = login("1001").session_token;
  const auto key = service->create_api_key(db(), admin.id, "sync", Actor::system());
  std::uint64_t seen = service->credential_generation();
  const auto changed = [&](const char* what) {
    const std::uint64_t current = service->credential_generation();
    EXPECT_GT(current, seen) << what;
    seen = current;
  };
  const auto unchanged = [&](const char* what) {
    EXPECT_EQ(service->credential_generation(), seen) << what;
  };

  ASSERT_TRUE(service->verify_session(db(), token));
  ASSERT_TRUE(service->verify_api_key(db(), key.secret));
  user("1002", Role::agent);
  service->create_api_key(db(), admin.id, "other", Actor::system());
  unchanged("look-ups, a new user, a new key");

  UserChanges role;
  role.role = Role::supervisor;
  service->update_user(db(), agent.id, role, Actor::system());
  changed("role");
  department("北京");
  changed("department");
  service->set_user_status(db(), agent.id, UserStatus::disabled, Actor::system());
  changed("disabled");
  service->set_user_status(db(), agent.id, UserStatus::active, Actor::system());
  changed("enabled");
  service->set_password_hash(db(), agent.id, service->hash_password("password2"), Actor::system());
  changed("password");
  const std::string again = login("1001", "password2").session_token;
  unchanged("a sign-in without a previous token");
  const std::string replaced = login("1001", "password2", "10.0.0.1", again).session_token;
  changed("a sign-in that ends the previous token");
  service->logout(db(), replaced, Actor::system());
  changed("logout");
  ASSERT_TRUE(service->revoke_api_key(db(), key.key.id, Actor::system()));
  changed("key revoked");
}

TEST_P(ServiceTest, EachLoginGetsANewTokenAndEndsTheOneSent) {
  user("1001", Role::agent);
  const std::string first = login("1001").session_token;
  const std::string second = login("1001", "password1", "10.0.0.1", first).session_token;
  EXPECT_NE(first, second);
  EXPECT_FALSE(service->authenticate_session(db(), first));
  EXPECT_TRUE(service->authenticate_session(db(), second));
  // Without the old cookie, both sessions live (two browsers).
  const std::string third = login("1001").session_token;
  EXPECT_TRUE(service->authenticate_session(db(), second));
  EXPECT_TRUE(service->authenticate_session(db(), third));
}

TEST_P(ServiceTest, DisablingAUserEndsAllTheirSessions) {
  const User agent = user("1001", Role::agent);
  user("1002", Role::agent);
  const std::string desk = login("1001").session_token;
  const std::string phone = login("1001", "password1", "10.0.0.2").session_token;
  const std::string other = login("1002").session_token;
  service->set_user_status(db(), agent.id, UserStatus::disabled, Actor::system());
  EXPECT_FALSE(service->authenticate_session(db(), desk));
  EXPECT_FALSE(service->authenticate_session(db(), phone));
  EXPECT_TRUE(service->authenticate_session(db(), other));
  SessionRepository sessions(db());
  EXPECT_EQ(sessions.count_for_user(agent.id), 0);
  service->set_user_status(db(), agent.id, UserStatus::active, Actor::system());
  EXPECT_FALSE(service->authenticate_session(db(), desk)) << "enabling does not revive them";
  EXPECT_TRUE(service->login(db(), "1001", "password1", "10.0.0.1"));
}

TEST_P(ServiceTest, APasswordChangeEndsAllSessions) {
  const User agent = user("1001", Role::agent);
  const std::string token = login("1001").session_token;
  service->set_password_hash(db(), agent.id, service->hash_password("new-password"),
                             Actor::system());
  EXPECT_FALSE(service->authenticate_session(db(), token));
  EXPECT_FALSE(service->login(db(), "1001", "password1", "10.0.0.1"));
  EXPECT_TRUE(service->login(db(), "1001", "new-password", "10.0.0.1"));
}

TEST_P(ServiceTest, LogoutEndsOnlyThatSession) {
  user("1001", Role::agent);
  const std::string a = login("1001").session_token;
  const std::string b = login("1001").session_token;
  service->logout(db(), a, Actor::system());
  EXPECT_FALSE(service->authenticate_session(db(), a));
  EXPECT_TRUE(service->authenticate_session(db(), b));
}

TEST_P(ServiceTest, ThrottledLoginIsRefusedEvenWithTheRightPasswordButOnlyFromThatAddress) {
  user("1001", Role::agent);
  for (int i = 0; i < 5; ++i) ASSERT_FALSE(service->login(db(), "1001", "guess", "203.0.113.9"));
  auto refused = service->login(db(), "1001", "password1", "203.0.113.9");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().reason, LoginFailure::throttled);
  EXPECT_EQ(refused.error().retry_after, 1000ms);
  EXPECT_TRUE(service->login(db(), "1001", "password1", "192.168.1.20"));
  now += 1s;
  EXPECT_TRUE(service->login(db(), "1001", "password1", "203.0.113.9"));
}

TEST_P(ServiceTest, ApiKeysAreShownOnceStoredHashedAndRevocable) {
  const User integration = user("crm-sync", Role::back_office);
  const CreatedApiKey created =
      service->create_api_key(db(), integration.id, "nightly sync", Actor::system());
  ASSERT_TRUE(looks_like_api_key(created.secret)) << created.secret;
  EXPECT_TRUE(created.secret.starts_with(created.key.prefix));
  auto stored = db().query_one("SELECT key_hash, prefix FROM api_keys");
  EXPECT_EQ(stored->text(0), sha256_hex(created.secret));
  EXPECT_EQ(created.secret.find(stored->text(0)), std::string::npos);

  auto identity = service->authenticate_api_key(db(), created.secret);
  ASSERT_TRUE(identity);
  EXPECT_EQ(identity->user_id, integration.id);
  EXPECT_EQ(identity->credential, CredentialKind::api_key);
  EXPECT_TRUE(identity->csrf_token.empty());
  EXPECT_TRUE(ApiKeyRepository(db()).find(created.key.id)->last_used_at);

  EXPECT_TRUE(service->revoke_api_key(db(), created.key.id, Actor::system()));
  EXPECT_FALSE(service->revoke_api_key(db(), created.key.id, Actor::system()));
  EXPECT_FALSE(service->authenticate_api_key(db(), created.secret));
}

TEST_P(ServiceTest, ADisabledUsersApiKeysStopWorking) {
  const User integration = user("crm-sync", Role::back_office);
  const auto created = service->create_api_key(db(), integration.id, "sync", Actor::system());
  service->set_user_status(db(), integration.id, UserStatus::disabled, Actor::system());
  EXPECT_FALSE(service->authenticate_api_key(db(), created.secret));
}

TEST_P(ServiceTest, IdentityCarriesEffectivePermissionsAndTheDepartmentSubtree) {
  const DepartmentId center = department("center");
  const DepartmentId team = department("team", center);
  const DepartmentId night = department("night", team);
  department("other", center);
  User leader = user("leader", Role::team_leader, team);
  UserChanges changes;
  changes.overrides =
      std::vector<PermissionOverride>{{Permission::queues_write, PermissionEffect::grant},
                                      {Permission::calls_monitor, PermissionEffect::revoke}};
  service->update_user(db(), leader.id, changes, Actor::system());
  const Identity identity = login("leader").identity;
  EXPECT_EQ(identity.department_subtree, (std::vector<DepartmentId>{team, night}));
  EXPECT_TRUE(can(identity, Permission::queues_write));
  EXPECT_FALSE(can(identity, Permission::calls_monitor));
  EXPECT_EQ(scope_for(identity, Resource::users).departments, identity.department_subtree);
}

TEST_P(ServiceTest, EveryWriteIsAuditedWithBeforeAndAfter) {
  const DepartmentId team = department("team");
  const User agent = user("1001", Role::agent, team, "secret-password");
  const Actor admin{UserId{99}, "boss", "192.0.2.1"};
  now += 1s;
  UserChanges changes;
  changes.display_name = "李娜";
  service->update_user(db(), agent.id, changes, admin);
  service->set_user_status(db(), agent.id, UserStatus::disabled, admin);

  auto entries = AuditLog(db()).list({"user", std::to_string(store::raw(agent.id)), {}, 10});
  ASSERT_EQ(entries.size(), 3u);
  const AuditEntry& disable = entries[0];
  const AuditEntry& update = entries[1];
  const AuditEntry& create = entries[2];
  EXPECT_EQ(create.action, "create");
  EXPECT_EQ(create.actor.login, "system");
  EXPECT_FALSE(create.before_json);
  EXPECT_EQ(json::parse(*create.after_json)["login"], "1001");

  EXPECT_EQ(update.action, "update");
  EXPECT_EQ(update.actor.user, UserId{99});
  EXPECT_EQ(update.actor.login, "boss");
  EXPECT_EQ(update.actor.client_ip, "192.0.2.1");
  EXPECT_EQ(update.at, now);
  EXPECT_EQ(json::parse(*update.before_json)["display_name"], "User 1001");
  EXPECT_EQ(json::parse(*update.after_json)["display_name"], "李娜");

  EXPECT_EQ(disable.action, "disable");
  EXPECT_EQ(json::parse(*disable.before_json)["status"], "active");
  EXPECT_EQ(json::parse(*disable.after_json)["status"], "disabled");

  // No secret in any audit row.
  for (const auto& row : db().query("SELECT COALESCE(before_json, ''), COALESCE(after_json, '') "
                                    "FROM audit_log")) {
    for (std::size_t i = 0; i < 2; ++i) {
      EXPECT_EQ(row.text(i).find("secret-password"), std::string::npos);
      EXPECT_EQ(row.text(i).find("argon2"), std::string::npos);
    }
  }
  EXPECT_EQ(AuditLog(db()).list({"department", "", {}, 10}).size(), 1u);
}

TEST_P(ServiceTest, SignInsAndApiKeysAreAudited) {
  user("admin", Role::admin);
  const std::string token = login("admin", "password1", "192.0.2.7").session_token;
  service->logout(db(), token, {UserId{1}, "admin", "192.0.2.7"});
  auto entries = AuditLog(db()).list({"", "", {}, 10});
  ASSERT_GE(entries.size(), 3u);
  EXPECT_EQ(entries[0].action, "logout");
  EXPECT_EQ(entries[1].action, "login");
  EXPECT_EQ(entries[1].actor.client_ip, "192.0.2.7");
}

TEST_P(ServiceTest, EnsureAdminCreatesOnceAndNeverResetsThePassword) {
  EXPECT_EQ(ensure_admin(db(), "root", "first-password", PasswordCost::minimal()), Seeded::created);
  EXPECT_EQ(ensure_admin(db(), "root", "second-password", PasswordCost::minimal()),
            Seeded::already_there);
  EXPECT_TRUE(service->login(db(), "root", "first-password", "10.0.0.1"));
  EXPECT_EQ(UserRepository(db()).find_by_login("root")->role, Role::admin);
  EXPECT_THROW(ensure_admin(db(), "root2", "short", PasswordCost::minimal()),
               std::invalid_argument);
  EXPECT_THROW(ensure_admin(db(), "Bad Login", "long-enough", PasswordCost::minimal()),
               std::invalid_argument);
}

TEST_P(ServiceTest, DemoUsersAreSeededOnce) {
  EXPECT_EQ(seed_demo_users(db(), PasswordCost::minimal()), 13);
  EXPECT_EQ(seed_demo_users(db(), PasswordCost::minimal()), 0);
  EXPECT_EQ(DepartmentRepository(db()).list().size(), 3u);
  const LoginSuccess agent = login("1007", "demo1007");
  EXPECT_EQ(agent.identity.agent_number, std::optional<std::string>("1007"));
  EXPECT_EQ(agent.identity.role, Role::agent);
  EXPECT_TRUE(login("admin", "admin123").identity.permissions == PermissionSet::all());

  // The supervisor of 客服一组 sees agents 1001–1005 and themselves.
  const Identity supervisor = login("supervisor", "super123").identity;
  UserFilter filter;
  filter.scope = scope_for(supervisor, Resource::users);
  filter.limit = 100;
  std::vector<std::string> logins;
  for (const auto& u : UserRepository(db()).list(filter).items) logins.push_back(u.login);
  EXPECT_EQ(logins,
            (std::vector<std::string>{"1001", "1002", "1003", "1004", "1005", "supervisor"}));
  const Identity leader = login("leader", "leader123").identity;
  filter.scope = scope_for(leader, Resource::users);
  EXPECT_EQ(UserRepository(db()).list(filter).total, 6);
}

TEST_P(ServiceTest, ExpiredSessionsAreCleanedUp) {
  user("1001", Role::agent);
  login("1001");
  now += 10min;
  login("1001");
  now += 25min;
  EXPECT_EQ(service->remove_expired_sessions(db()), 1);
  EXPECT_EQ(db().query("SELECT 1 FROM auth_sessions").size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, ServiceTest, ::testing::Values(Backend::sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, ServiceTest, ::testing::Values(Backend::postgresql));

}  // namespace
}  // namespace kefu::auth::test
