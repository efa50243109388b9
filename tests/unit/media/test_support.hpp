#pragma once
// Test doubles for media tests: a "phone" (a plain UDP socket on 127.0.0.1) and an event log
// that the engine's callback fills and the test waits on with deadlines.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <vector>

#include <boost/asio/ip/udp.hpp>

#include "media/types.hpp"
#include "rtp/packet.hpp"

namespace kefu::media::test {

using Clock = std::chrono::steady_clock;

class Phone {
 public:
  Phone() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    if (fd_ < 0) throw std::runtime_error("socket");
    const int buffer = 8 << 20;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      throw std::runtime_error("bind");
    }
    socklen_t length = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~Phone() { ::close(fd_); }
  Phone(const Phone&) = delete;
  Phone& operator=(const Phone&) = delete;

  std::uint16_t port() const { return port_; }
  boost::asio::ip::udp::endpoint endpoint() const {
    return {boost::asio::ip::address_v4::loopback(), port_};
  }

  void send_to(std::uint16_t port, std::span<const std::byte> bytes) const {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    to.sin_port = htons(port);
    ::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  }

  struct Datagram {
    std::vector<std::byte> bytes;
    Clock::time_point arrival;
    std::uint16_t from_port = 0;
  };

  // Waits until a datagram arrives or the deadline passes.
  std::optional<Datagram> receive(Clock::time_point deadline) const {
    while (true) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      pollfd p{fd_, POLLIN, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 0)));
      if (ready <= 0) return std::nullopt;
      std::vector<std::byte> buffer(2048);
      sockaddr_in from{};
      socklen_t length = sizeof from;
      const ssize_t n = ::recvfrom(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT,
                                   reinterpret_cast<sockaddr*>(&from), &length);
      if (n < 0) continue;
      buffer.resize(static_cast<std::size_t>(n));
      return Datagram{std::move(buffer), Clock::now(), ntohs(from.sin_port)};
    }
  }

  // Everything already queued, without waiting.
  std::vector<Datagram> drain() const {
    std::vector<Datagram> out;
    while (auto d = receive(Clock::now())) out.push_back(std::move(*d));
    return out;
  }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

class EventLog {
 public:
  EventCallback callback() {
    return [this](MediaEvent event) {
      {
        std::lock_guard lock(mutex_);
        events_.push_back(std::move(event));
      }
      changed_.notify_all();
    };
  }

  // Waits until some event satisfies `match`; returns it.
  template <typename T>
  std::optional<T> wait_for(const std::function<bool(const T&)>& match,
                            Clock::duration timeout = std::chrono::seconds(5)) {
    std::unique_lock lock(mutex_);
    std::optional<T> found;
    changed_.wait_until(lock, Clock::now() + timeout, [&] {
      for (const auto& event : events_) {
        if (const T* e = std::get_if<T>(&event); e != nullptr && match(*e)) {
          found = *e;
          return true;
        }
      }
      return false;
    });
    return found;
  }

  template <typename T>
  std::vector<T> all() {
    std::lock_guard lock(mutex_);
    std::vector<T> out;
    for (const auto& event : events_) {
      if (const T* e = std::get_if<T>(&event)) out.push_back(*e);
    }
    return out;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<MediaEvent> events_;
};

// Builds an RTP packet.
inline std::vector<std::byte> rtp_packet(bool marker, std::uint8_t pt, std::uint16_t seq,
                                         std::uint32_t ts, std::uint32_t ssrc,
                                         std::span<const std::byte> payload) {
  std::vector<std::byte> out(rtp::fixed_header_size + payload.size());
  rtp::PacketFields fields;
  fields.marker = marker;
  fields.payload_type = pt;
  fields.sequence = seq;
  fields.timestamp = ts;
  fields.ssrc = ssrc;
  const auto size = rtp::serialize_packet(fields, payload, out);
  out.resize(size ? *size : 0);
  return out;
}

// UDP payloads of an Ethernet/IPv4 pcap file (the RTP captures shipped with SIPp).
inline std::vector<std::vector<std::byte>> udp_payloads_from_pcap(
    const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  const std::vector<char> raw((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
  std::vector<std::byte> file(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) file[i] = std::byte(raw[i]);
  const auto u32le = [&](std::size_t at) {
    return std::to_integer<std::uint32_t>(file[at]) |
           (std::to_integer<std::uint32_t>(file[at + 1]) << 8) |
           (std::to_integer<std::uint32_t>(file[at + 2]) << 16) |
           (std::to_integer<std::uint32_t>(file[at + 3]) << 24);
  };
  std::vector<std::vector<std::byte>> payloads;
  if (file.size() < 24 || u32le(0) != 0xA1B2C3D4U || u32le(20) != 1) return payloads;
  std::size_t at = 24;
  while (at + 16 <= file.size()) {
    const std::size_t length = u32le(at + 8);
    at += 16;
    if (at + length > file.size()) break;
    const std::span<const std::byte> frame(file.data() + at, length);
    at += length;
    if (frame.size() < 14 + 20 + 8 || std::to_integer<int>(frame[14 + 9]) != 17) continue;
    const std::size_t udp = 14 + (std::to_integer<std::size_t>(frame[14]) & 0x0F) * 4;
    if (frame.size() < udp + 8) continue;
    payloads.emplace_back(frame.begin() + static_cast<std::ptrdiff_t>(udp + 8), frame.end());
  }
  return payloads;
}

}  // namespace kefu::media::test
