// Registrar and location service (RFC 3261 §10.3) on a virtual clock.
#include "sip/auth/registrar.hpp"

#include <gtest/gtest.h>

#include "auth_test_support.hpp"

namespace kefu::sip {
namespace {

using namespace std::chrono_literals;
using test::ClientCredentials;
using test::RegisterRequest;
using test::VirtualClock;

struct SeenEvent {
  BindingEventKind kind;
  std::string user;
  std::string contact;
  bool operator==(const SeenEvent&) const = default;
};

std::ostream& operator<<(std::ostream& out, const SeenEvent& e) {
  return out << to_string(e.kind) << " " << e.user << " " << e.contact;
}

class RegistrarTest : public ::testing::Test {
 protected:
  RegistrarTest() : store_(demo_credentials()) { make_registrar(RegistrarConfig{}); }

  void make_registrar(RegistrarConfig config) {
    authenticator_ =
        std::make_unique<Authenticator>(AuthConfig{}, "secret", store_, clock_.function());
    registrar_ = std::make_unique<Registrar>(config, authenticator_.get(), clock_.function());
    registrar_->set_listener([this](const BindingEvent& event) {
      events_.push_back(SeenEvent{event.kind, event.user, event.contact_uri});
      last_event_source_ = event.source;
    });
  }

  // REGISTER, answer the challenge, REGISTER again with credentials: the final response.
  Message register_authenticated(RegisterRequest request, const std::string& password,
                                 const std::string& ip = "192.0.2.10") {
    Message challenge =
        test::parse_message(registrar_->handle(request.message(), test::udp_from(ip)));
    EXPECT_EQ(challenge.status(), 401);
    auto seen = test::challenges(challenge);
    if (seen.empty()) return challenge;
    ClientCredentials credentials;
    credentials.username = request.user;
    credentials.password = password;
    credentials.nonce = seen.front().nonce;
    credentials.uri = request.request_uri();
    request.cseq += 1;
    request.extra_headers.push_back(credentials.authorization());
    return test::parse_message(registrar_->handle(request.message(), test::udp_from(ip, 5062)));
  }
  Message register_ok(RegisterRequest request, const std::string& ip = "192.0.2.10") {
    Message response = register_authenticated(request, "demo" + request.user, ip);
    EXPECT_EQ(response.status(), 200) << response.raw();
    return response;
  }

  static std::vector<std::string> contact_lines(const Message& response) {
    std::vector<std::string> lines;
    for (const auto& field : response.headers()) {
      if (field.id == HeaderId::Contact) lines.emplace_back(field.value);
    }
    return lines;
  }

  VirtualClock clock_;
  InMemoryCredentialStore store_;
  std::unique_ptr<Authenticator> authenticator_;
  std::unique_ptr<Registrar> registrar_;
  std::vector<SeenEvent> events_;
  SourceAddress last_event_source_;
};

TEST_F(RegistrarTest, ChallengeThenRegister) {
  RegisterRequest request;
  Message response = register_ok(request);
  EXPECT_EQ(contact_lines(response),
            (std::vector<std::string>{"<sip:1001@192.0.2.10:5060;transport=udp>;expires=3600"}));
  EXPECT_TRUE(response.to().tag().has_value());

  auto bindings = registrar_->lookup("1001");
  ASSERT_EQ(bindings.size(), 1u);
  EXPECT_EQ(bindings[0].aor, "sip:1001@kefu.example");
  EXPECT_EQ(bindings[0].contact_uri, "sip:1001@192.0.2.10:5060;transport=udp");
  EXPECT_EQ(bindings[0].source, (SourceAddress{SourceTransport::Udp, "192.0.2.10", 5062}));
  EXPECT_EQ(bindings[0].remaining(clock_.now), 3600s);
  EXPECT_EQ(registrar_->lookup("sip:1001@kefu.example").size(), 1u);
  EXPECT_EQ(registrar_->lookup("sips:1001@other.host").size(), 1u);  // single domain
  EXPECT_TRUE(registrar_->lookup("1002").empty());
  EXPECT_EQ(events_, (std::vector<SeenEvent>{{BindingEventKind::Added, "1001",
                                              "sip:1001@192.0.2.10:5060;transport=udp"}}));
  EXPECT_EQ(last_event_source_.port, 5062);
}

TEST_F(RegistrarTest, AuthenticatedUserMustOwnTheAddressOfRecord) {
  RegisterRequest request;
  request.user = "1002";
  Message challenge =
      test::parse_message(registrar_->handle(request.message(), test::udp_from("192.0.2.10")));
  ClientCredentials credentials;  // 1001's own, valid credentials
  credentials.nonce = test::challenges(challenge).front().nonce;
  request.extra_headers.push_back(credentials.authorization());
  Message response =
      test::parse_message(registrar_->handle(request.message(), test::udp_from("192.0.2.10")));
  EXPECT_EQ(response.status(), 403);
  EXPECT_TRUE(registrar_->lookup("1002").empty());
}

TEST_F(RegistrarTest, SeveralContactsWithQValues) {
  RegisterRequest request;
  request.contacts = {
      "<sip:1001@192.0.2.10:5060>;q=0.5", "<sip:1001@198.51.100.4:5070>;q=1.0;expires=600",
      "\"Desk\" <sip:1001@[2001:db8::4]:5080;transport=tcp>;+sip.instance=\"<urn:uuid:1>\""};
  Message response = register_ok(request);
  auto lines = contact_lines(response);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "<sip:1001@192.0.2.10:5060>;q=0.5;expires=3600");
  EXPECT_EQ(lines[1], "<sip:1001@198.51.100.4:5070>;q=1.0;expires=600");
  EXPECT_EQ(
      lines[2],
      "<sip:1001@[2001:db8::4]:5080;transport=tcp>;+sip.instance=\"<urn:uuid:1>\";expires=3600");

  auto bindings = registrar_->lookup("1001");
  ASSERT_EQ(bindings.size(), 3u);
  EXPECT_EQ(bindings[0].contact_uri, "sip:1001@198.51.100.4:5070");  // q=1.0
  EXPECT_EQ(bindings[0].q_thousandths, 1000);
  EXPECT_EQ(bindings[1].contact_uri, "sip:1001@[2001:db8::4]:5080;transport=tcp");  // no q
  EXPECT_EQ(bindings[2].q_thousandths, 500);
  EXPECT_EQ(events_.size(), 3u);
}

TEST_F(RegistrarTest, RefreshWithTheSameCallIdNeedsAHigherCSeq) {
  RegisterRequest request;
  request.cseq = 10;
  register_ok(request);  // registered with CSeq 11
  events_.clear();
  clock_.advance(1000s);

  request.cseq = 20;
  Message refreshed = register_ok(request);  // CSeq 21
  EXPECT_EQ(contact_lines(refreshed)[0], "<sip:1001@192.0.2.10:5060;transport=udp>;expires=3600");
  EXPECT_EQ(events_, (std::vector<SeenEvent>{{BindingEventKind::Refreshed, "1001",
                                              "sip:1001@192.0.2.10:5060;transport=udp"}}));

  // An older or equal CSeq within the same Call-ID is out of order: nothing changes.
  events_.clear();
  request.cseq = 5;
  Message stale = register_authenticated(request, "demo1001");  // CSeq 6
  EXPECT_EQ(stale.status(), 400);
  EXPECT_TRUE(events_.empty());
  EXPECT_EQ(registrar_->lookup("1001")[0].cseq, 21u);

  // A new Call-ID (the phone rebooted) may use any CSeq.
  request.call_id = "after-reboot@phone";
  request.cseq = 1;
  Message rebooted = register_ok(request);
  EXPECT_EQ(registrar_->lookup("1001").size(), 1u);
  EXPECT_EQ(registrar_->lookup("1001")[0].call_id, "after-reboot@phone");
}

TEST_F(RegistrarTest, ContactUriMatchingFollowsRfc3261Equality) {
  RegisterRequest request;
  request.contacts = {"<sip:1001@Phone.Example:5060;transport=UDP;x=1>"};
  register_ok(request);
  events_.clear();
  request.cseq = 10;
  request.contacts = {"<sip:1001@phone.example:5060;transport=udp>"};  // same URI (§19.1.4)
  register_ok(request);
  ASSERT_EQ(registrar_->lookup("1001").size(), 1u);
  EXPECT_EQ(events_.front().kind, BindingEventKind::Refreshed);
  EXPECT_EQ(registrar_->lookup("1001")[0].contact_uri, "sip:1001@phone.example:5060;transport=udp");
  request.cseq = 20;
  request.contacts = {"<sip:1001@phone.example;transport=udp>"};  // no port: another URI
  register_ok(request);
  EXPECT_EQ(registrar_->lookup("1001").size(), 2u);
}

TEST_F(RegistrarTest, UnregisterOneContact) {
  RegisterRequest request;
  request.contacts = {"<sip:1001@192.0.2.10>", "<sip:1001@192.0.2.11>"};
  register_ok(request);
  events_.clear();
  request.cseq = 10;
  request.contacts = {"<sip:1001@192.0.2.10>;expires=0"};
  Message response = register_ok(request);
  EXPECT_EQ(contact_lines(response),
            (std::vector<std::string>{"<sip:1001@192.0.2.11>;expires=3600"}));
  EXPECT_EQ(events_,
            (std::vector<SeenEvent>{{BindingEventKind::Removed, "1001", "sip:1001@192.0.2.10"}}));

  // Expires: 0 header applies to contacts without their own expires.
  events_.clear();
  request.cseq = 20;
  request.contacts = {"<sip:1001@192.0.2.11>"};
  request.extra_headers = {"Expires: 0"};
  response = register_ok(request);
  EXPECT_TRUE(contact_lines(response).empty());
  EXPECT_TRUE(registrar_->lookup("1001").empty());
  EXPECT_EQ(registrar_->binding_count(), 0u);
  EXPECT_EQ(events_.size(), 1u);
}

TEST_F(RegistrarTest, WildcardRemovesAll) {
  RegisterRequest request;
  request.contacts = {"<sip:1001@192.0.2.10>", "<sip:1001@192.0.2.11>"};
  register_ok(request);
  events_.clear();

  request.cseq = 10;
  request.contacts = {"*"};
  request.extra_headers = {"Expires: 0"};
  Message response = register_ok(request);
  EXPECT_TRUE(contact_lines(response).empty());
  EXPECT_TRUE(registrar_->lookup("1001").empty());
  EXPECT_EQ(events_.size(), 2u);
  for (const auto& event : events_) EXPECT_EQ(event.kind, BindingEventKind::Removed);
}

TEST_F(RegistrarTest, WildcardRules) {
  RegisterRequest request;
  register_ok(request);
  request.cseq = 10;
  request.contacts = {"*"};  // no Expires: 0
  EXPECT_EQ(register_authenticated(request, "demo1001").status(), 400);
  request.cseq = 20;
  request.extra_headers = {"Expires: 0"};
  request.contacts = {"*", "<sip:1001@192.0.2.10>"};
  EXPECT_EQ(register_authenticated(request, "demo1001").status(), 400);
  request.contacts = {"*"};
  request.cseq = 0;  // same Call-ID, lower CSeq than the binding's
  EXPECT_EQ(register_authenticated(request, "demo1001").status(), 400);
  EXPECT_EQ(registrar_->lookup("1001").size(), 1u);
}

TEST_F(RegistrarTest, IntervalTooBriefAndClamping) {
  RegisterRequest request;
  request.extra_headers = {"Expires: 30"};
  Message brief = register_authenticated(request, "demo1001");
  EXPECT_EQ(brief.status(), 423);
  EXPECT_EQ(brief.header("Min-Expires"), "60");
  EXPECT_TRUE(registrar_->lookup("1001").empty());

  request.extra_headers = {};
  request.contacts = {"<sip:1001@192.0.2.10>;expires=100000",
                      "<sip:1001@192.0.2.11>;expires=99999999999999999999"};
  request.cseq = 10;
  Message clamped = register_ok(request);
  EXPECT_EQ(contact_lines(clamped),
            (std::vector<std::string>{"<sip:1001@192.0.2.10>;expires=7200",
                                      "<sip:1001@192.0.2.11>;expires=7200"}));

  // One brief contact rejects the whole request.
  request.cseq = 20;
  request.contacts = {"<sip:1001@192.0.2.12>;expires=3600", "<sip:1001@192.0.2.13>;expires=59"};
  EXPECT_EQ(register_authenticated(request, "demo1001").status(), 423);
  EXPECT_EQ(registrar_->lookup("1001").size(), 2u);
}

TEST_F(RegistrarTest, QueryListsBindings) {
  RegisterRequest request;
  register_ok(request);
  clock_.advance(600s);
  request.cseq = 10;
  request.contacts = {};
  Message query = register_ok(request);
  EXPECT_EQ(contact_lines(query),
            (std::vector<std::string>{"<sip:1001@192.0.2.10:5060;transport=udp>;expires=3000"}));
}

TEST_F(RegistrarTest, BindingsExpireOnTheClockWithEvents) {
  RegisterRequest request;
  request.contacts = {"<sip:1001@192.0.2.10>;expires=120", "<sip:1001@192.0.2.11>;expires=600"};
  register_ok(request);
  RegisterRequest other;
  other.user = "1002";
  other.call_id = "reg-1002@phone";
  other.contacts = {"<sip:1002@192.0.2.20>;expires=300"};
  register_ok(other, "192.0.2.20");
  events_.clear();

  EXPECT_EQ(registrar_->next_expiry(), clock_.now + 120s);
  clock_.advance(120s);
  EXPECT_EQ(registrar_->lookup("1001").size(), 1u);  // lookups skip what ran out
  EXPECT_EQ(registrar_->remove_expired(), 1u);
  EXPECT_EQ(events_,
            (std::vector<SeenEvent>{{BindingEventKind::Expired, "1001", "sip:1001@192.0.2.10"}}));
  EXPECT_EQ(registrar_->next_expiry(), clock_.now + 180s);
  clock_.advance(480s);
  EXPECT_EQ(registrar_->remove_expired(), 2u);
  EXPECT_EQ(registrar_->binding_count(), 0u);
  EXPECT_FALSE(registrar_->next_expiry().has_value());
  EXPECT_EQ(events_.size(), 3u);
  EXPECT_EQ(registrar_->remove_expired(), 0u);
}

TEST_F(RegistrarTest, ExpiredBindingIsReplacedByANewOne) {
  RegisterRequest request;
  request.contacts = {"<sip:1001@192.0.2.10>;expires=60"};
  register_ok(request);
  events_.clear();
  clock_.advance(61s);
  request.cseq = 10;
  register_ok(request);
  EXPECT_EQ(events_,
            (std::vector<SeenEvent>{{BindingEventKind::Expired, "1001", "sip:1001@192.0.2.10"},
                                    {BindingEventKind::Added, "1001", "sip:1001@192.0.2.10"}}));
}

TEST_F(RegistrarTest, RequestChecksBeforeAuthentication) {
  RegisterRequest options;
  options.method = "OPTIONS";
  EXPECT_EQ(test::parse_message(registrar_->handle(options.message(), test::udp_from("192.0.2.10")))
                .status(),
            405);

  RegisterRequest required;
  required.extra_headers = {"Require: gruu, path"};
  Message bad_extension =
      test::parse_message(registrar_->handle(required.message(), test::udp_from("192.0.2.10")));
  EXPECT_EQ(bad_extension.status(), 420);
  EXPECT_EQ(bad_extension.header("Unsupported"), "gruu, path");

  RegistrarConfig config;
  config.domains = {"kefu.example"};
  make_registrar(config);
  RegisterRequest foreign;
  foreign.domain = "elsewhere.example";
  EXPECT_EQ(test::parse_message(registrar_->handle(foreign.message(), test::udp_from("192.0.2.10")))
                .status(),
            404);
  RegisterRequest ours;
  ours.domain = "KEFU.example";
  EXPECT_EQ(test::parse_message(registrar_->handle(ours.message(), test::udp_from("192.0.2.10")))
                .status(),
            401);
}

TEST_F(RegistrarTest, InvalidQValue) {
  RegisterRequest request;
  request.contacts = {"<sip:1001@192.0.2.10>;q=1.5"};
  EXPECT_EQ(register_authenticated(request, "demo1001").status(), 400);
}

TEST_F(RegistrarTest, ContactLimitPerAddressOfRecord) {
  RegistrarConfig config;
  config.max_contacts_per_aor = 2;
  make_registrar(config);
  RegisterRequest request;
  request.contacts = {"<sip:1001@192.0.2.10>", "<sip:1001@192.0.2.11>", "<sip:1001@192.0.2.12>"};
  EXPECT_EQ(register_authenticated(request, "demo1001").status(), 403);
  EXPECT_TRUE(registrar_->lookup("1001").empty());
}

TEST_F(RegistrarTest, ThrottledAddressGets403ForEveryRegister) {
  RegisterRequest request;
  for (int i = 0; i < 10; ++i) {
    request.cseq = static_cast<std::uint32_t>(i * 2 + 1);
    EXPECT_EQ(register_authenticated(request, "wrong", "192.0.2.66").status(), 401) << i;
  }
  Message blocked =
      test::parse_message(registrar_->handle(request.message(), test::udp_from("192.0.2.66")));
  EXPECT_EQ(blocked.status(), 403);
  RegisterRequest unksm2_like = request;  // even requests we would otherwise reject as 400
  EXPECT_EQ(
      test::parse_message(registrar_->handle(unksm2_like.message(), test::udp_from("192.0.2.66")))
          .status(),
      403);
  // The same user from its own phone is fine.
  register_ok(RegisterRequest{}, "192.0.2.10");
  clock_.advance(300s);
  RegisterRequest later;
  later.call_id = "later@phone";
  register_ok(later, "192.0.2.66");
}

TEST(OpenRegistrar, WithoutAuthenticatorAcceptsAnyone) {
  VirtualClock clock;
  Registrar registrar(RegistrarConfig{}, nullptr, clock.function());
  RegisterRequest request;
  request.user = "watson";
  Message response =
      test::parse_message(registrar.handle(request.message(), test::udp_from("192.0.2.10")));
  EXPECT_EQ(response.status(), 200);
  EXPECT_EQ(registrar.lookup("watson").size(), 1u);
}

}  // namespace
}  // namespace kefu::sip
