#include "sip/auth/credential_store.hpp"

namespace kefu::sip {

void InMemoryCredentialStore::set(std::string user, std::string password) {
  passwords_.insert_or_assign(std::move(user), std::move(password));
}

void InMemoryCredentialStore::remove(std::string_view user) {
  if (auto it = passwords_.find(user); it != passwords_.end()) passwords_.erase(it);
}

std::optional<std::string> InMemoryCredentialStore::password(std::string_view user) const {
  if (auto it = passwords_.find(user); it != passwords_.end()) return it->second;
  return std::nullopt;
}

InMemoryCredentialStore demo_credentials() {
  InMemoryCredentialStore store;
  for (int extension = 1001; extension <= 1010; ++extension) {
    store.set(std::to_string(extension), "demo" + std::to_string(extension));
  }
  return store;
}

}  // namespace kefu::sip
