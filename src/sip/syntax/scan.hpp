#pragma once
// Character classes and small scanners shared by the SIP syntax files (RFC 3261 §25.1).
// Internal to kefu_sip_syntax: nothing here is part of the message.hpp API.
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "sip/message.hpp"

namespace kefu::sip::detail {

// Character classes (bits of kCharTable).
inline constexpr std::uint16_t kAlnum = 1 << 0;
inline constexpr std::uint16_t kToken = 1 << 1;          // alphanum / - . ! % * _ + ` ' ~
inline constexpr std::uint16_t kUnreserved = 1 << 2;     // alphanum / mark
inline constexpr std::uint16_t kUserExtra = 1 << 3;      // user-unreserved (and '#', below)
inline constexpr std::uint16_t kPasswordExtra = 1 << 4;  // & = + $ ,
inline constexpr std::uint16_t kParamExtra = 1 << 5;     // param-unreserved: [ ] / : & + $
inline constexpr std::uint16_t kHeaderExtra = 1 << 6;    // hnv-unreserved: [ ] / ? : + $
inline constexpr std::uint16_t kHostname = 1 << 7;       // alphanum / - . (and '_' in the wild)
inline constexpr std::uint16_t kHex = 1 << 8;
inline constexpr std::uint16_t kDigit = 1 << 9;
inline constexpr std::uint16_t kSchemeRest = 1 << 10;  // ALPHA / DIGIT / + - .

constexpr std::array<std::uint16_t, 256> make_char_table() {
  std::array<std::uint16_t, 256> table{};
  auto add = [&table](std::string_view chars, std::uint16_t bits) {
    for (char c : chars) table[static_cast<unsigned char>(c)] |= bits;
  };
  for (int c = 0; c < 256; ++c) {
    const bool digit = c >= '0' && c <= '9';
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (digit || alpha) {
      table[static_cast<std::size_t>(c)] |= kAlnum | kToken | kUnreserved | kHostname | kSchemeRest;
    }
    if (digit) table[static_cast<std::size_t>(c)] |= kDigit | kHex;
    if ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) {
      table[static_cast<std::size_t>(c)] |= kHex;
    }
  }
  add("-.!%*_+`'~", kToken);
  add("-_.!~*'()", kUnreserved);
  // '#' is not a user character (§25.1 wants %23), but phones send dial strings like
  // "*67#1234" unescaped; it has no structural meaning in a SIP URI, so accept it.
  add("&=+$,;?/#", kUserExtra);
  add("&=+$,", kPasswordExtra);
  add("[]/:&+$", kParamExtra);
  add("[]/?:+$", kHeaderExtra);
  add("-._", kHostname);
  add("+-.", kSchemeRest);
  return table;
}
inline constexpr std::array<std::uint16_t, 256> kCharTable = make_char_table();

inline bool has_class(char c, std::uint16_t bits) {
  return (kCharTable[static_cast<unsigned char>(c)] & bits) != 0;
}
inline bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
inline bool is_wsp(char c) {
  return c == ' ' || c == '\t';
}
inline bool is_lws_char(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
inline char to_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

inline std::string_view trim(std::string_view text) {
  std::size_t begin = 0;
  std::size_t end = text.size();
  while (begin < end && is_lws_char(text[begin])) ++begin;
  while (end > begin && is_lws_char(text[end - 1])) --end;
  return text.substr(begin, end - begin);
}

inline std::size_t skip_ws(std::string_view text, std::size_t pos) {
  while (pos < text.size() && is_lws_char(text[pos])) ++pos;
  return pos;
}

inline std::size_t scan_class(std::string_view text, std::size_t pos, std::uint16_t bits) {
  while (pos < text.size() && has_class(text[pos], bits)) ++pos;
  return pos;
}

inline bool all_of_class(std::string_view text, std::uint16_t bits) {
  for (char c : text) {
    if (!has_class(c, bits)) return false;
  }
  return true;
}

inline bool is_token(std::string_view text) {
  return !text.empty() && all_of_class(text, kToken);
}

// Characters of `text` in `bits`, or %XX escapes; false on a broken escape or other char.
inline bool is_escaped_run(std::string_view text, std::uint16_t bits) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size() || !has_class(text[i + 1], kHex) || !has_class(text[i + 2], kHex)) {
        return false;
      }
      i += 2;
    } else if (!has_class(c, bits)) {
      return false;
    }
  }
  return true;
}

// Unsigned decimal (leading zeros allowed, any count) no larger than `max_value`.
// Returns nullopt on an empty, non-numeric or too large value; never throws.
inline std::optional<std::uint64_t> parse_decimal(std::string_view text, std::uint64_t max_value) {
  if (text.empty()) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    if (!is_digit(c)) return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    // value * 10 + digit > max_value, asked without overflowing.
    if (digit > max_value || value > (max_value - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

// Index of the quote closing the quoted-string that opens at text[open] ('"'); handles
// backslash escapes. npos when unterminated.
inline std::size_t find_closing_quote(std::string_view text, std::size_t open) {
  for (std::size_t i = open + 1; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;
    } else if (text[i] == '"') {
      return i;
    }
  }
  return std::string_view::npos;
}

enum class ListItems { AllowEmpty, RejectEmpty };

// Calls on_item(trimmed item) for every comma-separated item of `text`, splitting only on
// commas outside quoted strings and <...>. Returns false when an item is empty (and
// RejectEmpty), on_item returns false, or a quote is left open.
template <typename OnItem>
bool for_each_list_item(std::string_view text, ListItems empties, OnItem&& on_item) {
  if (text.find(',') == std::string_view::npos) {
    // The usual single value: no comma, so nothing to split. The item parsers check quotes.
    const std::string_view item = trim(text);
    if (item.empty()) return empties == ListItems::AllowEmpty;
    return on_item(item);
  }
  std::size_t item_start = 0;
  bool in_angle = false;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size()) {
      const char c = text[i];
      if (c == '"') {
        const std::size_t close = find_closing_quote(text, i);
        if (close == std::string_view::npos) return false;
        i = close;
        continue;
      }
      if (c == '<') in_angle = true;
      if (c == '>') in_angle = false;
      if (c != ',' || in_angle) continue;
    }
    const std::string_view item = trim(text.substr(item_start, i - item_start));
    if (item.empty()) {
      if (empties == ListItems::RejectEmpty) return false;
    } else if (!on_item(item)) {
      return false;
    }
    item_start = i + 1;
  }
  return true;
}

// Header parameters: *( SEMI generic-param ), SEMI and EQUAL allowing LWS around them.
// Parses from text[pos] to the end; false on anything that is not a parameter.
bool parse_header_params(std::string_view text, std::size_t pos, std::vector<Param>& params);

// host (hostname / IPv4address / IPv6reference) validation, RFC 3261 §25.1, RFC 5118 §4.10.
bool is_valid_host(std::string_view host);
bool is_valid_ipv6(std::string_view address);  // without brackets

}  // namespace kefu::sip::detail
