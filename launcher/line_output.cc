#include "launcher/line_output.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace kilt::launcher {

LineOutput::LineOutput(int fd, size_t capacity, LogFormat format)
    : fd_(fd), format_(format), buf_(new char[capacity]), cap_(capacity) {}

LineOutput::~LineOutput() {
  if (fd_ >= 0) close(fd_);
}

void LineOutput::MakeRoom(size_t need) {
  // Lines stay contiguous so each batch goes out in one write: move the queue to the front when the end
  // is reached, or earlier once more has been written than is still queued. The early move costs at most
  // one extra copy per byte and keeps a backlog in the same (warm, already faulted-in) pages instead of
  // walking through a large log.buffer.
  size_t queued = tail_ - head_;
  if (cap_ - tail_ < need || (head_ >= kEarlyCompact && head_ >= queued)) {
    memmove(buf_.get(), buf_.get() + head_, queued);
    tail_ = queued;
    head_ = 0;
  }
}

void LineOutput::Line(const char* data, size_t len) {
  if (broken_ || cap_ - (tail_ - head_) < len) {
    ++dropped_lines_, dropped_bytes_ += len;
    ++unreported_lines_, unreported_bytes_ += len;
    return;
  }
  MakeRoom(len);
  memcpy(buf_.get() + tail_, data, len);
  tail_ += len;
}

char* LineOutput::Reserve(size_t max) {
  if (broken_ || cap_ - (tail_ - head_) < max) return nullptr;  // Line() decides: keep or drop and count
  MakeRoom(max);
  return buf_.get() + tail_;
}

char* LineOutput::ReserveBatch(size_t* room) {
  const size_t need = kMaxFramedLine + kBatchSlack;
  if (broken_ || cap_ - (tail_ - head_) < need) return nullptr;  // per line: keep or drop and count
  MakeRoom(need);
  *room = cap_ - tail_;
  return buf_.get() + tail_;
}

bool LineOutput::TryReportDrops() {
  char msg[256];
  int n;
  if (format_ == LogFormat::kJson) {
    n = snprintf(msg, sizeof msg,
                 "{\"kilt\":\"kilt-run\",\"stream\":\"stderr\",\"msg\":\"dropped %llu lines (%llu bytes) of "
                 "agent output: stdout was blocked\",\"dropped_lines\":%llu,\"dropped_bytes\":%llu}\n",
                 (unsigned long long)unreported_lines_, (unsigned long long)unreported_bytes_,
                 (unsigned long long)unreported_lines_, (unsigned long long)unreported_bytes_);
  } else {
    n = snprintf(msg, sizeof msg,
                 "[kilt-run] dropped %llu lines (%llu bytes) of agent output: stdout was blocked\n",
                 (unsigned long long)unreported_lines_, (unsigned long long)unreported_bytes_);
  }
  if (cap_ - (tail_ - head_) < static_cast<size_t>(n)) return false;
  unreported_lines_ = unreported_bytes_ = 0;
  Line(msg, static_cast<size_t>(n));
  return true;
}

bool LineOutput::Drain() {
  for (;;) {
    if (broken_) {
      if (tail_ > head_) {
        // Count what can no longer be delivered: one line per '\n'.
        for (size_t i = head_; i < tail_; ++i)
          if (buf_[i] == '\n') ++dropped_lines_;
        dropped_bytes_ += tail_ - head_;
      }
      head_ = tail_ = 0;
      unreported_lines_ = unreported_bytes_ = 0;
      return false;
    }
    if (unreported_lines_ > 0 && tail_ - head_ < cap_ / 2) TryReportDrops();
    if (tail_ == head_) {
      head_ = tail_ = 0;
      return true;
    }
    // As many whole lines as fit in PIPE_BUF: one atomic write.
    size_t n = tail_ - head_;
    if (n > kMaxFramedLine) {
      const char* end = static_cast<const char*>(memrchr(buf_.get() + head_, '\n', kMaxFramedLine));
      n = static_cast<size_t>(end - (buf_.get() + head_)) + 1;
    }
    ssize_t w = write(fd_, buf_.get() + head_, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return true;
      broken_ = true;  // EPIPE, EBADF, ...: nobody will ever read this
      continue;
    }
    head_ += static_cast<size_t>(w);
  }
}

int OpenNonBlockingOutput(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return -1;
  if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    int r = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (r >= 0) return r;
  }
  return fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

}  // namespace kilt::launcher
