// The seccomp-bpf filter the traced app runs under: SECCOMP_RET_TRACE (a stop for the tracer) only for
// the syscalls whose events Falco's rules need, SECCOMP_RET_ALLOW for everything else, so read, write,
// poll, futex, mmap... never stop. Where the kernel lets a filter look (registers, not memory), it looks:
// dup2/dup3 stop only for a target fd 0-2 (the "Redirect STDOUT/STDIN to Network Connection" rule), and
// socket() only for AF_INET, AF_INET6 and AF_PACKET. Paths are behind pointers, so every open stops
// (the read-sensitive-file rules need read-only opens too). Every syscall of the app runs the filter, so
// it finds a number by binary search: an untraced syscall costs about 9 BPF instructions, not one test per
// traced syscall (~50).
//
// fork/clone/exec are not in the filter: the PTRACE_EVENT_FORK/CLONE/VFORK/EXEC stops report them.
#ifndef KILT_CAPTURE_PTRACE_SECCOMP_H_
#define KILT_CAPTURE_PTRACE_SECCOMP_H_

#include <linux/filter.h>

#include <cstddef>
#include <cstdint>

namespace kilt::capture {

// How the tracer follows a syscall that stopped in its filter.
enum class TraceMode : uint8_t {
  kNotTraced,
  kEntryOnly,  // all it needs is known at entry (close): resumed with PTRACE_CONT, no second stop
  kExit,       // the result matters (an fd, success): resumed with PTRACE_SYSCALL to stop at its exit
};
TraceMode SyscallTraceMode(int64_t nr);

// The filter program for the native ABI. Calls from another ABI (i386 via int 0x80, x32) are allowed
// untraced: a documented gap.
struct SeccompProgram {
  static constexpr size_t kMaxInsns = 160;
  struct sock_filter insns[kMaxInsns];
  unsigned short len = 0;
};
// Builds it (no allocation). Returns false only if the table outgrew kMaxInsns (a bug, tested).
bool BuildSeccompProgram(SeccompProgram* out);

// In the child, before exec (async-signal-safe): installs the filter. Without CAP_SYS_ADMIN the kernel
// demands PR_SET_NO_NEW_PRIVS first, which also stops setuid/file-capability binaries from gaining
// privileges in the app; with it (a privileged container) the filter goes in without. *no_new_privs
// tells which happened. Returns 0, or -1 with errno.
int InstallSeccompProgram(const SeccompProgram& prog, bool* no_new_privs);

}  // namespace kilt::capture

#endif  // KILT_CAPTURE_PTRACE_SECCOMP_H_
