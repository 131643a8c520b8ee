// Turns one agent stream (stdout or stderr) into whole, tagged lines for the container's stdout.
//
// Why: the app writes to the same stdout; the awslogs driver makes one CloudWatch event per line, and two
// writers to a pipe only stay untangled if each write(2) carries whole lines of at most PIPE_BUF bytes.
// So every framed line is complete ('\n'-terminated) and at most kMaxFramedLine bytes; longer agent lines
// are split into several framed lines (continuations are marked), never dropped.
//
//   plain: "[falco] text\n", continuation pieces "[falco+] text\n"
//   json:  {"kilt":"falco","stream":"stderr","msg":"text"}\n  (continuations add "cont":true)
//          a line that is itself a JSON object is embedded: "msg":{...} (log.embed_json)
#ifndef KILT_LAUNCHER_LINE_FRAMER_H_
#define KILT_LAUNCHER_LINE_FRAMER_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace kilt::launcher {

// How framed lines look (run.cfg's log.format). Declared here, not in config.h, so that this public header
// needs none of the launcher's internal ones (kilt local frames its app's output with it).
enum class LogFormat { kPlain, kJson };

constexpr size_t kMaxFramedLine = 4096;  // PIPE_BUF on Linux: writes up to this size are atomic

// Receives framed lines. Each call gets one complete line (ending in '\n') of at most kMaxFramedLine bytes.
class LineSink {
 public:
  virtual ~LineSink() = default;
  virtual void Line(const char* data, size_t len) = 0;
  // Optional zero-copy path: space for one line of up to `max` bytes written in place and then passed to
  // Commit(len), or nullptr when there is not that much room (the framer then calls Line()).
  virtual char* Reserve(size_t max) {
    (void)max;
    return nullptr;
  }
  virtual void Commit(size_t len) { (void)len; }
  // Optional batch path: contiguous space for many lines, at least kMaxFramedLine + kBatchSlack bytes
  // (*room says how many), or nullptr. The framer writes whole framed lines back to back into it and
  // passes their total to Commit() once, instead of one Reserve/Commit per line.
  virtual char* ReserveBatch(size_t* room) {
    (void)room;
    return nullptr;
  }
};

// Extra room a batch reservation needs past the longest framed line: the fused copy-and-scan moves 16
// bytes at a time and may write up to 15 bytes past a line's end.
constexpr size_t kBatchSlack = 64;

class LineFramer {
 public:
  // `stream` is "stdout" or "stderr" (JSON format only).
  LineFramer(std::string_view tag, std::string_view stream, LogFormat format, bool embed_json);

  // Feeds bytes read from the agent. Complete lines go to the sink now; an unfinished line waits.
  void Feed(const char* data, size_t len, LineSink* sink);
  // Emits the unfinished last line, if any (the agent exited or closed the stream).
  void Flush(LineSink* sink);

 private:
  // Frames pending_[0..pending_len_) into as many lines as needed. With `line_end` all of it is framed;
  // otherwise only full frames are emitted and the rest stays pending.
  void Emit(bool line_end, LineSink* sink);
  // Frames one piece starting at `p`; returns how many input bytes it consumed.
  size_t FrameOne(const char* p, size_t n, bool line_end, bool whole_line, LineSink* sink);
  // Plain format, no partial line pending: frames the whole lines at the start of data[0..len) straight
  // into batch space from the sink. Returns the input bytes consumed (0 if the sink has no batch space).
  size_t FeedBatch(const char* data, size_t len, LineSink* sink);

  std::string prefix_;       // "[tag] " / {"kilt":"tag","stream":"s","msg":
  std::string cont_prefix_;  // "[tag+] " / {"kilt":"tag","stream":"s","cont":true,"msg":
  LogFormat format_;
  bool embed_json_;
  bool continued_ = false;   // the next piece continues a split line
  char pending_[kMaxFramedLine];
  size_t pending_len_ = 0;
  char prefix16_[16] = {};   // prefix_ padded, for a fixed-size copy when it is this short
  char frame_[kMaxFramedLine];
};

// True if `s` is exactly one JSON object (RFC 8259, UTF-8, surrounding whitespace allowed) that can be
// embedded verbatim in a JSON line: valid, no raw control characters, nesting depth at most 64.
bool IsJsonObject(std::string_view s);

}  // namespace kilt::launcher

#endif  // KILT_LAUNCHER_LINE_FRAMER_H_
