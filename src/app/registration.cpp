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

// The registrar builds whole responses; the transaction layer builds the standard headers
// (Via with received/rport, From, To with tag, Call-ID, CSeq) itself and takes the rest.
sip::ResponseSpec to_response_spec(const std::string& text) {
  sip::ResponseSpec spec;
  auto parsed = sip::Message::parse(text);
  if (!parsed) {
    spec.status = 500;
    return spec;
  }
  spec.status = parsed->status();
  spec.reason = std::string(parsed->reason());
  for (const auto& field : parsed->headers()) {
    switch (field.id) {
      case sip::HeaderId::Via:
      case sip::HeaderId::From:
      case sip::HeaderId::To:
      case sip::HeaderId::CallId:
      case sip::HeaderId::CSeq:
      case sip::HeaderId::ContentLength:
      case sip::HeaderId::RecordRoute:
        break;
      default:
        spec.headers.emplace_back(std::string(field.name), std::string(field.value));
    }
  }
  return spec;
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
  (void)request.respond(to_response_spec(registrar_.handle(*message, to_source(*source))));
}

}  // namespace kefu::app
