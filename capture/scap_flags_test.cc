// The conversions checked against the host libc's own constants (x86_64 here; the arm64 values of
// the four arch-specific O_* flags are checked by the aarch64 build's static assertions... not
// possible without running: they follow asm/fcntl.h of arm64, see scap_flags.cc) and literal PPM_*
// values.
#include "capture/scap_flags.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>

using namespace kilt::scap;  // NOLINT

TEST_CASE("open flags: access mode and each flag") {
  CHECK(OpenFlagsToScap(O_RDONLY) == 1);
  CHECK(OpenFlagsToScap(O_WRONLY) == 2);
  CHECK(OpenFlagsToScap(O_RDWR) == 3);
  CHECK(OpenFlagsToScap(O_RDONLY | O_CREAT) == (1 | 4));
  CHECK(OpenFlagsToScap(O_APPEND) == (1 | 8));
  CHECK(OpenFlagsToScap(O_DSYNC) == (1 | 16));
  CHECK(OpenFlagsToScap(O_EXCL) == (1 | 32));
  CHECK(OpenFlagsToScap(O_NONBLOCK) == (1 | 64));
  CHECK(OpenFlagsToScap(O_SYNC) == (1 | 16 | 128));  // O_SYNC includes O_DSYNC's bit
  CHECK(OpenFlagsToScap(O_TRUNC) == (1 | 256));
  CHECK(OpenFlagsToScap(O_DIRECT) == (1 | 512));
  CHECK(OpenFlagsToScap(O_DIRECTORY) == (1 | 1024));  // not O_TMPFILE, unlike the drivers
  CHECK(OpenFlagsToScap(0100000 /* kernel O_LARGEFILE on x86_64 */) == (1 | 2048));
  CHECK(OpenFlagsToScap(O_CLOEXEC) == (1 | 4096));
  CHECK(OpenFlagsToScap(O_TMPFILE | O_RDWR) == (3 | 1024 | 8192));
  CHECK(OpenFlagsToScap(O_PATH) == 1);
}

TEST_CASE("modes: only when creating") {
  CHECK(OpenModeToScap(O_RDONLY, 0644) == 0);
  CHECK(OpenModeToScap(O_CREAT, 0644) == (256 | 128 | 32 | 4));
  CHECK(OpenModeToScap(O_TMPFILE, 0600) == (256 | 128));
  CHECK(ModeToScap(S_ISUID | S_ISGID | S_ISVTX | 0777) == 07777);
}

TEST_CASE("clone flags") {
  CHECK(CloneFlagsToScap(CLONE_FILES) == 1);
  CHECK(CloneFlagsToScap(CLONE_FS) == 2);
  CHECK(CloneFlagsToScap(CLONE_IO) == 4);
  CHECK(CloneFlagsToScap(CLONE_NEWIPC) == 8);
  CHECK(CloneFlagsToScap(CLONE_NEWNET) == 16);
  CHECK(CloneFlagsToScap(CLONE_NEWNS) == 32);
  CHECK(CloneFlagsToScap(CLONE_NEWPID) == 64);
  CHECK(CloneFlagsToScap(CLONE_NEWUTS) == 128);
  CHECK(CloneFlagsToScap(CLONE_PARENT) == 256);
  CHECK(CloneFlagsToScap(CLONE_PARENT_SETTID) == 512);
  CHECK(CloneFlagsToScap(CLONE_PTRACE) == 1024);
  CHECK(CloneFlagsToScap(CLONE_SIGHAND) == 2048);
  CHECK(CloneFlagsToScap(CLONE_SYSVSEM) == 4096);
  CHECK(CloneFlagsToScap(CLONE_THREAD) == 8192);
  CHECK(CloneFlagsToScap(CLONE_UNTRACED) == 16384);
  CHECK(CloneFlagsToScap(CLONE_VM) == 32768);
  CHECK(CloneFlagsToScap(CLONE_NEWUSER) == (1u << 20));
  CHECK(CloneFlagsToScap(CLONE_CHILD_CLEARTID) == (1u << 23));
  CHECK(CloneFlagsToScap(CLONE_CHILD_SETTID) == (1u << 24));
  CHECK(CloneFlagsToScap(CLONE_SETTLS) == (1u << 25));
  CHECK(CloneFlagsToScap(CLONE_VFORK) == (1u << 27));
  CHECK(CloneFlagsToScap(CLONE_NEWCGROUP) == (1u << 28));
  CHECK(CloneFlagsToScap(SIGCHLD) == 0);
}

TEST_CASE("socket families, flags, resolve") {
  CHECK(SocketFamilyToScap(AF_INET) == 2);
  CHECK(SocketFamilyToScap(AF_INET6) == 10);
  CHECK(SocketFamilyToScap(AF_UNIX) == 1);
  CHECK(SocketFamilyToScap(AF_PACKET) == 17);
  CHECK(SocketFamilyToScap(AF_NETLINK) == 16);
  CHECK(SocketFamilyToScap(AF_MPLS) == 0);
  CHECK(SocketFamilyToScap(200) == 0);
  CHECK(SocketFlagsToScap(SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC) == (64 | 4096));
  CHECK(Dup3FlagsToScap(O_CLOEXEC) == 4096);
  CHECK(Pipe2FlagsToScap(O_DIRECT | O_NONBLOCK) == (512 | 64));
  CHECK(Pipe2FlagsToScap(-1) == 0);
  CHECK(ResolveFlagsToScap(RESOLVE_NO_XDEV | RESOLVE_CACHED) == (16 | 32));
  CHECK(ResolveFlagsToScap(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) == (2 | 4));
}

TEST_CASE("fcntl and ptrace numbering") {
  CHECK(FcntlCmdToScap(F_DUPFD) == 1);
  CHECK(FcntlCmdToScap(F_SETFL) == 5);
  CHECK(FcntlCmdToScap(F_SETLK) == 8);
  CHECK(FcntlCmdToScap(F_GETOWN) == 12);
  CHECK(FcntlCmdToScap(F_DUPFD_CLOEXEC) == 26);
  CHECK(FcntlCmdToScap(F_OFD_SETLKW) == 32);
  CHECK(FcntlCmdToScap(F_GETPIPE_SZ) == 29);
  CHECK(PtraceRequestToScap(PTRACE_TRACEME) == 1);
  CHECK(PtraceRequestToScap(PTRACE_ATTACH) == 11);
  CHECK(PtraceRequestToScap(PTRACE_SEIZE) == 20);
  CHECK(PtraceRequestToScap(PTRACE_POKETEXT) == 5);
  CHECK(PtraceRequestToScap(PTRACE_GETREGS) == 26);
  CHECK(PtraceRequestToScap(PTRACE_ARCH_PRCTL) == 35);
  CHECK(PtraceRequestToScap(PTRACE_SINGLEBLOCK) == 38);
  CHECK(PtraceRequestToScap(PTRACE_GETSIGMASK) == 24);
  CHECK(PtraceRequestToScap(0x4300) == 0);
}

TEST_CASE("mount, umount2, at-flags, rename, memfd, caps") {
  CHECK(MountFlagsToScap(MS_MGC_VAL | MS_NOSUID | MS_REMOUNT) == (2 | 32));
  CHECK(MountFlagsToScap(MS_BIND | MS_REC) == (4096 | 16384));
  CHECK(Umount2FlagsToScap(MNT_FORCE | UMOUNT_NOFOLLOW) == (1 | 8));
  CHECK(UnlinkatFlagsToScap(AT_REMOVEDIR) == 0x200);
  CHECK(LinkatFlagsToScap(AT_EMPTY_PATH) == 0x1000);
  CHECK(Renameat2FlagsToScap(RENAME_NOREPLACE | RENAME_WHITEOUT) == (1 | 4));
  CHECK(MemfdFlagsToScap(MFD_CLOEXEC | MFD_HUGETLB) == (1 | 4));
  CHECK(CapabilitiesToScap(~0ull) == ((1ull << 41) - 1));
}
