#pragma once
// Stateless digest nonces and bounded nonce-count replay tracking.
//
// A nonce is hex(issued_at_ms) + hex(8 random octets) + hex(first 16 octets of
// HMAC-SHA256(secret, issued_at|random|client_ip)). The server can tell its own fresh nonces
// from expired or forged ones without storing them, and a nonce works only from the address
// it was sent to, so failures counted against an address are failures of a host that really
// received our challenge there (a spoofed UDP source cannot get another address throttled).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace kefu::sip {

// Injected time source, so tests run on a virtual clock.
using SteadyNow = std::function<std::chrono::steady_clock::time_point()>;

enum class NonceState : std::uint8_t {
  Fresh,    // ours, for this client address, within its lifetime
  Expired,  // ours, for this client address, too old: answer stale=true if the digest is right
  Invalid,  // not ours, not for this address, or malformed
};

struct CheckedNonce {
  NonceState state = NonceState::Invalid;
  std::chrono::steady_clock::time_point issued_at{};
};

class NonceIssuer {
 public:
  // An empty secret is replaced by 32 random octets (nonces then die with the process).
  NonceIssuer(std::string secret, std::chrono::seconds lifetime, SteadyNow now);

  std::string issue(std::string_view client_ip) const;
  CheckedNonce check(std::string_view nonce, std::string_view client_ip) const;
  std::chrono::seconds lifetime() const { return lifetime_; }

 private:
  std::string mac(std::string_view issued_hex, std::string_view random_hex,
                  std::string_view client_ip) const;

  std::string secret_;
  std::chrono::seconds lifetime_;
  SteadyNow now_;
};

// Remembers which nonce-count values each nonce has used (a 64-wide sliding window per nonce,
// as IPsec does for sequence numbers, so requests that overtake each other still pass).
// Bounded: the oldest entries are evicted first, and any nonce issued no later than an
// evicted one is reported Forgotten, so eviction can never reopen a replay.
class NonceCountTracker {
 public:
  explicit NonceCountTracker(std::size_t capacity);

  enum class Verdict : std::uint8_t { Accepted, Replayed, Forgotten };
  Verdict accept(std::string_view nonce, std::chrono::steady_clock::time_point issued_at,
                 std::uint32_t nonce_count);
  // Drops entries of nonces issued before `cutoff` (they are rejected as expired anyway).
  void forget_issued_before(std::chrono::steady_clock::time_point cutoff);
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::chrono::steady_clock::time_point issued_at;
    std::uint32_t highest = 0;
    std::uint64_t seen = 0;  // bit i: highest - i was used
  };
  std::size_t capacity_;
  std::unordered_map<std::string, Entry> entries_;
  std::deque<std::string> order_;  // first-use order, for eviction
  std::optional<std::chrono::steady_clock::time_point> evicted_up_to_;
};

}  // namespace kefu::sip
