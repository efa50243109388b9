#pragma once
// RTP ports: even numbers in [first, last] (RFC 3550 11: RTP on even, RTCP on the next odd port).
// Released ports go to the back of the queue, so a port is reused as late as possible and stray
// packets of an old call rarely reach a new one. Taken on the control thread, given back by the
// media thread that closed the socket; a mutex guards the queue (taken once per call setup and
// teardown, never on the packet path).
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>

namespace kefu::media {

class PortPool {
 public:
  PortPool(std::uint16_t first, std::uint16_t last);

  std::optional<std::uint16_t> take();
  void give_back(std::uint16_t port);
  std::size_t available() const;

 private:
  mutable std::mutex mutex_;
  std::deque<std::uint16_t> free_;
};

}  // namespace kefu::media
