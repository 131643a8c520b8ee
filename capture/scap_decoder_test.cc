#include "capture/scap_decoder.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "capture/scap_encoder.h"
#include "capture/scap_json.h"
#include "capture/scap_table.h"
#include "capture/scap_test_util.h"

using namespace kilt::scap;  // NOLINT
using kilt::scap::testing::Le;
using kilt::scap::testing::SockaddrIn;
using kilt::scap::testing::SockaddrIn6;
using kilt::scap::testing::SockaddrUn;

namespace {

std::string Json(std::string_view bytes) {
  DecodedEvent ev;
  const char* err = nullptr;
  REQUIRE(DecodeEvent(bytes, &ev, &err));
  std::string out;
  AppendEventJson(ev, &out);
  return out;
}

template <typename E>
std::string EncJson(const E& e) {
  OwnedEventBuffer buf(1 << 17);
  REQUIRE(Encode(EventHeader{5, 101}, e, &buf) == EncodeStatus::kOk);
  return Json(buf.bytes());
}

}  // namespace

TEST_CASE("decoder: header, parameters, typed reads") {
  OwnedEventBuffer buf(4096);
  OpenatExit e;
  e.fd = 3;
  e.name = "/etc/shadow";
  REQUIRE(Encode(EventHeader{7, 9}, e, &buf) == EncodeStatus::kOk);
  REQUIRE(Encode(EventHeader{8, 9}, CloseExit{0, 3}, &buf) == EncodeStatus::kOk);
  EventReader r(buf.bytes());
  DecodedEvent ev;
  const char* err = nullptr;
  REQUIRE(r.Next(&ev, &err));
  CHECK(ev.ts == 7);
  CHECK(ev.tid == 9);
  CHECK(ev.type == PPME_SYSCALL_OPENAT_2_X);
  CHECK(ev.nparams == 7);
  REQUIRE(ev.info != nullptr);
  CHECK(std::string(ev.ParamName(2)) == "name");
  CHECK(ev.String(2) == "/etc/shadow");
  int64_t fd = 0;
  CHECK(ev.Int64(0, &fd));
  CHECK(fd == 3);
  uint32_t u = 0;
  CHECK_FALSE(ev.UInt32(0, &u));  // wrong size
  REQUIRE(r.Next(&ev, &err));
  CHECK(ev.type == PPME_SYSCALL_CLOSE_X);
  CHECK_FALSE(r.Next(&ev, &err));
  CHECK(err == nullptr);
}

TEST_CASE("decoder: malformed events are refused with a reason") {
  OwnedEventBuffer buf(4096);
  REQUIRE(Encode(EventHeader{1, 2}, CloseExit{0, 3}, &buf) == EncodeStatus::kOk);
  std::string good(buf.bytes());
  DecodedEvent ev;
  const char* err = nullptr;
  CHECK_FALSE(DecodeEvent(good.substr(0, 20), &ev, &err));
  CHECK(std::string(err) == "truncated event header");
  CHECK_FALSE(DecodeEvent(good.substr(0, good.size() - 1), &ev, &err));
  std::string bad = good;
  bad[26] = 9;  // first length 8 -> 9: parameters overrun the event
  CHECK_FALSE(DecodeEvent(bad, &ev, &err));
  bad = good;
  bad[22] = 40;  // nparams
  CHECK_FALSE(DecodeEvent(bad, &ev, &err));
  bad = good;
  bad[26] = 4;  // lengths sum short of len
  CHECK_FALSE(DecodeEvent(bad, &ev, &err));
  CHECK(std::string(err) == "event length does not match its parameters");
}

TEST_CASE("json: open with flag names, null, numbers") {
  OpenatExit e;
  e.fd = 3;
  e.name = "/etc/shadow";
  e.flags = 02000000;  // O_CLOEXEC
  e.dev = 2049;
  e.ino = 1234;
  CHECK(
      EncJson(e) ==
      "{\"ts\":5,\"tid\":101,\"type\":\"openat\",\"dir\":\"<\",\"params\":{\"fd\":3,\"dirfd\":-100,"
      "\"name\":\"/etc/shadow\",\"flags\":\"O_RDONLY|O_CLOEXEC\",\"mode\":0,\"dev\":2049,"
      "\"ino\":1234}}");
  OpenExit o;
  o.fd = -2;
  o.flags = 02 | 0100;  // O_RDWR|O_CREAT
  o.mode = 0640;
  CHECK(EncJson(o) ==
        "{\"ts\":5,\"tid\":101,\"type\":\"open\",\"dir\":\"<\",\"params\":{\"fd\":-2,\"name\":null,"
        "\"flags\":\"O_CREAT|O_RDWR\",\"mode\":416,\"dev\":0,\"ino\":0}}");
}

TEST_CASE("json: tuples, addresses, lists, enums, modes, dyn") {
  std::string l = SockaddrIn(10, 0, 0, 2, 45000), r = SockaddrIn(93, 184, 216, 34, 443);
  ConnectExit c;
  c.fd = 7;
  c.ends = {l, r};
  c.addr = r;
  CHECK(
      EncJson(c) ==
      "{\"ts\":5,\"tid\":101,\"type\":\"connect\",\"dir\":\"<\",\"params\":{\"res\":0,"
      "\"tuple\":\"10.0.0.2:45000->93.184.216.34:443\",\"fd\":7,\"addr\":\"93.184.216.34:443\"}}");
  const uint8_t lo6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  std::string l6 = SockaddrIn6(lo6, 1), r6 = SockaddrIn6(lo6, 2);
  c.ends = {l6, r6};
  c.addr = {};
  CHECK(EncJson(c).find("\"tuple\":\"[::1]:1->[::1]:2\",\"fd\":7,\"addr\":null") !=
        std::string::npos);
  std::string un = SockaddrUn("/run/a.sock"), unnamed = un.substr(0, 2);
  c.ends = {unnamed, un, 0x11, 0x22};
  CHECK(EncJson(c).find("\"tuple\":\"0x22->0x11 /run/a.sock\"") != std::string::npos);

  SocketExit s{3, 17, 3, 0};
  CHECK(EncJson(s).find("\"domain\":\"AF_PACKET\"") != std::string::npos);

  ExecveExit x;
  x.proc.exe = "nc";
  x.proc.args = std::string_view("-e\0/bin/sh\0", 11);
  x.proc.cgroups = std::string_view("cpu=/a\0", 7);
  x.proc.exe_flags = 4;  // PPM_EXE_FROM_MEMFD
  std::string j = EncJson(x);
  CHECK(j.find("\"args\":[\"-e\",\"/bin/sh\"]") != std::string::npos);
  CHECK(j.find("\"cgroups\":[\"cpu=/a\"]") != std::string::npos);
  CHECK(j.find("\"env\":null") != std::string::npos);
  CHECK(j.find("\"flags\":\"EXE_FROM_MEMFD\"") != std::string::npos);

  CHECK(EncJson(ChmodExit{0, "f", 04755}).find("\"mode\":\"04755\"") != std::string::npos);
  CHECK(EncJson(PtraceExit{0, 16, 9, 0, 0}).find("\"request\":\"PTRACE_ATTACH\"") !=
        std::string::npos);
  CHECK(EncJson(PtraceExit{0, 7, 9, 0, 15}).find("\"data\":15") != std::string::npos);
}

TEST_CASE("json: strings are escaped, invalid UTF-8 bytes as \\u00XX") {
  std::string out;
  AppendJsonString(std::string("a\"b\\c\n\x01\xff\xc3\xa9", 10), &out);
  CHECK(out == "\"a\\\"b\\\\c\\n\\u0001\\u00ff\xc3\xa9\"");
}

TEST_CASE("json: unknown event types keep their bytes") {
  std::string ev = kilt::scap::testing::Event(1, 2, 6, {kilt::scap::testing::I64(3)});
  CHECK(Json(ev) ==
        "{\"ts\":1,\"tid\":2,\"type\":\"unknown:6\",\"dir\":\">\",\"params\":{"
        "\"p0\":\"0300000000000000\"}}");
}

TEST_CASE("json lines writer: one line per event on the fd") {
  int p[2];
  REQUIRE(pipe(p) == 0);
  OwnedEventBuffer buf(4096);
  REQUIRE(Encode(EventHeader{1, 2}, CloseExit{0, 3}, &buf) == EncodeStatus::kOk);
  REQUIRE(Encode(EventHeader{3, 4}, SetsidExit{7}, &buf) == EncodeStatus::kOk);
  {
    JsonLinesWriter w(p[1], true);
    std::string err;
    REQUIRE(w.Write(buf.bytes(), &err));
    CHECK_FALSE(w.Write("garbage-garbage-garbage-garbage", &err));
    REQUIRE(w.Close(&err));
    CHECK(w.events_written() == 2);
  }
  std::string got;
  char c[4096];
  ssize_t n;
  while ((n = read(p[0], c, sizeof c)) > 0) got.append(c, n);
  close(p[0]);
  CHECK(got ==
        "{\"ts\":1,\"tid\":2,\"type\":\"close\",\"dir\":\"<\",\"params\":{\"res\":0,\"fd\":3}}\n"
        "{\"ts\":3,\"tid\":4,\"type\":\"setsid\",\"dir\":\"<\",\"params\":{\"res\":7}}\n");
}
