#include "webhook/log.h"

#include <rapidjson/document.h>
#include <stdio.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

namespace kilt {
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

}  // namespace
}  // namespace kilt
