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

namespace {

sip::RegistrarConfig registrar_config(std::chrono::seconds min_expires) {
  sip::RegistrarConfig config;
  config.min_expires = min_expires;
  return config;
}

}  // namespace

Registration::Registration(bool demo, const std::vector<std::string>& digest_algorithms,
                           std::chrono::seconds min_expires, std::shared_ptr<spdlog::logger> log)
    : credentials_(demo ? sip::demo_credentials() : sip::InMemoryCredentialStore{}),
      authenticator_(auth_config(digest_algorithms), std::string{}, credentials_, steady_now()),
      registrar_(registrar_config(min_expires), &authenticator_, steady_now()),
      log_(std::move(log)) {
  registrar_.set_listener([this](const sip::BindingEvent& event) {
    log_->info("binding {} user={} contact={} source={}:{}", sip::to_string(event.kind), event.user,
               event.contact_uri, event.source.ip, event.source.port);
    if (binding_handler_) binding_handler_(event);
  });
}

namespace {

bool is_private_or_loopback(const boost::asio::ip::address& address) {
  if (address.is_loopback()) return true;
  if (address.is_v4()) {
    const auto bytes = address.to_v4().to_bytes();
    return bytes[0] == 10 || (bytes[0] == 172 && (bytes[1] & 0xF0) == 16) ||
           (bytes[0] == 192 && bytes[1] == 168) || (bytes[0] == 100 && (bytes[1] & 0xC0) == 64);
  }
  const auto bytes = address.to_v6().to_bytes();
  return (bytes[0] & 0xFE) == 0xFC || address.to_v6().is_link_local();
}

}  // namespace

std::vector<acd::Contact> Registration::contacts(const std::string& user) const {
  auto bindings = registrar_.lookup(user);
  // Most recent registration first: the phone the agent used last.
  std::vector<acd::Contact> out;
  for (auto it = bindings.rbegin(); it != bindings.rend(); ++it) {
    const sip::Binding& binding = *it;
    boost::system::error_code ec;
    auto source_ip = boost::asio::ip::make_address(binding.source.ip, ec);
    if (ec) continue;
    acd::Contact contact;
    contact.target = binding.contact_uri;
    sip::Destination destination;
    destination.transport = binding.source.transport == sip::SourceTransport::Tcp
                                ? sip::TransportKind::Tcp
                                : sip::TransportKind::Udp;
    destination.address = {source_ip, binding.source.port};
    // Send where the REGISTER came from (NAT, TCP flows), unless the Contact names an address
    // on the same kind of network as the source: then the phone said where it listens (a
    // registration made on its behalf, a phone with a separate signalling port).
    auto parsed = sip::Uri::parse(binding.contact_uri);
    if (parsed && destination.transport == sip::TransportKind::Udp) {
      auto contact_ip = boost::asio::ip::make_address(std::string(parsed->host), ec);
      if (!ec && is_private_or_loopback(contact_ip) == is_private_or_loopback(source_ip)) {
        const std::uint16_t port = parsed->port != 0 ? parsed->port : 5060;
        destination.address = {contact_ip, port};
      }
    }
    contact.destination = destination;
    out.push_back(std::move(contact));
  }
  return out;
}

bool Registration::from_registered_phone(const std::string& user, const sip::Inbound& source) const {
  for (const auto& binding : registrar_.lookup(user)) {
    if (binding.source.ip == source.source.address.to_string() && binding.source.port == source.source.port)
      return true;
    auto parsed = sip::Uri::parse(binding.contact_uri);
    if (parsed && std::string(parsed->host) == source.source.address.to_string() &&
        (parsed->port != 0 ? parsed->port : 5060) == source.source.port)
      return true;
  }
  return false;
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
