// One JSON object per scap event, for `kilt capture -o json` and for reading captures by eye:
//
//   {"ts":1700000000123456789,"tid":101,"type":"openat","dir":"<","params":{"fd":3,"dirfd":-100,
//    "name":"/etc/shadow","flags":"O_RDONLY|O_CLOEXEC","mode":0,"dev":2049,"ino":1234}}
//
// Deterministic: keys in table order, no whitespace. Values: integers as numbers (errno results as
// the negative number), strings without their NUL, argv/envp/cgroups as arrays of strings, flags as
// names joined by '|' (as Falco prints them), modes as octal strings, socket tuples as
// "ip:port->ip:port"
// ("[v6]:port" for IPv6, "0xid->0xid path" for AF_UNIX), addresses as "ip:port" or the path, absent
// parameters as null. Bytes that are not UTF-8 are written as \u00XX. Types outside the capture's
// table get "type":"unknown:N" and their parameters as hex strings under p0, p1...
#ifndef KILT_CAPTURE_SCAP_JSON_H_
#define KILT_CAPTURE_SCAP_JSON_H_

#include <cstdint>
#include <string>

#include "capture/scap_decoder.h"
#include "capture/scap_sink.h"

namespace kilt::scap {

// Appends the JSON object of `ev` (no newline) to *out.
void AppendEventJson(const DecodedEvent& ev, std::string* out);

// Appends `s` as a JSON string literal (quotes included). Unlike base::AppendJsonString, which
// copies bytes >= 0x80 and so needs UTF-8 input, this one validates: paths and argv are arbitrary
// bytes.
void AppendJsonString(std::string_view s, std::string* out);

// JSON lines on a file descriptor (`kilt capture -o json`: stdout), one line per event, written in
// blocks of up to 64 KiB of whole lines.
class JsonLinesWriter : public EventSink {
 public:
  // Writes to `fd`; closes it at Close() only if `owned`.
  JsonLinesWriter(int fd, bool owned) : fd_(fd), owned_(owned) {}
  ~JsonLinesWriter() override;
  JsonLinesWriter(const JsonLinesWriter&) = delete;
  JsonLinesWriter& operator=(const JsonLinesWriter&) = delete;

  [[nodiscard]] bool Write(std::string_view events, std::string* err) override;
  [[nodiscard]] bool Close(std::string* err) override;
  uint64_t events_written() const { return events_; }

 private:
  bool Flush(std::string* err);

  int fd_;
  bool owned_;
  std::string pending_;
  uint64_t events_ = 0;
};

}  // namespace kilt::scap

#endif  // KILT_CAPTURE_SCAP_JSON_H_
