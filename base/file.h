// Files: whole-file reads whose error says why, atomic writes, writes that finish. One helper per job for
// every module, the static payload included (no exceptions, no iostreams).
//
// Errors follow the project's border rule (docs/architecture.md): false, and *err = "PATH: reason", where
// the reason is strerror's; callers add what they were doing ("recipe: " + err).
#ifndef KILT_BASE_FILE_H_
#define KILT_BASE_FILE_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace kilt::base {

inline constexpr size_t kNoSizeLimit = static_cast<size_t>(-1);

// Reads the whole of `path` into *out. A file larger than `max_bytes` is refused ("PATH: larger than N
// bytes") without being read whole: a wrong path (a log, a device) must not fill memory.
[[nodiscard]] bool ReadFile(const std::string& path, std::string* out, std::string* err,
                            size_t max_bytes = kNoSizeLimit);

// The same for an open descriptor (stdin: fd 0, named "stdin"); `name` goes into messages.
[[nodiscard]] bool ReadFd(int fd, std::string_view name, std::string* out, std::string* err,
                          size_t max_bytes = kNoSizeLimit);

// Writes all of `data` to `fd`, retrying after EINTR and short writes. False (errno set) on failure.
[[nodiscard]] bool WriteAll(int fd, std::string_view data);

// Writes `data` to `path` through a temporary file in the same directory, then rename(2): readers see
// the old file or the new one, never a part. The file gets `mode` exactly (fchmod: no umask).
[[nodiscard]] bool WriteFileAtomically(const std::string& path, std::string_view data, std::string* err,
                                       unsigned mode = 0644);

// mkdir -p: creates `path` and its missing parents (0755). False with *err naming the one that failed.
[[nodiscard]] bool MakeDirs(const std::string& path, std::string* err);

// rm -rf that never follows symlinks and never crosses into a mount. A missing path is success.
[[nodiscard]] bool RemoveTree(const std::string& path, std::string* err);

}  // namespace kilt::base

#endif  // KILT_BASE_FILE_H_
