// Customers through CustomerService and CustomerRepository, on SQLite and PostgreSQL.
#include <algorithm>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "crm/customer_repository.hpp"
#include "crm_test_support.hpp"

namespace kefu::crm {
namespace {

using namespace std::chrono_literals;
using store::StoreError;
using store::StoreErrorKind;
using test::at_ms;

class CustomerTest : public test::CrmTest {};

Customer full_customer() {
  Customer customer;
  customer.name = "  张伟 ";
  customer.company = "广州天河贸易有限公司";
  customer.gender = Gender::male;
  customer.birthday = std::chrono::year{1985} / std::chrono::March / 9;
  customer.vip_tier = 2;
  customer.phones = {{"020-8333 1234", "office", ""},
                     {"13912345678", "mobile", ""},
                     {"+86 20 83331234", "duplicate of the office", ""}};
  customer.addresses = {{"office", "中国", "广东省", "广州市", "天河区", "体育西路 1 号", "510620"},
                        {"home", "中国", "江苏省", "常州市", "", "", ""}};
  customer.tags = {"wholesale", " vip ", "wholesale", ""};
  customer.account_numbers = {"ACC-002", "ACC-001 "};
  return customer;
}

TEST_P(CustomerTest, CreateNormalisesAndFindReturnsEverything) {
  auto id = service().create(full_customer());
  ASSERT_TRUE(id) << id.error();
  auto found = service().find(*id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, *id);
  EXPECT_EQ(found->name, "张伟");
  EXPECT_EQ(found->company, "广州天河贸易有限公司");
  EXPECT_EQ(found->gender, Gender::male);
  EXPECT_EQ(found->birthday, std::chrono::year{1985} / std::chrono::March / 9);
  EXPECT_EQ(found->vip_tier, 2);
  EXPECT_EQ(found->phones, (std::vector<Phone>{{"+862083331234", "office", "广东省广州市"},
                                               {"+8613912345678", "mobile", "江苏省常州市"}}));
  ASSERT_EQ(found->addresses.size(), 2u);
  EXPECT_EQ(found->addresses[0].label, "office");
  EXPECT_EQ(found->addresses[0].street, "体育西路 1 号");
  EXPECT_EQ(found->addresses[1].city, "常州市");
  EXPECT_EQ(found->tags, (std::vector<std::string>{"vip", "wholesale"}));
  EXPECT_EQ(found->account_numbers, (std::vector<std::string>{"ACC-001", "ACC-002"}));
  EXPECT_EQ(found->created, at_ms(now_ms));
  EXPECT_EQ(found->updated, at_ms(now_ms));
  EXPECT_FALSE(service().find(CustomerId{store::raw(*id) + 1000}));
}

TEST_P(CustomerTest, UpdateReplacesListsAndKeepsCreated) {
  const auto created_ms = now_ms;
  auto id = service().create(full_customer());
  ASSERT_TRUE(id) << id.error();
  Customer customer = *service().find(*id);
  now_ms += 60'000;
  customer.name = "Zhang Wei";
  customer.gender = Gender::unspecified;
  customer.birthday.reset();
  customer.phones = {{"0519-8888 6666", "常州办公室", ""}};
  customer.addresses.clear();
  customer.tags = {"new"};
  customer.account_numbers = {"ACC-001"};
  ASSERT_TRUE(service().update(customer));

  auto found = service().find(*id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->name, "Zhang Wei");
  EXPECT_EQ(found->gender, Gender::unspecified);
  EXPECT_FALSE(found->birthday);
  ASSERT_EQ(found->phones.size(), 1u);
  EXPECT_EQ(found->phones[0].e164, "+8651988886666");
  EXPECT_EQ(found->phones[0].region, "江苏省常州市");
  EXPECT_TRUE(found->addresses.empty());
  EXPECT_EQ(found->tags, std::vector<std::string>{"new"});
  EXPECT_EQ(found->account_numbers, std::vector<std::string>{"ACC-001"});
  EXPECT_EQ(found->created, at_ms(created_ms));
  EXPECT_EQ(found->updated, at_ms(now_ms));
  EXPECT_TRUE(service().find_by_phone("13912345678")->empty());  // the old number is gone
  EXPECT_FALSE(service().find_by_account("ACC-002"));

  customer.id = CustomerId{store::raw(*id) + 1000};
  try {
    (void)service().update(customer);
    FAIL() << "update of a missing customer";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.kind(), StoreErrorKind::not_found);
  }
}

TEST_P(CustomerTest, RemoveTakesEverythingAlong) {
  const CustomerId id = make_customer("王芳", {"13912345678"});
  Contact contact;
  contact.customer = id;
  contact.name = "秘书";
  contact.e164 = "020-8333 1234";
  ASSERT_TRUE(service().add_contact(contact));
  EXPECT_TRUE(service().remove(id));
  EXPECT_FALSE(service().remove(id));
  EXPECT_FALSE(service().find(id));
  EXPECT_TRUE(service().find_by_phone("13912345678")->empty());
  EXPECT_TRUE(service().find_by_phone("020-8333 1234")->empty());
  EXPECT_FALSE(db().query_one("SELECT 1 FROM customer_contacts"));
  EXPECT_FALSE(db().query_one("SELECT 1 FROM customer_phones"));
}

TEST_P(CustomerTest, EverySpellingOfANumberFindsTheSameCustomer) {
  const CustomerId id = make_customer("李娜", {"020-8333 1234"});
  make_customer("someone else", {"020-8333 1235"});
  for (const char* spelling : {"020-8333 1234", "+86 20 83331234", "02083331234"}) {
    auto found = service().find_by_phone(spelling);
    ASSERT_TRUE(found) << found.error();
    ASSERT_EQ(found->size(), 1u) << spelling;
    EXPECT_EQ(found->front().id, id) << spelling;
    EXPECT_EQ(found->front().name, "李娜");
  }
  EXPECT_TRUE(service().find_by_phone("13912345678")->empty());
  auto invalid = service().find_by_phone("not a number");
  ASSERT_FALSE(invalid);
  EXPECT_NE(invalid.error().find("'not a number'"), std::string::npos);
}

TEST_P(CustomerTest, SharedNumberListsHighestVipFirstAndContactsCount) {
  const CustomerId plain = make_customer("前台", {"020-8333 1234"}, 0);
  const CustomerId vip = make_customer("大客户", {"020 83331234"}, 5);
  const CustomerId company = make_customer("天河贸易", {"020-8888 0000"}, 1);
  Contact contact;
  contact.customer = company;
  contact.name = "陈经理";
  contact.title = "采购经理";
  contact.e164 = "+86 20 8333 1234";
  contact.email = "chen@example.cn";
  auto contact_id = service().add_contact(contact);
  ASSERT_TRUE(contact_id) << contact_id.error();

  auto found = service().find_by_phone("02083331234");
  ASSERT_TRUE(found);
  ASSERT_EQ(found->size(), 3u);
  EXPECT_EQ((*found)[0].id, vip);
  EXPECT_EQ((*found)[1].id, company);
  EXPECT_EQ((*found)[2].id, plain);

  CustomerRepository repository(db());
  EXPECT_EQ(repository.find_by_phone("+862083331234", 1).size(), 1u);
  auto contacts = repository.contacts_by_phone("+862083331234");
  ASSERT_EQ(contacts.size(), 1u);
  EXPECT_EQ(contacts[0].id, *contact_id);
  EXPECT_EQ(contacts[0].e164, "+862083331234");
}

// SQLite lists the ids a number finds in the statement up to 32 of them and uses a subquery
// beyond: both give each customer once (a number that is a customer's own and a contact's
// too), the highest VIP first, then by id, cut to the limit.
TEST_P(CustomerTest, ANumberSharedByFewOrManyGivesEachCustomerOnceInOrder) {
  for (int sharers : {5, 45}) {
    const std::string number = "020-8333 " + std::to_string(1000 + sharers);
    std::vector<std::pair<int, std::int64_t>> expected;  // (-vip, id)
    for (int i = 0; i < sharers; ++i) {
      const int vip = (i * 7) % 4;
      const CustomerId id = make_customer("共享 " + std::to_string(i), {number}, vip);
      expected.emplace_back(-vip, store::raw(id));
      if (i % 3 == 0) {  // the same number as the customer's own contact's
        Contact contact;
        contact.customer = id;
        contact.name = "总机";
        contact.e164 = number;
        ASSERT_TRUE(service().add_contact(contact));
      }
    }
    std::sort(expected.begin(), expected.end());
    auto found = service().find_by_phone(number);
    ASSERT_TRUE(found) << found.error();
    const std::size_t want = std::min<std::size_t>(expected.size(), 20);
    ASSERT_EQ(found->size(), want) << sharers;
    for (std::size_t i = 0; i < want; ++i) {
      EXPECT_EQ(store::raw((*found)[i].id), expected[i].second) << sharers << " #" << i;
      EXPECT_EQ((*found)[i].phones.size(), 1u);
    }
  }
}

// The row's copy of the lists (schema v5) against the tables it copies: a customer whose row
// has none (stored before v5) reads the same from the tables, by every look-up.
TEST_P(CustomerTest, TheRowsCopyOfTheListsReadsAsTheTables) {
  CustomerRepository customers(db());
  Customer given;
  given.name = "陈静";
  given.vip_tier = 1;
  // Given as the repository may get them: a number twice, tags twice and unsorted.
  given.phones = {{"+8613912345678", "mobile", "江苏省常州市"},
                  {"+862083331234", "office", "广东省广州市"},
                  {"+8613912345678", "again", ""}};
  given.addresses = {{"home", "中国", "江苏省", "常州市", "", "", ""},
                     {"office", "中国", "广东省", "广州市", "天河区", "体育西路 1 号", "510620"}};
  given.tags = {"wholesale", "vip", "wholesale", "<b>\"quoted\"</b>"};
  given.account_numbers = {"ACC-9", "ACC-10"};
  const CustomerId id = customers.create(given, at_ms(now_ms));
  make_customer("另一位", {"13912345678"});  // shares the number: two rows in the match

  const auto read_all = [&] {
    std::vector<Customer> read;
    read.push_back(*customers.find(id));
    for (Customer& c : customers.find_by_phone("+8613912345678")) read.push_back(std::move(c));
    read.push_back(*customers.find_by_account("ACC-10"));
    return read;
  };
  const auto lists_json_is_null = [&] {
    return db().query_one("SELECT lists_json FROM customers WHERE id = ?", {store::raw(id)})
        ->is_null(0);
  };
  ASSERT_FALSE(lists_json_is_null());
  const std::vector<Customer> from_rows = read_all();
  ASSERT_EQ(from_rows.size(), 4u);
  EXPECT_EQ(from_rows[0].phones, (std::vector<Phone>{{"+8613912345678", "mobile", "江苏省常州市"},
                                                     {"+862083331234", "office", "广东省广州市"}}));
  EXPECT_EQ(from_rows[0].tags, (std::vector<std::string>{"<b>\"quoted\"</b>", "vip", "wholesale"}));
  EXPECT_EQ(from_rows[0].account_numbers, (std::vector<std::string>{"ACC-10", "ACC-9"}));
  EXPECT_EQ(from_rows[0].addresses, given.addresses);

  db().execute("UPDATE customers SET lists_json = NULL");
  const std::vector<Customer> from_tables = read_all();
  EXPECT_EQ(from_tables, from_rows);

  // The next update writes the row's copy again.
  Customer changed = from_tables[0];
  changed.tags = {"new"};
  customers.update(changed, at_ms(now_ms));
  EXPECT_FALSE(lists_json_is_null());
  EXPECT_EQ(customers.find(id)->tags, std::vector<std::string>{"new"});
  EXPECT_EQ(customers.find(id)->phones, from_rows[0].phones);

  // A copy that is not what lists_json() writes is an error that names the customer.
  db().execute("UPDATE customers SET lists_json = ? WHERE id = ?",
               {std::string(R"({"phones":[["+8613912345678"]])"), store::raw(id)});
  try {
    (void)customers.find(id);
    FAIL() << "a broken lists_json was read";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.kind(), StoreErrorKind::bad_data);
    EXPECT_NE(std::string(e.what()).find("customer " + std::to_string(store::raw(id))),
              std::string::npos)
        << e.what();
  }
}

TEST_P(CustomerTest, ContactsCrud) {
  const CustomerId company = make_customer("天河贸易", {"020-8888 0000"});
  Contact contact;
  contact.customer = company;
  contact.name = " 陈经理 ";
  contact.e164 = "13912345678";
  auto id = service().add_contact(contact);
  ASSERT_TRUE(id) << id.error();
  Contact second;
  second.customer = company;
  second.name = "No phone";
  ASSERT_TRUE(service().add_contact(second));

  auto listed = service().contacts(company);
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].name, "陈经理");
  EXPECT_EQ(listed[0].e164, "+8613912345678");
  EXPECT_EQ(listed[1].e164, "");

  listed[0].title = "总经理";
  listed[0].e164 = "020-8333 1234";
  ASSERT_TRUE(service().update_contact(listed[0]));
  EXPECT_EQ(CustomerRepository(db()).find_contact(*id)->e164, "+862083331234");
  EXPECT_EQ(CustomerRepository(db()).find_contact(*id)->title, "总经理");
  EXPECT_TRUE(service().remove_contact(*id));
  EXPECT_FALSE(service().remove_contact(*id));
  EXPECT_EQ(service().contacts(company).size(), 1u);

  Contact bad = second;
  bad.e164 = "12";
  auto error = service().add_contact(bad);
  ASSERT_FALSE(error);
  EXPECT_NE(error.error().find("phone: phone number '12'"), std::string::npos) << error.error();
  bad.e164 = "";
  bad.email = "no-at-sign";
  EXPECT_FALSE(service().add_contact(bad));
  Contact orphan = second;
  orphan.customer = CustomerId{999'999};
  EXPECT_THROW((void)service().add_contact(orphan), StoreError);
  EXPECT_FALSE(db().in_transaction());
}

TEST_P(CustomerTest, AccountNumbers) {
  Customer customer;
  customer.name = "账户客户";
  customer.account_numbers = {"6222 0200 0000 0001", "M-88"};
  auto id = service().create(customer);
  ASSERT_TRUE(id);
  EXPECT_EQ(service().find_by_account("M-88")->id, *id);
  EXPECT_EQ(service().find_by_account(" M-88 ")->id, *id);
  EXPECT_EQ(service().find_by_account("6222 0200 0000 0001")->id, *id);
  EXPECT_FALSE(service().find_by_account("m-88"));  // account numbers are exact
  EXPECT_FALSE(service().find_by_account("M-8"));

  // An account number belongs to one customer; the failed create leaves nothing behind.
  Customer thief;
  thief.name = "second";
  thief.phones = {{"13912345678", "", ""}};
  thief.account_numbers = {"M-88"};
  try {
    (void)service().create(thief);
    FAIL() << "duplicate account number accepted";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.kind(), StoreErrorKind::constraint);
  }
  EXPECT_FALSE(db().in_transaction());
  EXPECT_TRUE(service().search_by_name("second").empty());
  EXPECT_TRUE(service().find_by_phone("13912345678")->empty());
}

TEST_P(CustomerTest, NamePrefixSearchIgnoresCaseAndWidth) {
  const CustomerId zhang_wei = make_customer("Zhang Wei", {"13912345678"});
  const CustomerId zhang_san = make_customer("ZHANG San", {"13912345679"});
  const CustomerId zhao = make_customer("zhao li", {"13912345670"});
  const CustomerId chinese_zhang = make_customer("张三", {"13912345671"});
  const CustomerId chinese_zhang2 = make_customer("张伟", {"13912345672"});
  make_customer("李四", {"13912345673"});
  make_customer("100% real", {"13912345674"});
  make_customer("a_b", {"13912345675"});

  auto ids = [](const std::vector<CustomerSummary>& found) {
    std::vector<CustomerId> out;
    for (const auto& summary : found) out.push_back(summary.id);
    return out;
  };
  EXPECT_EQ(ids(service().search_by_name("zhang")), (std::vector{zhang_san, zhang_wei}));
  EXPECT_EQ(ids(service().search_by_name("ZHANG W")), std::vector{zhang_wei});
  EXPECT_EQ(ids(service().search_by_name("  zh ")), (std::vector{zhang_san, zhang_wei, zhao}));
  EXPECT_EQ(ids(service().search_by_name("\xEF\xBC\xBA\xEF\xBD\x88")),  // full-width Ｚｈ
            (std::vector{zhang_san, zhang_wei, zhao}));
  EXPECT_EQ(ids(service().search_by_name("张")), (std::vector{chinese_zhang, chinese_zhang2}));
  EXPECT_EQ(ids(service().search_by_name("张三")), std::vector{chinese_zhang});
  EXPECT_EQ(ids(service().search_by_name("zh", 2)), (std::vector{zhang_san, zhang_wei}));
  EXPECT_TRUE(service().search_by_name("").empty());
  EXPECT_TRUE(service().search_by_name("   ").empty());
  EXPECT_TRUE(service().search_by_name("wei").empty());  // a prefix, not a substring
  // SQL wildcards are plain characters here.
  EXPECT_EQ(service().search_by_name("%").size(), 0u);
  EXPECT_EQ(service().search_by_name("100%").size(), 1u);
  EXPECT_EQ(service().search_by_name("a_").size(), 1u);
  EXPECT_EQ(service().search_by_name("_").size(), 0u);

  const auto summary = service().search_by_name("张三");
  ASSERT_EQ(summary.size(), 1u);
  EXPECT_EQ(summary[0].name, "张三");
}

TEST_P(CustomerTest, BadInputIsAnErrorNamingTheField) {
  auto error_of = [&](Customer customer) {
    auto result = service().create(std::move(customer));
    return result ? std::string("accepted") : result.error();
  };
  Customer base;
  base.name = "ok";
  Customer c = base;
  c.name = "   ";
  EXPECT_EQ(error_of(c), "name is empty");
  c = base;
  c.name = "bad \xFF utf8";
  EXPECT_EQ(error_of(c), "name is not valid UTF-8");
  c = base;
  c.name = std::string(401, 'x');
  EXPECT_EQ(error_of(c), "name is longer than 400 bytes");
  c = base;
  c.phones = {{"13912345678", "", ""}, {"020-1234", "", ""}};
  EXPECT_NE(error_of(c).find("phones[1]: phone number '020-1234'"), std::string::npos)
      << error_of(c);
  c = base;
  c.vip_tier = -1;
  EXPECT_EQ(error_of(c), "vip_tier is negative");
  c = base;
  c.birthday = std::chrono::year{2001} / std::chrono::February / 29;
  EXPECT_EQ(error_of(c), "birthday is not a date");
  c = base;
  c.addresses = {{"home", "", "", "", "", "\xC0\xAF", ""}};
  EXPECT_EQ(error_of(c), "addresses[0].street is not valid UTF-8");
  c = base;
  c.tags = {"ok", "\xFF"};
  EXPECT_EQ(error_of(c), "tags is not valid UTF-8");
  EXPECT_FALSE(db().query_one("SELECT 1 FROM customers"));
}

TEST_P(CustomerTest, MarkupAndQuotesAreStoredAsData) {
  const std::string name = "<script>alert('x')</script> O'Brien \"; DROP TABLE customers; --";
  Customer customer;
  customer.name = name;
  customer.company = "<b>Bold & Co</b>";
  customer.tags = {"<img src=x onerror=alert(1)>"};
  customer.addresses = {{"<i>", "", "", "", "", "1 \"Quoted\" St", ""}};
  auto id = service().create(customer);
  ASSERT_TRUE(id) << id.error();
  auto found = service().find(*id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->name, name);
  EXPECT_EQ(found->company, "<b>Bold & Co</b>");
  EXPECT_EQ(found->tags, std::vector<std::string>{"<img src=x onerror=alert(1)>"});
  EXPECT_EQ(found->addresses[0].label, "<i>");
  EXPECT_EQ(found->addresses[0].street, "1 \"Quoted\" St");
  auto by_name = service().search_by_name("<SCRIPT>");
  ASSERT_EQ(by_name.size(), 1u);
  EXPECT_EQ(by_name[0].name, name);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, CustomerTest, ::testing::Values(test::Backend::sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, CustomerTest, ::testing::Values(test::Backend::postgresql));

}  // namespace
}  // namespace kefu::crm
