// Digest authentication of requests: challenges, stale nonces, replays, throttling and
// no user enumeration.
#include "sip/auth/authenticator.hpp"

#include <gtest/gtest.h>

#include <regex>

#include "auth_test_support.hpp"

namespace kefu::sip {
namespace {

using namespace std::chrono_literals;
using test::ChallengeSeen;
using test::ClientCredentials;
using test::RegisterRequest;
using test::VirtualClock;

class AuthenticatorTest : public ::testing::Test {
 protected:
  AuthenticatorTest() : store_(demo_credentials()) {
    AuthConfig config;
    config.realm = "kefu";
    authenticator_ =
        std::make_unique<Authenticator>(config, "test secret", store_, clock_.function());
  }

  // The nonce of a fresh challenge to `ip`.
  std::string nonce_for(const std::string& ip) {
    AuthDecision decision = authenticator_->check(RegisterRequest{}.message(), test::udp_from(ip));
    EXPECT_EQ(decision.kind, AuthDecision::Kind::Challenge);
    return decision.headers.empty() ? std::string() : parse_nonce(decision.headers.front().second);
  }
  static std::string parse_nonce(const std::string& challenge) {
    auto parsed = parse_digest_credentials(challenge);
    return parsed ? parsed->nonce : std::string();
  }

  AuthDecision check(const ClientCredentials& credentials, const std::string& ip = "192.0.2.10") {
    RegisterRequest request;
    request.user = credentials.username;
    request.extra_headers.push_back(credentials.authorization());
    return authenticator_->check(request.message(), test::udp_from(ip));
  }

  ClientCredentials fresh_credentials(const std::string& ip = "192.0.2.10") {
    ClientCredentials credentials;
    credentials.nonce = nonce_for(ip);
    return credentials;
  }

  VirtualClock clock_;
  InMemoryCredentialStore store_;
  std::unique_ptr<Authenticator> authenticator_;
};

TEST_F(AuthenticatorTest, NoCredentialsGetsSha256ThenMd5Challenges) {
  AuthDecision decision =
      authenticator_->check(RegisterRequest{}.message(), test::udp_from("192.0.2.10"));
  ASSERT_EQ(decision.kind, AuthDecision::Kind::Challenge);
  EXPECT_EQ(decision.status, 401);
  EXPECT_EQ(decision.reason, "Unauthorized");
  ASSERT_EQ(decision.headers.size(), 2u);
  EXPECT_EQ(decision.headers[0].first, "WWW-Authenticate");
  EXPECT_EQ(decision.headers[1].first, "WWW-Authenticate");
  const std::string nonce = parse_nonce(decision.headers[0].second);
  EXPECT_EQ(decision.headers[0].second,
            "Digest realm=\"kefu\", nonce=\"" + nonce + "\", algorithm=SHA-256, qop=\"auth\"");
  EXPECT_EQ(decision.headers[1].second,
            "Digest realm=\"kefu\", nonce=\"" + nonce + "\", algorithm=MD5, qop=\"auth\"");

  // The response carries them in that order and parses.
  Message response =
      test::parse_message(Authenticator::build_response(RegisterRequest{}.message(), decision));
  EXPECT_EQ(response.status(), 401);
  auto seen = test::challenges(response);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].algorithm, "SHA-256");
  EXPECT_EQ(seen[1].algorithm, "MD5");
  EXPECT_TRUE(response.to().tag().has_value());
}

TEST_F(AuthenticatorTest, ChallengeOrderIsConfigurable) {
  AuthConfig config;
  config.challenge_algorithms = {DigestAlgorithm::Md5, DigestAlgorithm::Sha256};
  Authenticator md5_first(config, "test secret", store_, clock_.function());
  AuthDecision decision =
      md5_first.check(RegisterRequest{}.message(), test::udp_from("192.0.2.10"));
  ASSERT_EQ(decision.headers.size(), 2u);
  EXPECT_NE(decision.headers[0].second.find("algorithm=MD5"), std::string::npos);
  EXPECT_NE(decision.headers[1].second.find("algorithm=SHA-256"), std::string::npos);

  config.challenge_algorithms = {};
  Authenticator defaults(config, "test secret", store_, clock_.function());
  decision = defaults.check(RegisterRequest{}.message(), test::udp_from("192.0.2.10"));
  ASSERT_EQ(decision.headers.size(), 2u);
  EXPECT_NE(decision.headers[0].second.find("algorithm=SHA-256"), std::string::npos);
}

TEST_F(AuthenticatorTest, RightPasswordWithEitherAlgorithm) {
  for (auto algorithm : {DigestAlgorithm::Sha256, DigestAlgorithm::Md5, DigestAlgorithm::Md5Sess,
                         DigestAlgorithm::Sha256Sess}) {
    ClientCredentials credentials = fresh_credentials();
    credentials.algorithm = algorithm;
    AuthDecision decision = check(credentials);
    EXPECT_TRUE(decision.authenticated()) << to_string(algorithm);
    EXPECT_EQ(decision.username, "1001");
  }
}

TEST_F(AuthenticatorTest, AlgorithmParameterAbsentMeansMd5) {
  ClientCredentials credentials = fresh_credentials();
  credentials.algorithm = DigestAlgorithm::Md5;
  std::string header = credentials.authorization();
  header = std::regex_replace(header, std::regex(", algorithm=MD5"), "");
  RegisterRequest request;
  request.extra_headers.push_back(header);
  EXPECT_TRUE(
      authenticator_->check(request.message(), test::udp_from("192.0.2.10")).authenticated());
}

TEST_F(AuthenticatorTest, LegacyClientsWithoutQop) {
  ClientCredentials credentials = fresh_credentials();
  credentials.algorithm = DigestAlgorithm::Md5;
  credentials.qop.clear();
  EXPECT_TRUE(check(credentials).authenticated());

  AuthConfig strict;
  strict.legacy_digest = LegacyDigest::Refused;
  Authenticator refusing(strict, "test secret", store_, clock_.function());
  RegisterRequest request;
  request.extra_headers.push_back(credentials.authorization());
  EXPECT_EQ(refusing.check(request.message(), test::udp_from("192.0.2.10")).kind,
            AuthDecision::Kind::Challenge);
}

TEST_F(AuthenticatorTest, WrongPasswordIsChallengedAgain) {
  ClientCredentials credentials = fresh_credentials();
  credentials.password = "demo1002";
  AuthDecision decision = check(credentials);
  ASSERT_EQ(decision.kind, AuthDecision::Kind::Challenge);
  EXPECT_EQ(decision.headers.size(), 2u);
  EXPECT_EQ(decision.headers[0].second.find("stale"), std::string::npos);
}

TEST_F(AuthenticatorTest, ExpiredNonceWithRightPasswordIsStale) {
  ClientCredentials credentials = fresh_credentials();
  clock_.advance(301s);
  AuthDecision decision = check(credentials);
  ASSERT_EQ(decision.kind, AuthDecision::Kind::Challenge);
  for (const auto& [name, value] : decision.headers) {
    EXPECT_NE(value.find(", stale=true"), std::string::npos) << value;
    EXPECT_NE(parse_nonce(value), credentials.nonce);  // a new nonce
  }
  // The phone retries with the new nonce and the same password.
  credentials.nonce = parse_nonce(decision.headers.front().second);
  EXPECT_TRUE(check(credentials).authenticated());
}

TEST_F(AuthenticatorTest, ExpiredNonceWithWrongPasswordIsNotStaleAndCounts) {
  ClientCredentials credentials = fresh_credentials();
  credentials.password = "guess";
  clock_.advance(301s);
  for (int i = 0; i < 10; ++i) {
    AuthDecision decision = check(credentials);
    ASSERT_EQ(decision.kind, AuthDecision::Kind::Challenge);
    EXPECT_EQ(decision.headers[0].second.find("stale"), std::string::npos);
  }
  EXPECT_TRUE(authenticator_->is_blocked("192.0.2.10"));
}

TEST_F(AuthenticatorTest, ReplayedNonceCountIsRefused) {
  ClientCredentials credentials = fresh_credentials();
  EXPECT_TRUE(check(credentials).authenticated());
  AuthDecision replay = check(credentials);
  ASSERT_EQ(replay.kind, AuthDecision::Kind::Challenge);
  EXPECT_NE(replay.headers[0].second.find("stale=true"), std::string::npos);
  credentials.nc = 2;
  EXPECT_TRUE(check(credentials).authenticated());
  credentials.nc = 3;
  credentials.cnonce = "another";
  EXPECT_TRUE(check(credentials).authenticated());
  EXPECT_FALSE(authenticator_->is_blocked("192.0.2.10"));
}

TEST_F(AuthenticatorTest, NonceIssuedToAnotherAddressProvesNothing) {
  ClientCredentials credentials = fresh_credentials("192.0.2.10");
  AuthDecision decision = check(credentials, "192.0.2.99");
  ASSERT_EQ(decision.kind, AuthDecision::Kind::Challenge);
  EXPECT_EQ(decision.headers[0].second.find("stale"), std::string::npos);
  // Wrong passwords with someone else's nonce are not counted (cannot throttle by spoofing).
  credentials.password = "guess";
  for (int i = 0; i < 20; ++i) check(credentials, "192.0.2.99");
  EXPECT_FALSE(authenticator_->is_blocked("192.0.2.99"));
  EXPECT_FALSE(authenticator_->is_blocked("192.0.2.10"));
}

TEST_F(AuthenticatorTest, UnknownSchemeIsIgnoredAndChallenged) {
  RegisterRequest request;
  request.extra_headers.push_back("Authorization: NoOneKnowsThisScheme opaque-data=here");
  AuthDecision decision = authenticator_->check(request.message(), test::udp_from("192.0.2.10"));
  EXPECT_EQ(decision.kind, AuthDecision::Kind::Challenge);
  EXPECT_EQ(decision.status, 401);
}

TEST_F(AuthenticatorTest, DigestForTheRightRealmAmongOthersIsUsed) {
  ClientCredentials credentials = fresh_credentials();
  ClientCredentials foreign = credentials;
  foreign.realm = "elsewhere";
  RegisterRequest request;
  request.extra_headers = {"Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
                           foreign.authorization(), credentials.authorization()};
  EXPECT_TRUE(
      authenticator_->check(request.message(), test::udp_from("192.0.2.10")).authenticated());
  request.extra_headers = {foreign.authorization()};
  EXPECT_EQ(authenticator_->check(request.message(), test::udp_from("192.0.2.10")).kind,
            AuthDecision::Kind::Challenge);
}

TEST_F(AuthenticatorTest, ProxyChallengeUsesProxyHeaders) {
  RegisterRequest invite;
  invite.method = "INVITE";
  AuthDecision decision =
      authenticator_->check(invite.message(), test::udp_from("192.0.2.10"), ChallengeKind::Proxy);
  ASSERT_EQ(decision.status, 407);
  EXPECT_EQ(decision.headers[0].first, "Proxy-Authenticate");

  ClientCredentials credentials;
  credentials.nonce = parse_nonce(decision.headers[0].second);
  credentials.method = "INVITE";
  invite.extra_headers.push_back("Proxy-Authorization: " + credentials.header_value());
  EXPECT_TRUE(
      authenticator_->check(invite.message(), test::udp_from("192.0.2.10"), ChallengeKind::Proxy)
          .authenticated());
  // A credential for the wrong method does not verify.
  credentials.nc = 2;
  credentials.method = "BYE";
  invite.extra_headers = {"Proxy-Authorization: " + credentials.header_value()};
  EXPECT_FALSE(
      authenticator_->check(invite.message(), test::udp_from("192.0.2.10"), ChallengeKind::Proxy)
          .authenticated());
}

TEST_F(AuthenticatorTest, DigestUriMustNameTheRequestTarget) {
  ClientCredentials credentials = fresh_credentials();
  credentials.uri = "sip:other.example";
  AuthDecision decision = check(credentials);
  EXPECT_EQ(decision.kind, AuthDecision::Kind::Reject);
  EXPECT_EQ(decision.status, 400);
  credentials.uri = "sip:KEFU.example;transport=udp";  // same target, written differently
  EXPECT_TRUE(check(credentials).authenticated());
}

TEST_F(AuthenticatorTest, MalformedDigestFieldsAreChallenged) {
  ClientCredentials credentials = fresh_credentials();
  RegisterRequest request;
  for (std::string header : {
           "Authorization: Digest username=\"1001\", realm=\"kefu\", nonce=\"" + credentials.nonce +
               "\", uri=\"sip:kefu.example\", response=\"00\", qop=auth, nc=1, cnonce=\"x\"",
           "Authorization: Digest username=\"1001\", realm=\"kefu\", nonce=\"" + credentials.nonce +
               "\", uri=\"sip:kefu.example\", response=\"00\", qop=auth-int, nc=00000001, "
               "cnonce=\"x\"",
           "Authorization: Digest username=\"1001\", realm=\"kefu\", nonce=\"" + credentials.nonce +
               "\", uri=\"sip:kefu.example\", response=\"00\", algorithm=SHA-512",
           "Authorization: Digest username=\"1001\", realm=\"kefu\", nonce=\"" + credentials.nonce +
               "\", uri=\"sip:kefu.example\"",
           "Authorization: Digest username=\"1001\", realm=\"kefu\", nonce=\"" + credentials.nonce +
               "\", uri=\"sip:kefu.example\", response=\"00\", userhash=true",
       }) {
    request.extra_headers = {header};
    EXPECT_EQ(authenticator_->check(request.message(), test::udp_from("192.0.2.10")).kind,
              AuthDecision::Kind::Challenge)
        << header;
  }
}

TEST_F(AuthenticatorTest, ThrottleBlocksTheAddressNotTheUser) {
  ClientCredentials wrong = fresh_credentials("192.0.2.66");
  wrong.password = "guess";
  for (int i = 0; i < 10; ++i) {
    wrong.nc = static_cast<std::uint32_t>(i + 1);
    EXPECT_EQ(check(wrong, "192.0.2.66").kind, AuthDecision::Kind::Challenge) << i;
    clock_.advance(5s);
  }
  // Even the right password is refused from that address now.
  ClientCredentials right = fresh_credentials("192.0.2.10");
  ClientCredentials right_from_attacker = right;
  right_from_attacker.nonce = parse_nonce(
      authenticator_->challenge(test::udp_from("192.0.2.66"), ChallengeKind::Www, Stale::No)
          .headers.front()
          .second);
  AuthDecision blocked = check(right_from_attacker, "192.0.2.66");
  EXPECT_EQ(blocked.kind, AuthDecision::Kind::Reject);
  EXPECT_EQ(blocked.status, 403);
  EXPECT_EQ(authenticator_->check(RegisterRequest{}.message(), test::udp_from("192.0.2.66")).status,
            403);
  // The user is not locked out elsewhere.
  EXPECT_TRUE(check(right, "192.0.2.10").authenticated());
  // Released after five minutes.
  clock_.advance(300s);
  EXPECT_FALSE(authenticator_->is_blocked("192.0.2.66"));
  ClientCredentials again = fresh_credentials("192.0.2.66");
  EXPECT_TRUE(check(again, "192.0.2.66").authenticated());
}

TEST_F(AuthenticatorTest, UnknownUserCountsLikeAWrongPassword) {
  ClientCredentials stranger = fresh_credentials("192.0.2.77");
  stranger.username = "9999";
  for (int i = 0; i < 10; ++i) {
    stranger.nc = static_cast<std::uint32_t>(i + 1);
    EXPECT_EQ(check(stranger, "192.0.2.77").kind, AuthDecision::Kind::Challenge);
  }
  EXPECT_TRUE(authenticator_->is_blocked("192.0.2.77"));
}

// The same request shape for an unknown user and for a wrong password: the responses must
// match byte for byte once the per-request parts (user in From/To, nonce) are normalised.
TEST_F(AuthenticatorTest, UnknownUserAndWrongPasswordLookTheSame) {
  auto respond = [&](const std::string& user) {
    ClientCredentials credentials = fresh_credentials("192.0.2.10");
    credentials.username = user;
    credentials.password = "not-the-password";
    RegisterRequest request;
    request.user = user;
    request.extra_headers.push_back(credentials.authorization());
    Message message = request.message();
    AuthDecision decision = authenticator_->check(message, test::udp_from("192.0.2.10"));
    std::string text = Authenticator::build_response(message, decision);
    text = std::regex_replace(text, std::regex("nonce=\"[0-9a-f]{64}\""), "nonce=\"N\"");
    text = std::regex_replace(text, std::regex(";tag=[0-9a-f]{16}"), ";tag=T");
    text = std::regex_replace(text, std::regex(user), "USER");
    return text;
  };
  const std::string known = respond("1001");    // exists, wrong password
  const std::string unknown = respond("7777");  // does not exist
  EXPECT_EQ(known, unknown);
  EXPECT_NE(known.find("SIP/2.0 401 Unauthorized\r\n"), std::string::npos);
}

TEST(ResponseToTag, StablePerRequest) {
  RegisterRequest a;
  RegisterRequest b;
  b.call_id = "other-call@phone";
  EXPECT_EQ(response_to_tag(a.message()), response_to_tag(a.message()));
  EXPECT_NE(response_to_tag(a.message()), response_to_tag(b.message()));
  EXPECT_EQ(response_to_tag(a.message()).size(), 16u);
}

}  // namespace
}  // namespace kefu::sip
