// libFuzzer target for the launcher's two parsers of untrusted input: run.cfg (ParseRunConfig must return
// true or false with an error, never crash) and agent output (LineFramer: every framed line is whole, at most
// PIPE_BUF bytes, and in JSON format a valid JSON object — whatever bytes the agent writes, cut anywhere).
#include <cstdint>
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>

#include "launcher/config.h"
#include "launcher/line_framer.h"

namespace {
struct Check : kilt::launcher::LineSink {
  bool json = false;
  void Line(const char* d, size_t n) override {
    if (n == 0 || n > kilt::launcher::kMaxFramedLine || d[n - 1] != '\n') abort();
    if (memchr(d, '\n', n - 1)) abort();
    if (json && !kilt::launcher::IsJsonObject(std::string_view(d, n - 1))) abort();
  }
  // The batch path (plain format): lines framed back to back into this buffer, checked at Commit.
  bool batch = false;
  char buf[3 * (kilt::launcher::kMaxFramedLine + kilt::launcher::kBatchSlack)];
  char* Reserve(size_t) override { return nullptr; }
  char* ReserveBatch(size_t* room) override {
    if (!batch) return nullptr;
    *room = sizeof buf;
    return buf;
  }
  void Commit(size_t len) override {
    if (len > sizeof buf) abort();
    for (size_t o = 0; o < len;) {
      const char* nl = static_cast<const char*>(memchr(buf + o, '\n', len - o));
      if (!nl) abort();  // a batch holds whole lines only
      Line(buf + o, static_cast<size_t>(nl - (buf + o)) + 1);
      o = static_cast<size_t>(nl - buf) + 1;
    }
  }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  kilt::launcher::RunConfig cfg;
  std::string err;
  if (!kilt::launcher::ParseRunConfig(in, "fuzz.cfg", &cfg, &err) && err.empty()) abort();

  if (size < 1) return 0;
  for (int fmt = 0; fmt < 3; ++fmt) {
    Check c;
    c.json = fmt == 1;
    c.batch = fmt == 2;
    using kilt::launcher::LogFormat;
    kilt::launcher::LineFramer f("fuzz", "stdout", c.json ? LogFormat::kJson : LogFormat::kPlain, true);
    // The first byte picks the chunk size, so reads that cut lines anywhere are covered.
    size_t chunk = data[0] % 64 + 1;
    for (size_t off = 1; off < size; off += chunk) f.Feed(in.data() + off, std::min(chunk, size - off), &c);
    f.Flush(&c);
  }
  return 0;
}
