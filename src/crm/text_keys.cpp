#include "crm/text_keys.hpp"

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <cstdint>
#include <stdexcept>

namespace kefu::crm {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Decodes valid UTF-8 into code points; nullopt on any invalid sequence (overlong forms,
// surrogates, values past U+10FFFF, truncation).
std::optional<std::u32string> decode_utf8(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    // The lead byte gives the sequence's length, its payload bits, and the smallest code point
    // that length may encode (anything less is an overlong form).
    struct Form {
      unsigned char mask;
      unsigned char tag;
      std::size_t length;
      char32_t min;
    };
    constexpr Form forms[] = {{0x80, 0x00, 1, 0},
                              {0xE0, 0xC0, 2, 0x80},
                              {0xF0, 0xE0, 3, 0x800},
                              {0xF8, 0xF0, 4, 0x10000}};
    const Form* form = nullptr;
    for (const Form& candidate : forms) {
      if ((lead & candidate.mask) == candidate.tag) {
        form = &candidate;
        break;
      }
    }
    if (form == nullptr) return std::nullopt;
    const std::size_t length = form->length;
    const char32_t min = form->min;
    char32_t cp = lead & static_cast<unsigned char>(~form->mask);
    if (i + length > text.size()) return std::nullopt;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (next & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
    out += cp;
    i += length;
  }
  return out;
}

}  // namespace

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

bool is_valid_utf8(std::string_view text) {
  return decode_utf8(text).has_value();
}

std::string name_search_key(std::string_view name) {
  std::string collapsed;
  collapsed.reserve(name.size());
  for (char c : trim(name)) {
    if (is_space(c)) {
      if (collapsed.back() != ' ') collapsed += ' ';  // trimmed: never first
    } else {
      collapsed += c;
    }
  }
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* fold = icu::Normalizer2::getNFKCCasefoldInstance(status);
  if (U_FAILURE(status)) throw std::runtime_error("ICU NFKC_Casefold data missing");
  const icu::UnicodeString folded =
      fold->normalize(icu::UnicodeString::fromUTF8(icu::StringPiece(
                          collapsed.data(), static_cast<std::int32_t>(collapsed.size()))),
                      status);
  if (U_FAILURE(status)) throw std::runtime_error("ICU NFKC_Casefold failed");
  std::string key;
  folded.toUTF8String(key);
  return key;
}

std::optional<std::string> prefix_upper_bound(std::string_view prefix) {
  auto code_points = decode_utf8(prefix);
  if (!code_points) return std::nullopt;
  while (!code_points->empty() && code_points->back() == 0x10FFFF) code_points->pop_back();
  if (code_points->empty()) return std::nullopt;
  char32_t& last = code_points->back();
  last = last == 0xD7FF ? 0xE000 : last + 1;
  std::string out;
  for (char32_t cp : *code_points) append_utf8(out, cp);
  return out;
}

}  // namespace kefu::crm
