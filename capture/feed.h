// The live feed's server side, in kilt-run: a local socket that exactly one consumer (Falco,
// through the kiltcap plugin) reads the capture from. Non-blocking and driven by the launcher's
// poll loop:
//
//   kilt::feed::FeedServer feed;
//   feed.set_peer_check([](void* ctx, pid_t pid, uid_t) { return IsAgent(ctx, pid); }, ctx);
//   feed.set_on_consumer([](void* ctx, bool first) { ReleaseAppOrResendProcessTable(ctx, first); },
//   ctx); if (!feed.Listen({"@kilt-capture", 8 << 20}, &err)) ... loop:
//     pollfd fds[...]; size_t n = feed.FillPollFds(fds);   // plus the launcher's own fds
//     poll(...);
//     feed.HandlePollFds(fds, n);
//     feed.Push(buffer.bytes());                             // encoded events; never blocks
//
// Push() copies whole events into a bounded buffer and tries to send at once; when the buffer is
// full the event is dropped and counted (dropped_events()), never waited for: the tracer must not
// stall the app. Drops are reported to the consumer in the stream (a DROPS frame) and are the
// launcher's to report on stderr. Without a consumer, events wait in the buffer (and are dropped
// once it is full).
//
// One consumer at a time. A new connection is first checked with the peer-check hook (its
// SO_PEERCRED pid and uid: only the agent may read the capture, not the traced app, and on an
// abstract socket not another container of the task either), then it must complete the handshake;
// while a consumer is connected, others get BUSY. When a consumer completes the handshake the
// on-consumer hook runs (first = true the first time: release the app; false after a Falco restart:
// re-send the live process table). Events pushed from inside that hook are sent before everything
// already buffered, so a restarted Falco learns the processes before it sees their events.
#ifndef KILT_CAPTURE_FEED_H_
#define KILT_CAPTURE_FEED_H_

#include <poll.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace kilt::feed {

class FeedServer {
 public:
  struct Options {
    std::string address;              // "/run/kilt/capture.sock", or "@name" for an abstract socket
    size_t buffer_bytes = 8 << 20;    // events waiting for the consumer
    size_t snapshot_bytes = 4 << 20;  // events pushed from the on-consumer hook
  };
  using PeerCheck = bool (*)(void* ctx, pid_t pid, uid_t uid);
  using ConsumerHook = void (*)(void* ctx, bool first);
  static constexpr size_t kMaxPollFds = 2;

  FeedServer();
  ~FeedServer();
  FeedServer(const FeedServer&) = delete;
  FeedServer& operator=(const FeedServer&) = delete;

  // Without a peer check every local peer is accepted.
  void set_peer_check(PeerCheck check, void* ctx) {
    peer_check_ = check;
    peer_ctx_ = ctx;
  }
  void set_on_consumer(ConsumerHook hook, void* ctx) {
    on_consumer_ = hook;
    consumer_ctx_ = ctx;
  }

  // Binds and listens (a stale socket file at the path is replaced). Allocates the buffers.
  [[nodiscard]] bool Listen(const Options& options, std::string* err);
  void Close();

  // The fds to poll with their events (at most kMaxPollFds entries); returns how many it wrote.
  size_t FillPollFds(struct pollfd* out) const;
  // Handles what poll() reported for the entries FillPollFds wrote.
  void HandlePollFds(const struct pollfd* fds, size_t n);

  // Queues back-to-back encoded events (whole events only; a malformed tail is dropped). Returns
  // the number of events queued; the others were dropped and counted.
  size_t Push(std::string_view events);

  bool consumer_connected() const { return state_ == kActive; }
  uint64_t dropped_events() const { return dropped_events_; }
  uint64_t dropped_bytes() const { return dropped_bytes_; }
  uint64_t sent_events() const { return sent_events_; }
  uint64_t rejected_peers() const { return rejected_peers_; }
  size_t buffered_bytes() const;

 private:
  enum State { kNone, kHandshake, kActive };
  class Ring;

  void Accept();
  void DropConsumer();
  bool ConsumerAlive() const;
  void ReadFromConsumer();
  void HandleClientHello(const uint8_t* payload, uint32_t len);
  void QueueControl(uint16_t type, const void* payload, uint32_t len);
  void Send();
  bool StartFrame();

  int listen_fd_ = -1;
  int consumer_fd_ = -1;
  State state_ = kNone;
  bool ever_connected_ = false;
  bool in_hook_ = false;
  std::string unlink_path_;

  std::unique_ptr<Ring> ring_;      // events for the consumer
  std::unique_ptr<Ring> priority_;  // events pushed from the on-consumer hook: sent first

  // Bytes of control frames (HELLO, DROPS, BUSY, ERROR) to send before the next events frame.
  uint8_t control_[256] = {};
  size_t control_len_ = 0, control_sent_ = 0;
  // The events frame being sent: header + `frame_events_` bytes from `frame_ring_`.
  uint8_t frame_header_[8] = {};
  Ring* frame_ring_ = nullptr;
  size_t frame_bytes_ = 0, frame_sent_ = 0;
  uint32_t frame_count_ = 0;

  uint8_t rx_[128] = {};  // the client's hello
  size_t rx_len_ = 0;

  PeerCheck peer_check_ = nullptr;
  void* peer_ctx_ = nullptr;
  ConsumerHook on_consumer_ = nullptr;
  void* consumer_ctx_ = nullptr;

  uint64_t dropped_events_ = 0, dropped_bytes_ = 0, reported_drops_ = 0;
  uint64_t sent_events_ = 0, rejected_peers_ = 0;
};

}  // namespace kilt::feed

#endif  // KILT_CAPTURE_FEED_H_
