// Structured logs: one JSON object per line on stderr ({"ts","level","msg",...fields}). Callers pass
// only what is safe to log: never a pod object or env values.
#ifndef KILT_WEBHOOK_LOG_H_
#define KILT_WEBHOOK_LOG_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kilt {

class LogLine {
 public:
  LogLine(const char* level, std::string_view msg);
  LogLine& Str(const char* key, std::string_view value);
  LogLine& Num(const char* key, double value);
  LogLine& Int(const char* key, int64_t value);
  LogLine& List(const char* key, const std::vector<std::string>& values);
  ~LogLine();  // writes the line with one write(2)

 private:
  std::string out_;
};

}  // namespace kilt

#endif  // KILT_WEBHOOK_LOG_H_
