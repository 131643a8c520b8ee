#include "webhook/log.h"

#include <rapidjson/document.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace kilt::webhook {
namespace {

// Runs `log` with stderr sent to a temporary file; returns what was written.
template <typename F>
std::string CaptureStderr(F log) {
  FILE* tmp = tmpfile();
  REQUIRE(tmp);
  fflush(stderr);
  int saved = dup(STDERR_FILENO);
  dup2(fileno(tmp), STDERR_FILENO);
  log();
  dup2(saved, STDERR_FILENO);
  close(saved);
  std::string out;
  rewind(tmp);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, tmp)) > 0) out.append(buf, n);
  fclose(tmp);
  return out;
}

TEST_CASE("a log line is one JSON object on one line, whatever the values hold") {
  std::string every;  // every byte but NUL, then UTF-8
  for (int c = 1; c < 128; c++) every += static_cast<char>(c);
  every += "\xc3\xa9";
  std::string line = CaptureStderr([&] {
    LogLine("warn", "bad \"request\"")
        .Str("value", every)
        .Num("duration_ms", 1.23456)
        .Int("status", -413)
        .List("patched", {"a/b", "c\nd"});
  });
  REQUIRE(line.size() > 1);
  CHECK(line.back() == '\n');
  CHECK(line.find('\n') == line.size() - 1);
  rapidjson::Document d;
  d.Parse(line.data(), line.size() - 1);
  REQUIRE_FALSE(d.HasParseError());
  CHECK(std::string(d["level"].GetString()) == "warn");
  CHECK(std::string(d["msg"].GetString()) == "bad \"request\"");
  CHECK(std::string(d["value"].GetString(), d["value"].GetStringLength()) == every);
  CHECK(line.find(R"("duration_ms":1.235,)") != std::string::npos);
  CHECK(d["status"].GetInt() == -413);
  CHECK(std::string(d["patched"][1].GetString()) == "c\nd");
  // "2026-11-27T03:28:59.123Z"
  std::string ts = d["ts"].GetString();
  CHECK(ts.size() == 24);
  CHECK(ts[10] == 'T');
  CHECK(ts[19] == '.');
  CHECK(ts.back() == 'Z');
}

TEST_CASE("held info lines are written together, whole, at most 4 KiB per write; other levels at once, in order") {
  // A SOCK_SEQPACKET socket keeps each write(2) apart, so the test sees the writes, not just bytes.
  int sv[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
  fflush(stderr);
  int saved = dup(STDERR_FILENO);
  dup2(sv[0], STDERR_FILENO);
  HoldLogLines(true);
  for (int i = 0; i < 40; i++) LogLine("info", "admission").Int("i", i).Str("pad", std::string(200, 'x'));
  const bool held = HeldLogLines();
  LogLine("warn", "bad request").Int("i", 40);
  const bool held_after_warn = HeldLogLines();
  LogLine("info", "admission").Int("i", 41);
  HoldLogLines(false);
  LogLine("info", "admission").Int("i", 42);
  dup2(saved, STDERR_FILENO);
  close(saved);
  close(sv[0]);
  std::vector<std::string> writes;
  char buf[65536];
  ssize_t n;
  while ((n = recv(sv[1], buf, sizeof buf, MSG_DONTWAIT)) > 0) writes.emplace_back(buf, static_cast<size_t>(n));
  close(sv[1]);

  CHECK(held);
  CHECK_FALSE(held_after_warn);
  CHECK(writes.size() <= 8);  // 43 lines: batches of about 14, the warn line, the last two
  int next = 0;
  for (const std::string& w : writes) {
    CHECK(w.size() <= kLogBatchBytes);
    REQUIRE(w.back() == '\n');
    for (size_t start = 0; start < w.size();) {
      size_t end = w.find('\n', start);
      rapidjson::Document d;
      d.Parse(w.data() + start, end - start);
      REQUIRE_FALSE(d.HasParseError());
      CHECK(d["i"].GetInt() == next++);
      start = end + 1;
    }
  }
  CHECK(next == 43);
}

}  // namespace
}  // namespace kilt::webhook
