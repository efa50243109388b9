#include "app/registration.hpp"

#include <chrono>
#include <stdexcept>

namespace kefu::app {

namespace {

sip::SteadyNow steady_now() {
  return [] { return std::chrono::steady_clock::now(); };
}

sip::SourceAddress to_source(const sip::Inbound& inbound) {
  return {inbound.transport == sip::TransportKind::Tcp ? sip::SourceTransport::Tcp
                                                       : sip::SourceTransport::Udp,
          inbound.source.address.to_string(), inbound.source.port};
}

sip::AuthConfig auth_config(const std::vector<std::string>& algorithms) {
  sip::AuthConfig config;
  config.challenge_algorithms.clear();
  for (const auto& name : algorithms) {
    auto algorithm = sip::digest_algorithm_from_string(name);
    if (!algorithm) throw std::invalid_argument("unknown digest algorithm '" + name + "'");
    config.challenge_algorithms.push_back(*algorithm);
  }
  return config;
}

}  // namespace

Registration::Registration(bool demo, const std::vector<std::string>& digest_algorithms,
                           std::shared_ptr<spdlog::logger> log)
    : credentials_(demo ? sip::demo_credentials() : sip::InMemoryCredentialStore{}),
      authenticator_(auth_config(digest_algorithms), std::string{}, credentials_, steady_now()),
      registrar_(sip::RegistrarConfig{}, &authenticator_, steady_now()),
      log_(std::move(log)) {
  registrar_.set_listener([this](const sip::BindingEvent& event) {
    log_->info("binding {} user={} contact={} source={}:{}", sip::to_string(event.kind), event.user,
               event.contact_uri, event.source.ip, event.source.port);
  });
}

void Registration::on_register(sip::IncomingRequest request) {
  const sip::Message* message = request.request();
  auto source = request.source();
  if (message == nullptr || !source) return;
  auto answer = registrar_.respond_to(*message, to_source(*source));
  sip::ResponseSpec spec;
  spec.status = answer.status;
  spec.reason = std::move(answer.reason);
  spec.headers = std::move(answer.headers);
  (void)request.respond(spec);
}

}  // namespace kefu::app
