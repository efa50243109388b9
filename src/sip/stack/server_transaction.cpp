// Server transactions, RFC 3261 §17.2 (figures 7 and 8) with RFC 6026 §7.1 (Accepted).
#include <spdlog/spdlog.h>

#include "sip/stack/transaction_layer.hpp"

namespace kefu::sip {

ServerTransaction::ServerTransaction(TransactionLayer& layer, std::string key, Message request,
                                     const Inbound& from, std::string local_tag)
    : layer_(layer),
      key_(std::move(key)),
      request_(std::move(request)),
      source_(from),
      local_tag_(std::move(local_tag)),
      invite_(request_.method() == Method::Invite),
      state_(invite_ ? TransactionState::Proceeding : TransactionState::Trying),
      trying_timer_(layer.timers()),
      retransmit_timer_(layer.timers()),
      timeout_timer_(layer.timers()) {
  ResponseRoute route = route_response(request_, source_);
  response_destination_ = route.destination;
  top_via_ = std::move(route.top_via);
}

ServerTransaction::~ServerTransaction() = default;

void ServerTransaction::start() {
  const TimerConfig& config = layer_.config();
  if (invite_) {
    // §17.2.1: answer with 100 Trying unless the TU does within 200 ms.
    if (config.trying_delay <= Duration::zero()) {
      respond(ResponseSpec{100, {}, {}, {}, {}});
    } else {
      trying_timer_.start(config.trying_delay, [this] {
        auto keep = shared_from_this();
        if (state_ == TransactionState::Proceeding && last_status_ == 0) {
          respond(ResponseSpec{100, {}, {}, {}, {}});
        }
      });
    }
  } else {
    trying_timer_.start(config.non_invite_tu_limit, [this] {
      auto keep = shared_from_this();
      if (state_ == TransactionState::Trying || state_ == TransactionState::Proceeding) {
        layer_.transport().log().warn("sip: {} {} left unanswered; sending 500",
                                      request_.method_text(), request_.call_id());
        respond(ResponseSpec{500, "No Response From Application", {}, {}, {}});
      }
    });
  }
}

std::string ServerTransaction::build_response(const ResponseSpec& response) const {
  MessageBuilder builder = MessageBuilder::response(response.status, response.reason);
  builder.header("Via", top_via_);
  const auto& vias = request_.vias();
  for (std::size_t i = 1; i < vias.size(); ++i) builder.header("Via", vias[i].text);
  if (response.status > 100 && response.status < 300) {
    for (const HeaderField& field : request_.headers()) {
      if (field.id == HeaderId::RecordRoute) builder.header("Record-Route", field.value);
    }
  }
  builder.header("From", request_.header(HeaderId::From).value_or(""));
  const std::string_view to = request_.header(HeaderId::To).value_or("");
  if (!request_.to().tag() && response.status != 100 && !local_tag_.empty()) {
    builder.header("To", std::string(to) + ";tag=" + local_tag_);
  } else {
    builder.header("To", to);
  }
  builder.header("Call-ID", request_.call_id());
  // Rewritten plainly: a folded "0009\r\n INVITE" (RFC 4475 wsinv) comes back "9 INVITE".
  builder.header("CSeq", std::to_string(request_.cseq().number) + " " +
                             std::string(request_.cseq().method_text));
  if (response.status == 100) {
    // §8.2.6.1: a 100 (Trying) echoes the request's Timestamp.
    if (auto timestamp = request_.header("Timestamp")) builder.header("Timestamp", *timestamp);
  }
  if (!layer_.server_name().empty()) builder.header("Server", layer_.server_name());
  for (const auto& [name, value] : response.headers) builder.header(name, value);
  if (!response.body.empty() || !response.content_type.empty()) {
    builder.body(response.content_type, response.body);
  }
  return builder.build();
}

bool ServerTransaction::respond(const ResponseSpec& response) {
  const int status = response.status;
  if (status < 100 || status > 699) return false;
  switch (state_) {
    case TransactionState::Trying:
    case TransactionState::Proceeding:
      break;
    case TransactionState::Accepted:
      if (status < 200 || status >= 300) return false;
      break;  // the TU re-sends its 2xx (RFC 6026 §7.1)
    default:
      return false;
  }
  auto keep = shared_from_this();
  last_response_ = build_response(response);
  last_status_ = status;
  trying_timer_.cancel();
  send_last();
  if (status < 200) {
    if (!invite_) state_ = TransactionState::Proceeding;
    return true;
  }
  const TimerConfig& config = layer_.config();
  if (invite_) {
    if (status < 300) {
      if (state_ != TransactionState::Accepted) {
        state_ = TransactionState::Accepted;
        // Timer L: absorb retransmitted INVITEs while the TU re-sends the 2xx.
        timeout_timer_.start(config.timeout(), [this] {
          auto self = shared_from_this();
          terminate();
        });
      }
    } else {
      enter_completed_invite();
    }
    return true;
  }
  state_ = TransactionState::Completed;
  if (is_reliable(source_.transport)) {
    terminate();
  } else {
    timeout_timer_.start(config.timeout(), [this] {  // Timer J
      auto self = shared_from_this();
      terminate();
    });
  }
  return true;
}

void ServerTransaction::enter_completed_invite() {
  const TimerConfig& config = layer_.config();
  state_ = TransactionState::Completed;
  if (!is_reliable(source_.transport)) {
    retransmit_interval_ = config.t1;
    // Timer G: re-send the final response until the ACK arrives.
    retransmit_timer_.start(retransmit_interval_, [this] { fire_timer_g(); });
  }
  timeout_timer_.start(config.timeout(), [this] {  // Timer H: the ACK never came
    auto self = shared_from_this();
    layer_.transport().log().debug("sip: no ACK for {} {} (Timer H)", last_status_,
                                   request_.call_id());
    terminate();
  });
}

void ServerTransaction::fire_timer_g() {
  auto self = shared_from_this();
  if (state_ != TransactionState::Completed) return;
  send_last();
  retransmit_interval_ = std::min(retransmit_interval_ * 2, layer_.config().t2);
  retransmit_timer_.start(retransmit_interval_, [this] { fire_timer_g(); });
}

void ServerTransaction::on_retransmission() {
  switch (state_) {
    case TransactionState::Proceeding:
      if (last_status_ == 0) {
        respond(ResponseSpec{100, {}, {}, {}, {}});  // §17.2.1: the INVITE came again
      } else {
        send_last();
      }
      break;
    case TransactionState::Completed:
      send_last();
      break;
    default:
      break;  // Trying, Accepted, Confirmed: absorbed
  }
}

void ServerTransaction::on_ack() {
  if (state_ != TransactionState::Completed) return;
  state_ = TransactionState::Confirmed;
  retransmit_timer_.cancel();
  if (is_reliable(source_.transport)) {
    terminate();
    return;
  }
  timeout_timer_.start(layer_.config().t4, [this] {  // Timer I: absorb ACK retransmissions
    auto self = shared_from_this();
    terminate();
  });
}

void ServerTransaction::send_last() {
  if (last_response_.empty()) return;
  if (auto error = layer_.transport().send(response_destination_, last_response_,
                                           MessageClass::Response, request_.cseq().method)) {
    layer_.transport().log().debug("sip: response to {} not sent: {}", request_.call_id(), *error);
  }
}

void ServerTransaction::terminate() {
  if (state_ == TransactionState::Terminated) return;
  state_ = TransactionState::Terminated;
  trying_timer_.cancel();
  retransmit_timer_.cancel();
  timeout_timer_.cancel();
  layer_.remove(*this);
}

}  // namespace kefu::sip
