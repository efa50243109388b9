#include "media/port_pool.hpp"

namespace kefu::media {

PortPool::PortPool(std::uint16_t first, std::uint16_t last) {
  std::uint32_t port = first + (first % 2);
  for (; port + 1 <= last && port <= 65534; port += 2) {
    free_.push_back(static_cast<std::uint16_t>(port));
  }
}

std::optional<std::uint16_t> PortPool::take() {
  std::lock_guard lock(mutex_);
  if (free_.empty()) return std::nullopt;
  const std::uint16_t port = free_.front();
  free_.pop_front();
  return port;
}

void PortPool::give_back(std::uint16_t port) {
  std::lock_guard lock(mutex_);
  free_.push_back(port);
}

std::size_t PortPool::available() const {
  std::lock_guard lock(mutex_);
  return free_.size();
}

}  // namespace kefu::media
