// Screen-pop payloads for known and unknown callers, on SQLite and PostgreSQL.
#include "crm/screen_pop.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "crm/interaction_repository.hpp"
#include "crm_test_support.hpp"

namespace kefu::crm {
namespace {

using nlohmann::json;
using test::at_ms;

class ScreenPopTest : public test::CrmTest {
 protected:
  ScreenPopBuilder builder{numbers()};
  json pop_json(std::string_view caller) {
    return json::parse(builder.to_json(builder.build(db(), caller)));
  }
};

TEST_P(ScreenPopTest, KnownCallerGetsProfileHistoryAndVip) {
  Customer customer;
  customer.name = "张伟";
  customer.company = "天河贸易";
  customer.gender = Gender::male;
  customer.birthday = std::chrono::year{1985} / std::chrono::March / 9;
  customer.vip_tier = 3;
  customer.tags = {"wholesale", "投诉"};
  customer.account_numbers = {"ACC-1"};
  customer.phones = {{"020-8333 1234", "office", ""}, {"13912345678", "mobile", ""}};
  customer.addresses = {{"office", "中国", "广东省", "广州市", "天河区", "体育西路 1 号", ""}};
  const CustomerId id = *service().create(customer);
  InteractionRepository interactions(db());
  for (int i = 0; i < 7; ++i) {
    interactions.add({InteractionId{}, id, InteractionKind::call, InteractionDirection::inbound,
                      at_ms(1000 + i), "call-" + std::to_string(i), std::nullopt,
                      "call #" + std::to_string(i)});
  }
  NoteRepository(db()).add({NoteId{}, id, std::nullopt, at_ms(5), "prefers mornings"});

  const ScreenPop pop = builder.build(db(), "+86 139 1234 5678");
  ASSERT_TRUE(pop.known());
  EXPECT_EQ(pop.customer->id, id);
  EXPECT_EQ(pop.last_interactions.size(), 5u);
  EXPECT_FALSE(pop.contact);

  const json payload = json::parse(builder.to_json(pop));
  EXPECT_EQ(payload["known"], true);
  EXPECT_EQ(payload["number"]["dialed"], "+86 139 1234 5678");
  EXPECT_EQ(payload["number"]["e164"], "+8613912345678");
  EXPECT_EQ(payload["number"]["display"], "139 1234 5678");
  EXPECT_EQ(payload["region"], "江苏省常州市");
  EXPECT_EQ(payload["vip_tier"], 3);
  EXPECT_EQ(payload["tags"], json({"wholesale", "投诉"}));
  const json& profile = payload["customer"];
  EXPECT_EQ(profile["id"], store::raw(id));
  EXPECT_EQ(profile["name"], "张伟");
  EXPECT_EQ(profile["company"], "天河贸易");
  EXPECT_EQ(profile["gender"], "male");
  EXPECT_EQ(profile["birthday"], "1985-03-09");
  EXPECT_EQ(profile["account_numbers"], json({"ACC-1"}));
  ASSERT_EQ(profile["phones"].size(), 2u);
  EXPECT_EQ(profile["phones"][0], json({{"e164", "+862083331234"},
                                        {"display", "020 8333 1234"},
                                        {"label", "office"},
                                        {"region", "广东省广州市"}}));
  EXPECT_EQ(profile["addresses"][0]["street"], "体育西路 1 号");
  ASSERT_EQ(payload["last_interactions"].size(), 5u);
  EXPECT_EQ(payload["last_interactions"][0]["summary"], "call #6");
  EXPECT_EQ(payload["last_interactions"][0]["kind"], "call");
  EXPECT_EQ(payload["last_interactions"][0]["call_id"], "call-6");
  EXPECT_EQ(payload["last_interactions"][0]["at_ms"], 1006);
  EXPECT_EQ(payload["last_interactions"][4]["summary"], "call #2");
  EXPECT_EQ(payload["recent_notes"][0]["body"], "prefers mornings");
  EXPECT_EQ(payload["open_tickets"], json::array());
  EXPECT_EQ(payload["open_orders"], json::array());
  EXPECT_EQ(payload["other_matches"], json::array());
  EXPECT_TRUE(payload["contact"].is_null());
  EXPECT_FALSE(payload.contains("create_form"));

  // A customer stored before rows carried their lists (schema v5) pops the same, its lists
  // read from the tables.
  db().execute("UPDATE customers SET lists_json = NULL");
  EXPECT_EQ(json::parse(builder.to_json(builder.build(db(), "+86 139 1234 5678"))), payload);
}

TEST_P(ScreenPopTest, EverySpellingPopsTheSameCustomer) {
  const CustomerId id = make_customer("李娜", {"020-8333 1234"});
  for (const char* caller : {"020-8333 1234", "+86 20 83331234", "02083331234", "862083331234"}) {
    const json payload = pop_json(caller);
    EXPECT_EQ(payload["known"], true) << caller;
    EXPECT_EQ(payload["customer"]["id"], store::raw(id)) << caller;
    EXPECT_EQ(payload["number"]["dialed"], caller);
  }
}

TEST_P(ScreenPopTest, CallerWhoIsAContactOfACompany) {
  const CustomerId company = make_customer("天河贸易", {"020-8888 0000"}, 2);
  Contact contact;
  contact.customer = company;
  contact.name = "陈经理";
  contact.title = "采购经理";
  contact.e164 = "13912345678";
  const ContactId contact_id = *service().add_contact(contact);
  const CustomerId also = make_customer("陈个人", {"13912345678"}, 0);

  const json payload = pop_json("13912345678");
  EXPECT_EQ(payload["known"], true);
  EXPECT_EQ(payload["customer"]["id"], store::raw(company));  // higher VIP tier first
  EXPECT_EQ(payload["contact"]["id"], store::raw(contact_id));
  EXPECT_EQ(payload["contact"]["name"], "陈经理");
  EXPECT_EQ(payload["contact"]["title"], "采购经理");
  ASSERT_EQ(payload["other_matches"].size(), 1u);
  EXPECT_EQ(payload["other_matches"][0]["id"], store::raw(also));
  EXPECT_EQ(payload["other_matches"][0]["name"], "陈个人");
}

TEST_P(ScreenPopTest, UnknownCallerGetsNumberRegionAndCreateForm) {
  make_customer("someone", {"020-8333 1234"});
  const ScreenPop pop = builder.build(db(), "13912345678");
  EXPECT_FALSE(pop.known());
  const json payload = json::parse(builder.to_json(pop));
  EXPECT_EQ(payload["known"], false);
  EXPECT_EQ(payload["number"]["dialed"], "13912345678");
  EXPECT_EQ(payload["number"]["e164"], "+8613912345678");
  EXPECT_EQ(payload["region"], "江苏省常州市");
  EXPECT_FALSE(payload.contains("customer"));
  const json& form = payload["create_form"];
  std::vector<std::string> fields;
  for (const json& field : form["fields"]) fields.push_back(field["name"]);
  EXPECT_EQ(fields, (std::vector<std::string>{"name", "company", "gender", "phones", "addresses",
                                              "vip_tier", "tags", "account_numbers", "birthday"}));
  EXPECT_EQ(form["fields"][0]["required"], true);
  EXPECT_EQ(form["fields"][2]["choices"], json({"unspecified", "female", "male", "other"}));
  EXPECT_EQ(form["values"]["phones"],
            json::array({{{"e164", "+8613912345678"}, {"label", ""}, {"region", "江苏省常州市"}}}));

  const json fixed_line = pop_json("020-8333 9999");
  EXPECT_EQ(fixed_line["known"], false);
  EXPECT_EQ(fixed_line["region"], "广东省广州市");
}

TEST_P(ScreenPopTest, CallerIdThatIsNotANumber) {
  for (const char* caller : {"anonymous", "", "1001", "\xFF\xFE<script>"}) {
    const ScreenPop pop = builder.build(db(), caller);
    EXPECT_FALSE(pop.known());
    std::string text;
    ASSERT_NO_THROW(text = builder.to_json(pop)) << caller;
    const json payload = json::parse(text);
    EXPECT_EQ(payload["known"], false);
    EXPECT_EQ(payload["number"]["e164"], "");
    EXPECT_EQ(payload["region"], "");
    EXPECT_EQ(payload["create_form"]["values"]["phones"], json::array());
  }
  EXPECT_EQ(pop_json("anonymous")["number"]["dialed"], "anonymous");
}

TEST_P(ScreenPopTest, MarkupInNamesComesBackUnchanged) {
  const std::string name = "<script>alert(\"pop\")</script>";
  Customer customer;
  customer.name = name;
  customer.tags = {"<b>tag</b>"};
  customer.phones = {{"13912345678", "<i>label</i>", ""}};
  const CustomerId id = *service().create(customer);
  InteractionRepository(db()).add({InteractionId{}, id, InteractionKind::chat,
                                   InteractionDirection::inbound, at_ms(1), "", std::nullopt,
                                   "<img src=x onerror=alert(1)>"});
  const json payload = pop_json("13912345678");
  EXPECT_EQ(payload["customer"]["name"], name);
  EXPECT_EQ(payload["tags"][0], "<b>tag</b>");
  EXPECT_EQ(payload["customer"]["phones"][0]["label"], "<i>label</i>");
  EXPECT_EQ(payload["last_interactions"][0]["summary"], "<img src=x onerror=alert(1)>");
}

INSTANTIATE_TEST_SUITE_P(Sqlite, ScreenPopTest, ::testing::Values(test::Backend::sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, ScreenPopTest, ::testing::Values(test::Backend::postgresql));

}  // namespace
}  // namespace kefu::crm
