#include "sip/auth/nonce.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <charconv>

namespace kefu::sip {
namespace {

constexpr std::size_t kTimeHex = 16;    // 64-bit milliseconds
constexpr std::size_t kRandomHex = 16;  // 8 octets
constexpr std::size_t kMacHex = 32;     // 16 octets of HMAC-SHA256
constexpr std::size_t kNonceLength = kTimeHex + kRandomHex + kMacHex;

std::string to_hex(const unsigned char* data, std::size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    hex += kHex[data[i] >> 4];
    hex += kHex[data[i] & 0x0f];
  }
  return hex;
}

bool is_lower_hex(std::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::uint64_t to_millis(std::chrono::steady_clock::time_point t) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  return ms < 0 ? 0 : static_cast<std::uint64_t>(ms);
}

}  // namespace

NonceIssuer::NonceIssuer(std::string secret, std::chrono::seconds lifetime, SteadyNow now)
    : secret_(std::move(secret)), lifetime_(lifetime), now_(std::move(now)) {
  if (secret_.empty()) {
    std::array<unsigned char, 32> random{};
    if (RAND_bytes(random.data(), static_cast<int>(random.size())) == 1) {
      secret_ = to_hex(random.data(), random.size());
    } else {
      // No entropy: still unique per process thanks to the clock; better than refusing
      // every registration.
      secret_ = "kefu-nonce-" + std::to_string(to_millis(now_()));
    }
  }
}

std::string NonceIssuer::mac(std::string_view issued_hex, std::string_view random_hex,
                             std::string_view client_ip) const {
  std::string input;
  input.reserve(issued_hex.size() + random_hex.size() + client_ip.size() + 2);
  input.append(issued_hex).append("|").append(random_hex).append("|").append(client_ip);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
           reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest.data(),
           &length) == nullptr ||
      length < kMacHex / 2) {
    return {};
  }
  return to_hex(digest.data(), kMacHex / 2);
}

std::string NonceIssuer::issue(std::string_view client_ip) const {
  std::uint64_t ms = to_millis(now_());
  std::array<unsigned char, 8> time_octets{};
  for (int i = 7; i >= 0; --i) {
    time_octets[static_cast<std::size_t>(i)] = static_cast<unsigned char>(ms & 0xff);
    ms >>= 8;
  }
  std::array<unsigned char, 8> random{};
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
    random = time_octets;  // still unique enough per millisecond; the MAC keeps it unforgeable
  }
  std::string issued_hex = to_hex(time_octets.data(), time_octets.size());
  std::string random_hex = to_hex(random.data(), random.size());
  std::string tag = mac(issued_hex, random_hex, client_ip);
  return issued_hex + random_hex + tag;
}

CheckedNonce NonceIssuer::check(std::string_view nonce, std::string_view client_ip) const {
  CheckedNonce result;
  if (nonce.size() != kNonceLength || !is_lower_hex(nonce)) return result;
  std::string_view issued_hex = nonce.substr(0, kTimeHex);
  std::string_view random_hex = nonce.substr(kTimeHex, kRandomHex);
  std::string expected = mac(issued_hex, random_hex, client_ip);
  if (expected.size() != kMacHex ||
      CRYPTO_memcmp(expected.data(), nonce.data() + kTimeHex + kRandomHex, kMacHex) != 0) {
    return result;
  }
  std::uint64_t ms = 0;
  std::from_chars(issued_hex.data(), issued_hex.data() + issued_hex.size(), ms, 16);
  auto issued_at = std::chrono::steady_clock::time_point(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::milliseconds(ms)));
  auto now = now_();
  if (issued_at > now) return result;  // from the future: not a nonce this clock issued
  result.issued_at = issued_at;
  result.state = now - issued_at > lifetime_ ? NonceState::Expired : NonceState::Fresh;
  return result;
}

NonceCountTracker::NonceCountTracker(std::size_t capacity)
    : capacity_(capacity == 0 ? 1 : capacity) {}

NonceCountTracker::Verdict NonceCountTracker::accept(
    std::string_view nonce, std::chrono::steady_clock::time_point issued_at,
    std::uint32_t nonce_count) {
  if (nonce_count == 0) return Verdict::Replayed;  // counts start at 1 (RFC 7616 §3.4)
  auto it = entries_.find(std::string(nonce));
  if (it == entries_.end()) {
    if (evicted_up_to_ && issued_at <= *evicted_up_to_) return Verdict::Forgotten;
    while (entries_.size() >= capacity_ && !order_.empty()) {
      auto victim = entries_.find(order_.front());
      if (victim != entries_.end()) {
        if (!evicted_up_to_ || victim->second.issued_at > *evicted_up_to_) {
          evicted_up_to_ = victim->second.issued_at;
        }
        entries_.erase(victim);
      }
      order_.pop_front();
    }
    entries_.emplace(std::string(nonce), Entry{issued_at, nonce_count, 1});
    order_.emplace_back(nonce);
    return Verdict::Accepted;
  }
  Entry& entry = it->second;
  if (nonce_count > entry.highest) {
    std::uint32_t shift = nonce_count - entry.highest;
    entry.seen = shift >= 64 ? 1 : (entry.seen << shift) | 1;
    entry.highest = nonce_count;
    return Verdict::Accepted;
  }
  std::uint32_t behind = entry.highest - nonce_count;
  if (behind >= 64) return Verdict::Replayed;
  std::uint64_t bit = std::uint64_t{1} << behind;
  if (entry.seen & bit) return Verdict::Replayed;
  entry.seen |= bit;
  return Verdict::Accepted;
}

void NonceCountTracker::forget_issued_before(std::chrono::steady_clock::time_point cutoff) {
  while (!order_.empty()) {
    auto it = entries_.find(order_.front());
    if (it != entries_.end() && it->second.issued_at >= cutoff) break;
    if (it != entries_.end()) entries_.erase(it);
    order_.pop_front();
  }
}

}  // namespace kefu::sip
