#include "capture/feed_client.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cstring>

#include "capture/feed_protocol.h"
#include "capture/scap_table.h"

namespace kilt::feed {
namespace {

int64_t NowMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

}  // namespace

FeedClient::FeedClient()
    : buf_(new uint8_t[kFrameHeaderSize + kMaxFrame]), cap_(kFrameHeaderSize + kMaxFrame) {}
FeedClient::~FeedClient() { Close(); }

void FeedClient::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  hello_seen_ = false;
  start_ = end_ = 0;
}

bool FeedClient::Connect(const std::string& address, std::string* err) {
  Close();
  struct sockaddr_un sa;
  size_t len = MakeUnixAddress(address, &sa, err);
  if (len == 0) return false;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *err = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  if (connect(fd, reinterpret_cast<struct sockaddr*>(&sa), static_cast<socklen_t>(len)) != 0) {
    *err = "cannot connect to kilt-run's capture socket " + address + ": " + std::strerror(errno);
    close(fd);
    return false;
  }
  uint8_t frame[kFrameHeaderSize + sizeof(Hello)];
  Hello h;
  std::memset(&h, 0, sizeof h);
  std::memcpy(h.magic, kMagic, sizeof h.magic);
  h.version = kProtocolVersion;
  h.table_hash = scap::kTableHash;
  h.max_frame = kMaxFrame;
  std::strncpy(h.libs_version, scap::kLibsVersion, sizeof h.libs_version - 1);
  PutFrameHeader(frame, sizeof h, kFrameHello);
  std::memcpy(frame + kFrameHeaderSize, &h, sizeof h);
  // The socket buffer is empty: a 48-byte write goes whole.
  if (send(fd, frame, sizeof frame, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof frame)) {
    *err = std::string("sending the capture handshake: ") + std::strerror(errno);
    close(fd);
    return false;
  }
  fd_ = fd;
  return true;
}

FeedClient::Result FeedClient::Fail(Result r, const std::string& msg, std::string* err) {
  *err = msg;
  Close();
  return r;
}

FeedClient::Result FeedClient::Parse(std::string_view* events, std::string* err, bool* handled) {
  *handled = false;
  size_t avail = end_ - start_;
  if (avail < kFrameHeaderSize) return Result::kTimeout;
  const uint8_t* p = buf_.get() + start_;
  uint32_t len;
  uint16_t type;
  std::memcpy(&len, p, 4);
  std::memcpy(&type, p + 4, 2);
  if (len > kMaxFrame) return Fail(Result::kError, "capture frame larger than 1 MiB", err);
  if (avail < kFrameHeaderSize + len) return Result::kTimeout;
  const uint8_t* payload = p + kFrameHeaderSize;
  *handled = true;
  start_ += kFrameHeaderSize + len;
  std::string_view text(reinterpret_cast<const char*>(payload), len);
  if (!hello_seen_) {
    if (type == kFrameBusy) {
      return Fail(Result::kClosed, "kilt-run refused the connection: " + std::string(text), err);
    }
    Hello h;
    if (type != kFrameHello || len != sizeof h) {
      return Fail(Result::kError, "not a kilt capture socket (no handshake)", err);
    }
    std::memcpy(&h, payload, sizeof h);
    server_libs_.assign(h.libs_version, strnlen(h.libs_version, sizeof h.libs_version));
    if (std::memcmp(h.magic, kMagic, sizeof h.magic) != 0 || h.version != kProtocolVersion) {
      return Fail(Result::kError, "not a kilt capture socket (bad handshake)", err);
    }
    if (h.table_hash != scap::kTableHash) {
      return Fail(Result::kError,
                  "event table mismatch: kilt-run encodes libs " + server_libs_ +
                      " events, this plugin was built for libs " + scap::kLibsVersion +
                      " (rebuild both from the same sources)",
                  err);
    }
    hello_seen_ = true;
    return Result::kTimeout;
  }
  switch (type) {
    case kFrameEvents:
      *events = text;  // stays in the buffer until the next call compacts it
      return Result::kEvents;
    case kFrameDrops: {
      Drops d;
      if (len != sizeof d) return Fail(Result::kError, "malformed drops frame", err);
      std::memcpy(&d, payload, sizeof d);
      if (d.events != dropped_events_) drops_changed_ = true;
      dropped_events_ = d.events;
      dropped_bytes_ = d.bytes;
      return Result::kTimeout;
    }
    case kFrameError:
      return Fail(Result::kError, "kilt-run refused the connection: " + std::string(text), err);
    case kFrameBusy:
      return Fail(Result::kClosed, "kilt-run refused the connection: " + std::string(text), err);
    default:
      return Result::kTimeout;  // unknown frames are skipped: newer servers may add some
  }
}

FeedClient::Result FeedClient::Next(int timeout_ms, std::string_view* events, std::string* err) {
  if (fd_ < 0) return Fail(Result::kClosed, "not connected", err);
  const int64_t deadline = NowMs() + timeout_ms;
  while (true) {
    // Frames already received first.
    bool handled = true;
    while (handled) {
      Result r = Parse(events, err, &handled);
      if (r != Result::kTimeout) return r;
    }
    // Make room: move the partial frame to the front.
    if (start_ > 0) {
      std::memmove(buf_.get(), buf_.get() + start_, end_ - start_);
      end_ -= start_;
      start_ = 0;
    }
    int64_t left = deadline - NowMs();
    if (left < 0) left = 0;
    struct pollfd pfd = {fd_, POLLIN, 0};
    int pr = poll(&pfd, 1, static_cast<int>(left));
    if (pr < 0 && errno == EINTR) continue;
    if (pr < 0) return Fail(Result::kError, std::string("poll: ") + std::strerror(errno), err);
    if (pr == 0) return Result::kTimeout;
    ssize_t r = recv(fd_, buf_.get() + end_, cap_ - end_, MSG_DONTWAIT);
    if (r < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (r < 0) {
      return Fail(Result::kError,
                  std::string("reading the capture socket: ") + std::strerror(errno), err);
    }
    if (r == 0) return Fail(Result::kClosed, "kilt-run closed the capture socket", err);
    end_ += static_cast<size_t>(r);
  }
}

}  // namespace kilt::feed
