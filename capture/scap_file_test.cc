#include "capture/scap_file.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "capture/scap_encoder.h"
#include "capture/scap_test_util.h"

using namespace kilt::scap;  // NOLINT
using kilt::scap::testing::Le;

namespace {

std::string ReadAll(const std::string& path) {
  std::string out;
  int fd = open(path.c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, n);
  close(fd);
  return out;
}

struct TempDir {
  std::string path;
  TempDir() {
    char t[] = "/tmp/kilt-scap-XXXXXX";
    REQUIRE(mkdtemp(t) != nullptr);
    path = t;
  }
  ~TempDir() { (void)!system(("rm -rf " + path).c_str()); }
};

std::string Block(std::string_view event) {
  size_t body = 2 + event.size(), padded = (body + 3) & ~size_t{3};
  uint32_t total = static_cast<uint32_t>(8 + padded + 4);
  return Le(0x216, 4) + Le(total, 4) + Le(0, 2) + std::string(event) +
         std::string(padded - body, '\0') + Le(total, 4);
}

const std::string kSectionHeader = Le(0x0A0D0D0A, 4) + Le(28, 4) + Le(0x1A2B3C4D, 4) + Le(1, 2) +
                                   Le(2, 2) + Le(~0ull, 8) + Le(28, 4);

}  // namespace

TEST_CASE("capture file: section header, one padded block per event") {
  TempDir dir;
  OwnedEventBuffer buf(4096);
  REQUIRE(Encode(EventHeader{1, 2}, SetsidExit{5}, &buf) == EncodeStatus::kOk);  // 36 bytes
  REQUIRE(Encode(EventHeader{1, 2}, ChdirExit{0, "/tmp"}, &buf) == EncodeStatus::kOk);
  std::string first(buf.bytes().substr(0, 36)), second(buf.bytes().substr(36));
  CaptureFileWriter w;
  std::string err;
  REQUIRE(w.Open(dir.path + "/a.scap", CaptureFileWriter::Options{false}, &err));
  REQUIRE(w.Write(buf.bytes(), &err));
  REQUIRE(w.Close(&err));
  CHECK(w.events_written() == 2);
  CHECK(ReadAll(dir.path + "/a.scap") == kSectionHeader + Block(first) + Block(second));
}

TEST_CASE("capture file: compatibility mode puts the enter event first") {
  TempDir dir;
  OwnedEventBuffer buf(4096);
  REQUIRE(Encode(EventHeader{10, 20}, CloseExit{0, 3}, &buf) == EncodeStatus::kOk);
  REQUIRE(Encode(EventHeader{11, 20}, SocketExit{4, 2, 1, 6}, &buf) == EncodeStatus::kOk);
  CaptureFileWriter w;
  std::string err;
  REQUIRE(w.Open(dir.path + "/b.scap", CaptureFileWriter::Options{}, &err));
  REQUIRE(w.Write(buf.bytes(), &err));
  REQUIRE(w.Close(&err));
  using namespace kilt::scap::testing;  // NOLINT
  std::string close_e = Event(10, 20, 4, {I64(3)});
  std::string socket_e = Event(11, 20, 18, {U32(2), U32(1), U32(6)});
  std::string close_x(buf.bytes().substr(0, 46)), socket_x(buf.bytes().substr(46));
  CHECK(ReadAll(dir.path + "/b.scap") ==
        kSectionHeader + Block(close_e) + Block(close_x) + Block(socket_e) + Block(socket_x));
  CHECK(w.events_written() == 4);
}

TEST_CASE("capture file: malformed input is refused, errors are reported") {
  TempDir dir;
  CaptureFileWriter w;
  std::string err;
  CHECK_FALSE(w.Open(dir.path + "/no/such/dir/x.scap", {}, &err));
  CHECK(err.find("cannot create") != std::string::npos);
  REQUIRE(w.Open(dir.path + "/c.scap", {}, &err));
  CHECK_FALSE(w.Write(std::string(30, 'x'), &err));
  CHECK(err.find("malformed event") != std::string::npos);
  REQUIRE(w.Close(&err));
}
