// Structured logs: one JSON object per line on stderr ({"ts","level","msg",...fields}). Callers pass
// only what is safe to log: never a pod object or env values.
#ifndef KILT_WEBHOOK_LOG_H_
#define KILT_WEBHOOK_LOG_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kilt::webhook {

// A thread that serves many requests (a server worker) may hold its "info" lines and write them
// together, whole lines, at most kLogBatchBytes per write(2) so that they stay whole on a pipe
// (PIPE_BUF): at saturation a write per admission was a tenth of the server's time, and it came
// before the answer was sent. Lines of other levels are written at once, after the held ones (the
// order within a thread is kept). The holder flushes whenever it is about to wait for work.
inline constexpr size_t kLogBatchBytes = 4096;
void HoldLogLines(bool hold);  // for the calling thread; false flushes
bool HeldLogLines();           // whether the calling thread holds lines not yet written
void FlushLogLines();          // writes the calling thread's held lines

class LogLine {
 public:
  LogLine(const char* level, std::string_view msg);
  LogLine& Str(const char* key, std::string_view value);
  LogLine& Num(const char* key, double value);
  LogLine& Int(const char* key, int64_t value);
  LogLine& List(const char* key, const std::vector<std::string>& values);
  ~LogLine();  // writes the line with one write(2), or holds it (HoldLogLines)

 private:
  std::string out_;
  bool info_;
};

}  // namespace kilt::webhook

#endif  // KILT_WEBHOOK_LOG_H_
