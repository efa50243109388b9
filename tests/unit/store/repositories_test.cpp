#include <gtest/gtest.h>

#include "store/agent_repository.hpp"
#include "store/call_repository.hpp"
#include "store/customer_repository.hpp"
#include "store/queue_repository.hpp"
#include "store/recording_repository.hpp"
#include "test_support.hpp"

namespace kefu::store {
namespace {

using test::at_ms;

class RepositoryTest : public test::StoreTest {
 protected:
  AgentId make_agent(const std::string& number) {
    Agent agent;
    agent.agent_number = number;
    agent.name = "Agent " + number;
    agent.extensions = {number};
    return AgentRepository(db()).create(agent);
  }
  QueueId make_queue(const std::string& name) {
    Queue queue;
    queue.name = name;
    return QueueRepository(db()).create(queue);
  }
};

TEST_P(RepositoryTest, AgentCrud) {
  AgentRepository agents(db());
  Agent a;
  a.agent_number = "1001";
  a.name = "张三";
  a.password_hash = "placeholder";
  a.extensions = {"1001", "1001-mobile"};
  a.presence_follows_phone = PresenceFollowsPhone::yes;
  const AgentId id = agents.create(a);

  auto found = agents.find(id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->agent_number, "1001");
  EXPECT_EQ(found->name, "张三");
  EXPECT_EQ(found->password_hash, "placeholder");
  EXPECT_EQ(found->extensions, (std::vector<std::string>{"1001", "1001-mobile"}));
  EXPECT_EQ(found->presence_follows_phone, PresenceFollowsPhone::yes);
  EXPECT_EQ(found->record_calls, RecordCalls::no);

  EXPECT_EQ(agents.find_by_number("1001")->id, id);
  EXPECT_EQ(agents.find_by_extension("1001-mobile")->id, id);
  EXPECT_FALSE(agents.find_by_extension("9999"));

  found->name = "李四";
  found->extensions = {"2001"};
  found->record_calls = RecordCalls::yes;
  agents.update(*found);
  auto updated = agents.find(id);
  EXPECT_EQ(updated->name, "李四");
  EXPECT_EQ(updated->extensions, std::vector<std::string>{"2001"});
  EXPECT_EQ(updated->record_calls, RecordCalls::yes);
  EXPECT_FALSE(agents.find_by_extension("1001"));

  // Duplicate 工号 and duplicate extension are constraint errors; the failed create leaves no row.
  Agent duplicate;
  duplicate.agent_number = "1001";
  duplicate.name = "dup";
  try {
    agents.create(duplicate);
    FAIL();
  } catch (const StoreError& e) {
    EXPECT_EQ(e.kind(), StoreErrorKind::constraint);
  }
  Agent taken_extension;
  taken_extension.agent_number = "1002";
  taken_extension.name = "x";
  taken_extension.extensions = {"2001"};
  EXPECT_THROW(agents.create(taken_extension), StoreError);
  EXPECT_FALSE(agents.find_by_number("1002"));
  EXPECT_FALSE(db().in_transaction());

  Agent ghost;
  ghost.id = AgentId{424242};
  EXPECT_THROW(agents.update(ghost), StoreError);

  EXPECT_EQ(agents.list().size(), 1u);
  agents.remove(id);
  EXPECT_FALSE(agents.find(id));
  EXPECT_TRUE(agents.list().empty());
}

TEST_P(RepositoryTest, SkillsAndLevels) {
  SkillRepository skills(db());
  AgentRepository agents(db());
  const SkillId billing = skills.create("billing");
  const SkillId english = skills.create("english");
  EXPECT_EQ(skills.find_by_name("billing")->id, billing);
  EXPECT_EQ(skills.list().size(), 2u);

  const AgentId agent = make_agent("1001");
  agents.set_skill(agent, billing, 7);
  agents.set_skill(agent, english, 3);
  agents.set_skill(agent, english, 5);  // changes the level
  auto levels = agents.skills_of(agent);
  ASSERT_EQ(levels.size(), 2u);
  EXPECT_EQ(levels[0].skill, billing);
  EXPECT_EQ(levels[0].level, 7);
  EXPECT_EQ(levels[1].level, 5);

  EXPECT_THROW(agents.set_skill(agent, billing, 11), StoreError);  // 1–10
  EXPECT_THROW(agents.set_skill(agent, billing, 0), StoreError);
  EXPECT_THROW(agents.set_skill(agent, SkillId{999}, 5), StoreError);  // foreign key

  agents.remove_skill(agent, english);
  EXPECT_EQ(agents.skills_of(agent).size(), 1u);
}

TEST_P(RepositoryTest, QueueCrudMembersAndSkills) {
  QueueRepository queues(db());
  const QueueId overflow = make_queue("overflow");
  Queue q;
  q.name = "sales";
  q.strategy = QueueStrategy::skills_weighted;
  q.max_wait = Millis{90'000};
  q.max_length = 12;
  q.overflow = OverflowKind::queue;
  q.overflow_queue = overflow;
  q.wrap_up = Millis{15'000};
  q.ring_timeout = Millis{25'000};
  q.service_level = Millis{20'000};
  q.recording = RecordingPolicy::chosen_agents;
  q.music_on_hold = "moh-default";
  const QueueId id = queues.create(q);

  auto found = queues.find(id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->name, "sales");
  EXPECT_EQ(found->strategy, QueueStrategy::skills_weighted);
  EXPECT_EQ(found->max_wait, Millis{90'000});
  EXPECT_EQ(found->max_length, 12);
  EXPECT_EQ(found->overflow, OverflowKind::queue);
  EXPECT_EQ(found->overflow_queue, overflow);
  EXPECT_EQ(found->wrap_up, Millis{15'000});
  EXPECT_EQ(found->ring_timeout, Millis{25'000});
  EXPECT_EQ(found->service_level, Millis{20'000});
  EXPECT_EQ(found->recording, RecordingPolicy::chosen_agents);
  EXPECT_EQ(found->music_on_hold, "moh-default");

  found->strategy = QueueStrategy::ring_all;
  found->overflow = OverflowKind::goodbye;
  found->overflow_queue.reset();
  queues.update(*found);
  EXPECT_EQ(queues.find_by_name("sales")->strategy, QueueStrategy::ring_all);
  EXPECT_FALSE(queues.find_by_name("sales")->overflow_queue);
  EXPECT_EQ(queues.list().size(), 2u);

  const AgentId a1 = make_agent("1001");
  const AgentId a2 = make_agent("1002");
  queues.set_member(id, a1, 5);
  queues.set_member(id, a2, 0);
  queues.set_member(overflow, a1, 1);
  queues.set_member(id, a1, 2);  // changes the penalty
  auto members = queues.members(id);
  ASSERT_EQ(members.size(), 2u);
  EXPECT_EQ(members[0].agent, a2);  // lower penalty first
  EXPECT_EQ(members[1].penalty, 2);
  EXPECT_EQ(queues.memberships_of(a1).size(), 2u);
  queues.remove_member(id, a2);
  EXPECT_EQ(queues.members(id).size(), 1u);

  const SkillId billing = SkillRepository(db()).create("billing");
  queues.set_required_skill(id, billing, 7);
  ASSERT_EQ(queues.required_skills(id).size(), 1u);
  EXPECT_EQ(queues.required_skills(id)[0].min_level, 7);
  queues.remove_required_skill(id, billing);
  EXPECT_TRUE(queues.required_skills(id).empty());

  queues.remove(id);  // members go with it
  EXPECT_FALSE(queues.find(id));
  EXPECT_EQ(queues.memberships_of(a1).size(), 1u);
}

TEST_P(RepositoryTest, CustomerCrudAndLookupByPhone) {
  CustomerRepository customers(db());
  Customer vip{CustomerId{}, "广州贸易公司", 2, {"+862083331234", "+8613912345678"}};
  const CustomerId vip_id = customers.create(vip);
  Customer colleague{CustomerId{}, "同事", 0, {"+862083331234"}};  // shared switchboard
  const CustomerId colleague_id = customers.create(colleague);

  auto found = customers.find(vip_id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->name, "广州贸易公司");
  EXPECT_EQ(found->vip_tier, 2);
  EXPECT_EQ(found->phones.size(), 2u);

  auto by_mobile = customers.find_by_phone("+8613912345678");
  ASSERT_EQ(by_mobile.size(), 1u);
  EXPECT_EQ(by_mobile[0].id, vip_id);
  auto by_switchboard = customers.find_by_phone("+862083331234");
  ASSERT_EQ(by_switchboard.size(), 2u);
  EXPECT_EQ(by_switchboard[0].id, vip_id);  // highest VIP tier first
  EXPECT_EQ(by_switchboard[1].id, colleague_id);
  EXPECT_TRUE(customers.find_by_phone("+10000000000").empty());

  found->phones = {"+8613800000000"};
  found->vip_tier = 3;
  customers.update(*found);
  EXPECT_TRUE(customers.find_by_phone("+8613912345678").empty());
  EXPECT_EQ(customers.find_by_phone("+8613800000000").at(0).vip_tier, 3);

  // The look-up can use the index, not a table scan.
  std::string plan;
  if (backend() == test::Backend::sqlite) {
    auto rows =
        db().query("EXPLAIN QUERY PLAN SELECT customer_id FROM customer_phones WHERE e164 = ?",
                   {std::string("+1")});
    ASSERT_FALSE(rows.empty());
    plan = rows[0].text(3);
  } else {
    // A few rows: the planner would rightly scan them; with scans priced out it must find the
    // index.
    db().execute_script("SET enable_seqscan = off");
    for (const Row& row :
         db().query("EXPLAIN SELECT customer_id FROM customer_phones WHERE e164 = '+1'")) {
      plan += row.text(0) + "\n";
    }
  }
  EXPECT_NE(plan.find("customer_phones_by_number"), std::string::npos) << plan;

  customers.remove(vip_id);
  EXPECT_FALSE(customers.find(vip_id));
  EXPECT_TRUE(customers.find_by_phone("+8613800000000").empty());
}

TEST_P(RepositoryTest, CallRecordLifecycleWithLegsAndEvents) {
  const QueueId queue = make_queue("support");
  const AgentId agent = make_agent("1001");
  CallRecordRepository calls(db());
  QueueEventLog events(db());

  CallRecord record;
  record.call_id = "call-1";
  record.caller_number = "+8613912345678";
  record.dialed_number = "4000";
  record.arrival = at_ms(1'000'000);
  calls.insert(record);
  EXPECT_THROW(calls.insert(record), StoreError);  // one row per call
  EXPECT_EQ(calls.open_calls().size(), 1u);

  CallLeg caller_leg{LegRowId{},       "call-1",     LegRole::caller,
                     "+8613912345678", std::nullopt, at_ms(1'000'000),
                     at_ms(1'000'010), std::nullopt, ""};
  caller_leg.id = calls.add_leg(caller_leg);

  record.queue = queue;
  record.queued = at_ms(1'002'000);
  calls.update(record);
  events.append({"call-1", queue, std::nullopt, QueueEventKind::enqueue, at_ms(1'002'000), ""});

  record.offered = at_ms(1'010'000);
  record.agent = agent;
  calls.update(record);
  events.append({"call-1", queue, agent, QueueEventKind::offer, at_ms(1'010'000), "{}"});
  CallLeg agent_leg{LegRowId{},       "call-1",     LegRole::agent, "1001", agent,
                    at_ms(1'010'000), std::nullopt, std::nullopt,   ""};
  agent_leg.id = calls.add_leg(agent_leg);

  record.answered = at_ms(1'015'000);
  calls.update(record);
  agent_leg.answered = record.answered;
  calls.update_leg(agent_leg);
  events.append({"call-1", queue, agent, QueueEventKind::connect, at_ms(1'015'000), ""});

  const CallEnd end{at_ms(1'075'000), Disposition::answered, Millis{13'000}, Millis{60'000},
                    Millis{5'000}};
  EXPECT_TRUE(calls.finish("call-1", end));
  EXPECT_FALSE(calls.finish("call-1", end));  // already closed
  events.append({"call-1", queue, agent, QueueEventKind::complete, at_ms(1'075'000), ""});

  auto stored = calls.find("call-1");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->direction, CallDirection::inbound);
  EXPECT_EQ(stored->queue, queue);
  EXPECT_EQ(stored->agent, agent);
  EXPECT_EQ(stored->arrival, at_ms(1'000'000));
  EXPECT_EQ(stored->queued, at_ms(1'002'000));
  EXPECT_EQ(stored->offered, at_ms(1'010'000));
  EXPECT_EQ(stored->answered, at_ms(1'015'000));
  EXPECT_EQ(stored->ended, at_ms(1'075'000));
  EXPECT_EQ(stored->wait, Millis{13'000});
  EXPECT_EQ(stored->talk, Millis{60'000});
  EXPECT_EQ(stored->hold, Millis{5'000});
  EXPECT_EQ(stored->disposition, Disposition::answered);
  EXPECT_TRUE(calls.open_calls().empty());

  auto legs = calls.legs("call-1");
  ASSERT_EQ(legs.size(), 2u);
  EXPECT_EQ(legs[0].role, LegRole::caller);
  EXPECT_EQ(legs[1].role, LegRole::agent);
  EXPECT_EQ(legs[1].agent, agent);
  EXPECT_EQ(legs[1].answered, at_ms(1'015'000));

  auto log = events.for_call("call-1");
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log[0].kind, QueueEventKind::enqueue);
  EXPECT_FALSE(log[0].agent);
  EXPECT_EQ(log[1].details, "{}");
  EXPECT_EQ(log[3].kind, QueueEventKind::complete);

  EXPECT_EQ(calls.last_agent_for("+8613912345678", at_ms(0)), agent);
  EXPECT_FALSE(calls.last_agent_for("+8613912345678", at_ms(2'000'000)));
  EXPECT_FALSE(calls.last_agent_for("+10000000000", at_ms(0)));
}

TEST_P(RepositoryTest, CloseInterruptedCallsClosesOnlyOpenOnes) {
  CallRecordRepository calls(db());
  CallRecord done;
  done.call_id = "done";
  done.caller_number = "+1";
  done.dialed_number = "4000";
  done.arrival = at_ms(100);
  calls.insert(done);
  calls.finish("done", {at_ms(200), Disposition::abandoned, Millis{100}, Millis{0}, Millis{0}});

  for (const char* id : {"open-1", "open-2"}) {
    CallRecord open = done;
    open.call_id = id;
    calls.insert(open);
  }
  calls.add_leg({LegRowId{}, "open-1", LegRole::caller, "+1", std::nullopt, at_ms(100),
                 std::nullopt, std::nullopt, ""});

  EXPECT_EQ(calls.close_interrupted_calls(at_ms(5'000)), 2);
  EXPECT_EQ(calls.close_interrupted_calls(at_ms(6'000)), 0);  // idempotent

  auto d = calls.find("done");
  EXPECT_EQ(d->disposition, Disposition::abandoned);
  EXPECT_EQ(d->ended, at_ms(200));
  for (const char* id : {"open-1", "open-2"}) {
    auto r = calls.find(id);
    EXPECT_EQ(r->disposition, Disposition::interrupted) << id;
    EXPECT_EQ(r->ended, at_ms(5'000)) << id;
  }
  auto legs = calls.legs("open-1");
  ASSERT_EQ(legs.size(), 1u);
  EXPECT_EQ(legs[0].ended, at_ms(5'000));
  EXPECT_EQ(legs[0].end_reason, "interrupted");
}

TEST_P(RepositoryTest, AgentStateLog) {
  const AgentId agent = make_agent("1001");
  AgentStateLog log(db());
  log.append({agent, AgentState::ready, "", at_ms(1'000)});
  log.append({agent, AgentState::not_ready, "lunch", at_ms(2'000)});
  log.append({agent, AgentState::logged_out, "registration expired", at_ms(3'000)});
  auto all = log.for_agent(agent, at_ms(0));
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[1].state, AgentState::not_ready);
  EXPECT_EQ(all[1].reason, "lunch");
  EXPECT_EQ(log.for_agent(agent, at_ms(2'000)).size(), 2u);
  EXPECT_THROW(log.append({AgentId{999}, AgentState::ready, "", at_ms(0)}), StoreError);
}

TEST_P(RepositoryTest, RecordingsAndReconciliation) {
  const AgentId agent = make_agent("1001");
  RecordingRepository recordings(db());
  Recording r{RecordingId{},
              "call-1",
              agent,
              "+8613912345678",
              at_ms(10'000),
              Millis{0},
              "recordings/2026/11/23/call-1.wav",
              RecordingState::writing};
  const RecordingId first = recordings.create(r);
  r.call_id = "call-2";
  r.file_path = "recordings/2026/11/23/call-2.wav";
  const RecordingId second = recordings.create(r);
  EXPECT_THROW(recordings.create(r), StoreError);  // one row per file

  recordings.finish(first, RecordingState::complete, Millis{61'500});
  auto done = recordings.find(first);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->state, RecordingState::complete);
  EXPECT_EQ(done->duration, Millis{61'500});
  EXPECT_EQ(done->agent, agent);
  EXPECT_EQ(done->caller_number, "+8613912345678");

  auto writing = recordings.in_state(RecordingState::writing);
  ASSERT_EQ(writing.size(), 1u);
  EXPECT_EQ(writing[0].id, second);
  EXPECT_EQ(writing[0].file_path, "recordings/2026/11/23/call-2.wav");
  EXPECT_EQ(recordings.for_call("call-1").size(), 1u);
  EXPECT_THROW(recordings.finish(RecordingId{999}, RecordingState::failed, Millis{0}), StoreError);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, RepositoryTest, ::testing::Values(test::Backend::sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, RepositoryTest, ::testing::Values(test::Backend::postgresql));

}  // namespace
}  // namespace kefu::store
