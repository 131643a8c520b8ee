// Running helper programs (umoci, tar, runc) as subprocesses and collecting their output, over init/pid1's
// spawner and exit-status convention. Small on purpose: argv in, exit status and combined stdout+stderr
// out; no shell ever.
#ifndef KILT_LOCAL_PROCESS_H_
#define KILT_LOCAL_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

namespace kilt {
namespace local {

// Starts argv[0] (PATH lookup) with init/pid1's spawner (empty signal mask, default dispositions, stdin
// /dev/null) and stdout/stderr on the given fds, in its own process group when `own_group`. Returns its
// pid once the exec succeeded, or -1 with *err ("cannot run runc: No such file or directory").
pid_t Spawn(const std::vector<std::string>& argv, int out_fd, int err_fd, bool own_group, std::string* err);

// Runs argv[0] (PATH lookup) to completion with stdin from /dev/null. Returns false only when the
// program could not be run at all (*err says why); otherwise *status is its exit code (128+N for
// signal N) and *output what it wrote to stdout and stderr.
[[nodiscard]] bool RunProcess(const std::vector<std::string>& argv, int* status,
                              std::string* output, std::string* err);

// RunProcess that also treats a non-zero status as failure, with the command and its output in
// *err.
[[nodiscard]] bool RunChecked(const std::vector<std::string>& argv, std::string* err);

}  // namespace local
}  // namespace kilt

#endif  // KILT_LOCAL_PROCESS_H_
