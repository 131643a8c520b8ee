#include "launcher/line_output.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

namespace {
std::string ReadAll(int fd) {
  std::string s;
  char buf[65536];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<size_t>(n));
  return s;
}
}  // namespace

TEST_CASE("lines pass through in order in whole-line writes") {
  int p[2];
  REQUIRE(pipe2(p, O_NONBLOCK) == 0);
  kilt::launcher::LineOutput out(p[1], 1 << 16, kilt::launcher::LogFormat::kPlain);
  out.Line("a\n", 2);
  out.Line("bb\n", 3);
  REQUIRE(out.Drain());
  CHECK_FALSE(out.pending());
  CHECK(ReadAll(p[0]) == "a\nbb\n");
  close(p[0]);
}

TEST_CASE("a blocked reader: bounded buffer, drops counted and reported once there is room") {
  int p[2];
  REQUIRE(pipe2(p, O_NONBLOCK) == 0);
  REQUIRE(fcntl(p[1], F_SETPIPE_SZ, 4096) >= 0);
  kilt::launcher::LineOutput out(p[1], 8192, kilt::launcher::LogFormat::kPlain);
  std::string line(99, 'x');
  line += "\n";
  for (int i = 0; i < 1000; ++i) {
    out.Line(line.data(), line.size());
    out.Drain();
  }
  CHECK(out.dropped_lines() > 0);
  uint64_t dropped = out.dropped_lines();
  CHECK(dropped < 1000);
  // The reader catches up: everything kept comes out, followed by the report.
  std::string got;
  for (int i = 0; i < 100 && out.pending(); ++i) {
    got += ReadAll(p[0]);
    out.Drain();
  }
  got += ReadAll(p[0]);
  CHECK_FALSE(out.pending());
  size_t kept = 0, pos = 0;
  while ((pos = got.find(line, pos)) != std::string::npos) ++kept, pos += line.size();
  CHECK(kept + dropped == 1000);
  CHECK(got.find("[kilt-run] dropped " + std::to_string(dropped) + " lines (" + std::to_string(dropped * 100) +
                 " bytes)") != std::string::npos);
  close(p[0]);
}

TEST_CASE("a closed reader: output is discarded and counted, never blocks") {
  int p[2];
  REQUIRE(pipe2(p, O_NONBLOCK) == 0);
  close(p[0]);
  signal(SIGPIPE, SIG_IGN);
  kilt::launcher::LineOutput out(p[1], 1 << 16, kilt::launcher::LogFormat::kPlain);
  out.Line("a\n", 2);
  CHECK_FALSE(out.Drain());
  out.Line("b\n", 2);
  CHECK(out.dropped_lines() == 2);
}

TEST_CASE("framer writes in place into the output when there is room, and via Line() when not") {
  int p[2];
  REQUIRE(pipe2(p, O_NONBLOCK) == 0);
  kilt::launcher::LineOutput out(p[1], 8192, kilt::launcher::LogFormat::kPlain);
  kilt::launcher::LineFramer f("t", "stdout", kilt::launcher::LogFormat::kPlain, true);
  std::string in;
  for (int i = 0; i < 100; ++i) in += "line " + std::to_string(i) + "\n";
  f.Feed(in.data(), in.size(), &out);  // 8192 - 4096 leaves room for in-place lines, then Line() takes over
  REQUIRE(out.Drain());
  std::string want;
  for (int i = 0; i < 100; ++i) want += "[t] line " + std::to_string(i) + "\n";
  CHECK(ReadAll(p[0]) == want);
  CHECK(out.dropped_lines() == 0);
  close(p[0]);
}

TEST_CASE("a backlog larger than the early-compaction point comes out whole and in order") {
  int p[2];
  REQUIRE(pipe2(p, O_NONBLOCK) == 0);
  kilt::launcher::LineOutput out(p[1], 4 << 20, kilt::launcher::LogFormat::kPlain);
  kilt::launcher::LineFramer f("t", "stdout", kilt::launcher::LogFormat::kPlain, true);
  std::string want, got;
  char buf[8192];
  for (int i = 0; i < 60000; ++i) {
    std::string l = "line " + std::to_string(i) + std::string(i % 97, 'z') + "\n";
    f.Feed(l.data(), l.size(), &out);
    want += "[t] " + l;
    // A backlog of about 1 MiB builds up; then the reader takes more than is added, so the written part
    // of the queue outgrows the queued part and the queue is moved to the front while lines keep coming.
    if (i >= 20000 && i % 100 == 0) {
      for (int k = 0; k < 2; ++k) {
        out.Drain();
        ssize_t n = read(p[0], buf, sizeof buf);
        if (n > 0) got.append(buf, static_cast<size_t>(n));
      }
    }
  }
  for (int i = 0; i < 100000 && out.pending(); ++i) {
    out.Drain();
    got += ReadAll(p[0]);
  }
  got += ReadAll(p[0]);
  CHECK(out.dropped_lines() == 0);
  CHECK(got.size() == want.size());
  CHECK(got == want);
  close(p[0]);
}
