#include "auth/credential_cache.hpp"

#include <algorithm>

#include "auth/crypto.hpp"

namespace kefu::auth {

CredentialCache::CredentialCache(Millis ttl, std::size_t capacity)
    : ttl_(ttl), capacity_(std::max<std::size_t>(capacity, 1)) {}

std::optional<Identity> CredentialCache::find(std::string_view credential,
                                              std::uint64_t current_generation, Timestamp now) {
  if (ttl_ <= Millis{0}) return std::nullopt;
  const std::string key = sha256_hex(credential);
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  if (it->second.generation != current_generation || now >= it->second.valid_until) {
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second.identity;
}

void CredentialCache::store(std::string_view credential, VerifiedCredential verified,
                            Timestamp now) {
  if (ttl_ <= Millis{0}) return;
  verified.valid_until = std::min(verified.valid_until, now + ttl_);
  if (now >= verified.valid_until) return;
  std::string key = sha256_hex(credential);
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    if (it->second.generation > verified.generation) return;
    it->second = std::move(verified);
    return;
  }
  if (entries_.size() >= capacity_) make_room(now);
  entries_.emplace(std::move(key), std::move(verified));
}

void CredentialCache::make_room(Timestamp now) {
  std::erase_if(entries_, [now](const auto& entry) { return now >= entry.second.valid_until; });
  // Still full of live entries (more distinct clients than capacity within one ttl): start
  // over rather than keep an eviction order; every client costs one more look-up.
  if (entries_.size() >= capacity_) entries_.clear();
}

void CredentialCache::clear() {
  std::lock_guard lock(mutex_);
  entries_.clear();
}

std::size_t CredentialCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace kefu::auth
