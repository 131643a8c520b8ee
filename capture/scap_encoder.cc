#include "capture/scap_encoder.h"

#include <cstring>

#include "capture/scap_event_builder.h"
#include "capture/scap_flags.h"
#include "capture/scap_table.h"

namespace kilt::scap {
namespace {

constexpr int kAfUnix = 1, kAfInet = 2, kAfInet6 = 10;  // Linux AF_*, the same on every arch
constexpr int64_t kEinprogress = 115;                   // Linux EINPROGRESS (x86_64 and arm64)
constexpr size_t kUnixPathMax = 108;                    // sizeof(sockaddr_un::sun_path)

uint16_t Load16(const char* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}

int Family(Sockaddr a) { return a.size() >= 2 ? Load16(a.data()) : -1; }

// An AF_UNIX address's path: abstract names lose their leading NUL (as in the drivers) and the
// result stops at the first NUL.
std::string_view UnixPath(Sockaddr a) {
  if (a.size() <= 2) return {};
  std::string_view path = a.substr(2, kUnixPathMax);
  if (path[0] == '\0') path.remove_prefix(1);
  if (const void* nul = std::memchr(path.data(), '\0', path.size())) {
    path = path.substr(0, static_cast<const char*>(nul) - path.data());
  }
  return path;
}

uint8_t* PutPath(uint8_t* out, std::string_view path) {
  std::memcpy(out, path.data(), path.size());
  out[path.size()] = 0;
  return out + path.size() + 1;
}

// The IP address bytes (network order, as in the sockaddr) and the port in host order.
bool InetParts(Sockaddr a, int family, const char** ip, uint16_t* port) {
  size_t need = family == kAfInet ? 8 : 24;
  if (a.size() < need || Family(a) != family) return false;
  uint16_t net_port = Load16(a.data() + 2);
  *port = static_cast<uint16_t>((net_port >> 8) | (net_port << 8));
  *ip = a.data() + (family == kAfInet ? 4 : 8);
  return true;
}

uint8_t* PutEndpoint(uint8_t* out, Sockaddr a, int family) {
  const size_t ip_len = family == kAfInet ? 4 : 16;
  const char* ip = nullptr;
  uint16_t port = 0;
  if (InetParts(a, family, &ip, &port)) {
    std::memcpy(out, ip, ip_len);
  } else {
    std::memset(out, 0, ip_len);  // unknown end: 0.0.0.0:0 / [::]:0
  }
  std::memcpy(out + ip_len, &port, 2);
  return out + ip_len + 2;
}

std::string_view View(const uint8_t* p, size_t n) {
  return std::string_view(reinterpret_cast<const char*>(p), n);
}

EventBuilder& Process(EventBuilder& b, const ProcessInfo& p) {
  return b.String(p.exe).StringList(p.args).Int64(p.tid).Int64(p.pid).Int64(p.ptid).String(p.cwd);
}

EventBuilder& Memory(EventBuilder& b, const ProcessInfo& p) {
  return b.UInt64(p.pgft_maj)
      .UInt64(p.pgft_min)
      .UInt32(p.vm_size_kb)
      .UInt32(p.vm_rss_kb)
      .UInt32(p.vm_swap_kb)
      .String(p.comm)
      .StringList(p.cgroups);
}

EventBuilder& ExecTail(EventBuilder& b, const ProcessInfo& p) {
  return b.StringList(p.env)
      .UInt32(p.tty)
      .Int64(p.vpgid)
      .UInt32(p.loginuid)
      .UInt32(p.exe_flags)
      .UInt64(CapabilitiesToScap(p.cap_inheritable))
      .UInt64(CapabilitiesToScap(p.cap_permitted))
      .UInt64(CapabilitiesToScap(p.cap_effective))
      .UInt64(p.exe_ino)
      .UInt64(p.exe_ino_ctime)
      .UInt64(p.exe_ino_mtime)
      .UInt32(p.uid)
      .String(p.trusted_exepath)
      .Int64(p.pgid)
      .UInt32(p.gid);
}

EventBuilder& Exec(EventBuilder& b, const ProcessInfo& p) {
  Process(b, p).UInt64(p.fdlimit);
  return ExecTail(Memory(b, p), p);
}

// PT_DYN for ptrace's addr/data: one byte naming the type (PPM_PTRACE_IDX_*) then the value.
std::string_view PtraceDyn(uint8_t* buf, uint8_t idx, uint64_t value) {
  buf[0] = idx;
  if (idx == PPM_PTRACE_IDX_SIGTYPE) {
    buf[1] = static_cast<uint8_t>(value);
    return View(buf, 2);
  }
  std::memcpy(buf + 1, &value, 8);
  return View(buf, 9);
}

}  // namespace

size_t EncodeSockaddr(Sockaddr addr, uint8_t* out) {
  const int family = Family(addr);
  if (family == kAfInet || family == kAfInet6) {
    out[0] = SocketFamilyToScap(family);
    const char* ip = nullptr;
    uint16_t port = 0;
    if (!InetParts(addr, family, &ip, &port)) return 0;
    return PutEndpoint(out + 1, addr, family) - out;
  }
  if (family == kAfUnix) {
    out[0] = PPM_AF_UNIX;
    return PutPath(out + 1, UnixPath(addr)) - out;
  }
  return 0;
}

size_t EncodeSockTuple(const SocketEnds& ends, bool outbound, uint8_t* out) {
  int family = Family(ends.local);
  if (family < 0) family = Family(ends.remote);
  // Client first: the local end for connect/send, the peer for accept.
  const Sockaddr& src = outbound ? ends.local : ends.remote;
  const Sockaddr& dst = outbound ? ends.remote : ends.local;
  if (family == kAfInet || family == kAfInet6) {
    out[0] = SocketFamilyToScap(family);
    uint8_t* p = PutEndpoint(out + 1, src, family);
    return PutEndpoint(p, dst, family) - out;
  }
  if (family == kAfUnix) {
    // As the drivers: the server end's identifier first, then the client's, then the server's path.
    const uint64_t first = outbound ? ends.remote_id : ends.local_id;
    const uint64_t second = outbound ? ends.local_id : ends.remote_id;
    out[0] = PPM_AF_UNIX;
    std::memcpy(out + 1, &first, 8);
    std::memcpy(out + 9, &second, 8);
    return PutPath(out + 17, UnixPath(dst)) - out;
  }
  return 0;
}

EncodeStatus Encode(const EventHeader& h, const ExecveExit& e, EventBuffer* out) {
  EventBuilder b(out);
  b.Begin(PPME_SYSCALL_EXECVE_19_X, h.ts_ns, h.tid).Int64(e.res);
  Exec(b, e.proc).String(e.proc.filename);
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const ExecveatExit& e, EventBuffer* out) {
  EventBuilder b(out);
  b.Begin(PPME_SYSCALL_EXECVEAT_X, h.ts_ns, h.tid).Int64(e.res);
  Exec(b, e.proc);
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const CloneExit& e, EventBuffer* out) {
  uint16_t type = PPME_SYSCALL_CLONE_20_X;
  switch (e.kind) {
    case CloneKind::kClone:
      type = PPME_SYSCALL_CLONE_20_X;
      break;
    case CloneKind::kFork:
      type = PPME_SYSCALL_FORK_20_X;
      break;
    case CloneKind::kVfork:
      type = PPME_SYSCALL_VFORK_20_X;
      break;
    case CloneKind::kClone3:
      type = PPME_SYSCALL_CLONE3_X;
      break;
  }
  const ProcessInfo& p = e.proc;
  EventBuilder b(out);
  b.Begin(type, h.ts_ns, h.tid).Int64(e.res);
  Process(b, p).Int64(static_cast<int64_t>(p.fdlimit));
  Memory(b, p)
      .UInt32(CloneFlagsToScap(e.flags) | e.extra_scap_flags)
      .UInt32(p.uid)
      .UInt32(p.gid)
      .Int64(p.vtid)
      .Int64(p.vpid)
      .UInt64(p.pidns_init_start_ts);
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const ProcExit& e, EventBuffer* out) {
  const int status = e.wait_status;
  const int termsig = status & 0x7f;
  const bool signaled = termsig != 0 && termsig != 0x7f;  // WIFSIGNALED
  EventBuilder b(out);
  b.Begin(PPME_PROCEXIT_1_E, h.ts_ns, h.tid)
      .Int64(status)
      .Int64((status >> 8) & 0xff)  // WEXITSTATUS, as the drivers write it whatever the cause
      .UInt8(static_cast<uint8_t>(signaled ? termsig : 0))
      .UInt8((status & 0x80) != 0 ? 1 : 0)  // WCOREDUMP
      .Int64(e.reaper_tid);
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const OpenExit& e, EventBuffer* out) {
  EventBuilder b(out);
  b.Begin(PPME_SYSCALL_OPEN_X, h.ts_ns, h.tid)
      .Int64(e.fd)
      .String(e.name)
      .UInt32(OpenFlagsToScap(e.flags) | e.extra_scap_flags)
      .UInt32(OpenModeToScap(e.flags, e.mode))
      .UInt32(e.dev)
      .UInt64(e.ino);
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const OpenatExit& e, EventBuffer* out) {
  EventBuilder b(out);
  b.Begin(PPME_SYSCALL_OPENAT_2_X, h.ts_ns, h.tid)
      .Int64(e.fd)
      .Int64(e.dirfd)
      .String(e.name)
      .UInt32(OpenFlagsToScap(e.flags) | e.extra_scap_flags)
      .UInt32(OpenModeToScap(e.flags, e.mode))
      .UInt32(e.dev)
      .UInt64(e.ino);
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const Openat2Exit& e, EventBuffer* out) {
  EventBuilder b(out);
  b.Begin(PPME_SYSCALL_OPENAT2_X, h.ts_ns, h.tid)
      .Int64(e.fd)
      .Int64(e.dirfd)
      .String(e.name)
      .UInt32(OpenFlagsToScap(e.flags) | e.extra_scap_flags)
      .UInt32(OpenModeToScap(e.flags, e.mode))
      .UInt32(ResolveFlagsToScap(e.resolve))
      .UInt32(e.dev)
      .UInt64(e.ino);
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const CreatExit& e, EventBuffer* out) {
  EventBuilder b(out);
  b.Begin(PPME_SYSCALL_CREAT_X, h.ts_ns, h.tid)
      .Int64(e.fd)
      .String(e.name)
      .UInt32(ModeToScap(e.mode))
      .UInt32(e.dev)
      .UInt64(e.ino)
      .UInt16(e.creat_flags);
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const CloseExit& e, EventBuffer* out) {
  EventBuilder b(out);
  b.Begin(PPME_SYSCALL_CLOSE_X, h.ts_ns, h.tid).Int64(e.res).Int64(e.fd);
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const SocketExit& e, EventBuffer* out) {
  EventBuilder b(out);
  b.Begin(PPME_SOCKET_SOCKET_X, h.ts_ns, h.tid)
      .Int64(e.fd)
      .UInt32(SocketFamilyToScap(e.domain))
      .UInt32(static_cast<uint32_t>(e.type))
      .UInt32(static_cast<uint32_t>(e.protocol))
      .UInt32(SocketFlagsToScap(e.type));
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const ConnectExit& e, EventBuffer* out) {
  uint8_t tuple[kMaxSockParamSize], addr[kMaxSockParamSize];
  size_t tuple_len = 0;
  if (e.res == 0 || e.res == -kEinprogress) tuple_len = EncodeSockTuple(e.ends, true, tuple);
  size_t addr_len = EncodeSockaddr(e.addr, addr);
  EventBuilder b(out);
  b.Begin(PPME_SOCKET_CONNECT_X, h.ts_ns, h.tid)
      .Int64(e.res)
      .Encoded(View(tuple, tuple_len))
      .Int64(e.fd)
      .Encoded(View(addr, addr_len));
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const AcceptExit& e, EventBuffer* out) {
  uint8_t tuple[kMaxSockParamSize];
  size_t tuple_len = e.fd >= 0 ? EncodeSockTuple(e.ends, false, tuple) : 0;
  EventBuilder b(out);
  b.Begin(e.accept4 ? PPME_SOCKET_ACCEPT4_6_X : PPME_SOCKET_ACCEPT_5_X, h.ts_ns, h.tid)
      .Int64(e.fd)
      .Encoded(View(tuple, tuple_len))
      .UInt8(e.queuepct)
      .UInt32(e.queuelen)
      .UInt32(e.queuemax);
  if (e.accept4) b.Int32(static_cast<int32_t>(SocketFlagsToScap(e.flags)));
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const BindExit& e, EventBuffer* out) {
  uint8_t addr[kMaxSockParamSize];
  size_t addr_len = EncodeSockaddr(e.addr, addr);
  EventBuilder b(out);
  b.Begin(PPME_SOCKET_BIND_X, h.ts_ns, h.tid)
      .Int64(e.res)
      .Encoded(View(addr, addr_len))
      .Int64(e.fd);
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const ListenExit& e, EventBuffer* out) {
  EventBuilder b(out);
  b.Begin(PPME_SOCKET_LISTEN_X, h.ts_ns, h.tid).Int64(e.res).Int64(e.fd).Int32(e.backlog);
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const SendExit& e, EventBuffer* out) {
  uint8_t tuple[kMaxSockParamSize];
  size_t tuple_len = EncodeSockTuple(e.ends, true, tuple);
  EventBuilder b(out);
  b.Begin(e.sendmsg ? PPME_SOCKET_SENDMSG_X : PPME_SOCKET_SENDTO_X, h.ts_ns, h.tid)
      .Int64(e.res)
      .Bytes(e.data)
      .Int64(e.fd)
      .UInt32(e.size)
      .Encoded(View(tuple, tuple_len));
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const SocketpairExit& e, EventBuffer* out) {
  EventBuilder b(out);
  b.Begin(PPME_SOCKET_SOCKETPAIR_X, h.ts_ns, h.tid)
      .Int64(e.res)
      .Int64(e.fd1)
      .Int64(e.fd2)
      .UInt64(e.source)
      .UInt64(e.peer)
      .UInt32(SocketFamilyToScap(e.domain))
      .UInt32(static_cast<uint32_t>(e.type))
      .UInt32(static_cast<uint32_t>(e.protocol));
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const PipeExit& e, EventBuffer* out) {
  EventBuilder b(out);
  b.Begin(e.pipe2 ? PPME_SYSCALL_PIPE2_X : PPME_SYSCALL_PIPE_X, h.ts_ns, h.tid)
      .Int64(e.res)
      .Int64(e.fd1)
      .Int64(e.fd2)
      .UInt64(e.ino);
  if (e.pipe2) b.UInt32(Pipe2FlagsToScap(e.flags));
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const DupExit& e, EventBuffer* out) {
  EventBuilder b(out);
  switch (e.kind) {
    case DupKind::kDup:
      b.Begin(PPME_SYSCALL_DUP_1_X, h.ts_ns, h.tid).Int64(e.res).Int64(e.oldfd);
      break;
    case DupKind::kDup2:
      b.Begin(PPME_SYSCALL_DUP2_X, h.ts_ns, h.tid).Int64(e.res).Int64(e.oldfd).Int64(e.newfd);
      break;
    case DupKind::kDup3:
      b.Begin(PPME_SYSCALL_DUP3_X, h.ts_ns, h.tid)
          .Int64(e.res)
          .Int64(e.oldfd)
          .Int64(e.newfd)
          .UInt32(Dup3FlagsToScap(e.flags));
      break;
  }
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const FcntlExit& e, EventBuffer* out) {
  EventBuilder b(out);
  b.Begin(PPME_SYSCALL_FCNTL_X, h.ts_ns, h.tid)
      .Int64(e.res)
      .Int64(e.fd)
      .UInt8(FcntlCmdToScap(e.cmd))
      .UInt64(e.arg);
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const SymlinkExit& e, EventBuffer* out) {
  EventBuilder b(out);
  b.Begin(PPME_SYSCALL_SYMLINK_X, h.ts_ns, h.tid).Int64(e.res).String(e.target).String(e.linkpath);
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const SymlinkatExit& e, EventBuffer* out) {
  EventBuilder b(out);
  b.Begin(PPME_SYSCALL_SYMLINKAT_X, h.ts_ns, h.tid)
      .Int64(e.res)
      .String(e.target)
      .Int64(e.linkdirfd)
      .String(e.linkpath);
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const LinkExit& e, EventBuffer* out) {
  EventBuilder b(out);
  b.Begin(PPME_SYSCALL_LINK_2_X, h.ts_ns, h.tid).Int64(e.res).String(e.oldpath).String(e.newpath);
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const LinkatExit& e, EventBuffer* out) {
  EventBuilder b(out);
  b.Begin(PPME_SYSCALL_LINKAT_2_X, h.ts_ns, h.tid)
      .Int64(e.res)
      .Int64(e.olddirfd)
      .String(e.oldpath)
      .Int64(e.newdirfd)
      .String(e.newpath)
      .UInt32(LinkatFlagsToScap(e.flags));
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const UnlinkExit& e, EventBuffer* out) {
  EventBuilder b(out);
  b.Begin(PPME_SYSCALL_UNLINK_2_X, h.ts_ns, h.tid).Int64(e.res).String(e.path);
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const UnlinkatExit& e, EventBuffer* out) {
  EventBuilder b(out);
  b.Begin(PPME_SYSCALL_UNLINKAT_2_X, h.ts_ns, h.tid)
      .Int64(e.res)
      .Int64(e.dirfd)
      .String(e.name)
      .UInt32(UnlinkatFlagsToScap(e.flags));
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const RenameExit& e, EventBuffer* out) {
  EventBuilder b(out);
  b.Begin(PPME_SYSCALL_RENAME_X, h.ts_ns, h.tid).Int64(e.res).String(e.oldpath).String(e.newpath);
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const RenameatExit& e, EventBuffer* out) {
  EventBuilder b(out);
  b.Begin(e.renameat2 ? PPME_SYSCALL_RENAMEAT2_X : PPME_SYSCALL_RENAMEAT_X, h.ts_ns, h.tid)
      .Int64(e.res)
      .Int64(e.olddirfd)
      .String(e.oldpath)
      .Int64(e.newdirfd)
      .String(e.newpath);
  if (e.renameat2) b.UInt32(Renameat2FlagsToScap(e.flags));
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const MkdirExit& e, EventBuffer* out) {
  EventBuilder b(out);
  b.Begin(PPME_SYSCALL_MKDIR_2_X, h.ts_ns, h.tid).Int64(e.res).String(e.path).UInt32(e.mode);
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const MkdiratExit& e, EventBuffer* out) {
  EventBuilder b(out);
  b.Begin(PPME_SYSCALL_MKDIRAT_X, h.ts_ns, h.tid)
      .Int64(e.res)
      .Int64(e.dirfd)
      .String(e.path)
      .UInt32(e.mode);
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const RmdirExit& e, EventBuffer* out) {
  EventBuilder b(out);
  b.Begin(PPME_SYSCALL_RMDIR_2_X, h.ts_ns, h.tid).Int64(e.res).String(e.path);
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const ChmodExit& e, EventBuffer* out) {
  EventBuilder b(out);
  b.Begin(PPME_SYSCALL_CHMOD_X, h.ts_ns, h.tid)
      .Int64(e.res)
      .String(e.filename)
      .UInt32(ModeToScap(e.mode));
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const FchmodExit& e, EventBuffer* out) {
  EventBuilder b(out);
  b.Begin(PPME_SYSCALL_FCHMOD_X, h.ts_ns, h.tid)
      .Int64(e.res)
      .Int64(e.fd)
      .UInt32(ModeToScap(e.mode));
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const FchmodatExit& e, EventBuffer* out) {
  EventBuilder b(out);
  b.Begin(PPME_SYSCALL_FCHMODAT_X, h.ts_ns, h.tid)
      .Int64(e.res)
      .Int64(e.dirfd)
      .String(e.filename)
      .UInt32(ModeToScap(e.mode));
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const SetuidExit& e, EventBuffer* out) {
  EventBuilder b(out);
  b.Begin(PPME_SYSCALL_SETUID_X, h.ts_ns, h.tid).Int64(e.res).UInt32(e.uid);
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const SetgidExit& e, EventBuffer* out) {
  EventBuilder b(out);
  b.Begin(PPME_SYSCALL_SETGID_X, h.ts_ns, h.tid).Int64(e.res).UInt32(e.gid);
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const SetresuidExit& e, EventBuffer* out) {
  EventBuilder b(out);
  b.Begin(PPME_SYSCALL_SETRESUID_X, h.ts_ns, h.tid)
      .Int64(e.res)
      .UInt32(e.ruid)
      .UInt32(e.euid)
      .UInt32(e.suid);
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const SetresgidExit& e, EventBuffer* out) {
  EventBuilder b(out);
  b.Begin(PPME_SYSCALL_SETRESGID_X, h.ts_ns, h.tid)
      .Int64(e.res)
      .UInt32(e.rgid)
      .UInt32(e.egid)
      .UInt32(e.sgid);
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const SetreuidExit& e, EventBuffer* out) {
  EventBuilder b(out);
  b.Begin(PPME_SYSCALL_SETREUID_X, h.ts_ns, h.tid).Int64(e.res).UInt32(e.ruid).UInt32(e.euid);
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const SetregidExit& e, EventBuffer* out) {
  EventBuilder b(out);
  b.Begin(PPME_SYSCALL_SETREGID_X, h.ts_ns, h.tid).Int64(e.res).UInt32(e.rgid).UInt32(e.egid);
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const SetsidExit& e, EventBuffer* out) {
  EventBuilder b(out);
  b.Begin(PPME_SYSCALL_SETSID_X, h.ts_ns, h.tid).Int64(e.res);
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const SetpgidExit& e, EventBuffer* out) {
  EventBuilder b(out);
  b.Begin(PPME_SYSCALL_SETPGID_X, h.ts_ns, h.tid).Int64(e.res).Int64(e.pid).Int64(e.pgid);
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const ChdirExit& e, EventBuffer* out) {
  EventBuilder b(out);
  b.Begin(PPME_SYSCALL_CHDIR_X, h.ts_ns, h.tid).Int64(e.res).String(e.path);
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const FchdirExit& e, EventBuffer* out) {
  EventBuilder b(out);
  b.Begin(PPME_SYSCALL_FCHDIR_X, h.ts_ns, h.tid).Int64(e.res).Int64(e.fd);
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const ChrootExit& e, EventBuffer* out) {
  EventBuilder b(out);
  b.Begin(PPME_SYSCALL_CHROOT_X, h.ts_ns, h.tid).Int64(e.res).String(e.path);
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const MemfdCreateExit& e, EventBuffer* out) {
  EventBuilder b(out);
  b.Begin(PPME_SYSCALL_MEMFD_CREATE_X, h.ts_ns, h.tid)
      .Int64(e.fd)
      .String(e.name)
      .UInt32(MemfdFlagsToScap(e.flags));
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const PtraceExit& e, EventBuffer* out) {
  const uint16_t request = PtraceRequestToScap(e.request);
  uint8_t addr[9], data[9];
  std::string_view addr_param = PtraceDyn(addr, PPM_PTRACE_IDX_UINT64, e.res < 0 ? 0 : e.addr);
  std::string_view data_param;
  if (e.res < 0) {
    data_param = PtraceDyn(data, PPM_PTRACE_IDX_UINT64, 0);
  } else if (request == PPM_PTRACE_CONT || request == PPM_PTRACE_SINGLESTEP ||
             request == PPM_PTRACE_DETACH || request == PPM_PTRACE_SYSCALL) {
    data_param = PtraceDyn(data, PPM_PTRACE_IDX_SIGTYPE, e.data);  // the signal to deliver
  } else {
    data_param = PtraceDyn(data, PPM_PTRACE_IDX_UINT64, e.data);
  }
  EventBuilder b(out);
  b.Begin(PPME_SYSCALL_PTRACE_X, h.ts_ns, h.tid)
      .Int64(e.res)
      .Encoded(addr_param)
      .Encoded(data_param)
      .UInt16(request)
      .Int64(e.pid);
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const PrctlExit& e, EventBuffer* out) {
  EventBuilder b(out);
  b.Begin(PPME_SYSCALL_PRCTL_X, h.ts_ns, h.tid)
      .Int64(e.res)
      .UInt32(static_cast<uint32_t>(e.option))
      .String(e.arg2_str)
      .Int64(e.arg2_int);
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const MountExit& e, EventBuffer* out) {
  EventBuilder b(out);
  b.Begin(PPME_SYSCALL_MOUNT_X, h.ts_ns, h.tid)
      .Int64(e.res)
      .String(e.dev)
      .String(e.dir)
      .String(e.type)
      .UInt32(MountFlagsToScap(e.flags));
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const Umount2Exit& e, EventBuffer* out) {
  EventBuilder b(out);
  b.Begin(PPME_SYSCALL_UMOUNT2_X, h.ts_ns, h.tid)
      .Int64(e.res)
      .String(e.name)
      .UInt32(Umount2FlagsToScap(e.flags));
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const UnshareExit& e, EventBuffer* out) {
  EventBuilder b(out);
  b.Begin(PPME_SYSCALL_UNSHARE_X, h.ts_ns, h.tid).Int64(e.res).UInt32(CloneFlagsToScap(e.flags));
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const SetnsExit& e, EventBuffer* out) {
  EventBuilder b(out);
  b.Begin(PPME_SYSCALL_SETNS_X, h.ts_ns, h.tid)
      .Int64(e.res)
      .Int64(e.fd)
      .UInt32(CloneFlagsToScap(e.nstype));
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const InitModuleExit& e, EventBuffer* out) {
  EventBuilder b(out);
  b.Begin(PPME_SYSCALL_INIT_MODULE_X, h.ts_ns, h.tid)
      .Int64(e.res)
      .Bytes(e.img)
      .UInt64(e.length)
      .String(e.uargs);
  return b.Finish();
}

EncodeStatus Encode(const EventHeader& h, const FinitModuleExit& e, EventBuffer* out) {
  EventBuilder b(out);
  b.Begin(PPME_SYSCALL_FINIT_MODULE_X, h.ts_ns, h.tid)
      .Int64(e.res)
      .Int64(e.fd)
      .String(e.uargs)
      .UInt32(FinitModuleFlagsToScap(e.flags));
  return b.Finish();
}

}  // namespace kilt::scap
