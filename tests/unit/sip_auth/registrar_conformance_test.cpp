// RFC 4475 REGISTER torture messages through the registrar, byte-exact from the shared
// conformance set. The messages carry no credentials, so each is run twice where it matters:
// - against an open registrar (no authenticator): the registration outcome the RFC describes;
// - against kefu's authenticating registrar: a 401 challenge, then the same message with
//   credentials added (users "watson" and "user" exist in the test's credential store), which
//   must end in the same registration outcome.
#include <gtest/gtest.h>

#include "auth_test_support.hpp"
#include "sip/auth/registrar.hpp"

namespace kefu::sip {
namespace {

using test::ClientCredentials;
using test::VirtualClock;

std::string rfc4475(const char* name) {
  return test::read_conformance(std::string("sip/rfc4475/") + name + ".dat");
}

std::vector<std::string> contact_lines(const Message& response) {
  std::vector<std::string> lines;
  for (const auto& field : response.headers()) {
    if (field.id == HeaderId::Contact) lines.emplace_back(field.value);
  }
  return lines;
}

// Inserts a header line right after the start line and bumps nothing else.
std::string with_header(const std::string& message, const std::string& header) {
  auto end_of_start_line = message.find("\r\n") + 2;
  return message.substr(0, end_of_start_line) + header + "\r\n" + message.substr(end_of_start_line);
}

class Rfc4475Registrar : public ::testing::Test {
 protected:
  Rfc4475Registrar() {
    store_.set("watson", "elementary");
    store_.set("user", "secret");
    store_.set("j.user", "secret");
  }

  Message open_register(const char* name) {
    Registrar registrar(RegistrarConfig{}, nullptr, clock_.function());
    Message response =
        test::parse_message(registrar.handle(test::parse_message(rfc4475(name)), source_));
    last_bindings_ = registrar.lookup(user_of(name));
    return response;
  }

  // Challenge, then the same bytes with an Authorization header for the AOR's user.
  std::pair<Message, Message> authenticated_register(const char* name, const std::string& user,
                                                     const std::string& password) {
    Authenticator authenticator(AuthConfig{}, "secret", store_, clock_.function());
    Registrar registrar(RegistrarConfig{}, &authenticator, clock_.function());
    const std::string bytes = rfc4475(name);
    Message challenge = test::parse_message(registrar.handle(test::parse_message(bytes), source_));
    auto seen = test::challenges(challenge);
    ClientCredentials credentials;
    credentials.username = user;
    credentials.password = password;
    credentials.nonce = seen.empty() ? std::string() : seen.front().nonce;
    credentials.uri = "sip:example.com";
    Message response = test::parse_message(registrar.handle(
        test::parse_message(with_header(bytes, credentials.authorization())), source_));
    last_bindings_ = registrar.lookup(user);
    return {std::move(challenge), std::move(response)};
  }

  static std::string user_of(const char* name) {
    return std::string(name) == "regescrt" ? "user" : "watson";
  }

  VirtualClock clock_;
  InMemoryCredentialStore store_;
  SourceAddress source_ = test::udp_from("192.0.2.21");
  std::vector<Binding> last_bindings_;
};

// §3.3.12: ";unknownparam" outside <> is a contact parameter, not part of the URI.
TEST_F(Rfc4475Registrar, Cparam01) {
  Message open = open_register("cparam01");
  EXPECT_EQ(open.status(), 200);
  EXPECT_EQ(
      contact_lines(open),
      (std::vector<std::string>{"<sip:+19725552222@gw1.example.net>;unknownparam;expires=3600"}));
  ASSERT_EQ(last_bindings_.size(), 1u);
  EXPECT_EQ(last_bindings_[0].contact_uri, "sip:+19725552222@gw1.example.net");
  EXPECT_EQ(last_bindings_[0].contact_params, ";unknownparam");
  EXPECT_EQ(last_bindings_[0].aor, "sip:watson@example.com");

  auto [challenge, registered] = authenticated_register("cparam01", "watson", "elementary");
  EXPECT_EQ(challenge.status(), 401);
  EXPECT_EQ(registered.status(), 200);
  ASSERT_EQ(last_bindings_.size(), 1u);
  EXPECT_EQ(last_bindings_[0].contact_uri, "sip:+19725552222@gw1.example.net");
}

// §3.3.13: ";unknownparam" inside <> is a URI parameter and part of the stored binding.
TEST_F(Rfc4475Registrar, Cparam02) {
  Message open = open_register("cparam02");
  EXPECT_EQ(open.status(), 200);
  EXPECT_EQ(
      contact_lines(open),
      (std::vector<std::string>{"<sip:+19725552222@gw1.example.net;unknownparam>;expires=3600"}));
  ASSERT_EQ(last_bindings_.size(), 1u);
  EXPECT_EQ(last_bindings_[0].contact_uri, "sip:+19725552222@gw1.example.net;unknownparam");
  EXPECT_EQ(last_bindings_[0].contact_params, "");

  auto [challenge, registered] = authenticated_register("cparam02", "watson", "elementary");
  EXPECT_EQ(challenge.status(), 401);
  EXPECT_EQ(registered.status(), 200);
  ASSERT_EQ(last_bindings_.size(), 1u);
  EXPECT_EQ(last_bindings_[0].contact_uri, "sip:+19725552222@gw1.example.net;unknownparam");
}

// §3.3.14: the escaped "?Route=" header stays in the stored URI and never becomes a Route.
TEST_F(Rfc4475Registrar, Regescrt) {
  Message open = open_register("regescrt");
  EXPECT_EQ(open.status(), 200);
  EXPECT_EQ(contact_lines(open),
            (std::vector<std::string>{
                "<sip:user@example.com?Route=%3Csip:sip.example.com%3E>;expires=3600"}));
  EXPECT_FALSE(open.header(HeaderId::Route).has_value());
  EXPECT_TRUE(open.routes().empty());
  ASSERT_EQ(last_bindings_.size(), 1u);
  EXPECT_EQ(last_bindings_[0].contact_uri, "sip:user@example.com?Route=%3Csip:sip.example.com%3E");

  auto [challenge, registered] = authenticated_register("regescrt", "user", "secret");
  EXPECT_EQ(challenge.status(), 401);
  EXPECT_EQ(registered.status(), 200);
  EXPECT_FALSE(registered.header(HeaderId::Route).has_value());
  ASSERT_EQ(last_bindings_.size(), 1u);
  EXPECT_EQ(last_bindings_[0].contact_uri, "sip:user@example.com?Route=%3Csip:sip.example.com%3E");
}

// §3.3.4: To is not a SIP or SIPS URI: 400, with or without authentication.
TEST_F(Rfc4475Registrar, Unksm2) {
  EXPECT_EQ(open_register("unksm2").status(), 400);
  Authenticator authenticator(AuthConfig{}, "secret", store_, clock_.function());
  Registrar registrar(RegistrarConfig{}, &authenticator, clock_.function());
  Message response =
      test::parse_message(registrar.handle(test::parse_message(rfc4475("unksm2")), source_));
  EXPECT_EQ(response.status(), 400);
  EXPECT_EQ(registrar.binding_count(), 0u);
}

// §3.3.7: credentials of an unknown scheme are ignored and the registrar challenges.
TEST_F(Rfc4475Registrar, Regaut01) {
  Authenticator authenticator(AuthConfig{}, "secret", store_, clock_.function());
  Registrar registrar(RegistrarConfig{}, &authenticator, clock_.function());
  SourceAddress tcp{SourceTransport::Tcp, "192.0.2.253", 40000};
  Message response =
      test::parse_message(registrar.handle(test::parse_message(rfc4475("regaut01")), tcp));
  EXPECT_EQ(response.status(), 401);
  auto seen = test::challenges(response);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].algorithm, "SHA-256");
  EXPECT_EQ(seen[1].algorithm, "MD5");
  EXPECT_FALSE(authenticator.is_blocked("192.0.2.253"));  // not a failed attempt
}

}  // namespace
}  // namespace kefu::sip
