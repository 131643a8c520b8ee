#include "base/file.h"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

namespace kilt::base {
namespace {

std::string TempDir() {
  std::string t = (getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp") + std::string("/kilt-base-XXXXXX");
  REQUIRE(mkdtemp(t.data()) != nullptr);
  return t;
}

TEST_CASE("ReadFile reads the whole file, and says why it cannot") {
  std::string dir = TempDir(), err, out;
  REQUIRE(WriteFileAtomically(dir + "/f", std::string(100000, 'x') + "end", &err));
  REQUIRE(ReadFile(dir + "/f", &out, &err));
  CHECK(out.size() == 100003);
  CHECK(out.substr(100000) == "end");
  CHECK_FALSE(ReadFile(dir + "/missing", &out, &err));
  CHECK(err == dir + "/missing: No such file or directory");
  CHECK_FALSE(ReadFile(dir, &out, &err));
  CHECK(err == dir + ": Is a directory");
  CHECK_FALSE(ReadFile(dir + "/f", &out, &err, 1000));
  CHECK(err == dir + "/f: larger than 1000 bytes");
  REQUIRE(RemoveTree(dir, &err));
}

TEST_CASE("WriteFileAtomically replaces the file whole, with the mode asked for") {
  std::string dir = TempDir(), err, out;
  REQUIRE(WriteFileAtomically(dir + "/f", "one", &err));
  REQUIRE(WriteFileAtomically(dir + "/f", "two", &err, 0600));
  REQUIRE(ReadFile(dir + "/f", &out, &err));
  CHECK(out == "two");
  struct stat st;
  REQUIRE(stat((dir + "/f").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK_FALSE(WriteFileAtomically(dir + "/no/such/dir/f", "x", &err));
  CHECK_THAT(err, Catch::StartsWith(dir + "/no/such/dir: cannot create a temporary file"));
  REQUIRE(RemoveTree(dir, &err));
}

TEST_CASE("MakeDirs creates parents; RemoveTree removes a tree and does not follow links") {
  std::string dir = TempDir(), outside = TempDir(), err, out;
  REQUIRE(MakeDirs(dir + "/a/b/c", &err));
  REQUIRE(MakeDirs(dir + "/a/b/c", &err));  // exists: fine
  REQUIRE(WriteFileAtomically(outside + "/keep", "k", &err));
  REQUIRE(symlink(outside.c_str(), (dir + "/a/link").c_str()) == 0);
  REQUIRE(RemoveTree(dir, &err));
  CHECK(access(dir.c_str(), F_OK) != 0);
  REQUIRE(ReadFile(outside + "/keep", &out, &err));
  REQUIRE(RemoveTree(dir, &err));  // already gone: fine
  REQUIRE(WriteFileAtomically(dir + "-file", "x", &err));
  CHECK_FALSE(MakeDirs(dir + "-file/sub", &err));
  CHECK(err == dir + "-file/sub: Not a directory");
  REQUIRE(RemoveTree(dir + "-file", &err));
  REQUIRE(RemoveTree(outside, &err));
}

TEST_CASE("WriteAll writes everything or fails with errno") {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  REQUIRE(WriteAll(fds[1], "hello"));
  close(fds[1]);
  std::string out, err;
  REQUIRE(ReadFd(fds[0], "pipe", &out, &err));
  CHECK(out == "hello");
  close(fds[0]);
  CHECK_FALSE(WriteAll(-1, "x"));
}

}  // namespace
}  // namespace kilt::base
