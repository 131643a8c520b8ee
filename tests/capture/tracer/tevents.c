/* tevents — a test program that makes one of each syscall the capture turns into an event, with
 * recognisable arguments, so the suite can check the event and its parameters.
 *
 *   tevents DIR
 *
 * Works in DIR (created files are named there). Every call's outcome is irrelevant (some fail on
 * purpose: their failed result must be captured as well); it prints nothing and exits 0. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static char path[4096];
static const char* at(const char* dir, const char* name) {
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return path;
}

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const char* d = argv[1];
  if (chdir(d) != 0) return 1;
  /* open family (libc's open() is the openat syscall: the legacy ones by number where they exist) */
#ifdef SYS_open
  close((int)syscall(SYS_open, "open-syscall-file", O_RDONLY | O_CREAT, 0600));
#endif
  int fd = open("open-file", O_WRONLY | O_CREAT | O_TRUNC, 0640);
  close(fd);
  fd = openat(AT_FDCWD, "openat-file", O_RDWR | O_CREAT, 0600);
  close(fd);
  struct open_how how = {.flags = O_RDONLY, .mode = 0, .resolve = RESOLVE_NO_SYMLINKS};
  fd = (int)syscall(SYS_openat2, AT_FDCWD, "openat-file", &how, sizeof how);
  close(fd);
  fd = creat("creat-file", 0644);
  close(fd);
  open("/nonexistent/kilt-missing", O_RDONLY); /* fails: ENOENT */
  /* sockets: a listener, a connection to it, accept */
  int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(l, (struct sockaddr*)&sa, sizeof sa);
  listen(l, 7);
  socklen_t sl = sizeof sa;
  getsockname(l, (struct sockaddr*)&sa, &sl);
  int c = socket(AF_INET, SOCK_STREAM, 0);
  connect(c, (struct sockaddr*)&sa, sizeof sa);
  struct sockaddr_in peer;
  socklen_t pl = sizeof peer;
  int a = accept4(l, (struct sockaddr*)&peer, &pl, SOCK_NONBLOCK);
  /* a socket onto stdout (dup2) and dup/dup3 */
  int saved = dup(1);
  dup2(c, 1);
  dup3(saved, 1, O_CLOEXEC);
  close(saved);
  close(a);
  close(c);
  close(l);
  int u = socket(AF_UNIX, SOCK_STREAM, 0); /* not traced: AF_UNIX */
  close(u);
  int p = socket(AF_PACKET, SOCK_RAW, 0); /* AF_PACKET: the rule's */
  if (p >= 0) close(p);
  /* links and names */
  symlink("/etc/passwd", "symlink-to-passwd");
  symlinkat("/etc/shadow", AT_FDCWD, "symlinkat-to-shadow");
  link("open-file", "hardlink");
  linkat(AT_FDCWD, "openat-file", AT_FDCWD, "hardlinkat", 0);
  rename("hardlink", "renamed");
  renameat(AT_FDCWD, "renamed", AT_FDCWD, "renamedat");
  syscall(SYS_renameat2, AT_FDCWD, "renamedat", AT_FDCWD, "renamedat2", 1 /* RENAME_NOREPLACE */);
  unlink("renamedat2");
  unlinkat(AT_FDCWD, "hardlinkat", 0);
  /* modes */
  chmod("open-file", 04755);
  fd = open("open-file", O_RDONLY);
  fchmod(fd, 0700);
  fchmodat(AT_FDCWD, "creat-file", 0600, 0);
  /* credentials (to what they are: succeed without changing anything) */
  setuid(getuid());
  setgid(getgid());
  setreuid((uid_t)-1, (uid_t)-1);
  setregid((gid_t)-1, (gid_t)-1);
  setresuid((uid_t)-1, (uid_t)-1, (uid_t)-1);
  setresgid((gid_t)-1, (gid_t)-1, (gid_t)-1);
  /* cwd */
  chdir("/tmp");
  int dfd = open(d, O_RDONLY | O_DIRECTORY);
  fchdir(dfd);
  close(dfd);
  /* memfd, ptrace (EPERM under the tracer), mount (fails: bad source), module (fails) */
  int m = memfd_create("kilt-memfd", MFD_CLOEXEC);
  close(m);
  ptrace(PTRACE_TRACEME, 0, 0, 0);
  mount("/nonexistent-kilt-src", at(d, "mnt"), "none", MS_BIND, NULL);
  syscall(SYS_init_module, NULL, 0, "kilt=1");
  close(fd);
  return 0;
}
