#pragma once
// Keys for case-insensitive, indexed prefix search on names. A name's key is its NFKC case
// fold (ICU): "ZHANG Wei", "zhang wei" and full-width "ＺＨＡＮＧ" share one spelling, and
// Chinese text is left as it is. A prefix search is then a range on the indexed key column,
// `key >= prefix AND key < prefix_upper_bound(prefix)`, which needs byte-order (C) collation:
// SQLite's default, and what ADR 0007 asks of PostgreSQL databases.
#include <optional>
#include <string>
#include <string_view>

namespace kefu::crm {

// Trimmed, inner whitespace runs collapsed to one space, then NFKC case folded. Invalid UTF-8
// sequences become U+FFFD (CustomerService rejects such names before they get here).
std::string name_search_key(std::string_view name);

// The least string greater than every string that starts with `prefix` (valid UTF-8: the last
// code point incremented, skipping the surrogate range). nullopt when there is none, i.e. the
// prefix is empty or made only of U+10FFFF.
std::optional<std::string> prefix_upper_bound(std::string_view prefix);

bool is_valid_utf8(std::string_view text);

// Leading and trailing ASCII whitespace removed.
std::string_view trim(std::string_view text);

}  // namespace kefu::crm
