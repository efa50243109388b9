#include "crm/phone_numbers.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <thread>
#include <vector>

namespace kefu::crm {
namespace {

// One instance for the file: what the server does (built once, shared).
const PhoneNumbers& numbers() {
  static const PhoneNumbers instance;
  return instance;
}

std::string e164_of(std::string_view text, std::string_view region = "CN") {
  auto result = numbers().normalize(text, region);
  return result ? *result : "error: " + result.error();
}

TEST(PhoneNumbers, SpellingsOfOneFixedLineNormaliseToOneE164) {
  for (const char* spelling :
       {"020-8333 1234", "+86 20 83331234", "02083331234", "020-83331234", "(020) 8333-1234",
        "+86-20-8333-1234", "0086 20 8333 1234", "tel:+86-20-83331234",
        "\xEF\xBC\x90\xEF\xBC\x92\xEF\xBC\x90\xEF\xBC\x98\xEF\xBC\x93\xEF\xBC\x93\xEF\xBC\x93"
        "\xEF\xBC\x91\xEF\xBC\x92\xEF\xBC\x93\xEF\xBC\x94"}) {  // full-width ０２０８３３３１２３４
    EXPECT_EQ(e164_of(spelling), "+862083331234") << spelling;
  }
}

TEST(PhoneNumbers, MobileNumbers) {
  EXPECT_EQ(e164_of("13912345678"), "+8613912345678");
  EXPECT_EQ(e164_of("139 1234 5678"), "+8613912345678");
  EXPECT_EQ(e164_of("+86 139-1234-5678"), "+8613912345678");
  EXPECT_EQ(e164_of("008613912345678"), "+8613912345678");
}

TEST(PhoneNumbers, DefaultRegionAppliesOnlyWithoutCountryCode) {
  EXPECT_EQ(e164_of("(650) 253-0000", "US"), "+16502530000");
  EXPECT_EQ(e164_of("+1 650 253 0000", "CN"), "+16502530000");
  EXPECT_EQ(e164_of("+86 20 8333 1234", "US"), "+862083331234");
}

TEST(PhoneNumbers, InvalidInputIsAnErrorNamingIt) {
  struct Case {
    const char* input;
    const char* expected_in_message;
  };
  for (const Case& c : {
           Case{"abc", "'abc' is not a phone number"},
           Case{"", "'' is not a phone number"},
           Case{"12345", "'12345' is not a valid number in CN"},
           Case{"83331234",
                "'83331234' is not a valid number in CN (a fixed line needs its "
                "area code)"},
           Case{"+999 1234 5678", "'+999 1234 5678' has no valid country code"},
           Case{"1", "'1'"},
       }) {
    auto result = numbers().normalize(c.input);
    ASSERT_FALSE(result) << c.input << " -> " << *result;
    EXPECT_NE(result.error().find(c.expected_in_message), std::string::npos)
        << c.input << ": " << result.error();
    EXPECT_FALSE(numbers().is_valid(c.input));
  }
  EXPECT_TRUE(numbers().is_valid("020-8333 1234"));
}

TEST(PhoneNumbers, HostileInputGivesAShortCleanError) {
  const std::string long_input(5000, '9');
  auto long_result = numbers().normalize(long_input);
  ASSERT_FALSE(long_result);
  EXPECT_LT(long_result.error().size(), 200u);

  auto control = numbers().normalize("13912\r\nX-Injected: 1");
  ASSERT_FALSE(control);
  EXPECT_EQ(control.error().find('\n'), std::string::npos);
  EXPECT_EQ(control.error().find('\r'), std::string::npos);

  // Invalid UTF-8 and a multi-byte character cut at the length limit.
  EXPECT_FALSE(numbers().normalize("\xFF\xFE\x80"));
  std::string chinese;
  for (int i = 0; i < 40; ++i) chinese += "号";
  auto cut = numbers().normalize(chinese);
  ASSERT_FALSE(cut);
  EXPECT_NE(cut.error().find("号号…'"), std::string::npos) << cut.error();
}

TEST(PhoneNumbers, RegionFromTheOfflineGeocoder) {
  EXPECT_EQ(numbers().region("+862083331234"), "广东省广州市");
  EXPECT_EQ(numbers().region("+8613912345678"), "江苏省常州市");
  EXPECT_EQ(numbers().region(e164_of("020-83331234")), "广东省广州市");
  EXPECT_EQ(numbers().region("+862083331234", "en_US"), "Guangzhou, Guangdong");
  EXPECT_EQ(numbers().region("+16502530000"), "美国");
  EXPECT_EQ(numbers().region("not a number"), "");
  EXPECT_EQ(numbers().region("02083331234"), "");  // not E.164: callers normalise first
  EXPECT_EQ(numbers().region(""), "");
}

TEST(PhoneNumbers, Formats) {
  EXPECT_EQ(numbers().format("+862083331234", PhoneFormat::e164), "+862083331234");
  EXPECT_EQ(numbers().format("+862083331234", PhoneFormat::international), "+86 20 8333 1234");
  EXPECT_EQ(numbers().format("+862083331234", PhoneFormat::national), "020 8333 1234");
  EXPECT_EQ(numbers().format("+8613912345678", PhoneFormat::national), "139 1234 5678");
  EXPECT_EQ(numbers().display("+862083331234"), "020 8333 1234");
  EXPECT_EQ(numbers().display("+16502530000"), "00 1 650-253-0000");
  EXPECT_EQ(numbers().display("+16502530000", "US"), "1 (650) 253-0000");
  EXPECT_EQ(numbers().format("garbage", PhoneFormat::national), "garbage");
}

TEST(PhoneNumbers, SafeFromSeveralThreads) {
  // Storage executor threads share one instance; under TSan/ASan this is the check that the
  // library's locks match the headers we compile against.
  constexpr int thread_count = 4;
  constexpr int rounds = 200;
  std::vector<int> failures(thread_count, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < thread_count; ++t) {
    threads.emplace_back([&failures, t] {
      for (int i = 0; i < rounds; ++i) {
        if (e164_of("020-8333 1234") != "+862083331234") ++failures[t];
        if (numbers().region("+8613912345678") != "江苏省常州市") ++failures[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < thread_count; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
}

TEST(PhoneNumbers, SeveralInstancesAgree) {
  const PhoneNumbers other;
  EXPECT_EQ(*other.normalize("02083331234"), *numbers().normalize("+86 20 83331234"));
}

// The shortcuts (plain spellings of Chinese numbers read without the library's parser) must give
// exactly what the parser gives: the same E.164, the same error, the same display and region.
TEST(PhoneNumbers, ShortcutsAgreeWithTheLibrary) {
  const PhoneNumbers library_only(PhoneNumbers::Options{.shortcuts = false});
  std::mt19937 random(20261123);
  auto digits = [&random](int count) {
    std::string out;
    for (int i = 0; i < count; ++i) out.push_back(static_cast<char>('0' + random() % 10));
    return out;
  };
  std::vector<std::string> inputs;
  // Every 1xx mobile prefix, in the spellings people type; 11x, 12x and 179 included.
  for (int prefix = 100; prefix <= 199; ++prefix) {
    for (int i = 0; i < 3; ++i) {
      const std::string number = std::to_string(prefix) + digits(8);
      inputs.push_back(number);
      inputs.push_back(number.substr(0, 3) + " " + number.substr(3, 4) + " " + number.substr(7));
      inputs.push_back("+86 " + number);
      inputs.push_back("+86-" + number.substr(0, 3) + "-" + number.substr(3));
      inputs.push_back(number.substr(0, 10));  // a digit short
    }
  }
  // Fixed lines behind every two- and three-digit area code, 7 and 8 local digits.
  std::vector<std::string> area_codes;
  for (int code = 10; code <= 29; ++code) area_codes.push_back(std::to_string(code));
  for (int code = 300; code <= 999; code += 1) area_codes.push_back(std::to_string(code));
  for (const std::string& area : area_codes) {
    for (int local_digits : {7, 8}) {
      const std::string local = digits(local_digits);
      inputs.push_back("0" + area + "-" + local);
      inputs.push_back("(0" + area + ") " + local.substr(0, 4) + " " + local.substr(4));
      inputs.push_back("+86 " + area + " " + local);
      inputs.push_back("0" + area + local + "9");  // a digit too many
    }
  }
  // What the shortcuts must hand on to the parser.
  for (const char* odd : {"0", "00", "000", "0086 20 8333 1234", "+86 020 8333 1234",
                          "+860 20 8333 1234", "1795113912345678", "17951 139 1234 5678",
                          "+86 17951 13912345678", "11111111111", "12345678901", "+86", "+",
                          "+86 1", "020", "0-", "()", "020 8333 1234 ext 5", "+1 650 253 0000",
                          "+44 20 7946 0000", "+852 2123 4567", "8613912345678", "2083331234"}) {
    inputs.emplace_back(odd);
  }

  int compared = 0;
  int plain_agreed = 0;
  for (const std::string& input : inputs) {
    const auto quick = numbers().normalize(input);
    const auto full = library_only.normalize(input);
    ASSERT_EQ(quick.has_value(), full.has_value()) << input;
    // The unchecked spelling a look-up tries first must be the valid number's own.
    const auto plain = numbers().plain_e164(input);
    EXPECT_FALSE(library_only.plain_e164(input).has_value()) << input;
    if (full && plain) {
      EXPECT_EQ(*plain, *full) << input;
      ++plain_agreed;
    }
    if (!full) {
      EXPECT_EQ(quick.error(), full.error()) << input;
      continue;
    }
    ASSERT_EQ(*quick, *full) << input;
    EXPECT_EQ(numbers().region(*quick), library_only.region(*full)) << input;
    EXPECT_EQ(numbers().display(*quick), library_only.display(*full)) << input;
    EXPECT_EQ(numbers().format(*quick, PhoneFormat::international),
              library_only.format(*full, PhoneFormat::international))
        << input;
    ++compared;
  }
  // Many are not valid (unallocated area codes, digits missing or extra); enough are that the
  // comparison covered the shortcuts' output, not only their hand-offs.
  EXPECT_GT(compared, 1500);
  EXPECT_GT(plain_agreed, 1500);
  // The mobile display shortcut against the library's format, valid numbers or not.
  for (int prefix = 130; prefix <= 199; ++prefix) {
    for (int i = 0; i < 5; ++i) {
      const std::string e164 = "+86" + std::to_string(prefix) + digits(8);
      EXPECT_EQ(numbers().display(e164), library_only.display(e164)) << e164;
    }
  }
}

}  // namespace
}  // namespace kefu::crm
