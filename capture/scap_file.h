// Writes scap capture files (.scap) that Falco 0.44.1 replays (`engine.kind: replay`) and Debian's
// sysdig 0.29 reads (`sysdig -r FILE filter`). The layout is libs' savefile format (pcapng-like
// blocks, host byte order): a section header block {0x0A0D0D0A, magic 0x1A2B3C4D, version 1.2},
// then one EV_BLOCK_TYPE_V2 (0x216) block per event: {type, total length, u16 cpu id, event,
// padding to 4 bytes, total length}. No process/fd/user list blocks: every process of the capture
// is introduced by its clone and execve events.
//
// Compatibility mode (on by default): older readers (sysdig 0.29, libs of 2022) take some fields
// from enter events only (the socket's domain, connect's fd, close's fd, execve's filename for
// proc.exepath, the ids of setuid...), so before each such exit event the writer adds its enter
// event, rebuilt from the exit's parameters of the same name (the pairs of
// capture/event_params.golden). Falco 0.44.1's reader accepts these enter events (its converter
// stores or passes them). Events the older readers do not know (codes >= 336: dup*, accept4,
// memfd_create...) are skipped by them, not misread.
#ifndef KILT_CAPTURE_SCAP_FILE_H_
#define KILT_CAPTURE_SCAP_FILE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "capture/scap_sink.h"

namespace kilt::scap {

struct DecodedEvent;
struct EnterFromExit;

class CaptureFileWriter : public EventSink {
 public:
  struct Options {
    bool enter_events = true;  // the compatibility mode above
  };

  CaptureFileWriter();
  ~CaptureFileWriter() override;  // closes the file; call Close() to see write errors
  CaptureFileWriter(const CaptureFileWriter&) = delete;
  CaptureFileWriter& operator=(const CaptureFileWriter&) = delete;

  // Creates (truncates) `path` and writes the section header.
  [[nodiscard]] bool Open(const std::string& path, const Options& options, std::string* err);
  // Same on an fd the writer then owns (e.g. a pipe or stdout).
  [[nodiscard]] bool OpenFd(int fd, const Options& options, std::string* err);

  // Appends a run of back-to-back encoded events (EventBuffer::bytes(), a feed frame). A malformed
  // event stops the run with an error; the events before it are written.
  [[nodiscard]] bool Write(std::string_view events, std::string* err) override;

  // Flushes and closes. Reports the first write error, if any.
  [[nodiscard]] bool Close(std::string* err) override;

  uint64_t events_written() const { return events_; }

 private:
  bool Start(std::string* err);
  bool WriteEnterEvent(const DecodedEvent& exit, const EnterFromExit& enter, std::string* err);
  bool WriteEvent(std::string_view event, std::string* err);
  bool Append(const void* data, size_t n, std::string* err);
  bool Flush(std::string* err);

  static constexpr size_t kBufferSize = 256 * 1024;
  int fd_ = -1;
  Options options_;
  std::unique_ptr<uint8_t[]> buf_;
  size_t used_ = 0;
  uint64_t events_ = 0;
};

}  // namespace kilt::scap

#endif  // KILT_CAPTURE_SCAP_FILE_H_
