#include "cli/io.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "base/diag.h"
#include "base/file.h"

extern char** environ;

namespace kilt::cli {

bool ReadInput(const std::string& path, std::string* out, std::string* err, size_t max_bytes) {
  return path == "-" ? base::ReadFd(0, "stdin", out, err, max_bytes) : base::ReadFile(path, out, err, max_bytes);
}

bool PrintUnifiedDiff(const std::string& label, const std::string& before, const std::string& after,
                      std::string* err) {
  const char* tmpdir = getenv("TMPDIR");
  std::string dir = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/kilt-diff-XXXXXX";
  if (!mkdtemp(dir.data())) {
    *err = base::ErrnoMessage(dir + ": cannot create a directory for diff");
    return false;
  }
  const std::string a = dir + "/a", b = dir + "/b";
  bool ok = base::WriteFileAtomically(a, before, err) && base::WriteFileAtomically(b, after, err);
  if (ok) {
    std::string la = "a/" + label, lb = "b/" + label;
    const char* argv[] = {"diff", "-u", "--label", la.c_str(), "--label", lb.c_str(), a.c_str(), b.c_str(),
                          nullptr};
    std::fflush(stdout);
    pid_t pid;
    int rc = posix_spawnp(&pid, "diff", nullptr, nullptr, const_cast<char**>(argv), environ);
    int status = 0;
    if (rc != 0) {
      *err = std::string("cannot run diff: ") + std::strerror(rc);
      ok = false;
    } else {
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      ok = WIFEXITED(status) && WEXITSTATUS(status) <= 1;
      if (!ok) *err = "diff failed";
    }
  }
  std::string ignored;
  (void)base::RemoveTree(dir, &ignored);
  return ok;
}

}  // namespace kilt::cli
