#pragma once
// Connects the SIP user agent's REGISTER hook to the registrar with digest authentication.
#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "acd/queue_service.hpp"

#include <spdlog/logger.h>

#include "sip/auth/authenticator.hpp"
#include "sip/auth/credential_store.hpp"
#include "sip/auth/registrar.hpp"
#include "sip/stack/user_agent.hpp"

namespace kefu::app {

class Registration final : public sip::RegistrationHandler {
 public:
  // Throws std::invalid_argument for an unknown digest algorithm name.
  Registration(bool demo, const std::vector<std::string>& digest_algorithms,
               std::chrono::seconds min_expires, std::shared_ptr<spdlog::logger> log);
  void on_register(sip::IncomingRequest request) override;
  void expire() { registrar_.remove_expired(); }
  const sip::Registrar& registrar() const { return registrar_; }

  // A phone account (an agent's extension from the configuration).
  void set_password(std::string user, std::string password) {
    credentials_.set(std::move(user), std::move(password));
  }
  // Told after every binding change (presence following the phone).
  void on_binding(std::function<void(const sip::BindingEvent&)> handler) {
    binding_handler_ = std::move(handler);
  }
  // Where to send an INVITE for `user` now: one entry per live binding, most recent first.
  std::vector<acd::Contact> contacts(const std::string& user) const;
  // Whether the request came from where one of `user`'s bindings registered from (feature
  // codes: the phone is who it says it is).
  bool from_registered_phone(const std::string& user, const sip::Inbound& source) const;

 private:
  sip::InMemoryCredentialStore credentials_;
  sip::Authenticator authenticator_;
  sip::Registrar registrar_;
  std::shared_ptr<spdlog::logger> log_;
  std::function<void(const sip::BindingEvent&)> binding_handler_;
};

}  // namespace kefu::app
