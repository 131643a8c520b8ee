#include "cli/io.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

extern char** environ;

namespace kilt {

namespace {

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

bool WriteAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

// A temporary file removed when this goes out of scope.
class TempFile {
 public:
  explicit TempFile(const std::string& dir_hint) {
    path_ = dir_hint + "/.kilt-XXXXXX";
    fd_ = mkstemp(path_.data());
    created_ = fd_ >= 0;
  }
  ~TempFile() {
    if (fd_ >= 0) close(fd_);
    if (created_ && !kept_) unlink(path_.c_str());
  }
  bool ok() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  bool Close() {
    int fd = fd_;
    fd_ = -1;
    return close(fd) == 0;
  }
  void Keep() { kept_ = true; }

 private:
  std::string path_;
  int fd_ = -1;
  bool kept_ = false;
  bool created_ = false;
};

}  // namespace

bool ReadWholeFile(const std::string& path, std::string* out, std::string* err, size_t max_bytes) {
  int fd = path == "-" ? 0 : open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *err = Errno(path);
    return false;
  }
  out->clear();
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *err = Errno(path == "-" ? "stdin" : path);
      if (fd != 0) close(fd);
      return false;
    }
    if (n == 0) break;
    out->append(buf, static_cast<size_t>(n));
    if (out->size() > max_bytes) {
      *err = (path == "-" ? std::string("stdin") : path) + ": larger than " + std::to_string(max_bytes) +
             " bytes, the most kilt reads: is this the right file?";
      if (fd != 0) close(fd);
      return false;
    }
  }
  if (fd != 0) close(fd);
  return true;
}

bool WriteFileAtomically(const std::string& path, const std::string& data, std::string* err) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  TempFile tmp(dir);
  if (!tmp.ok()) {
    *err = Errno(dir + ": cannot create a temporary file");
    return false;
  }
  if (!WriteAll(tmp.fd(), data) || fchmod(tmp.fd(), 0644) != 0 || !tmp.Close()) {
    *err = Errno(path);
    return false;
  }
  if (rename(tmp.path().c_str(), path.c_str()) != 0) {
    *err = Errno(path);
    return false;
  }
  tmp.Keep();
  return true;
}

bool PrintUnifiedDiff(const std::string& label, const std::string& before, const std::string& after,
                      std::string* err) {
  const char* tmpdir = getenv("TMPDIR");
  std::string dir = tmpdir && *tmpdir ? tmpdir : "/tmp";
  TempFile a(dir), b(dir);
  if (!a.ok() || !b.ok() || !WriteAll(a.fd(), before) || !WriteAll(b.fd(), after) || !a.Close() || !b.Close()) {
    *err = Errno(dir + ": cannot write temporary files for diff");
    return false;
  }
  std::string la = "a/" + label, lb = "b/" + label;
  const char* argv[] = {"diff", "-u", "--label", la.c_str(), "--label", lb.c_str(), a.path().c_str(),
                        b.path().c_str(), nullptr};
  std::fflush(stdout);
  pid_t pid;
  int rc = posix_spawnp(&pid, "diff", nullptr, nullptr, const_cast<char**>(argv), environ);
  if (rc != 0) {
    *err = std::string("cannot run diff: ") + std::strerror(rc);
    return false;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) > 1) {
    *err = "diff failed";
    return false;
  }
  return true;
}

}  // namespace kilt
