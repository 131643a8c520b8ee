#include "capture/feed.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstring>

#include "capture/feed_protocol.h"
#include "capture/scap_buffer.h"
#include "capture/scap_table.h"

namespace kilt::feed {

// A byte ring of whole events; the consumer side reads spans of it with writev-style segments.
class FeedServer::Ring {
 public:
  explicit Ring(size_t capacity) : buf_(new uint8_t[capacity]), cap_(capacity) {}

  size_t size() const { return size_; }
  size_t available() const { return cap_ - size_; }

  // REQUIRES: n <= available().
  void Append(const void* data, size_t n) {
    size_t tail = (head_ + size_) % cap_;
    size_t first = n < cap_ - tail ? n : cap_ - tail;
    std::memcpy(buf_.get() + tail, data, first);
    std::memcpy(buf_.get(), static_cast<const uint8_t*>(data) + first, n - first);
    size_ += n;
  }

  // The u32 at `offset` bytes past the head (an event's length field), read across the wrap.
  uint32_t LoadU32(size_t offset) const {
    uint8_t b[4];
    for (size_t i = 0; i < 4; ++i) b[i] = buf_[(head_ + offset + i) % cap_];
    uint32_t v;
    std::memcpy(&v, b, 4);
    return v;
  }

  // Up to two iovecs covering [offset, offset + n) past the head.
  int Segments(size_t offset, size_t n, struct iovec* iov) const {
    if (n == 0) return 0;
    size_t start = (head_ + offset) % cap_;
    size_t first = n < cap_ - start ? n : cap_ - start;
    iov[0].iov_base = buf_.get() + start;
    iov[0].iov_len = first;
    if (first == n) return 1;
    iov[1].iov_base = buf_.get();
    iov[1].iov_len = n - first;
    return 2;
  }

  void Consume(size_t n) {
    head_ = (head_ + n) % cap_;
    size_ -= n;
  }

 private:
  std::unique_ptr<uint8_t[]> buf_;  // not touched until used: the pages cost nothing before
  size_t cap_;
  size_t head_ = 0, size_ = 0;
};

namespace {

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

Hello OurHello() {
  Hello h;
  std::memset(&h, 0, sizeof h);
  std::memcpy(h.magic, kMagic, sizeof h.magic);
  h.version = kProtocolVersion;
  h.table_hash = scap::kTableHash;
  h.max_frame = kMaxFrame;
  std::strncpy(h.libs_version, scap::kLibsVersion, sizeof h.libs_version - 1);
  return h;
}

}  // namespace

FeedServer::FeedServer() = default;
FeedServer::~FeedServer() { Close(); }

bool FeedServer::Listen(const Options& options, std::string* err) {
  Close();
  struct sockaddr_un sa;
  size_t sa_len = MakeUnixAddress(options.address, &sa, err);
  if (sa_len == 0) return false;
  const bool abstract = options.address[0] == '@';
  if (!abstract) {
    // A socket file left by an earlier kilt-run is stale (we are the only server); anything else at
    // that path is not ours to remove.
    struct stat st;
    if (lstat(options.address.c_str(), &st) == 0) {
      if (!S_ISSOCK(st.st_mode)) {
        *err = options.address + " exists and is not a socket";
        return false;
      }
      unlink(options.address.c_str());
    }
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *err = Errno("socket");
    return false;
  }
  if (bind(fd, reinterpret_cast<struct sockaddr*>(&sa), static_cast<socklen_t>(sa_len)) != 0) {
    *err = Errno("cannot listen on capture socket " + options.address);
    close(fd);
    return false;
  }
  // Only the owner may connect to a path socket; abstract sockets have no permissions: the peer
  // check is what keeps others out there.
  if (!abstract && chmod(options.address.c_str(), 0600) != 0) {
    *err = Errno("chmod " + options.address);
    close(fd);
    unlink(options.address.c_str());
    return false;
  }
  if (listen(fd, 8) != 0) {
    *err = Errno("listen " + options.address);
    close(fd);
    if (!abstract) unlink(options.address.c_str());
    return false;
  }
  listen_fd_ = fd;
  if (!abstract) unlink_path_ = options.address;
  ring_.reset(new Ring(options.buffer_bytes));
  priority_.reset(new Ring(options.snapshot_bytes));
  return true;
}

void FeedServer::Close() {
  DropConsumer();
  if (listen_fd_ >= 0) close(listen_fd_);
  listen_fd_ = -1;
  if (!unlink_path_.empty()) unlink(unlink_path_.c_str());
  unlink_path_.clear();
}

size_t FeedServer::buffered_bytes() const {
  return (ring_ ? ring_->size() : 0) + (priority_ ? priority_->size() : 0);
}

size_t FeedServer::FillPollFds(struct pollfd* out) const {
  size_t n = 0;
  if (listen_fd_ >= 0) out[n++] = {listen_fd_, POLLIN, 0};
  if (consumer_fd_ >= 0) {
    bool want_write =
        control_sent_ < control_len_ ||
        (state_ == kActive && (frame_ring_ != nullptr || ring_->size() > 0 ||
                               priority_->size() > 0 || dropped_events_ != reported_drops_));
    out[n++] = {consumer_fd_, static_cast<short>(POLLIN | (want_write ? POLLOUT : 0)), 0};
  }
  return n;
}

void FeedServer::HandlePollFds(const struct pollfd* fds, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (fds[i].revents == 0) continue;
    if (fds[i].fd == listen_fd_ && listen_fd_ >= 0) {
      Accept();
    } else if (fds[i].fd == consumer_fd_ && consumer_fd_ >= 0) {
      if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) ReadFromConsumer();
      if (consumer_fd_ >= 0 && (fds[i].revents & POLLOUT)) Send();
    }
  }
}

void FeedServer::Accept() {
  while (true) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN (or a connection that vanished): nothing more to accept
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
        (peer_check_ != nullptr && !peer_check_(peer_ctx_, cred.pid, cred.uid))) {
      ++rejected_peers_;
      close(fd);
      continue;
    }
    if (state_ == kActive && ConsumerAlive()) {
      // One consumer at a time; a restarted Falco's old connection is dead by now (checked above).
      static const char kReason[] = "another consumer is reading this capture";
      uint8_t frame[kFrameHeaderSize + sizeof kReason - 1];
      PutFrameHeader(frame, sizeof kReason - 1, kFrameBusy);
      std::memcpy(frame + kFrameHeaderSize, kReason, sizeof kReason - 1);
      (void)!send(fd, frame, sizeof frame, MSG_NOSIGNAL | MSG_DONTWAIT);
      close(fd);
      continue;
    }
    DropConsumer();  // a dead consumer, or one that never finished its handshake
    consumer_fd_ = fd;
    state_ = kHandshake;
    Hello h = OurHello();
    QueueControl(kFrameHello, &h, sizeof h);
    Send();
  }
}

bool FeedServer::ConsumerAlive() const {
  char c;
  ssize_t r = recv(consumer_fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT);
  return r > 0 || (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR));
}

void FeedServer::DropConsumer() {
  if (consumer_fd_ >= 0) close(consumer_fd_);
  consumer_fd_ = -1;
  state_ = kNone;
  control_len_ = control_sent_ = 0;
  // A frame cut short is not consumed: the next consumer gets its events whole.
  frame_ring_ = nullptr;
  frame_sent_ = frame_bytes_ = 0;
  rx_len_ = 0;
  reported_drops_ = 0;  // the next consumer hears the total
}

void FeedServer::ReadFromConsumer() {
  while (consumer_fd_ >= 0) {
    uint8_t scratch[512];
    uint8_t* dst = state_ == kHandshake ? rx_ + rx_len_ : scratch;
    size_t room = state_ == kHandshake ? sizeof rx_ - rx_len_ : sizeof scratch;
    ssize_t r = recv(consumer_fd_, dst, room, MSG_DONTWAIT);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (r <= 0) {  // EOF or error: the consumer is gone
      DropConsumer();
      return;
    }
    if (state_ != kHandshake) continue;  // nothing is expected after the hello
    rx_len_ += static_cast<size_t>(r);
    if (rx_len_ < kFrameHeaderSize) continue;
    uint32_t len;
    uint16_t type;
    std::memcpy(&len, rx_, 4);
    std::memcpy(&type, rx_ + 4, 2);
    if (type != kFrameHello || len != sizeof(Hello)) {
      DropConsumer();
      return;
    }
    if (rx_len_ < kFrameHeaderSize + len) continue;
    HandleClientHello(rx_ + kFrameHeaderSize, len);
  }
}

void FeedServer::HandleClientHello(const uint8_t* payload, uint32_t len) {
  Hello h;
  std::memcpy(&h, payload, len);
  const char* error = nullptr;
  if (std::memcmp(h.magic, kMagic, sizeof h.magic) != 0) {
    error = "not a kilt capture client";
  } else if (h.version != kProtocolVersion) {
    error = "protocol version mismatch: kilt-run speaks version 1";
  } else if (h.table_hash != scap::kTableHash) {
    error =
        "event table mismatch: the plugin and kilt-run were built from different libs event tables";
  }
  if (error != nullptr) {
    QueueControl(kFrameError, error, static_cast<uint32_t>(std::strlen(error)));
    Send();
    DropConsumer();
    return;
  }
  state_ = kActive;
  const bool first = !ever_connected_;
  ever_connected_ = true;
  if (on_consumer_ != nullptr) {
    in_hook_ = true;
    on_consumer_(consumer_ctx_, first);
    in_hook_ = false;
  }
  Send();
}

void FeedServer::QueueControl(uint16_t type, const void* payload, uint32_t len) {
  if (control_sent_ == control_len_) control_len_ = control_sent_ = 0;
  if (control_len_ + kFrameHeaderSize + len > sizeof control_)
    return;  // cannot happen: tiny frames
  PutFrameHeader(control_ + control_len_, len, type);
  std::memcpy(control_ + control_len_ + kFrameHeaderSize, payload, len);
  control_len_ += kFrameHeaderSize + len;
}

size_t FeedServer::Push(std::string_view events) {
  if (!ring_) {
    // Not listening: nothing can ever read these.
    dropped_bytes_ += events.size();
    return 0;
  }
  Ring* target = in_hook_ ? priority_.get() : ring_.get();
  size_t queued = 0;
  while (!events.empty()) {
    uint32_t len = 0;
    if (events.size() >= scap::kEventHeaderSize) std::memcpy(&len, events.data() + 16, 4);
    if (len < scap::kEventHeaderSize || len > events.size() || len > kMaxFrame) {
      ++dropped_events_;  // a malformed tail: count it once, drop the rest
      dropped_bytes_ += events.size();
      break;
    }
    if (len <= target->available()) {
      target->Append(events.data(), len);
      ++queued;
    } else {
      ++dropped_events_;
      dropped_bytes_ += len;
    }
    events.remove_prefix(len);
  }
  if (state_ == kActive && !in_hook_) Send();
  return queued;
}

// Picks the next run of whole events (priority ring first), at most kMaxFrame bytes.
bool FeedServer::StartFrame() {
  Ring* r = priority_->size() > 0 ? priority_.get() : ring_.get();
  size_t bytes = 0;
  uint32_t count = 0;
  while (bytes < r->size()) {
    uint32_t len = r->LoadU32(bytes + 16);
    if (bytes + len > kMaxFrame) break;
    bytes += len;
    ++count;
  }
  if (count == 0) return false;
  frame_ring_ = r;
  frame_bytes_ = bytes;
  frame_count_ = count;
  frame_sent_ = 0;
  PutFrameHeader(frame_header_, static_cast<uint32_t>(bytes), kFrameEvents);
  return true;
}

void FeedServer::Send() {
  while (consumer_fd_ >= 0) {
    struct iovec iov[4];
    int n = 0;
    bool sending_frame = false;
    if (control_sent_ < control_len_) {
      iov[n++] = {control_ + control_sent_, control_len_ - control_sent_};
    } else if (state_ != kActive) {
      return;
    } else if (frame_ring_ == nullptr && dropped_events_ != reported_drops_) {
      Drops d{dropped_events_, dropped_bytes_};
      reported_drops_ = dropped_events_;
      QueueControl(kFrameDrops, &d, sizeof d);
      continue;
    } else if (frame_ring_ != nullptr || StartFrame()) {
      sending_frame = true;
      size_t done = frame_sent_;
      if (done < kFrameHeaderSize) {
        iov[n++] = {frame_header_ + done, kFrameHeaderSize - done};
        done = 0;
      } else {
        done -= kFrameHeaderSize;
      }
      n += frame_ring_->Segments(done, frame_bytes_ - done, iov + n);
    } else {
      return;  // nothing to send
    }
    struct msghdr msg;
    std::memset(&msg, 0, sizeof msg);
    msg.msg_iov = iov;
    msg.msg_iovlen = static_cast<size_t>(n);
    ssize_t w = sendmsg(consumer_fd_, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;  // POLLOUT will call again
    if (w < 0) {
      DropConsumer();  // EPIPE, ECONNRESET: the consumer is gone
      return;
    }
    if (!sending_frame) {
      control_sent_ += static_cast<size_t>(w);
      continue;
    }
    frame_sent_ += static_cast<size_t>(w);
    if (frame_sent_ == kFrameHeaderSize + frame_bytes_) {
      frame_ring_->Consume(frame_bytes_);
      sent_events_ += frame_count_;
      frame_ring_ = nullptr;
      frame_sent_ = frame_bytes_ = 0;
    }
  }
}

}  // namespace kilt::feed
