// Typed scap event encoders: one plain struct per syscall exit event the capture emits, encoded
// exactly as falcosecurity/libs 0.25.4 (the libs Falco 0.44.1 pins) defines it: every parameter of
// the event table, in order, with scap's encodings (PPM_O_*, PPM_CL_*, PPM_AF_*, socket tuples...).
// The structs take what the tracer sees: Linux flag values as passed to the syscall, raw `struct
// sockaddr` bytes, results as the syscall returned them (negative errno on failure); the encoder
// converts.
//
// No allocation and no exceptions: each Encode() appends one event to a caller-owned EventBuffer,
// or returns kFull (nothing written: flush the buffer, e.g. FeedServer::Push it, Clear() and
// retry).
//
//   uint8_t storage[256 * 1024];
//   kilt::scap::EventBuffer buf(storage, sizeof storage);
//   kilt::scap::EventHeader h{now_ns, tid};
//   kilt::scap::OpenatExit e;
//   e.fd = ret; e.dirfd = AT_FDCWD; e.name = path; e.flags = O_RDONLY | O_CLOEXEC;
//   if (Encode(h, e, &buf) == kilt::scap::EncodeStatus::kFull) { feed.Push(buf.bytes());
//   buf.Clear(); ... }
//
// Strings are std::string_view (copied during Encode). A default (null) view becomes an empty
// parameter
// ("not available" to libsinsp); "" an empty string. NUL-separated lists (argv, envp, cgroups) are
// "a\0b\0" like /proc/PID/cmdline; a missing final NUL is added; argv/envp are capped at 4096 bytes
// and strings at 4096 (PATH_MAX), as the kernel drivers do.
#ifndef KILT_CAPTURE_SCAP_ENCODER_H_
#define KILT_CAPTURE_SCAP_ENCODER_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "capture/scap_buffer.h"

namespace kilt::scap {

// Event header fields: when (CLOCK_REALTIME, ns since the epoch) and which thread (tid in Falco's
// pid namespace, i.e. kilt-run's).
struct EventHeader {
  uint64_t ts_ns = 0;
  int64_t tid = 0;
};

// The process part of execve/execveat and clone/fork/vfork/clone3 exit events (what libsinsp builds
// its thread table from). Sources are hints for the tracer.
struct ProcessInfo {
  std::string_view exe;   // argv[0] (proc.exe)
  std::string_view args;  // argv[1..], NUL-separated (proc.args, proc.cmdline)
  int64_t tid = 0;
  int64_t pid = 0;                                         // thread group id
  int64_t ptid = 0;                                        // parent's pid
  std::string_view cwd;                                    // readlink /proc/PID/cwd (proc.cwd)
  uint64_t fdlimit = 0;                                    // RLIMIT_NOFILE soft limit
  uint64_t pgft_maj = 0, pgft_min = 0;                     // /proc/PID/stat fields 12 and 10
  uint32_t vm_size_kb = 0, vm_rss_kb = 0, vm_swap_kb = 0;  // /proc/PID/status VmSize/VmRSS/VmSwap
  std::string_view comm;                                   // /proc/PID/comm (proc.name)
  // "subsys=path" entries, NUL-separated ("cpu=/ecs/abc\0memory=/ecs/abc\0"); one entry without '='
  // makes libsinsp drop them all, and the container plugin needs at least one.
  std::string_view cgroups;
  uint32_t uid = 0, gid = 0;  // effective ids (user.uid, group.gid)

  // execve/execveat only.
  std::string_view env;            // envp, NUL-separated
  uint32_t tty = 0;                // /proc/PID/stat field 7 (tty_nr) (proc.tty)
  int64_t pgid = 0, vpgid = 0;     // process group, in Falco's and in the task's pid namespace
  uint32_t loginuid = UINT32_MAX;  // /proc/PID/loginuid; UINT32_MAX = unset
  uint32_t exe_flags = 0;  // PPM_EXE_WRITABLE | PPM_EXE_UPPER_LAYER | PPM_EXE_FROM_MEMFD | ...
  uint64_t cap_inheritable = 0, cap_permitted = 0, cap_effective = 0;  // CapInh/CapPrm/CapEff
  uint64_t exe_ino = 0;                                                // stat of /proc/PID/exe
  uint64_t exe_ino_ctime = 0, exe_ino_mtime = 0;                       // ns since the epoch
  std::string_view trusted_exepath;  // readlink /proc/PID/exe (proc.exepath)
  std::string_view filename;         // the path execve was given (execve only; execveat has none)

  // clone family only.
  int64_t vtid = 0, vpid = 0;        // ids in the task's own pid namespace (= tid/pid if the same)
  uint64_t pidns_init_start_ts = 0;  // start time of the pid namespace's init, ns
};

struct ExecveExit {
  int64_t res = 0;
  ProcessInfo proc;
};
struct ExecveatExit {
  int64_t res = 0;
  ProcessInfo proc;  // proc.filename is not part of this event
};

enum class CloneKind : uint8_t { kClone, kFork, kVfork, kClone3 };
struct CloneExit {
  CloneKind kind = CloneKind::kClone;
  int64_t res = 0;     // the child's tid in the parent's event, 0 in the child's
  ProcessInfo proc;    // the task this event belongs to (parent or child)
  uint64_t flags = 0;  // CLONE_* (clone3: clone_args.flags; fork: 0; vfork: CLONE_VM|CLONE_VFORK)
  uint32_t extra_scap_flags = 0;  // PPM_CL_* with no Linux bit (PPM_CL_CHILD_IN_PIDNS, ...)
};

// sched_process_exit: the task's wait status as waitpid() reports it.
struct ProcExit {
  int wait_status = 0;
  int64_t reaper_tid = 0;  // who inherits its children (0: none / let libsinsp decide)
};

// open family. `flags` are O_* as passed; `extra_scap_flags` adds what the syscall does not say
// (PPM_O_F_CREATED when the file was created, PPM_FD_UPPER_LAYER / PPM_FD_LOWER_LAYER).
struct OpenExit {
  int64_t fd = -1;
  std::string_view name;  // as passed (fd.nameraw); libsinsp resolves it against the cwd
  uint64_t flags = 0;
  uint32_t mode = 0;  // as passed; only meaningful with O_CREAT/O_TMPFILE
  uint32_t dev = 0;   // st_dev of the opened file (new encoding, as in the kernel)
  uint64_t ino = 0;
  uint32_t extra_scap_flags = 0;
};
struct OpenatExit {
  int64_t fd = -1;
  int64_t dirfd = -100;  // AT_FDCWD
  std::string_view name;
  uint64_t flags = 0;
  uint32_t mode = 0;
  uint32_t dev = 0;
  uint64_t ino = 0;
  uint32_t extra_scap_flags = 0;
};
struct Openat2Exit {
  int64_t fd = -1;
  int64_t dirfd = -100;
  std::string_view name;
  uint64_t flags = 0;    // open_how.flags
  uint32_t mode = 0;     // open_how.mode
  uint64_t resolve = 0;  // open_how.resolve (RESOLVE_*)
  uint32_t dev = 0;
  uint64_t ino = 0;
  uint32_t extra_scap_flags = 0;
};
struct CreatExit {
  int64_t fd = -1;
  std::string_view name;
  uint32_t mode = 0;
  uint32_t dev = 0;
  uint64_t ino = 0;
  uint16_t creat_flags = 0;  // PPM_FD_UPPER_LAYER_CREAT / PPM_FD_LOWER_LAYER_CREAT
};
struct CloseExit {
  int64_t res = 0;
  int64_t fd = -1;
};

// Sockets. A `Sockaddr` is the raw Linux `struct sockaddr` (sockaddr_in, sockaddr_in6, sockaddr_un)
// as the syscall saw it, `addrlen` bytes long; empty when unknown.
using Sockaddr = std::string_view;
// Both ends of a connected socket, for the `tuple` parameter. The encoder orders them as the
// drivers do: client -> server (local -> remote for connect/send, remote -> local for accept).
struct SocketEnds {
  Sockaddr local;   // getsockname()
  Sockaddr remote;  // getpeername(), or the address connected/sent to
  // AF_UNIX only: scap identifies the two ends by kernel socket pointers, which user space cannot
  // see; any stable unique value works (e.g. the socket inode numbers).
  uint64_t local_id = 0, remote_id = 0;
};

struct SocketExit {
  int64_t fd = -1;
  int domain = 0;  // AF_*
  int type = 0;    // SOCK_* including SOCK_NONBLOCK / SOCK_CLOEXEC
  int protocol = 0;
};
struct ConnectExit {
  int64_t res = 0;  // 0, -EINPROGRESS, or another -errno (then no tuple is written, as the drivers)
  int64_t fd = -1;
  SocketEnds ends;
  Sockaddr addr;  // the address argument
};
struct AcceptExit {
  bool accept4 = false;  // accept4(): also writes `flags`
  int64_t fd = -1;       // the new fd, or -errno
  SocketEnds ends;
  uint8_t queuepct = 0;
  uint32_t queuelen = 0, queuemax = 0;
  int flags = 0;  // accept4's SOCK_NONBLOCK / SOCK_CLOEXEC
};
struct BindExit {
  int64_t res = 0;
  int64_t fd = -1;
  Sockaddr addr;
};
struct ListenExit {
  int64_t res = 0;
  int64_t fd = -1;
  int32_t backlog = 0;
};
struct SendExit {  // sendto / sendmsg
  bool sendmsg = false;
  int64_t res = 0;
  int64_t fd = -1;
  std::string_view data;  // the first bytes sent (snaplen is the caller's choice; may be empty)
  uint32_t size = 0;      // the size argument (sendmsg: total iov length)
  SocketEnds ends;        // remote = the destination address, if any
};
struct SocketpairExit {
  int64_t res = 0;
  int64_t fd1 = -1, fd2 = -1;
  uint64_t source = 0, peer = 0;  // identifiers of the two ends (see SocketEnds::local_id)
  int domain = 0, type = 0, protocol = 0;
};
struct PipeExit {
  bool pipe2 = false;
  int64_t res = 0;
  int64_t fd1 = -1, fd2 = -1;
  uint64_t ino = 0;
  int flags = 0;  // pipe2's O_CLOEXEC / O_NONBLOCK / O_DIRECT
};

enum class DupKind : uint8_t { kDup, kDup2, kDup3 };
struct DupExit {
  DupKind kind = DupKind::kDup;
  int64_t res = -1;  // the new fd or -errno
  int64_t oldfd = -1;
  int64_t newfd = -1;  // dup2/dup3
  int flags = 0;       // dup3's O_CLOEXEC
};
struct FcntlExit {
  int64_t res = 0;
  int64_t fd = -1;
  int cmd = 0;  // F_*
  uint64_t arg = 0;
};

// Paths: as passed (relative ones are resolved by libsinsp against dirfd / the cwd).
struct SymlinkExit {
  int64_t res = 0;
  std::string_view target, linkpath;
};
struct SymlinkatExit {
  int64_t res = 0;
  std::string_view target;
  int64_t linkdirfd = -100;
  std::string_view linkpath;
};
struct LinkExit {
  int64_t res = 0;
  std::string_view oldpath, newpath;
};
struct LinkatExit {
  int64_t res = 0;
  int64_t olddirfd = -100;
  std::string_view oldpath;
  int64_t newdirfd = -100;
  std::string_view newpath;
  int flags = 0;  // AT_SYMLINK_FOLLOW, AT_EMPTY_PATH
};
struct UnlinkExit {
  int64_t res = 0;
  std::string_view path;
};
struct UnlinkatExit {
  int64_t res = 0;
  int64_t dirfd = -100;
  std::string_view name;
  int flags = 0;  // AT_REMOVEDIR
};
struct RenameExit {
  int64_t res = 0;
  std::string_view oldpath, newpath;
};
struct RenameatExit {
  bool renameat2 = false;  // also writes `flags`
  int64_t res = 0;
  int64_t olddirfd = -100;
  std::string_view oldpath;
  int64_t newdirfd = -100;
  std::string_view newpath;
  uint32_t flags = 0;  // RENAME_*
};
struct MkdirExit {
  int64_t res = 0;
  std::string_view path;
  uint32_t mode = 0;  // written as passed, as the drivers do
};
struct MkdiratExit {
  int64_t res = 0;
  int64_t dirfd = -100;
  std::string_view path;
  uint32_t mode = 0;
};
struct RmdirExit {
  int64_t res = 0;
  std::string_view path;
};
struct ChmodExit {
  int64_t res = 0;
  std::string_view filename;
  uint32_t mode = 0;
};
struct FchmodExit {
  int64_t res = 0;
  int64_t fd = -1;
  uint32_t mode = 0;
};
struct FchmodatExit {
  int64_t res = 0;
  int64_t dirfd = -100;
  std::string_view filename;
  uint32_t mode = 0;
};

// Credentials (the arguments, as passed; -1 = unchanged is written as UINT32_MAX).
struct SetuidExit {
  int64_t res = 0;
  uint32_t uid = 0;
};
struct SetgidExit {
  int64_t res = 0;
  uint32_t gid = 0;
};
struct SetresuidExit {
  int64_t res = 0;
  uint32_t ruid = 0, euid = 0, suid = 0;
};
struct SetresgidExit {
  int64_t res = 0;
  uint32_t rgid = 0, egid = 0, sgid = 0;
};
struct SetreuidExit {
  int64_t res = 0;
  uint32_t ruid = 0, euid = 0;
};
struct SetregidExit {
  int64_t res = 0;
  uint32_t rgid = 0, egid = 0;
};
struct SetsidExit {
  int64_t res = 0;  // the new session id or -errno
};
struct SetpgidExit {
  int64_t res = 0;
  int64_t pid = 0, pgid = 0;
};

struct ChdirExit {
  int64_t res = 0;
  std::string_view path;
};
struct FchdirExit {
  int64_t res = 0;
  int64_t fd = -1;
};
struct ChrootExit {
  int64_t res = 0;
  std::string_view path;
};
struct MemfdCreateExit {
  int64_t fd = -1;
  std::string_view name;
  uint32_t flags = 0;  // MFD_*
};
struct PtraceExit {
  int64_t res = 0;
  int64_t request = 0;  // PTRACE_*
  int64_t pid = 0;
  uint64_t addr = 0;
  // The data argument; for PEEKTEXT/PEEKDATA/PEEKUSR the word read (what the call returned).
  uint64_t data = 0;
};
struct PrctlExit {
  int64_t res = 0;
  int option = 0;             // PR_* (scap uses the Linux numbers)
  std::string_view arg2_str;  // PR_SET_NAME / PR_GET_NAME: the name; otherwise leave null
  int64_t arg2_int = 0;       // the other options' second argument
};
struct MountExit {
  int64_t res = 0;
  std::string_view dev, dir, type;
  uint64_t flags = 0;  // MS_*
};
struct Umount2Exit {
  int64_t res = 0;
  std::string_view name;
  int flags = 0;  // MNT_*, UMOUNT_NOFOLLOW
};
struct UnshareExit {
  int64_t res = 0;
  uint64_t flags = 0;  // CLONE_NEW*
};
struct SetnsExit {
  int64_t res = 0;
  int64_t fd = -1;
  uint64_t nstype = 0;  // CLONE_NEW*
};
struct InitModuleExit {
  int64_t res = 0;
  std::string_view img;  // first bytes of the module image (may be empty)
  uint64_t length = 0;
  std::string_view uargs;
};
struct FinitModuleExit {
  int64_t res = 0;
  int64_t fd = -1;
  std::string_view uargs;
  int flags = 0;  // MODULE_INIT_*
};

[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const ExecveExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const ExecveatExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const CloneExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const ProcExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const OpenExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const OpenatExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const Openat2Exit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const CreatExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const CloseExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const SocketExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const ConnectExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const AcceptExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const BindExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const ListenExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const SendExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const SocketpairExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const PipeExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const DupExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const FcntlExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const SymlinkExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const SymlinkatExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const LinkExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const LinkatExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const UnlinkExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const UnlinkatExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const RenameExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const RenameatExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const MkdirExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const MkdiratExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const RmdirExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const ChmodExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const FchmodExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const FchmodatExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const SetuidExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const SetgidExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const SetresuidExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const SetresgidExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const SetreuidExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const SetregidExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const SetsidExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const SetpgidExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const ChdirExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const FchdirExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const ChrootExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const MemfdCreateExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const PtraceExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const PrctlExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const MountExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const Umount2Exit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const UnshareExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const SetnsExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const InitModuleExit& e, EventBuffer* out);
[[nodiscard]] EncodeStatus Encode(const EventHeader& h, const FinitModuleExit& e, EventBuffer* out);

// Parameter wire forms, exposed for tests and for callers of EventBuilder::Encoded().
inline constexpr size_t kMaxSockParamSize = 160;
// PT_SOCKADDR: family | (IPv4: 4-byte address, u16 port) | (IPv6: 16 + u16) | (AF_UNIX: path +
// NUL). Returns the size written to `out` (>= kMaxSockParamSize bytes), 0 for an empty or unknown
// address.
size_t EncodeSockaddr(Sockaddr addr, uint8_t* out);
// PT_SOCKTUPLE: family | src addr | u16 src port | dst addr | u16 dst port (addresses in network
// order, ports in host order), or for AF_UNIX family | u64 | u64 | path + NUL. `outbound` =
// connect/send.
size_t EncodeSockTuple(const SocketEnds& ends, bool outbound, uint8_t* out);

}  // namespace kilt::scap

#endif  // KILT_CAPTURE_SCAP_ENCODER_H_
