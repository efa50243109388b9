#include <gtest/gtest.h>

#include <ostream>

#include "app/acd_config.hpp"
#include "demo/demo_setup.hpp"

namespace kefu::app {
namespace {

const char* kMinimal = R"(
[[queue]]
name = "sales"

[[agent]]
id = "1001"
queues = { sales = 0 }
)";

TEST(AcdConfig, DemoSetupParsesWithTwoQueuesTenAgentsAndAVip) {
  auto setup = parse_acd_setup(demo::demo_acd_setup(), "demo");
  ASSERT_TRUE(setup) << setup.error();
  EXPECT_EQ(setup->queues.size(), 2u);
  EXPECT_EQ(setup->agents.size(), 10u);
  EXPECT_EQ(setup->menu_queue, "service");
  bool vip = false;
  for (const auto& c : setup->customers) vip |= c.vip_tier > 0;
  EXPECT_TRUE(vip);
  for (const auto& a : setup->agents) {
    EXPECT_TRUE(a.settings.presence_follows_phone) << a.settings.routing.id;
    EXPECT_EQ(a.password, "demo" + a.settings.routing.id);
  }
  EXPECT_EQ(setup->queues[1].overflow, acd::OverflowKind::queue);
  EXPECT_EQ(setup->queues[1].routing.overflow_target, "service");
  EXPECT_EQ(setup->queues[1].routing.relaxation.size(), 3u);
}

TEST(AcdConfig, DefaultsFillWhatIsNotWritten) {
  auto setup = parse_acd_setup(kMinimal, "t.toml");
  ASSERT_TRUE(setup) << setup.error();
  const auto& q = setup->queues.at(0);
  EXPECT_EQ(q.routing.strategy, acd::Strategy::LongestIdle);
  EXPECT_EQ(q.routing.ring_timeout, std::chrono::seconds(20));
  EXPECT_EQ(q.recording, acd::RecordingPolicy::none);
  EXPECT_EQ(setup->agents.at(0).settings.extensions, std::vector<std::string>{"1001"});
  EXPECT_EQ(setup->menu_queue, "sales");
}

struct BadCase {
  const char* text;
  const char* expected;  // part of the error message
};

void PrintTo(const BadCase& c, std::ostream* out) { *out << c.expected; }

class AcdConfigErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(AcdConfigErrors, NameTheEntryAndTheKey) {
  auto setup = parse_acd_setup(GetParam().text, "bad.toml");
  ASSERT_FALSE(setup);
  EXPECT_NE(setup.error().find(GetParam().expected), std::string::npos) << setup.error();
  EXPECT_EQ(setup.error().rfind("bad.toml", 0), 0u) << setup.error();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, AcdConfigErrors,
    ::testing::Values(
        BadCase{"[[queue]]\nname = \"a\"\nstrategy = \"fastest\"\n", "queue[0] 'a': strategy: unknown value 'fastest'"},
        BadCase{"[[queue]]\nstrategy = \"round_robin\"\n", "queue[0]: name: required"},
        BadCase{"[[queue]]\nname = \"a\"\n[[queue]]\nname = \"a\"\n", "queue[1] 'a': name: duplicate"},
        BadCase{"[[queue]]\nname = \"a\"\nrequired_skills = { x = 11 }\n", "required_skills.x: must be a number from 1 to 10"},
        BadCase{"[[queue]]\nname = \"a\"\nring_timeout_s = -1\n", "ring_timeout_s: out of range"},
        BadCase{"[[queue]]\nname = \"a\"\noverflow = \"queue:nowhere\"\n", "overflow: no queue named 'nowhere'"},
        BadCase{"[[queue]]\nname = \"a\"\nrelaxation = [ { after_s = 5, min_level = 3 }, { after_s = 5, min_level = 1 } ]\n",
                "relaxation: after_s must increase"},
        BadCase{"[[queue]]\nname = \"a\"\n[[agent]]\nid = \"1\"\nqueues = { b = 0 }\n", "agent[0] '1': queues: no queue named 'b'"},
        BadCase{"[[queue]]\nname = \"a\"\n[[agent]]\nid = \"1\"\n[[agent]]\nid = \"2\"\nextensions = [\"1\"]\n",
                "extensions: '1' already belongs to another agent"},
        BadCase{"[[queue]]\nname = \"a\"\nmax_length = \"ten\"\n", "max_length: wrong type"},
        BadCase{"[[route]]\nnumber = \"1\"\nqueue = \"x\"\n", "route[0]: queue: no queue named 'x'"},
        BadCase{"[[queue]\n", "bad.toml:1:"}));

}  // namespace
}  // namespace kefu::app
