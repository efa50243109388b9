#pragma once
// One media thread: an io_context run by one OS thread, the sessions placed on it, one 20 ms
// tick that sends every playing session's next frame, and one receive buffer shared by all its
// sessions. The sessions' sockets sit in the thread's own epoll set, registered once; only that
// set is watched through the io_context, so a wake-up serves every socket with data and no
// socket is re-armed per packet (Asio's async_wait re-arms with epoll_ctl on every call). Internal
// to kefu_media. Everything but the constructor, start(), stop() and counters() runs on the thread
// itself (reached through post()).
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "media/session.hpp"

namespace kefu::media::detail {

class MediaThread {
 public:
  MediaThread(const EventCallback& emit, RecordingWriter& writer, PortPool& ports,
              std::chrono::milliseconds rtp_timeout);
  ~MediaThread();  // stop() if still running
  MediaThread(const MediaThread&) = delete;
  MediaThread& operator=(const MediaThread&) = delete;

  void start();
  // Finishes every session (recordings are handed to the writer), then joins the thread.
  void stop();

  boost::asio::io_context& io() { return io_; }
  template <typename Handler>
  void post(Handler&& handler) {
    boost::asio::post(io_, std::forward<Handler>(handler));
  }

  // On the media thread.
  void adopt(std::unique_ptr<Session> session);
  Session* find(SessionId id);
  void destroy(SessionId id);
  void activate(Session& session);  // puts a session that needs ticks on the tick list
  // Bridging: links both sessions (ending earlier bridges of either); unbridge unlinks the
  // session and its peer. Both do nothing if a session is gone.
  void bridge(SessionId a, SessionId b);
  void unbridge(SessionId id);
  // Stereo recording of two sessions (left = audio received from `left`). A session records
  // into one stereo recording at a time: starting another finishes the earlier one.
  void record_bridge_start(SessionId left, SessionId right, std::filesystem::path path);
  void record_bridge_stop(SessionId id);  // finishes the stereo recording `id` is part of
  std::uint64_t current_tick() const { return current_tick_; }
  bool on_thread() const { return std::this_thread::get_id() == thread_.get_id(); }

  const ThreadCounters& counters() const { return counters_; }
  const SessionEnv& env() const { return env_; }

 private:
  void schedule_tick();
  void on_timer();
  void run_tick();
  void watch(Session& session);
  void wait_readable();
  void on_sockets_readable();
  void on_readable(SessionId id);

  boost::asio::io_context io_{1};
  ThreadCounters counters_;
  SessionEnv env_;
  boost::asio::steady_timer timer_;
  int epoll_fd_ = -1;
  boost::asio::posix::stream_descriptor epoll_;  // epoll_fd_, watched by the io_context
  bool waiting_ = false;                         // a wait (or a post) on epoll_ is pending
  std::unique_ptr<ThreadScratch> scratch_;
  std::vector<std::unique_ptr<Session>> sessions_;                 // by SessionId::index
  std::vector<SessionId> active_;                                  // sessions needing the tick
  std::vector<std::unique_ptr<StereoRecorder>> stereo_recorders_;  // each takes a slot per tick
  std::chrono::steady_clock::time_point started_at_;
  std::chrono::steady_clock::time_point next_deadline_;
  std::uint64_t current_tick_ = 0;
  std::uint64_t next_housekeeping_tick_ = 0;
  std::thread thread_;
};

}  // namespace kefu::media::detail
