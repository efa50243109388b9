#include "crm/text_keys.hpp"

#include <gtest/gtest.h>

#include "crm/customer.hpp"

namespace kefu::crm {
namespace {

TEST(NameSearchKey, FoldsCaseWidthAndSpaces) {
  EXPECT_EQ(name_search_key("  ZHANG   Wei \t"), "zhang wei");
  EXPECT_EQ(name_search_key("\xEF\xBC\xBA\xEF\xBD\x88\xEF\xBD\x81\xEF\xBD\x8E\xEF\xBD\x87"),
            "zhang");  // full-width Ｚｈａｎｇ
  EXPECT_EQ(name_search_key("张三"), "张三");
  EXPECT_EQ(name_search_key("Straße"), "strasse");
  EXPECT_EQ(name_search_key("ÉLODIE"), "élodie");
  EXPECT_EQ(name_search_key(""), "");
  EXPECT_EQ(name_search_key("<script>"), "<script>");
}

TEST(PrefixUpperBound, IsTheNextCodePoint) {
  EXPECT_EQ(prefix_upper_bound("abc"), "abd");
  EXPECT_EQ(prefix_upper_bound("张"), "弡");                        // U+5F20 → U+5F21
  EXPECT_EQ(prefix_upper_bound("a\xED\x9F\xBF"), "a\xEE\x80\x80");  // U+D7FF → U+E000
  EXPECT_EQ(prefix_upper_bound("a\xF4\x8F\xBF\xBF"), "b");          // U+10FFFF dropped
  EXPECT_EQ(prefix_upper_bound("\xF4\x8F\xBF\xBF"), std::nullopt);
  EXPECT_EQ(prefix_upper_bound(""), std::nullopt);
  EXPECT_EQ(prefix_upper_bound("\xFF"), std::nullopt);
  // Every string with the prefix sorts below the bound (byte order), the prefix itself above.
  const std::string bound = *prefix_upper_bound("zhang");
  EXPECT_LT(std::string("zhang\xF4\x8F\xBF\xBF\xF4\x8F\xBF\xBF"), bound);
  EXPECT_LT(std::string("zhangzzzz"), bound);
  EXPECT_GE(std::string("zhanh"), bound);
}

TEST(Utf8, Validity) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("张三 abc"));
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xE5\xBC"));          // truncated
  EXPECT_EQ(trim(" \t a b \n"), "a b");
}

TEST(IsoDate, RoundTripAndRejects) {
  using namespace std::chrono;
  EXPECT_EQ(iso_date(year{1990} / May / 17), "1990-05-17");
  EXPECT_EQ(parse_iso_date("1990-05-17"), year{1990} / May / 17);
  EXPECT_EQ(parse_iso_date("2000-02-29"), year{2000} / February / 29);
  for (const char* bad : {"1990-02-30", "1990-13-01", "1990-5-17", "1990-05-17x", "", "abcd-ef-gh",
                          "1990-00-10", "+990-05-17"}) {
    EXPECT_EQ(parse_iso_date(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace kefu::crm
