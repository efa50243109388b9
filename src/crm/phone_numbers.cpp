#include "crm/phone_numbers.hpp"

// Debian's libphonenumber.so.8 is built with neither macro: its singletons use pthread_once and
// its locks pthread mutexes (the POSIX headers the library selects on Linux by default). Either
// macro here would compile other class layouts than the library's (ADR 0009).
#if defined(I18N_PHONENUMBERS_USE_BOOST) || defined(I18N_PHONENUMBERS_USE_STDMUTEX)
#error "libphonenumber must be used with its default (POSIX) singleton and lock headers"
#endif

#include <phonenumbers/geocoding/phonenumber_offline_geocoder.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>
#include <unicode/locid.h>

#include <algorithm>
#include <cstdint>
#include <optional>

namespace kefu::crm {
namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

// The input as an error message shows it: quoted, cut to a readable length at a character
// boundary, control characters replaced, so that a hostile caller ID cannot forge log lines.
std::string quoted(std::string_view text) {
  constexpr std::size_t max_bytes = 64;
  std::string out = "'";
  std::size_t end = text.size();
  if (end > max_bytes) {
    end = max_bytes;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  }
  for (char c : text.substr(0, end)) {
    out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) ? '?' : c;
  }
  if (end < text.size()) out += "…";
  return out + "'";
}

std::string_view parse_problem(PhoneNumberUtil::ErrorType error) {
  switch (error) {
    case PhoneNumberUtil::NO_PARSING_ERROR:
      return "";
    case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
      return "has no valid country code";
    case PhoneNumberUtil::NOT_A_NUMBER:
      return "is not a phone number";
    case PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
      return "is too short after the international prefix";
    case PhoneNumberUtil::TOO_SHORT_NSN:
      return "is too short";
    case PhoneNumberUtil::TOO_LONG_NSN:
      return "is too long";
  }
  return "cannot be parsed";
}

}  // namespace

// libphonenumber's Parse() runs a dozen ICU regular expressions over the text (25–40 µs a
// number, most of a look-up's CPU); its validity check costs a quarter of that. The shortcuts
// below read the plain spellings of a number (ASCII digits and the separators people type)
// without Parse(); the library still decides validity and anything they do not cover, including
// every error, takes the full path. PhoneNumbersTest.ShortcutsAgreeWithTheLibrary compares the
// two over many numbers (ADR 0015).
namespace {

constexpr std::size_t kMaxNationalDigits = 17;  // libphonenumber's kMaxLengthForNsn

// The digits of `text` when it holds nothing but ASCII digits and spaces, '-', '.', '(' and
// ')', after an optional leading '+'; nullopt for anything else (letters, "tel:", full-width
// digits, an extension …).
std::optional<std::string> plain_digits(std::string_view text, bool& plus) {
  plus = !text.empty() && text.front() == '+';
  if (plus) text.remove_prefix(1);
  std::string digits;
  digits.reserve(text.size());
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
    } else if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')') {
      return std::nullopt;
    }
  }
  if (digits.empty()) return std::nullopt;
  return digits;
}

// The national number as libphonenumber keeps it: an integer (China's have no leading zero).
bool set_national_number(std::string_view national, PhoneNumber& number) {
  if (national.empty() || national.size() > kMaxNationalDigits) return false;
  std::uint64_t value = 0;
  for (char c : national) value = value * 10 + static_cast<std::uint64_t>(c - '0');
  number.set_national_number(value);
  return true;
}

}  // namespace

struct PhoneNumbers::Impl {
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  i18n::phonenumbers::PhoneNumberOfflineGeocoder geocoder;
  bool shortcuts = true;

  // The shortcut of normalize(): a valid number from a plain spelling, or nullopt to take the
  // full path. Only China's numbers, the ones kefu's users hold: "+86" and the national number,
  // or, dialled in CN, an 11-digit mobile number or a fixed line after the trunk prefix 0 (not
  // the international prefix 00).
  std::optional<PhoneNumber> quick_parse(std::string_view text,
                                         std::string_view default_region) const {
    auto number = plain_number(text, default_region);
    if (!number || !util.IsValidNumber(*number)) return std::nullopt;
    return number;
  }

  // quick_parse() without the validity check.
  static std::optional<PhoneNumber> plain_number(std::string_view text,
                                                 std::string_view default_region) {
    bool plus = false;
    auto digits = plain_digits(text, plus);
    if (!digits) return std::nullopt;
    std::string_view d = *digits;
    std::string_view national;
    if (plus) {
      if (!d.starts_with("86")) return std::nullopt;
      national = d.substr(2);
    } else if (default_region == "CN") {
      if (d.size() == 11 && d.front() == '1') {
        national = d;
      } else if (d.size() >= 3 && d.front() == '0') {
        national = d.substr(1);
      }
    }
    return chinese_number(national);
  }

  // +86 and `national`, unless the national number is one the library's CN rules would rework
  // while parsing: a leading 0 (the trunk prefix), or 11, 12 and 179, which its rules read as
  // the carrier-selection prefixes 1[12]xx and 179xx.
  static std::optional<PhoneNumber> chinese_number(std::string_view national) {
    if (national.empty() || national.front() == '0' || national.starts_with("11") ||
        national.starts_with("12") || national.starts_with("179")) {
      return std::nullopt;
    }
    PhoneNumber number;
    number.set_country_code(86);
    if (!set_national_number(national, number)) return std::nullopt;
    return number;
  }

  // A stored E.164 string back into libphonenumber's form; nullopt when it is not one.
  std::optional<PhoneNumber> parse_e164(std::string_view e164) const {
    if (e164.empty() || e164.front() != '+') return std::nullopt;
    if (shortcuts) {
      bool plus = false;
      auto digits = plain_digits(e164, plus);
      if (digits && digits->size() + 1 == e164.size() && digits->starts_with("86")) {
        if (auto number = chinese_number(std::string_view(*digits).substr(2))) return number;
      }
    }
    PhoneNumber number;
    if (util.Parse(std::string(e164), "ZZ", &number) != PhoneNumberUtil::NO_PARSING_ERROR) {
      return std::nullopt;
    }
    return number;
  }
};

PhoneNumbers::PhoneNumbers(Options options) : impl_(std::make_unique<Impl>()) {
  impl_->shortcuts = options.shortcuts;
}
PhoneNumbers::~PhoneNumbers() = default;

Result<std::string, std::string> PhoneNumbers::normalize(std::string_view text,
                                                         std::string_view default_region) const {
  if (impl_->shortcuts) {
    if (auto number = impl_->quick_parse(text, default_region)) {
      std::string e164;
      impl_->util.Format(*number, PhoneNumberUtil::E164, &e164);
      return e164;
    }
  }
  PhoneNumber number;
  const auto error = impl_->util.Parse(std::string(text), std::string(default_region), &number);
  if (error != PhoneNumberUtil::NO_PARSING_ERROR) {
    return unexpected("phone number " + quoted(text) + " " + std::string(parse_problem(error)));
  }
  if (!impl_->util.IsValidNumber(number)) {
    std::string region;
    impl_->util.GetRegionCodeForNumber(number, &region);
    if (region.empty() || region == "ZZ") {
      return unexpected("phone number " + quoted(text) + " is not valid: unknown country code +" +
                        std::to_string(number.country_code()));
    }
    return unexpected("phone number " + quoted(text) + " is not a valid number in " + region +
                      " (a fixed line needs its area code)");
  }
  std::string e164;
  impl_->util.Format(number, PhoneNumberUtil::E164, &e164);
  return e164;
}

std::optional<std::string> PhoneNumbers::plain_e164(std::string_view text,
                                                    std::string_view default_region) const {
  if (!impl_->shortcuts) return std::nullopt;
  auto number = Impl::plain_number(text, default_region);
  if (!number) return std::nullopt;
  // What Format(E164) gives for a Chinese number, without its regular expressions.
  return "+86" + std::to_string(number->national_number());
}

bool PhoneNumbers::is_valid(std::string_view text, std::string_view default_region) const {
  return normalize(text, default_region).has_value();
}

std::string PhoneNumbers::region(std::string_view e164, std::string_view locale) const {
  auto number = impl_->parse_e164(e164);
  if (!number) return "";
  const icu::Locale icu_locale = icu::Locale::createFromName(std::string(locale).c_str());
  return impl_->geocoder.GetDescriptionForNumber(*number, icu_locale);
}

std::string PhoneNumbers::format(std::string_view e164, PhoneFormat format) const {
  auto number = impl_->parse_e164(e164);
  if (!number) return std::string(e164);
  PhoneNumberUtil::PhoneNumberFormat library_format = PhoneNumberUtil::E164;
  switch (format) {
    case PhoneFormat::e164:
      library_format = PhoneNumberUtil::E164;
      break;
    case PhoneFormat::international:
      library_format = PhoneNumberUtil::INTERNATIONAL;
      break;
    case PhoneFormat::national:
      library_format = PhoneNumberUtil::NATIONAL;
      break;
  }
  std::string out;
  impl_->util.Format(*number, library_format, &out);
  return out;
}

std::string PhoneNumbers::display(std::string_view e164, std::string_view home_region) const {
  // A Chinese mobile number seen from China, the commonest on a screen: "139 1234 5678", as the
  // library's CN format for 1[3-9] and eleven digits gives it, without its regular expressions
  // (half of a screen pop's formatting).
  if (impl_->shortcuts && home_region == "CN" && e164.size() == 14 && e164.starts_with("+861") &&
      e164[4] >= '3' && e164[4] <= '9' &&
      std::all_of(e164.begin() + 1, e164.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    std::string out(e164.substr(3, 3));
    out.append(" ").append(e164.substr(6, 4)).append(" ").append(e164.substr(10));
    return out;
  }
  auto number = impl_->parse_e164(e164);
  if (!number) return std::string(e164);
  std::string out;
  impl_->util.FormatOutOfCountryCallingNumber(*number, std::string(home_region), &out);
  return out;
}

}  // namespace kefu::crm
