// The syscall half of the tracer: one exit event per traced syscall, from the arguments saved at its
// seccomp stop and the result at its exit stop; strings and socket addresses are read from the tracee's
// memory then (the syscall has not returned to user space, so they are still what it was given).
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "capture/ptrace_arch.h"
#include "capture/scap_encoder.h"
#include "capture/tracer.h"

namespace kilt::capture {
namespace {

constexpr size_t kStr = 4096;
constexpr size_t kSockMax = 128;  // sizeof(struct sockaddr_storage)

// Up to three string arguments and socket addresses (the argument, and both ends of a socket) per syscall.
struct Strings {
  char s[3][kStr];
  char sock[kSockMax];
  char local[kSockMax];
  char peer[kSockMax];
};

// A socket's two addresses (getsockname, getpeername) through a copy of the tracee's fd (pidfd_getfd,
// Linux 5.6): the local end of a connect or accept tuple, which no stop shows. Sizes are 0 where it is
// refused (an older kernel, a tracee that changed its uid while we lack CAP_SYS_PTRACE) or unknown.
void SocketNames(pid_t tgid, int64_t fd, char* local, socklen_t* llen, char* remote, socklen_t* rlen) {
  socklen_t lcap = *llen, rcap = *rlen;
  *llen = *rlen = 0;
  int pidfd = static_cast<int>(syscall(434 /* pidfd_open */, tgid, 0));
  if (pidfd < 0) return;
  int copy = static_cast<int>(syscall(438 /* pidfd_getfd */, pidfd, static_cast<int>(fd), 0));
  close(pidfd);
  if (copy < 0) return;
  if (getsockname(copy, reinterpret_cast<struct sockaddr*>(local), &lcap) == 0) *llen = lcap;
  if (remote && getpeername(copy, reinterpret_cast<struct sockaddr*>(remote), &rcap) == 0) *rlen = rcap;
  close(copy);
}

int64_t Fd(uint64_t v) { return static_cast<int32_t>(v); }          // an int argument
int64_t Dirfd(uint64_t v) { return static_cast<int32_t>(v); }       // AT_FDCWD stays -100
uint32_t Id(uint64_t v) { return static_cast<uint32_t>(v); }        // uid_t/gid_t; -1 → UINT32_MAX

}  // namespace

void Tracer::EmitSyscall(pid_t tid, pid_t tgid, int64_t nr, const uint64_t* a, int64_t rval) {
  // Strings live for one event: static storage (the tracer is single-threaded) keeps 12 KiB off the stack.
  static Strings str;
  auto S = [&](int slot, uint64_t addr) -> std::string_view {
    ssize_t n = ReadTraceeString(tid, addr, str.s[slot], kStr);
    return n >= 0 ? std::string_view(str.s[slot], static_cast<size_t>(n)) : std::string_view();
  };
  // A sockaddr argument of addrlen bytes (connect, bind).
  auto Addr = [&](uint64_t addr, uint64_t len) -> scap::Sockaddr {
    if (addr == 0 || len == 0) return {};
    if (len > kSockMax) len = kSockMax;
    ssize_t n = ReadTraceeMemory(tid, addr, str.sock, len);
    return n > 0 ? scap::Sockaddr(str.sock, static_cast<size_t>(n)) : scap::Sockaddr();
  };
  // A sockaddr the kernel wrote back, with its length behind a pointer (accept).
  auto AddrOut = [&](uint64_t addr, uint64_t lenp) -> scap::Sockaddr {
    uint32_t len = 0;
    if (addr == 0 || lenp == 0 || ReadTraceeMemory(tid, lenp, &len, sizeof len) != sizeof len) return {};
    return Addr(addr, len);
  };

  switch (nr) {
#ifdef SYS_open
    case SYS_open: {
      scap::OpenExit e;
      e.fd = rval;
      e.name = S(0, a[0]);
      e.flags = a[1];
      e.mode = Id(a[2]);
      return Emit(tid, e);
    }
#endif
#ifdef SYS_creat
    case SYS_creat: {
      scap::CreatExit e;
      e.fd = rval;
      e.name = S(0, a[0]);
      e.mode = Id(a[1]);
      return Emit(tid, e);
    }
#endif
    case SYS_openat: {
      scap::OpenatExit e;
      e.fd = rval;
      e.dirfd = Dirfd(a[0]);
      e.name = S(0, a[1]);
      e.flags = a[2];
      e.mode = Id(a[3]);
      return Emit(tid, e);
    }
    case 437: {  // openat2(dirfd, path, struct open_how {u64 flags, mode, resolve}, size)
      scap::Openat2Exit e;
      e.fd = rval;
      e.dirfd = Dirfd(a[0]);
      e.name = S(0, a[1]);
      uint64_t how[3] = {0, 0, 0};
      if (ReadTraceeMemory(tid, a[2], how, sizeof how) == static_cast<ssize_t>(sizeof how)) {
        e.flags = how[0];
        e.mode = static_cast<uint32_t>(how[1]);
        e.resolve = how[2];
      }
      return Emit(tid, e);
    }
    case SYS_socket: {
      scap::SocketExit e;
      e.fd = rval;
      e.domain = static_cast<int>(a[0]);
      e.type = static_cast<int>(a[1]);
      e.protocol = static_cast<int>(a[2]);
      return Emit(tid, e);
    }
    case SYS_connect: {
      scap::ConnectExit e;
      e.res = rval;
      e.fd = Fd(a[0]);
      e.addr = Addr(a[1], a[2]);
      e.ends.remote = e.addr;
      if (rval == 0 || rval == -EINPROGRESS) {
        socklen_t ll = kSockMax, pl = 0;
        SocketNames(tgid, e.fd, str.local, &ll, nullptr, &pl);
        e.ends.local = scap::Sockaddr(str.local, ll);
      }
      return Emit(tid, e);
    }
    case SYS_accept:
    case SYS_accept4: {
      scap::AcceptExit e;
      e.accept4 = nr == SYS_accept4;
      e.fd = rval;
      if (rval >= 0) {
        socklen_t ll = kSockMax, pl = kSockMax;
        SocketNames(tgid, rval, str.local, &ll, str.peer, &pl);
        e.ends.local = scap::Sockaddr(str.local, ll);
        e.ends.remote = pl ? scap::Sockaddr(str.peer, pl) : AddrOut(a[1], a[2]);
      }
      e.flags = e.accept4 ? static_cast<int>(a[3]) : 0;
      return Emit(tid, e);
    }
    case SYS_bind: {
      scap::BindExit e;
      e.res = rval;
      e.fd = Fd(a[0]);
      e.addr = Addr(a[1], a[2]);
      return Emit(tid, e);
    }
    case SYS_listen: {
      scap::ListenExit e;
      e.res = rval;
      e.fd = Fd(a[0]);
      e.backlog = static_cast<int32_t>(a[1]);
      return Emit(tid, e);
    }
    case SYS_dup: {
      scap::DupExit e;
      e.kind = scap::DupKind::kDup;
      e.res = rval;
      e.oldfd = Fd(a[0]);
      return Emit(tid, e);
    }
#ifdef SYS_dup2
    case SYS_dup2:
#endif
    case SYS_dup3: {
      scap::DupExit e;
      e.kind = nr == SYS_dup3 ? scap::DupKind::kDup3 : scap::DupKind::kDup2;
      e.res = rval;
      e.oldfd = Fd(a[0]);
      e.newfd = Fd(a[1]);
      e.flags = nr == SYS_dup3 ? static_cast<int>(a[2]) : 0;
      return Emit(tid, e);
    }
#ifdef SYS_symlink
    case SYS_symlink: {
      scap::SymlinkExit e;
      e.res = rval;
      e.target = S(0, a[0]);
      e.linkpath = S(1, a[1]);
      return Emit(tid, e);
    }
#endif
    case SYS_symlinkat: {
      scap::SymlinkatExit e;
      e.res = rval;
      e.target = S(0, a[0]);
      e.linkdirfd = Dirfd(a[1]);
      e.linkpath = S(1, a[2]);
      return Emit(tid, e);
    }
#ifdef SYS_link
    case SYS_link: {
      scap::LinkExit e;
      e.res = rval;
      e.oldpath = S(0, a[0]);
      e.newpath = S(1, a[1]);
      return Emit(tid, e);
    }
#endif
    case SYS_linkat: {
      scap::LinkatExit e;
      e.res = rval;
      e.olddirfd = Dirfd(a[0]);
      e.oldpath = S(0, a[1]);
      e.newdirfd = Dirfd(a[2]);
      e.newpath = S(1, a[3]);
      e.flags = static_cast<int>(a[4]);
      return Emit(tid, e);
    }
#ifdef SYS_unlink
    case SYS_unlink: {
      scap::UnlinkExit e;
      e.res = rval;
      e.path = S(0, a[0]);
      return Emit(tid, e);
    }
#endif
    case SYS_unlinkat: {
      scap::UnlinkatExit e;
      e.res = rval;
      e.dirfd = Dirfd(a[0]);
      e.name = S(0, a[1]);
      e.flags = static_cast<int>(a[2]);
      return Emit(tid, e);
    }
#ifdef SYS_rename
    case SYS_rename: {
      scap::RenameExit e;
      e.res = rval;
      e.oldpath = S(0, a[0]);
      e.newpath = S(1, a[1]);
      return Emit(tid, e);
    }
#endif
#ifdef SYS_renameat
    case SYS_renameat:
#endif
    case SYS_renameat2: {
      scap::RenameatExit e;
      e.renameat2 = nr == SYS_renameat2;
      e.res = rval;
      e.olddirfd = Dirfd(a[0]);
      e.oldpath = S(0, a[1]);
      e.newdirfd = Dirfd(a[2]);
      e.newpath = S(1, a[3]);
      e.flags = e.renameat2 ? static_cast<uint32_t>(a[4]) : 0;
      return Emit(tid, e);
    }
#ifdef SYS_chmod
    case SYS_chmod: {
      scap::ChmodExit e;
      e.res = rval;
      e.filename = S(0, a[0]);
      e.mode = Id(a[1]);
      return Emit(tid, e);
    }
#endif
    case SYS_fchmod: {
      scap::FchmodExit e;
      e.res = rval;
      e.fd = Fd(a[0]);
      e.mode = Id(a[1]);
      return Emit(tid, e);
    }
    case SYS_fchmodat:
    case 452: {  // fchmodat2 (its flags have no place in the event)
      scap::FchmodatExit e;
      e.res = rval;
      e.dirfd = Dirfd(a[0]);
      e.filename = S(0, a[1]);
      e.mode = Id(a[2]);
      return Emit(tid, e);
    }
    case SYS_setuid: {
      scap::SetuidExit e;
      e.res = rval;
      e.uid = Id(a[0]);
      return Emit(tid, e);
    }
    case SYS_setgid: {
      scap::SetgidExit e;
      e.res = rval;
      e.gid = Id(a[0]);
      return Emit(tid, e);
    }
    case SYS_setreuid: {
      scap::SetreuidExit e;
      e.res = rval;
      e.ruid = Id(a[0]);
      e.euid = Id(a[1]);
      return Emit(tid, e);
    }
    case SYS_setregid: {
      scap::SetregidExit e;
      e.res = rval;
      e.rgid = Id(a[0]);
      e.egid = Id(a[1]);
      return Emit(tid, e);
    }
    case SYS_setresuid: {
      scap::SetresuidExit e;
      e.res = rval;
      e.ruid = Id(a[0]);
      e.euid = Id(a[1]);
      e.suid = Id(a[2]);
      return Emit(tid, e);
    }
    case SYS_setresgid: {
      scap::SetresgidExit e;
      e.res = rval;
      e.rgid = Id(a[0]);
      e.egid = Id(a[1]);
      e.sgid = Id(a[2]);
      return Emit(tid, e);
    }
    case SYS_chdir: {
      scap::ChdirExit e;
      e.res = rval;
      e.path = S(0, a[0]);
      return Emit(tid, e);
    }
    case SYS_fchdir: {
      scap::FchdirExit e;
      e.res = rval;
      e.fd = Fd(a[0]);
      return Emit(tid, e);
    }
    case SYS_memfd_create: {
      scap::MemfdCreateExit e;
      e.fd = rval;
      e.name = S(0, a[0]);
      e.flags = static_cast<uint32_t>(a[1]);
      return Emit(tid, e);
    }
    case SYS_ptrace: {
      scap::PtraceExit e;
      e.res = rval;
      e.request = static_cast<int64_t>(a[0]);
      e.pid = static_cast<int32_t>(a[1]);
      e.addr = a[2];
      e.data = a[3];
      return Emit(tid, e);
    }
    case SYS_mount: {
      scap::MountExit e;
      e.res = rval;
      e.dev = S(0, a[0]);
      e.dir = S(1, a[1]);
      e.type = S(2, a[2]);
      e.flags = a[3];
      return Emit(tid, e);
    }
    case SYS_init_module: {
      scap::InitModuleExit e;
      e.res = rval;
      e.length = a[1];
      e.uargs = S(0, a[2]);
      return Emit(tid, e);
    }
    case SYS_finit_module: {
      scap::FinitModuleExit e;
      e.res = rval;
      e.fd = Fd(a[0]);
      e.uargs = S(0, a[1]);
      e.flags = static_cast<int>(a[2]);
      return Emit(tid, e);
    }
    default:
      return;
  }
}

}  // namespace kilt::capture
