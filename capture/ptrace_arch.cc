#include "capture/ptrace_arch.h"

#include <elf.h>
#include <errno.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>

#include <linux/audit.h>

namespace kilt::capture {
namespace {

// PTRACE_GET_SYSCALL_INFO's result, as the kernel lays it out (linux/ptrace.h). Spelled out here because
// glibc's and musl's <sys/ptrace.h> clash with <linux/ptrace.h> and name the struct differently.
struct KernelSyscallInfo {
  uint8_t op;
  uint8_t pad[3];
  uint32_t arch;
  uint64_t instruction_pointer;
  uint64_t stack_pointer;
  union {
    struct {
      uint64_t nr;
      uint64_t args[6];
    } entry;
    struct {
      int64_t rval;
      uint8_t is_error;
    } exit;
    struct {
      uint64_t nr;
      uint64_t args[6];
      uint32_t ret_data;
    } seccomp;
  };
};
constexpr long kGetSyscallInfo = 0x420e;  // PTRACE_GET_SYSCALL_INFO

constexpr size_t kPage = 4096;  // the smallest page; chunks never cross one

}  // namespace

uint32_t NativeAuditArch() {
#if defined(__x86_64__)
  return AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
  return AUDIT_ARCH_AARCH64;
#else
#error "the tracer supports x86_64 and aarch64"
#endif
}

bool GetSyscallStop(pid_t tid, SyscallStop* out) {
  KernelSyscallInfo info;
  memset(&info, 0, sizeof info);
  long n = ptrace(static_cast<decltype(PTRACE_CONT)>(kGetSyscallInfo), tid, sizeof info, &info);
  if (n <= 0) return false;
  *out = SyscallStop{};
  out->op = static_cast<SyscallStop::Op>(info.op);
  out->arch = info.arch;
  if (info.op == SyscallStop::kEntry || info.op == SyscallStop::kSeccomp) {
    out->nr = static_cast<int64_t>(info.entry.nr);
    for (int i = 0; i < 6; ++i) out->args[i] = info.entry.args[i];
  } else if (info.op == SyscallStop::kExit) {
    out->rval = info.exit.rval;
    out->is_error = info.exit.is_error != 0;
  }
  return true;
}

bool GetSyscallFromRegs(pid_t tid, int64_t* nr, uint64_t args[6]) {
#if defined(__x86_64__)
  struct user_regs_struct r;
  if (ptrace(PTRACE_GETREGS, tid, nullptr, &r) != 0) return false;
  *nr = static_cast<int64_t>(r.orig_rax);
  uint64_t a[6] = {r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9};
  for (int i = 0; i < 6; ++i) args[i] = a[i];
  return true;
#elif defined(__aarch64__)
  struct user_regs_struct r;
  struct iovec iov = {&r, sizeof r};
  if (ptrace(PTRACE_GETREGSET, tid, reinterpret_cast<void*>(NT_PRSTATUS), &iov) != 0) return false;
  int sysno = -1;
  struct iovec iov2 = {&sysno, sizeof sysno};
  // NT_ARM_SYSTEM_CALL: the syscall number (x8 may have been changed by the program since entry).
  if (ptrace(PTRACE_GETREGSET, tid, reinterpret_cast<void*>(0x404), &iov2) != 0) return false;
  *nr = sysno;
  // Inside the syscall x0 still holds the first argument: the return value is written at its exit.
  for (int i = 0; i < 6; ++i) args[i] = r.regs[i];
  return true;
#endif
}

ssize_t ReadTraceeMemory(pid_t tid, uint64_t addr, void* buf, size_t len) {
  if (len == 0) return 0;
  struct iovec local = {buf, len};
  struct iovec remote = {reinterpret_cast<void*>(addr), len};
  ssize_t n = process_vm_readv(tid, &local, 1, &remote, 1, 0);
  if (n >= 0 || (errno != EPERM && errno != ENOSYS)) return n;
  // PEEKDATA: one word per call, from the word-aligned address at or before addr.
  size_t done = 0;
  auto* out = static_cast<unsigned char*>(buf);
  while (done < len) {
    uint64_t at = addr + done;
    uint64_t aligned = at & ~static_cast<uint64_t>(sizeof(long) - 1);
    errno = 0;
    long word = ptrace(PTRACE_PEEKDATA, tid, reinterpret_cast<void*>(aligned), nullptr);
    if (errno != 0) return done > 0 ? static_cast<ssize_t>(done) : -1;
    size_t skip = static_cast<size_t>(at - aligned);
    size_t take = sizeof word - skip;
    if (take > len - done) take = len - done;
    memcpy(out + done, reinterpret_cast<unsigned char*>(&word) + skip, take);
    done += take;
  }
  return static_cast<ssize_t>(done);
}

ssize_t ReadTraceeString(pid_t tid, uint64_t addr, char* buf, size_t cap) {
  if (cap == 0) return -1;
  buf[0] = '\0';
  if (addr == 0) return -1;
  size_t len = 0;
  bool any = false;
  while (len + 1 < cap) {
    // Up to the end of the page: the next page may be unmapped while the string ends on this one.
    size_t chunk = kPage - ((addr + len) % kPage);
    if (chunk > cap - 1 - len) chunk = cap - 1 - len;
    ssize_t n = ReadTraceeMemory(tid, addr + len, buf + len, chunk);
    if (n <= 0) break;
    any = true;
    void* nul = memchr(buf + len, '\0', static_cast<size_t>(n));
    if (nul) {
      len = static_cast<size_t>(static_cast<char*>(nul) - buf);
      return static_cast<ssize_t>(len);
    }
    len += static_cast<size_t>(n);
    if (static_cast<size_t>(n) < chunk) break;
  }
  buf[len] = '\0';
  return any ? static_cast<ssize_t>(len) : -1;
}

}  // namespace kilt::capture
