// Client transactions, RFC 3261 §17.1 (figures 5 and 6) with RFC 6026 §7.2 (Accepted).
#include <spdlog/spdlog.h>

#include "sip/stack/transaction_layer.hpp"

namespace kefu::sip {

ClientTransaction::ClientTransaction(TransactionLayer& layer, std::string key, Message request,
                                     std::string bytes, const Destination& destination,
                                     ResponseHandler handler)
    : layer_(layer),
      key_(std::move(key)),
      request_(std::move(request)),
      bytes_(std::move(bytes)),
      destination_(destination),
      handler_(std::move(handler)),
      invite_(request_.method() == Method::Invite),
      state_(invite_ ? TransactionState::Calling : TransactionState::Trying),
      retransmit_timer_(layer.timers()),
      timeout_timer_(layer.timers()) {}

ClientTransaction::~ClientTransaction() = default;

std::string_view ClientTransaction::branch() const {
  return request_.vias().empty() ? std::string_view{}
                                 : request_.vias().front().branch().value_or("");
}

void ClientTransaction::start() {
  const TimerConfig& config = layer_.config();
  if (!is_reliable(destination_.transport)) {
    retransmit_interval_ = config.t1;
    retransmit_timer_.start(retransmit_interval_, [this] { fire_retransmit(); });
  }
  // Timer B (INVITE) / Timer F (non-INVITE): no final response in time.
  timeout_timer_.start(config.timeout(), [this] {
    auto self = shared_from_this();
    deliver(ClientResponse{408, nullptr});
    terminate();
  });
}

void ClientTransaction::fire_retransmit() {
  // Timer A (INVITE, Calling: doubles without cap) / Timer E (non-INVITE: doubles up to T2,
  // and stays at T2 once a provisional response came).
  auto self = shared_from_this();
  const bool retransmitting =
      invite_ ? state_ == TransactionState::Calling
              : (state_ == TransactionState::Trying || state_ == TransactionState::Proceeding);
  if (!retransmitting) return;
  send_request();
  const TimerConfig& config = layer_.config();
  if (invite_) {
    retransmit_interval_ *= 2;
  } else if (state_ == TransactionState::Proceeding) {
    retransmit_interval_ = config.t2;
  } else {
    retransmit_interval_ = std::min(retransmit_interval_ * 2, config.t2);
  }
  retransmit_timer_.start(retransmit_interval_, [this] { fire_retransmit(); });
}

void ClientTransaction::send_request() {
  if (auto error = layer_.transport().send(destination_, bytes_, MessageClass::Request,
                                           request_.method(), token_)) {
    layer_.transport().log().debug("sip: retransmission of {} not sent: {}", request_.method_text(),
                                   *error);
  }
}

void ClientTransaction::on_response(const Message& response) {
  const int status = response.status();
  const TimerConfig& config = layer_.config();
  const bool reliable = is_reliable(destination_.transport);
  if (invite_) {
    switch (state_) {
      case TransactionState::Calling:
      case TransactionState::Proceeding:
        if (status < 200) {
          state_ = TransactionState::Proceeding;
          retransmit_timer_.cancel();
          timeout_timer_.cancel();  // Timer B only guards the Calling state
          deliver(ClientResponse{status, &response});
        } else if (status < 300) {
          state_ = TransactionState::Accepted;
          retransmit_timer_.cancel();
          timeout_timer_.start(config.timeout(), [this] {  // Timer M
            auto self = shared_from_this();
            terminate();
          });
          deliver(ClientResponse{status, &response});
        } else {
          send_ack(response);
          state_ = TransactionState::Completed;
          retransmit_timer_.cancel();
          timeout_timer_.cancel();
          deliver(ClientResponse{status, &response});
          if (state_ != TransactionState::Completed) break;
          if (reliable) {
            terminate();
          } else {
            timeout_timer_.start(config.timer_d, [this] {  // Timer D
              auto self = shared_from_this();
              terminate();
            });
          }
        }
        break;
      case TransactionState::Accepted:
        if (status >= 200 && status < 300) deliver(ClientResponse{status, &response});
        break;
      case TransactionState::Completed:
        if (status >= 300) send_ack_again();
        break;
      default:
        break;
    }
    return;
  }
  if (state_ != TransactionState::Trying && state_ != TransactionState::Proceeding) return;
  if (status < 200) {
    state_ = TransactionState::Proceeding;
    deliver(ClientResponse{status, &response});
    return;
  }
  state_ = TransactionState::Completed;
  retransmit_timer_.cancel();
  timeout_timer_.cancel();
  deliver(ClientResponse{status, &response});
  if (state_ != TransactionState::Completed) return;
  if (reliable) {
    terminate();
  } else {
    timeout_timer_.start(config.t4, [this] {  // Timer K: absorb retransmitted responses
      auto self = shared_from_this();
      terminate();
    });
  }
}

void ClientTransaction::send_ack(const Message& response) {
  // §17.1.1.3: same Request-URI, Call-ID, From, CSeq number, top Via and Route as the
  // INVITE; To from the response.
  MessageBuilder builder = MessageBuilder::request(Method::Ack, request_.request_uri().text);
  if (!request_.vias().empty()) builder.header("Via", request_.vias().front().text);
  for (const HeaderField& field : request_.headers()) {
    if (field.id == HeaderId::Route) builder.header("Route", field.value);
  }
  builder.header("Max-Forwards", "70");
  builder.header("From", request_.header(HeaderId::From).value_or(""));
  builder.header("To", response.header(HeaderId::To).value_or(""));
  builder.header("Call-ID", request_.call_id());
  builder.header("CSeq", std::to_string(request_.cseq().number) + " ACK");
  ack_ = builder.build();
  send_ack_again();
}

void ClientTransaction::send_ack_again() {
  if (ack_.empty()) return;
  if (auto error =
          layer_.transport().send(destination_, ack_, MessageClass::Request, Method::Ack)) {
    layer_.transport().log().debug("sip: ACK not sent: {}", *error);
  }
}

void ClientTransaction::on_transport_error() {
  if (state_ == TransactionState::Terminated) return;
  auto self = shared_from_this();
  const bool awaiting_final = state_ == TransactionState::Calling ||
                              state_ == TransactionState::Trying ||
                              state_ == TransactionState::Proceeding;
  if (awaiting_final) deliver(ClientResponse{503, nullptr});
  terminate();
}

void ClientTransaction::deliver(const ClientResponse& response) {
  if (detached_ || !handler_) return;
  handler_(response);
}

void ClientTransaction::terminate() {
  if (state_ == TransactionState::Terminated) return;
  state_ = TransactionState::Terminated;
  retransmit_timer_.cancel();
  timeout_timer_.cancel();
  layer_.remove(*this);
}

}  // namespace kefu::sip
