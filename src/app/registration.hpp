#pragma once
// Connects the SIP user agent's REGISTER hook to the registrar with digest authentication.
#include <memory>

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
               std::shared_ptr<spdlog::logger> log);
  void on_register(sip::IncomingRequest request) override;
  void expire() { registrar_.remove_expired(); }
  const sip::Registrar& registrar() const { return registrar_; }

 private:
  sip::InMemoryCredentialStore credentials_;
  sip::Authenticator authenticator_;
  sip::Registrar registrar_;
  std::shared_ptr<spdlog::logger> log_;
};

}  // namespace kefu::app
