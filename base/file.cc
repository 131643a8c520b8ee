#include "base/file.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kilt::base {
namespace {

std::string Reason(std::string_view name) { return std::string(name) + ": " + std::strerror(errno); }

int RemoveOne(const char* path, const struct stat*, int type, struct FTW*) {
  int rc = type == FTW_DP ? rmdir(path) : unlink(path);
  return rc == 0 || errno == ENOENT ? 0 : -1;
}

}  // namespace

bool ReadFd(int fd, std::string_view name, std::string* out, std::string* err, size_t max_bytes) {
  out->clear();
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    if (static_cast<size_t>(st.st_size) > max_bytes) {
      *err = std::string(name) + ": larger than " + std::to_string(max_bytes) + " bytes";
      return false;
    }
    out->reserve(static_cast<size_t>(st.st_size));
  }
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *err = Reason(name);
      return false;
    }
    if (n == 0) return true;
    if (out->size() + static_cast<size_t>(n) > max_bytes) {  // a pipe, or a file that grew
      *err = std::string(name) + ": larger than " + std::to_string(max_bytes) + " bytes";
      return false;
    }
    out->append(buf, static_cast<size_t>(n));
  }
}

bool ReadFile(const std::string& path, std::string* out, std::string* err, size_t max_bytes) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *err = Reason(path);
    return false;
  }
  bool ok = ReadFd(fd, path, out, err, max_bytes);
  close(fd);
  return ok;
}

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool WriteFileAtomically(const std::string& path, std::string_view data, std::string* err, unsigned mode) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  std::string tmp = dir + "/.kilt-XXXXXX";
  int fd = mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0) {
    *err = Reason(dir + ": cannot create a temporary file");
    return false;
  }
  bool ok = WriteAll(fd, data) && fchmod(fd, mode) == 0;
  ok = close(fd) == 0 && ok;
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
    *err = Reason(path);
    unlink(tmp.c_str());
    return false;
  }
  return true;
}

bool MakeDirs(const std::string& path, std::string* err) {
  for (size_t i = 1; i <= path.size(); ++i) {
    if (i < path.size() && path[i] != '/') continue;
    std::string part = path.substr(0, i);
    if (mkdir(part.c_str(), 0755) != 0 && errno != EEXIST) {
      *err = Reason(part);
      return false;
    }
  }
  return true;
}

bool RemoveTree(const std::string& path, std::string* err) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0 && errno == ENOENT) return true;
  // FTW_PHYS: never follow symlinks out of the tree; FTW_DEPTH: children before their directory;
  // FTW_MOUNT: do not cross into something still mounted.
  if (nftw(path.c_str(), RemoveOne, 64, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) != 0) {
    *err = Reason("cannot remove " + path);
    return false;
  }
  return true;
}

}  // namespace kilt::base
