// Interactions and notes, on SQLite and PostgreSQL.
#include <gtest/gtest.h>

#include "crm/interaction_repository.hpp"
#include "crm_test_support.hpp"
#include "store/agent_repository.hpp"

namespace kefu::crm {
namespace {

using store::StoreError;
using test::at_ms;

class HistoryTest : public test::CrmTest {
 protected:
  AgentId make_agent(const std::string& number) {
    store::Agent agent;
    agent.agent_number = number;
    agent.name = "Agent " + number;
    return store::AgentRepository(db()).create(agent);
  }
};

TEST_P(HistoryTest, InteractionsOfEveryKindRoundTrip) {
  const CustomerId customer = make_customer("张伟", {"13912345678"});
  const AgentId agent = make_agent("1001");
  InteractionRepository interactions(db());
  std::vector<Interaction> added;
  std::int64_t at = 1'700'000'000'000;
  for (const auto& [kind, name] : store::EnumNames<InteractionKind>::values) {
    Interaction interaction;
    interaction.customer = customer;
    interaction.kind = kind;
    interaction.direction = kind == InteractionKind::email ? InteractionDirection::outbound
                                                           : InteractionDirection::inbound;
    interaction.at = at_ms(at += 1000);
    interaction.call_id = kind == InteractionKind::call ? "call-1" : "";
    if (kind != InteractionKind::visit) interaction.agent = agent;
    interaction.summary = std::string(name) + ": <b>询问</b> 'quoted'";
    interaction.id = interactions.add(interaction);
    added.push_back(interaction);
  }
  for (const Interaction& interaction : added) {
    EXPECT_EQ(interactions.find(interaction.id), interaction);
  }
  auto recent = interactions.recent(customer, 100);
  ASSERT_EQ(recent.size(), added.size());
  EXPECT_EQ(recent.front(), added.back());  // newest first
  EXPECT_EQ(recent.back(), added.front());
  auto for_call = interactions.for_call("call-1");
  ASSERT_EQ(for_call.size(), 1u);
  EXPECT_EQ(for_call[0].kind, InteractionKind::call);
  EXPECT_FALSE(interactions.find(InteractionId{999'999}));
}

TEST_P(HistoryTest, RecentIsNewestFirstWithTiesByIdAndLimited) {
  const CustomerId customer = make_customer("李娜", {"13912345678"});
  const CustomerId other = make_customer("other", {"13912345679"});
  InteractionRepository interactions(db());
  std::vector<InteractionId> ids;
  for (int i = 0; i < 8; ++i) {
    Interaction interaction;
    interaction.customer = customer;
    // Times out of insertion order, two at the same millisecond.
    interaction.at = at_ms(std::vector<std::int64_t>{5, 1, 7, 3, 7, 2, 6, 4}[i]);
    interaction.summary = "#" + std::to_string(i);
    ids.push_back(interactions.add(interaction));
  }
  interactions.add({InteractionId{}, other, InteractionKind::chat, InteractionDirection::inbound,
                    at_ms(100), "", std::nullopt, "not this customer's"});
  auto recent = interactions.recent(customer, 5);
  std::vector<std::string> summaries;
  for (const auto& interaction : recent) summaries.push_back(interaction.summary);
  EXPECT_EQ(summaries, (std::vector<std::string>{"#4", "#2", "#6", "#0", "#7"}));
  EXPECT_TRUE(interactions.recent(make_customer("nobody", {}), 5).empty());
}

TEST_P(HistoryTest, InteractionNeedsAnExistingCustomer) {
  Interaction interaction;
  interaction.customer = CustomerId{424242};
  interaction.at = at_ms(1);
  EXPECT_THROW(InteractionRepository(db()).add(interaction), StoreError);
  EXPECT_FALSE(db().in_transaction());
}

TEST_P(HistoryTest, Notes) {
  const CustomerId customer = make_customer("王芳", {"13912345678"});
  const AgentId agent = make_agent("1002");
  NoteRepository notes(db());
  const NoteId first =
      notes.add({NoteId{}, customer, agent, at_ms(10), "第一次来电 <script>x</script>"});
  const NoteId second = notes.add({NoteId{}, customer, std::nullopt, at_ms(20), "system note"});
  auto recent = notes.recent(customer, 10);
  ASSERT_EQ(recent.size(), 2u);
  EXPECT_EQ(recent[0], (Note{second, customer, std::nullopt, at_ms(20), "system note"}));
  EXPECT_EQ(recent[1], (Note{first, customer, agent, at_ms(10), "第一次来电 <script>x</script>"}));
  EXPECT_EQ(notes.recent(customer, 1).size(), 1u);
  EXPECT_TRUE(notes.remove(first));
  EXPECT_FALSE(notes.remove(first));
  EXPECT_EQ(notes.recent(customer, 10).size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, HistoryTest, ::testing::Values(test::Backend::sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, HistoryTest, ::testing::Values(test::Backend::postgresql));

}  // namespace
}  // namespace kefu::crm
