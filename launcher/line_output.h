// A bounded queue of whole lines in front of an output fd (the container's stdout) that never blocks the
// supervisor: lines are written with non-blocking write(2)s of whole lines, at most PIPE_BUF bytes each,
// so they are atomic with respect to the app writing to the same pipe. When the reader stops reading,
// lines wait in a buffer of fixed size; beyond it new lines are dropped and counted, and the count is
// reported in the stream (a "[kilt-run] dropped ..." line) as soon as there is room again.
#ifndef KILT_LAUNCHER_LINE_OUTPUT_H_
#define KILT_LAUNCHER_LINE_OUTPUT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "launcher/config.h"
#include "launcher/line_framer.h"

namespace kilt::launcher {

class LineOutput : public LineSink {
 public:
  // Takes ownership of `fd` (which should be non-blocking, see OpenNonBlockingOutput). `capacity` bytes
  // of buffer are allocated once, here.
  LineOutput(int fd, size_t capacity, LogFormat format);
  ~LineOutput() override;
  LineOutput(const LineOutput&) = delete;
  LineOutput& operator=(const LineOutput&) = delete;

  // REQUIRES: `data` is one line ending in '\n', len <= kMaxFramedLine.
  void Line(const char* data, size_t len) override;
  char* Reserve(size_t max) override;
  char* ReserveBatch(size_t* room) override;
  void Commit(size_t len) override { tail_ += len; }

  // Writes as much as the fd accepts now. Returns false only on a permanent error (e.g. EPIPE): the
  // output is then discarded (and counted) from here on.
  bool Drain();
  bool pending() const { return tail_ > head_ || unreported_lines_ > 0; }
  int fd() const { return fd_; }

  uint64_t dropped_lines() const { return dropped_lines_; }
  uint64_t dropped_bytes() const { return dropped_bytes_; }

 private:
  bool TryReportDrops();
  // Ensures `need` contiguous bytes after tail_ (the caller checked they exist in total).
  void MakeRoom(size_t need);
  static constexpr size_t kEarlyCompact = 256 * 1024;

  int fd_;
  LogFormat format_;
  std::unique_ptr<char[]> buf_;
  size_t cap_, head_ = 0, tail_ = 0;
  bool broken_ = false;
  uint64_t dropped_lines_ = 0, dropped_bytes_ = 0;
  uint64_t unreported_lines_ = 0, unreported_bytes_ = 0;
};

// Returns an fd for writing to the same destination as `fd` without sharing its file status flags:
// O_NONBLOCK on fd 1 itself would also make the app's stdout non-blocking (the flag lives in the open file
// description the app inherits). Pipes, FIFOs and terminals are reopened through /proc/self/fd (a new
// open file description); anything else (regular files, sockets, no /proc) is dup'ed and used as is.
int OpenNonBlockingOutput(int fd);

}  // namespace kilt::launcher

#endif  // KILT_LAUNCHER_LINE_OUTPUT_H_
