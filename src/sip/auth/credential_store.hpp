#pragma once
// Where the registrar finds a user's digest password.
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace kefu::sip {

class CredentialStore {
 public:
  virtual ~CredentialStore() = default;
  // The password of `user` (an extension such as "1001"), nullopt for unknown users.
  virtual std::optional<std::string> password(std::string_view user) const = 0;
};

class InMemoryCredentialStore final : public CredentialStore {
 public:
  void set(std::string user, std::string password);
  void remove(std::string_view user);
  std::optional<std::string> password(std::string_view user) const override;
  std::size_t size() const { return passwords_.size(); }

 private:
  std::map<std::string, std::string, std::less<>> passwords_;
};

// The demo agents' phones: users 1001..1010 with passwords demo1001..demo1010.
InMemoryCredentialStore demo_credentials();

}  // namespace kefu::sip
