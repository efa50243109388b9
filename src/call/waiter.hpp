#pragma once
// A one-shot suspension point for a C++20 coroutine on the control loop: the coroutine
// `co_await`s wait(), some later event calls resume(value). Resumption is posted, never inline,
// so the code that reports an event is never re-entered by the coroutine it wakes.
#include <functional>
#include <memory>
#include <utility>

#include <boost/asio/async_result.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace kefu::call {

template <typename T>
class Waiter {
 public:
  explicit Waiter(boost::asio::io_context& io) : io_(io) {}

  bool pending() const { return static_cast<bool>(resume_); }

  boost::asio::awaitable<T> wait() {
    return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void(T)>(
        [this](auto handler) {
          // Asio handlers are move-only; std::function needs a copyable target.
          auto shared = std::make_shared<decltype(handler)>(std::move(handler));
          resume_ = [shared](T value) { std::move (*shared)(std::move(value)); };
        },
        boost::asio::use_awaitable);
  }

  // Wakes the waiting coroutine, if any; returns whether one was waiting.
  bool resume(T value) {
    if (!resume_) return false;
    auto resume = std::move(resume_);
    resume_ = nullptr;
    boost::asio::post(io_, [resume = std::move(resume), value = std::move(value)]() mutable {
      resume(std::move(value));
    });
    return true;
  }

 private:
  boost::asio::io_context& io_;
  std::function<void(T)> resume_;
};

}  // namespace kefu::call
