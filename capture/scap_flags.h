// Linux syscall argument values -> scap's own encodings (PPM_*), the ones Falco's parsers and rules
// read (evt.arg.flags, evt.is_open_read, fd.typechar...). scap never stores Linux values for these:
// O_WRONLY is PPM_O_WRONLY (1 << 1), not 01; clone flags, socket families, modes and ptrace
// requests have their own numbering too. Written from the Linux UAPI headers (values per arch where
// they differ), with libs' driver/ppm_flag_helpers.h as the reference for which bits map where.
//
// Deliberate differences from the kernel drivers (which test `flags & O_TMPFILE` and `flags &
// O_SYNC`, multi-bit masks, so O_DIRECTORY alone reads as O_TMPFILE and O_DSYNC alone as O_SYNC):
// here a multi-bit flag is reported only when all its bits are set. No default rule reads either
// flag.
#ifndef KILT_CAPTURE_SCAP_FLAGS_H_
#define KILT_CAPTURE_SCAP_FLAGS_H_

#include <cstdint>

namespace kilt::scap {

// open/openat/openat2 `flags` (O_*, as passed to the syscall) -> PPM_O_*.
uint32_t OpenFlagsToScap(uint64_t linux_flags);
// The `mode` of open-family events: the permission bits as PPM_S_*, but only when the call can
// create a file (O_CREAT or O_TMPFILE), as the drivers do; 0 otherwise.
uint32_t OpenModeToScap(uint64_t linux_flags, uint32_t linux_mode);
// chmod/fchmod/fchmodat/mkdir modes (S_I* permission and set-id bits) -> PPM_S_*.
uint32_t ModeToScap(uint32_t linux_mode);
// openat2's `how.resolve` (RESOLVE_*) -> PPM_RESOLVE_*.
uint32_t ResolveFlagsToScap(uint64_t linux_resolve);
// clone/clone3/unshare/setns flags (CLONE_*) -> PPM_CL_*.
uint32_t CloneFlagsToScap(uint64_t linux_flags);
// Address family (AF_*) -> PPM_AF_*; unknown families become PPM_AF_UNSPEC as in the drivers.
uint8_t SocketFamilyToScap(int linux_family);
// SOCK_NONBLOCK / SOCK_CLOEXEC bits of socket()'s type or accept4()'s flags ->
// PPM_O_NONBLOCK/CLOEXEC.
uint32_t SocketFlagsToScap(int64_t linux_flags);
// dup3 / pipe2 flags (O_CLOEXEC, and for pipe2 O_NONBLOCK, O_DIRECT) -> PPM_O_*.
uint32_t Dup3FlagsToScap(int64_t linux_flags);
uint32_t Pipe2FlagsToScap(int64_t linux_flags);
// fcntl command (F_*) -> PPM_FCNTL_* (PPM_FCNTL_UNKNOWN for others).
uint8_t FcntlCmdToScap(int linux_cmd);
// ptrace request (PTRACE_*) -> PPM_PTRACE_* (PPM_PTRACE_UNKNOWN for others).
uint16_t PtraceRequestToScap(int64_t linux_request);
// mount flags (MS_*): scap uses the Linux bits; the obsolete MS_MGC_VAL magic in the top 16 bits is
// dropped, as the kernel ignores it.
uint32_t MountFlagsToScap(uint64_t linux_flags);
// umount2 (MNT_*, UMOUNT_NOFOLLOW), unlinkat (AT_REMOVEDIR), linkat (AT_SYMLINK_FOLLOW,
// AT_EMPTY_PATH), renameat2 (RENAME_*), memfd_create (MFD_*), finit_module (MODULE_INIT_*).
uint32_t Umount2FlagsToScap(int64_t linux_flags);
uint32_t UnlinkatFlagsToScap(int64_t linux_flags);
uint32_t LinkatFlagsToScap(int64_t linux_flags);
uint32_t Renameat2FlagsToScap(uint64_t linux_flags);
uint32_t MemfdFlagsToScap(uint64_t linux_flags);
uint32_t FinitModuleFlagsToScap(int64_t linux_flags);
// Capability sets (CapInh/CapPrm/CapEff of /proc/PID/status): scap's PPM_CAP_* bits are the Linux
// capability numbers, so this only drops bits scap does not know.
uint64_t CapabilitiesToScap(uint64_t linux_caps);

}  // namespace kilt::scap

#endif  // KILT_CAPTURE_SCAP_FLAGS_H_
