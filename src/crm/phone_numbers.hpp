#pragma once
// Phone numbers through libphonenumber: parsing whatever a caller ID or a form holds into E.164
// (the one spelling the CRM stores and matches on), validity, display formats, and the region a
// number belongs to from the offline geocoder's data ("+862083331234" → "广东省广州市").
//
// Built once at startup and passed to what needs it; libphonenumber's own PhoneNumberUtil
// singleton sits behind it. Every member is const and safe to call from several threads at once
// (PhoneNumberUtil is immutable after construction; the geocoder locks its own cache).
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace kefu::crm {

enum class PhoneFormat {
  e164,           // +862083331234
  international,  // +86 20 8333 1234
  national,       // 020 8333 1234
};

class PhoneNumbers {
 public:
  struct Options {
    // Read plain spellings ("139 1234 5678", "020-8333 1234", "+86…", stored E.164) without
    // libphonenumber's regular-expression parser; the library still checks validity. Off: every
    // number through the parser (the tests compare the two).
    bool shortcuts = true;
  };
  PhoneNumbers() : PhoneNumbers(Options{}) {}
  explicit PhoneNumbers(Options options);
  ~PhoneNumbers();
  PhoneNumbers(const PhoneNumbers&) = delete;
  PhoneNumbers& operator=(const PhoneNumbers&) = delete;

  // "020-8333 1234", "+86 20 83331234", "02083331234", "(020)83331234", full-width digits … →
  // "+862083331234". Numbers without a country code are read as dialled in `default_region`
  // (ISO 3166 code). Only numbers valid for their region are accepted; the error names the
  // input and says what is wrong with it.
  Result<std::string, std::string> normalize(std::string_view text,
                                             std::string_view default_region = "CN") const;
  bool is_valid(std::string_view text, std::string_view default_region = "CN") const;
  // What normalize() gives for a plainly spelled Chinese number ("139 1234 5678",
  // "020-8333 1234", "+86…"), without the validity check (a quarter of normalize's cost): for
  // matching against stored numbers, which were checked when stored, so that a look-up that
  // finds its customer pays no check and one that does not asks normalize() for the answer
  // (the number, or what is wrong with it). nullopt for any other spelling, and with the
  // shortcuts off.
  std::optional<std::string> plain_e164(std::string_view text,
                                        std::string_view default_region = "CN") const;

  // Where the number is (the city for fixed lines, where a mobile range was allocated), in the
  // language of `locale` ("zh_CN", "en_US"); "" when the data has nothing or `e164` is not a
  // number.
  std::string region(std::string_view e164, std::string_view locale = "zh_CN") const;

  std::string format(std::string_view e164, PhoneFormat format) const;
  // As someone in `home_region` would dial it: national format for numbers of that country,
  // with the international prefix otherwise ("00 1 650-253-0000" from CN). For screens.
  std::string display(std::string_view e164, std::string_view home_region = "CN") const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kefu::crm
