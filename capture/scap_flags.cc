#include "capture/scap_flags.h"

#include <cstddef>

#include "capture/scap_event_table.h"

namespace kilt::scap {
namespace {

// Linux UAPI values, spelled out here instead of taken from <fcntl.h> & co: the tracer sees raw
// register values, and libc headers disagree with the kernel on some (glibc's x86_64 O_LARGEFILE is
// 0). asm-generic/fcntl.h, with arm64's own O_DIRECTORY/O_NOFOLLOW/O_DIRECT/O_LARGEFILE.
constexpr uint64_t kO_WRONLY = 01, kO_RDWR = 02, kO_ACCMODE = 03;
constexpr uint64_t kO_CREAT = 0100, kO_EXCL = 0200, kO_TRUNC = 01000, kO_APPEND = 02000;
constexpr uint64_t kO_NONBLOCK = 04000, kO_DSYNC = 010000, kO_CLOEXEC = 02000000;
constexpr uint64_t kO_SYNC = 04000000 | kO_DSYNC;
#if defined(__aarch64__)
constexpr uint64_t kO_DIRECTORY = 040000, kO_DIRECT = 0200000, kO_LARGEFILE = 0400000;
#elif defined(__x86_64__)
constexpr uint64_t kO_DIRECTORY = 0200000, kO_DIRECT = 040000, kO_LARGEFILE = 0100000;
#else
#error "capture: add this architecture's O_DIRECTORY/O_DIRECT/O_LARGEFILE (asm/fcntl.h)"
#endif
constexpr uint64_t kO_TMPFILE = 020000000 | kO_DIRECTORY;

struct BitMap {
  uint64_t linux_bits;
  uint32_t scap_bits;
};

// A flag counts only when all of its Linux bits are set (see the header about multi-bit flags).
template <size_t N>
uint32_t MapBits(uint64_t value, const BitMap (&map)[N]) {
  uint32_t out = 0;
  for (const BitMap& m : map) {
    if ((value & m.linux_bits) == m.linux_bits) out |= m.scap_bits;
  }
  return out;
}

constexpr BitMap kOpenFlags[] = {
    {kO_CREAT, PPM_O_CREAT},         {kO_EXCL, PPM_O_EXCL},         {kO_TRUNC, PPM_O_TRUNC},
    {kO_APPEND, PPM_O_APPEND},       {kO_NONBLOCK, PPM_O_NONBLOCK}, {kO_DSYNC, PPM_O_DSYNC},
    {kO_SYNC, PPM_O_SYNC},           {kO_DIRECT, PPM_O_DIRECT},     {kO_DIRECTORY, PPM_O_DIRECTORY},
    {kO_LARGEFILE, PPM_O_LARGEFILE}, {kO_CLOEXEC, PPM_O_CLOEXEC},   {kO_TMPFILE, PPM_O_TMPFILE},
};

// sys/stat.h permission and set-id bits.
constexpr BitMap kModeBits[] = {
    {04000, PPM_S_ISUID}, {02000, PPM_S_ISGID}, {01000, PPM_S_ISVTX}, {0400, PPM_S_IRUSR},
    {0200, PPM_S_IWUSR},  {0100, PPM_S_IXUSR},  {040, PPM_S_IRGRP},   {020, PPM_S_IWGRP},
    {010, PPM_S_IXGRP},   {04, PPM_S_IROTH},    {02, PPM_S_IWOTH},    {01, PPM_S_IXOTH},
};

// linux/openat2.h.
constexpr BitMap kResolveFlags[] = {
    {0x01, PPM_RESOLVE_NO_XDEV}, {0x02, PPM_RESOLVE_NO_MAGICLINKS}, {0x04, PPM_RESOLVE_NO_SYMLINKS},
    {0x08, PPM_RESOLVE_BENEATH}, {0x10, PPM_RESOLVE_IN_ROOT},       {0x20, PPM_RESOLVE_CACHED},
};

// linux/sched.h.
constexpr BitMap kCloneFlags[] = {
    {0x00000100, PPM_CL_CLONE_VM},
    {0x00000200, PPM_CL_CLONE_FS},
    {0x00000400, PPM_CL_CLONE_FILES},
    {0x00000800, PPM_CL_CLONE_SIGHAND},
    {0x00002000, PPM_CL_CLONE_PTRACE},
    {0x00004000, PPM_CL_CLONE_VFORK},
    {0x00008000, PPM_CL_CLONE_PARENT},
    {0x00010000, PPM_CL_CLONE_THREAD},
    {0x00020000, PPM_CL_CLONE_NEWNS},
    {0x00040000, PPM_CL_CLONE_SYSVSEM},
    {0x00080000, PPM_CL_CLONE_SETTLS},
    {0x00100000, PPM_CL_CLONE_PARENT_SETTID},
    {0x00200000, PPM_CL_CLONE_CHILD_CLEARTID},
    {0x00800000, PPM_CL_CLONE_UNTRACED},
    {0x01000000, PPM_CL_CLONE_CHILD_SETTID},
    {0x02000000, PPM_CL_CLONE_NEWCGROUP},
    {0x04000000, PPM_CL_CLONE_NEWUTS},
    {0x08000000, PPM_CL_CLONE_NEWIPC},
    {0x10000000, PPM_CL_CLONE_NEWUSER},
    {0x20000000, PPM_CL_CLONE_NEWPID},
    {0x40000000, PPM_CL_CLONE_NEWNET},
    {0x80000000, PPM_CL_CLONE_IO},
};

constexpr BitMap kSocketFlags[] = {{kO_NONBLOCK, PPM_O_NONBLOCK}, {kO_CLOEXEC, PPM_O_CLOEXEC}};
constexpr BitMap kPipe2Flags[] = {
    {kO_CLOEXEC, PPM_O_CLOEXEC}, {kO_DIRECT, PPM_O_DIRECT}, {kO_NONBLOCK, PPM_O_NONBLOCK}};
constexpr BitMap kUmount2Flags[] = {
    {1, PPM_MNT_FORCE}, {2, PPM_MNT_DETACH}, {4, PPM_MNT_EXPIRE}, {8, PPM_UMOUNT_NOFOLLOW}};
constexpr BitMap kLinkatFlags[] = {{0x400, PPM_AT_SYMLINK_FOLLOW}, {0x1000, PPM_AT_EMPTY_PATH}};
constexpr BitMap kRenameat2Flags[] = {
    {1, PPM_RENAME_NOREPLACE}, {2, PPM_RENAME_EXCHANGE}, {4, PPM_RENAME_WHITEOUT}};
constexpr BitMap kMemfdFlags[] = {
    {1, PPM_MFD_CLOEXEC}, {2, PPM_MFD_ALLOW_SEALING}, {4, PPM_MFD_HUGETLB}};
constexpr BitMap kFinitModuleFlags[] = {{1, PPM_MODULE_INIT_IGNORE_MODVERSIONS},
                                        {2, PPM_MODULE_INIT_IGNORE_VERMAGIC},
                                        {4, PPM_MODULE_INIT_COMPRESSED_FILE}};

struct ValueMap {
  int64_t linux_value;
  uint32_t scap_value;
};

template <size_t N>
uint32_t MapValue(int64_t value, const ValueMap (&map)[N], uint32_t unknown) {
  for (const ValueMap& m : map) {
    if (m.linux_value == value) return m.scap_value;
  }
  return unknown;
}

// asm-generic/fcntl.h + linux/fcntl.h (F_LINUX_SPECIFIC_BASE = 1024); the same on x86_64 and arm64.
constexpr ValueMap kFcntlCmds[] = {
    {0, PPM_FCNTL_F_DUPFD},         {1, PPM_FCNTL_F_GETFD},
    {2, PPM_FCNTL_F_SETFD},         {3, PPM_FCNTL_F_GETFL},
    {4, PPM_FCNTL_F_SETFL},         {5, PPM_FCNTL_F_GETLK},
    {6, PPM_FCNTL_F_SETLK},         {7, PPM_FCNTL_F_SETLKW},
    {8, PPM_FCNTL_F_SETOWN},        {9, PPM_FCNTL_F_GETOWN},
    {10, PPM_FCNTL_F_SETSIG},       {11, PPM_FCNTL_F_GETSIG},
    {15, PPM_FCNTL_F_SETOWN_EX},    {16, PPM_FCNTL_F_GETOWN_EX},
    {36, PPM_FCNTL_F_OFD_GETLK},    {37, PPM_FCNTL_F_OFD_SETLK},
    {38, PPM_FCNTL_F_OFD_SETLKW},   {1024, PPM_FCNTL_F_SETLEASE},
    {1025, PPM_FCNTL_F_GETLEASE},   {1026, PPM_FCNTL_F_NOTIFY},
    {1029, PPM_FCNTL_F_CANCELLK},   {1030, PPM_FCNTL_F_DUPFD_CLOEXEC},
    {1031, PPM_FCNTL_F_SETPIPE_SZ}, {1032, PPM_FCNTL_F_GETPIPE_SZ},
};

// linux/ptrace.h, plus the arch-specific requests of asm/ptrace(-abi).h.
constexpr ValueMap kPtraceRequests[] = {
    {0, PPM_PTRACE_TRACEME},
    {1, PPM_PTRACE_PEEKTEXT},
    {2, PPM_PTRACE_PEEKDATA},
    {3, PPM_PTRACE_PEEKUSR},
    {4, PPM_PTRACE_POKETEXT},
    {5, PPM_PTRACE_POKEDATA},
    {6, PPM_PTRACE_POKEUSR},
    {7, PPM_PTRACE_CONT},
    {8, PPM_PTRACE_KILL},
    {9, PPM_PTRACE_SINGLESTEP},
    {16, PPM_PTRACE_ATTACH},
    {17, PPM_PTRACE_DETACH},
    {24, PPM_PTRACE_SYSCALL},
    {0x4200, PPM_PTRACE_SETOPTIONS},
    {0x4201, PPM_PTRACE_GETEVENTMSG},
    {0x4202, PPM_PTRACE_GETSIGINFO},
    {0x4203, PPM_PTRACE_SETSIGINFO},
    {0x4204, PPM_PTRACE_GETREGSET},
    {0x4205, PPM_PTRACE_SETREGSET},
    {0x4206, PPM_PTRACE_SEIZE},
    {0x4207, PPM_PTRACE_INTERRUPT},
    {0x4208, PPM_PTRACE_LISTEN},
    {0x4209, PPM_PTRACE_PEEKSIGINFO},
    {0x420a, PPM_PTRACE_GETSIGMASK},
    {0x420b, PPM_PTRACE_SETSIGMASK},
#if defined(__x86_64__)
    {12, PPM_PTRACE_GETREGS},
    {13, PPM_PTRACE_SETREGS},
    {14, PPM_PTRACE_GETFPREGS},
    {15, PPM_PTRACE_SETFPREGS},
    {18, PPM_PTRACE_GETFPXREGS},
    {19, PPM_PTRACE_SETFPXREGS},
    {21, PPM_PTRACE_OLDSETOPTIONS},
    {25, PPM_PTRACE_GET_THREAD_AREA},
    {26, PPM_PTRACE_SET_THREAD_AREA},
    {30, PPM_PTRACE_ARCH_PRCTL},
    {31, PPM_PTRACE_SYSEMU},
    {32, PPM_PTRACE_SYSEMU_SINGLESTEP},
    {33, PPM_PTRACE_SINGLEBLOCK},
#elif defined(__aarch64__)
    {31, PPM_PTRACE_SYSEMU},
    {32, PPM_PTRACE_SYSEMU_SINGLESTEP},
#endif
};

}  // namespace

uint32_t OpenFlagsToScap(uint64_t linux_flags) {
  uint32_t out;
  switch (linux_flags & kO_ACCMODE) {
    case kO_WRONLY:
      out = PPM_O_WRONLY;
      break;
    case kO_RDWR:
      out = PPM_O_RDWR;
      break;
    default:  // O_RDONLY, and the invalid 3, which the drivers also report as read-only
      out = PPM_O_RDONLY;
  }
  return out | MapBits(linux_flags, kOpenFlags);
}

uint32_t OpenModeToScap(uint64_t linux_flags, uint32_t linux_mode) {
  if ((linux_flags & kO_CREAT) == 0 && (linux_flags & kO_TMPFILE) != kO_TMPFILE) return 0;
  return ModeToScap(linux_mode);
}

uint32_t ModeToScap(uint32_t linux_mode) { return MapBits(linux_mode, kModeBits); }
uint32_t ResolveFlagsToScap(uint64_t linux_resolve) {
  return MapBits(linux_resolve, kResolveFlags);
}
uint32_t CloneFlagsToScap(uint64_t linux_flags) { return MapBits(linux_flags, kCloneFlags); }

uint8_t SocketFamilyToScap(int linux_family) {
  // PPM_AF_* are the Linux numbers for every family scap knows; it lacks AF_IB (27) and AF_MPLS
  // (28) and everything after AF_NFC (39).
  if (linux_family < 0 || linux_family > static_cast<int>(PPM_AF_NFC) || linux_family == 27 ||
      linux_family == 28) {
    return PPM_AF_UNSPEC;
  }
  return static_cast<uint8_t>(linux_family);
}

uint32_t SocketFlagsToScap(int64_t linux_flags) {
  return linux_flags < 0 ? 0 : MapBits(static_cast<uint64_t>(linux_flags), kSocketFlags);
}
uint32_t Dup3FlagsToScap(int64_t linux_flags) {
  return linux_flags < 0 || (linux_flags & kO_CLOEXEC) == 0 ? 0 : PPM_O_CLOEXEC;
}
uint32_t Pipe2FlagsToScap(int64_t linux_flags) {
  return linux_flags < 0 ? 0 : MapBits(static_cast<uint64_t>(linux_flags), kPipe2Flags);
}

uint8_t FcntlCmdToScap(int linux_cmd) {
  return static_cast<uint8_t>(MapValue(linux_cmd, kFcntlCmds, PPM_FCNTL_UNKNOWN));
}
uint16_t PtraceRequestToScap(int64_t linux_request) {
  return static_cast<uint16_t>(MapValue(linux_request, kPtraceRequests, PPM_PTRACE_UNKNOWN));
}

uint32_t MountFlagsToScap(uint64_t linux_flags) {
  constexpr uint64_t kMagicMask = 0xffff0000, kMagic = 0xC0ED0000;
  if ((linux_flags & kMagicMask) == kMagic) linux_flags &= ~kMagicMask;
  return static_cast<uint32_t>(linux_flags);
}

uint32_t Umount2FlagsToScap(int64_t f) {
  return f < 0 ? 0 : MapBits(static_cast<uint64_t>(f), kUmount2Flags);
}
uint32_t UnlinkatFlagsToScap(int64_t f) { return f >= 0 && (f & 0x200) ? PPM_AT_REMOVEDIR : 0; }
uint32_t LinkatFlagsToScap(int64_t f) {
  return f < 0 ? 0 : MapBits(static_cast<uint64_t>(f), kLinkatFlags);
}
uint32_t Renameat2FlagsToScap(uint64_t f) { return MapBits(f, kRenameat2Flags); }
uint32_t MemfdFlagsToScap(uint64_t f) { return MapBits(f, kMemfdFlags); }
uint32_t FinitModuleFlagsToScap(int64_t f) {
  return f < 0 ? 0 : MapBits(static_cast<uint64_t>(f), kFinitModuleFlags);
}

uint64_t CapabilitiesToScap(uint64_t linux_caps) {
  constexpr uint64_t kKnown = (PPM_CAP_CHECKPOINT_RESTORE << 1) - 1;
  return linux_caps & kKnown;
}

}  // namespace kilt::scap
