// What the tracer reads about a tracee from /proc when its events need state a stop does not show
// (comm, credentials, capabilities, cwd, the executable, cgroups). Read lazily: only at exec, fork and
// when a snapshot is asked for, never per ordinary syscall. Fixed buffers, no allocation; a file that
// cannot be read (the task died, or access is denied) leaves its fields empty or zero, which libsinsp
// reads as "not available".
#ifndef KILT_CAPTURE_TRACER_PROC_H_
#define KILT_CAPTURE_TRACER_PROC_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace kilt::capture {

// Reads /proc/PID/NAME (NAME e.g. "cmdline", "task/TID/stat") into buf; returns the bytes read, or -1.
ssize_t ReadProcFile(pid_t pid, const char* name, char* buf, size_t cap);
// The same in two steps, for a file read again and again (a forking process's stat): the kernel makes
// the text anew at every read from offset 0. OpenProcFile returns an O_CLOEXEC fd or -1; PreadProcFile
// returns the bytes read, or -1 (the process is gone).
int OpenProcFile(pid_t pid, const char* name);
ssize_t PreadProcFile(int fd, char* buf, size_t cap);
// readlink /proc/PID/NAME; returns the length (buf NUL-terminated), or -1.
ssize_t ReadProcLink(pid_t pid, const char* name, char* buf, size_t cap);

// /proc/PID/stat (or task/TID/stat): the fields the events use.
struct ProcStat {
  char comm[17] = "";  // the kernel's comm (not escaped, unlike /proc/PID/status)
  int64_t ppid = 0, pgrp = 0, session = 0;
  uint32_t tty_nr = 0;
  uint64_t minflt = 0, majflt = 0;
  uint64_t starttime_ticks = 0;  // since boot, in clock ticks
  uint64_t vsize_bytes = 0, rss_pages = 0;
  // Where the kernel keeps argv and envp strings in the process's memory; 0 when the reader may not
  // see them (no ptrace read access) or the kernel is older than 3.5.
  uint64_t arg_start = 0, arg_end = 0, env_start = 0, env_end = 0;
};
bool ParseProcStat(std::string_view text, ProcStat* out);

// /proc/PID/status: credentials, capabilities, memory, and the namespace view of the ids.
struct ProcStatus {
  int64_t tgid = 0, ppid = 0;
  uint32_t euid = 0, egid = 0;
  uint64_t cap_inh = 0, cap_prm = 0, cap_eff = 0;
  uint32_t vm_size_kb = 0, vm_rss_kb = 0, vm_swap_kb = 0;
};
bool ParseProcStatus(std::string_view text, ProcStatus* out);

// /proc/PID/limits: the soft limit of "Max open files" ("unlimited" is RLIM_INFINITY). The fallback when
// prlimit(2) is refused: a tracee that changed its uid may only be queried with CAP_SYS_RESOURCE, while
// its limits file is world-readable.
bool ParseProcLimitsNofile(std::string_view text, uint64_t* soft);

// How many of the `got` bytes read from arg_start (buf; CmdlineReadSize of them, at most a page)
// /proc/PID/cmdline would show, as the kernel's get_mm_cmdline decides: [arg_start, arg_end), unless
// the last byte of argv was overwritten (setproctitle(3) spilling into the environment), then the
// string up to its first NUL. -1 when `got` is too short to decide: read the file instead.
ssize_t CmdlineLength(const char* buf, size_t got, const ProcStat& st);
// How many bytes from arg_start to read for CmdlineLength: the argument area, and the environment when
// it follows it (where setproctitle may spill); at most cap.
size_t CmdlineReadSize(const ProcStat& st, size_t cap);

// /proc/PID/cgroup → scap's NUL-separated "subsys=path" list (cgroup v1: one entry per controller; the
// unified v2 hierarchy: the usual controllers with its path). Returns the bytes written into out.
size_t ConvertCgroups(std::string_view proc_cgroup, char* out, size_t cap);

}  // namespace kilt::capture

#endif  // KILT_CAPTURE_TRACER_PROC_H_
