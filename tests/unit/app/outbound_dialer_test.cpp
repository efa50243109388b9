// Where a typed number goes: registered extensions directly, valid numbers to the gateway in the
// configured form, errors naming the problem.
#include <gtest/gtest.h>

#include "app/acd_config.hpp"
#include "app/outbound_dialer.hpp"
#include "crm/phone_numbers.hpp"

namespace kefu::app {
namespace {

class ResolveNumber : public ::testing::Test {
 protected:
  crm::PhoneNumbers numbers;
  OutboundConfig config;
  acd::ContactFinder contacts = [](const std::string& user) {
    std::vector<acd::Contact> out;
    if (user == "1002") out.push_back({"sip:1002@192.0.2.7:5062", std::nullopt});
    return out;
  };
  std::function<bool(const std::string&)> is_extension = [](const std::string& n) {
    return n == "1002" || n == "1003";
  };

  Result<OutboundRoute, DialError> resolve(std::string_view typed) {
    return resolve_number(typed, config, numbers, contacts, is_extension);
  }
  void SetUp() override { config.gateway = "sip:203.0.113.5:5060"; }
};

TEST_F(ResolveNumber, RegisteredExtensionGoesToThePhone) {
  auto route = resolve("1002");
  ASSERT_TRUE(route);
  EXPECT_EQ(route->kind, RouteKind::extension);
  EXPECT_EQ(route->target, "sip:1002@192.0.2.7:5062");
}

TEST_F(ResolveNumber, UnregisteredExtensionIsNotSentOut) {
  auto route = resolve("1003");
  ASSERT_FALSE(route);
  EXPECT_EQ(route.error().problem, DialProblem::not_reachable);
}

TEST_F(ResolveNumber, E164ByDefault) {
  auto route = resolve("139-1234 5678");
  ASSERT_TRUE(route) << route.error().message;
  EXPECT_EQ(route->kind, RouteKind::gateway);
  EXPECT_EQ(route->number, "+8613912345678");
  EXPECT_EQ(route->target, "sip:+8613912345678@203.0.113.5:5060");
}

TEST_F(ResolveNumber, NationalDigitsWithPrefixes) {
  config.number_format = GatewayNumberFormat::national;
  config.strip_prefix = "9";
  config.add_prefix = "17909";
  auto landline = resolve("9020-8333 1234");
  ASSERT_TRUE(landline) << landline.error().message;
  EXPECT_EQ(landline->number, "+862083331234");
  EXPECT_EQ(landline->target, "sip:1790902083331234@203.0.113.5:5060");
  config.add_prefix.clear();
  auto abroad = resolve("+1 650-253-0000");
  ASSERT_TRUE(abroad) << abroad.error().message;
  EXPECT_EQ(abroad->target, "sip:0016502530000@203.0.113.5:5060") << "international prefix from CN";
}

TEST_F(ResolveNumber, InvalidNumberAndNoGateway) {
  auto invalid = resolve("12345");
  ASSERT_FALSE(invalid);
  EXPECT_EQ(invalid.error().problem, DialProblem::invalid_number);
  EXPECT_FALSE(resolve(""));
  EXPECT_FALSE(resolve(std::string(41, '1')));
  config.gateway.clear();
  auto no_gateway = resolve("13912345678");
  ASSERT_FALSE(no_gateway);
  EXPECT_EQ(no_gateway.error().problem, DialProblem::no_gateway);
  EXPECT_TRUE(resolve("1002")) << "extensions need no gateway";
}

TEST(OutboundConfigParse, ReadsAndChecksTheSection) {
  auto setup = parse_acd_setup(R"(
[outbound]
gateway = "sip:127.0.0.1:5090"
caller_id = "02088886666"
number_format = "national"
ring_timeout_s = 30
)",
                               "t.toml");
  ASSERT_TRUE(setup) << setup.error();
  EXPECT_EQ(setup->outbound.gateway, "sip:127.0.0.1:5090");
  EXPECT_EQ(setup->outbound.number_format, GatewayNumberFormat::national);
  EXPECT_EQ(setup->outbound.ring_timeout, std::chrono::seconds(30));
  EXPECT_EQ(setup->outbound.agent_ring_timeout, std::chrono::seconds(20));
  for (const char* bad :
       {"[outbound]\ngateway = \"sip:1001@127.0.0.1\"\n", "[outbound]\ngateway = \"http://x\"\n",
        "[outbound]\nnumber_format = \"local\"\n", "[outbound]\ncaller_id = \"abc\"\n"}) {
    auto parsed = parse_acd_setup(bad, "bad.toml");
    ASSERT_FALSE(parsed) << bad;
    EXPECT_NE(parsed.error().find("outbound: "), std::string::npos) << parsed.error();
  }
  EXPECT_TRUE(parse_acd_setup("", "empty.toml")->outbound.gateway.empty());
}

}  // namespace
}  // namespace kefu::app
