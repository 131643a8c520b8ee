// The machine-dependent half of the tracer: what a stopped tracee is doing (syscall number, arguments,
// result) and its memory. x86_64 and aarch64, with glibc or musl; nothing here allocates.
#ifndef KILT_CAPTURE_PTRACE_ARCH_H_
#define KILT_CAPTURE_PTRACE_ARCH_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>

namespace kilt::capture {

// The AUDIT_ARCH_* value of the native syscall ABI (what seccomp_data.arch holds for it).
uint32_t NativeAuditArch();

// What PTRACE_GET_SYSCALL_INFO (Linux 5.3) says about a stopped tracee.
struct SyscallStop {
  enum Op : uint8_t { kNone = 0, kEntry = 1, kExit = 2, kSeccomp = 3 };
  Op op = kNone;
  uint32_t arch = 0;
  int64_t nr = -1;       // kEntry, kSeccomp
  uint64_t args[6] = {};  // kEntry, kSeccomp
  int64_t rval = 0;      // kExit: the return value (negative errno on failure)
  bool is_error = false;
};
// Returns false (errno set) when the request fails: ESRCH if the tracee died meanwhile, EIO/EINVAL on a
// kernel before 5.3.
bool GetSyscallStop(pid_t tid, SyscallStop* out);

// At a ptrace event stop inside a syscall (PTRACE_EVENT_FORK/CLONE/VFORK/EXEC), where
// PTRACE_GET_SYSCALL_INFO tells nothing: the syscall number and arguments from the registers.
bool GetSyscallFromRegs(pid_t tid, int64_t* nr, uint64_t args[6]);

// Reads len bytes of the tracee's memory at addr: process_vm_readv, else PTRACE_PEEKDATA word by word
// (process_vm_readv needs ptrace access rights that a tracee which changed its uid may deny us; a
// tracer's PEEKDATA needs none). Returns the bytes read (short at an unmapped page), or -1.
ssize_t ReadTraceeMemory(pid_t tid, uint64_t addr, void* buf, size_t len);

// Reads a NUL-terminated string of at most cap - 1 bytes into buf (always NUL-terminated). Returns its
// length, or -1 when nothing could be read. A string longer than cap - 1 is cut there.
ssize_t ReadTraceeString(pid_t tid, uint64_t addr, char* buf, size_t cap);

}  // namespace kilt::capture

#endif  // KILT_CAPTURE_PTRACE_ARCH_H_
