#include "webhook/log.h"

#include <time.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>

#include "base/file.h"
#include "base/json.h"

namespace kilt::webhook {
namespace {

thread_local bool held = false;
thread_local std::string pending;  // whole lines, at most kLogBatchBytes

// A log line that cannot be written has nowhere to go.
void WriteAll(const std::string& text) { (void)base::WriteAll(STDERR_FILENO, text); }

}  // namespace

void HoldLogLines(bool hold) {
  if (!hold) FlushLogLines();
  held = hold;
}

bool HeldLogLines() { return !pending.empty(); }

void FlushLogLines() {
  if (pending.empty()) return;
  WriteAll(pending);
  pending.clear();
}

LogLine::LogLine(const char* level, std::string_view msg) : info_(std::string_view(level) == "info") {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  // The date and time to the second are formatted once per second per thread (gmtime and printf
  // showed in the bench's profile: every review logs a line).
  thread_local time_t cached_sec = -1;
  thread_local char cached[80];
  if (ts.tv_sec != cached_sec) {
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(cached, sizeof cached, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    cached_sec = ts.tv_sec;
  }
  const long ms = ts.tv_nsec / 1000000;
  const char frac[] = {'.', static_cast<char>('0' + ms / 100), static_cast<char>('0' + ms / 10 % 10),
                       static_cast<char>('0' + ms % 10), 'Z', '"'};
  out_.reserve(256);
  out_ = "{\"ts\":\"";
  out_ += cached;
  out_.append(frac, sizeof frac);
  out_ += ",\"level\":";
  base::AppendJsonString(&out_, level);
  out_ += ",\"msg\":";
  base::AppendJsonString(&out_, msg);
}

LogLine& LogLine::Str(const char* key, std::string_view value) {
  out_ += ',';
  base::AppendJsonString(&out_, key);
  out_ += ':';
  base::AppendJsonString(&out_, value);
  return *this;
}

LogLine& LogLine::Num(const char* key, double value) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::fixed, 3);  // as %.3f
  if (ec != std::errc()) end = buf + snprintf(buf, sizeof buf, "%.3g", value);  // > 60 digits
  out_ += ',';
  base::AppendJsonString(&out_, key);
  out_ += ':';
  out_.append(buf, static_cast<size_t>(end - buf));
  return *this;
}

LogLine& LogLine::Int(const char* key, int64_t value) {
  out_ += ',';
  base::AppendJsonString(&out_, key);
  out_ += ':';
  out_ += std::to_string(value);
  return *this;
}

LogLine& LogLine::List(const char* key, const std::vector<std::string>& values) {
  out_ += ',';
  base::AppendJsonString(&out_, key);
  out_ += ":[";
  for (size_t i = 0; i < values.size(); i++) {
    if (i) out_ += ',';
    base::AppendJsonString(&out_, values[i]);
  }
  out_ += ']';
  return *this;
}

LogLine::~LogLine() {
  out_ += "}\n";
  if (held && info_ && out_.size() <= kLogBatchBytes) {
    if (pending.size() + out_.size() > kLogBatchBytes) FlushLogLines();
    pending += out_;
    return;
  }
  FlushLogLines();
  // One write per line (or per batch of whole lines) keeps lines whole when several workers log at once.
  WriteAll(out_);
}

}  // namespace kilt::webhook
