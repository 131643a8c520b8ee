#include "capture/ptrace_seccomp.h"

#include <errno.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/seccomp.h>

#include <initializer_list>

#include "capture/ptrace_arch.h"

namespace kilt::capture {
namespace {

// Which register test, if any, narrows a traced syscall.
enum class ArgFilter : uint8_t { kNone, kLowTargetFd, kSocketDomain };

struct Traced {
  long nr;
  TraceMode mode;
  ArgFilter filter;
};

constexpr TraceMode X = TraceMode::kExit;  // most syscalls: the result matters

// The syscalls behind the events of Falco's stable rules (docs/capture.md has the rule-by-rule table).
// Some exist only on x86_64 (the legacy path-based calls); aarch64 has only their *at forms.
constexpr Traced kTraced[] = {
#ifdef SYS_open
    {SYS_open, X, ArgFilter::kNone},
#endif
#ifdef SYS_creat
    {SYS_creat, X, ArgFilter::kNone},
#endif
    {SYS_openat, X, ArgFilter::kNone},
#ifdef SYS_openat2
    {SYS_openat2, X, ArgFilter::kNone},
#else
    {437, X, ArgFilter::kNone},
#endif
    {SYS_close, TraceMode::kEntryOnly, ArgFilter::kNone},
    {SYS_socket, X, ArgFilter::kSocketDomain},
    {SYS_connect, X, ArgFilter::kNone},
    {SYS_accept, X, ArgFilter::kNone},
    {SYS_accept4, X, ArgFilter::kNone},
    {SYS_bind, X, ArgFilter::kNone},
    {SYS_listen, X, ArgFilter::kNone},
    {SYS_dup, X, ArgFilter::kNone},
#ifdef SYS_dup2
    {SYS_dup2, X, ArgFilter::kLowTargetFd},
#endif
    {SYS_dup3, X, ArgFilter::kLowTargetFd},
#ifdef SYS_symlink
    {SYS_symlink, X, ArgFilter::kNone},
#endif
    {SYS_symlinkat, X, ArgFilter::kNone},
#ifdef SYS_link
    {SYS_link, X, ArgFilter::kNone},
#endif
    {SYS_linkat, X, ArgFilter::kNone},
#ifdef SYS_unlink
    {SYS_unlink, X, ArgFilter::kNone},
#endif
    {SYS_unlinkat, X, ArgFilter::kNone},
#ifdef SYS_rename
    {SYS_rename, X, ArgFilter::kNone},
#endif
#ifdef SYS_renameat
    {SYS_renameat, X, ArgFilter::kNone},
#endif
    {SYS_renameat2, X, ArgFilter::kNone},
#ifdef SYS_chmod
    {SYS_chmod, X, ArgFilter::kNone},
#endif
    {SYS_fchmod, X, ArgFilter::kNone},
    {SYS_fchmodat, X, ArgFilter::kNone},
    {452, X, ArgFilter::kNone},  // fchmodat2 (Linux 6.6; the same number on every arch)
    {SYS_setuid, X, ArgFilter::kNone},
    {SYS_setgid, X, ArgFilter::kNone},
    {SYS_setreuid, X, ArgFilter::kNone},
    {SYS_setregid, X, ArgFilter::kNone},
    {SYS_setresuid, X, ArgFilter::kNone},
    {SYS_setresgid, X, ArgFilter::kNone},
    {SYS_chdir, X, ArgFilter::kNone},
    {SYS_fchdir, X, ArgFilter::kNone},
    {SYS_memfd_create, X, ArgFilter::kNone},
    {SYS_ptrace, X, ArgFilter::kNone},
    {SYS_mount, X, ArgFilter::kNone},
    {SYS_init_module, X, ArgFilter::kNone},
    {SYS_finit_module, X, ArgFilter::kNone},
};

// seccomp_data: nr (0), arch (4), instruction_pointer (8), args[6] (16...). Arguments are u64; the
// filter reads their low word (little endian: at the argument's own offset).
constexpr uint32_t kNrOff = offsetof(struct seccomp_data, nr);
constexpr uint32_t kArchOff = offsetof(struct seccomp_data, arch);
constexpr uint32_t ArgLowOff(int i) { return offsetof(struct seccomp_data, args) + 8 * i; }

struct Builder {
  SeccompProgram* p;
  bool ok = true;
  size_t Add(unsigned short code, uint32_t k, uint8_t jt = 0, uint8_t jf = 0) {
    if (p->len >= SeccompProgram::kMaxInsns) {
      ok = false;
      return p->len;
    }
    p->insns[p->len] = {code, jt, jf, k};
    return p->len++;
  }
  // Points the jump of instruction `at` (true branch or false branch) to `target`.
  void Link(size_t at, bool true_branch, size_t target) {
    size_t off = target - at - 1;
    if (target <= at || off > 255) {
      ok = false;
      return;
    }
    if (true_branch) p->insns[at].jt = static_cast<uint8_t>(off);
    else p->insns[at].jf = static_cast<uint8_t>(off);
  }
};

}  // namespace

TraceMode SyscallTraceMode(int64_t nr) {
  for (const Traced& t : kTraced)
    if (t.nr == nr) return t.mode;
  return TraceMode::kNotTraced;
}

namespace {

constexpr size_t kTracedN = sizeof kTraced / sizeof kTraced[0];
constexpr size_t kLeaf = 4;  // at most this many equality tests at the end of a search path

// A binary search over the traced numbers (sorted[lo, hi)), not one equality test per traced syscall: an
// untraced syscall (read, write, futex...: most of an app's) runs ~9 instructions of the filter instead of
// ~50. Classic BPF jumps only forward: each node tests nr >= the middle number, its lower half follows it
// and the upper half comes after that. Each leaf tests its few numbers for equality (the jumps recorded in
// eq_at, linked later to the blocks at the program's end) and allows the rest.
void EmitSearch(Builder* b, const Traced* const* sorted, size_t lo, size_t hi, size_t* eq_at) {
  if (hi - lo <= kLeaf) {
    for (size_t i = lo; i < hi; ++i) eq_at[i] = b->Add(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(sorted[i]->nr));
    b->Add(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    return;
  }
  size_t mid = lo + (hi - lo) / 2;
  size_t node = b->Add(BPF_JMP | BPF_JGE | BPF_K, static_cast<uint32_t>(sorted[mid]->nr));
  EmitSearch(b, sorted, lo, mid, eq_at);
  b->Link(node, true, b->p->len);
  EmitSearch(b, sorted, mid, hi, eq_at);
}

}  // namespace

bool BuildSeccompProgram(SeccompProgram* out) {
  out->len = 0;
  Builder b{out};
  // Sorted by number (insertion sort: this also runs in a forked child, where nothing may allocate).
  const Traced* sorted[kTracedN];
  for (size_t i = 0; i < kTracedN; ++i) {
    size_t j = i;
    for (; j > 0 && sorted[j - 1]->nr > kTraced[i].nr; --j) sorted[j] = sorted[j - 1];
    sorted[j] = &kTraced[i];
  }
  size_t eq_at[kTracedN];
  b.Add(BPF_LD | BPF_W | BPF_ABS, kArchOff);
  size_t arch_check = b.Add(BPF_JMP | BPF_JEQ | BPF_K, NativeAuditArch());  // false → allow
  b.Add(BPF_LD | BPF_W | BPF_ABS, kNrOff);
#if defined(__x86_64__)
  size_t x32_check = b.Add(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u);  // __X32_SYSCALL_BIT: true → allow
#endif
  EmitSearch(&b, sorted, 0, kTracedN, eq_at);
  size_t allow = b.Add(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  size_t trace = b.Add(BPF_RET | BPF_K, SECCOMP_RET_TRACE);
  // dup2/dup3: stop only when the target fd (argument 1) is 0, 1 or 2.
  size_t low_fd = b.Add(BPF_LD | BPF_W | BPF_ABS, ArgLowOff(1));
  size_t low_fd_test = b.Add(BPF_JMP | BPF_JGT | BPF_K, 2);
  size_t low_fd_allow = b.Add(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  size_t low_fd_trace = b.Add(BPF_RET | BPF_K, SECCOMP_RET_TRACE);
  // socket: stop only for AF_INET, AF_INET6, AF_PACKET (argument 0), not AF_UNIX, AF_NETLINK...
  size_t domain = b.Add(BPF_LD | BPF_W | BPF_ABS, ArgLowOff(0));
  size_t d_inet = b.Add(BPF_JMP | BPF_JEQ | BPF_K, AF_INET);
  size_t d_inet6 = b.Add(BPF_JMP | BPF_JEQ | BPF_K, AF_INET6);
  size_t d_packet = b.Add(BPF_JMP | BPF_JEQ | BPF_K, AF_PACKET);
  b.Add(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  size_t d_trace = b.Add(BPF_RET | BPF_K, SECCOMP_RET_TRACE);
  if (!b.ok) return false;

  b.Link(arch_check, false, allow);
#if defined(__x86_64__)
  b.Link(x32_check, true, allow);
#endif
  for (size_t i = 0; i < kTracedN; ++i) {
    size_t target = sorted[i]->filter == ArgFilter::kLowTargetFd    ? low_fd
                    : sorted[i]->filter == ArgFilter::kSocketDomain ? domain
                                                                    : trace;
    b.Link(eq_at[i], true, target);
  }
  b.Link(low_fd_test, true, low_fd_allow);
  b.Link(low_fd_test, false, low_fd_trace);
  for (size_t j : {d_inet, d_inet6, d_packet}) b.Link(j, true, d_trace);
  return b.ok;
}

int InstallSeccompProgram(const SeccompProgram& prog, bool* no_new_privs) {
  struct sock_fprog fprog = {prog.len, const_cast<struct sock_filter*>(prog.insns)};
  *no_new_privs = false;
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) == 0) return 0;
  if (errno != EACCES) return -1;
  // Unprivileged: the kernel insists on no_new_privs first.
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
  *no_new_privs = true;
  return static_cast<int>(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog));
}

}  // namespace kilt::capture
