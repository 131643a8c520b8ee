// kilt-attack: the few attack steps of tests/falco/task.sh that busybox cannot do, as one static program run
// inside the traced app (each step is what a default Falco rule looks for; docs/falco.md has the table).
// It is a multi-call program: the name it is run as chooses the step (the rules look at proc.name), and as
// kilt-attack the first argument does.
//
//   kilt-attack mark LABEL          prints "kilt-scenario LABEL <CLOCK_REALTIME ns>": scenario boundaries
//   kilt-attack flood N             opens and closes /etc/hostname N times (2 events each: bench/falco.sh)
//   kilt-attack traverse PATH       a child (so the parent is not a shell) opens PATH for reading
//   kilt-attack packet              socket(AF_PACKET)
//   kilt-attack redirect            connects a TCP socket to a loopback listener and dup2s it onto stdout
//   kilt-attack ptrace-attach       PTRACE_ATTACH and PTRACE_SEIZE on a child (refused: it has a tracer)
//   kilt-attack traceme             PTRACE_TRACEME (refused under the capture, still seen)
//   kilt-attack memfd PROG ARG...   copies PROG into a memfd and executes it from there
//   nginx                           (a web server) runs a shell: sh -c "echo ..."
//   httpd SECONDS                   (a web server, no longer new) reads /etc/shadow after SECONDS
//   sshd                            (an SSH daemon) runs a shell as user nobody (65534)
//   ssh ADDR PORT                   (an SSH client) connects to ADDR:PORT
//
// Exit status: 0 when the step was attempted (a refused syscall is part of the scenario), 2 usage, 1 when
// the step could not even be attempted.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef AF_PACKET
#define AF_PACKET 17
#endif

static int fail(const char* what) {
  fprintf(stderr, "kilt-attack: %s: %s\n", what, strerror(errno));
  return 1;
}

static int mark(const char* label) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  printf("kilt-scenario %s %lld%09ld\n", label, (long long)ts.tv_sec, ts.tv_nsec);
  fflush(stdout);
  return 0;
}

static int flood(long n) {
  for (long i = 0; i < n; i++) {
    int fd = open("/etc/hostname", O_RDONLY);
    if (fd < 0) return fail("/etc/hostname");
    close(fd);
  }
  return 0;
}

static int wait_child(pid_t pid) {
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return fail("waitpid");
  return 0;
}

// The rule ignores reads whose parent is a shell: read from a child of this program.
static int traverse(const char* path) {
  pid_t pid = fork();
  if (pid < 0) return fail("fork");
  if (pid == 0) {
    int fd = open(path, O_RDONLY);
    _exit(fd < 0 ? 1 : 0);
  }
  return wait_child(pid);
}

static int packet(void) {
  int fd = socket(AF_PACKET, SOCK_RAW, htons(3 /* ETH_P_ALL */));
  if (fd >= 0) close(fd);
  return 0;
}

static int redirect(void) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  int l = socket(AF_INET, SOCK_STREAM, 0);
  if (l < 0 || bind(l, (struct sockaddr*)&a, sizeof a) < 0 || listen(l, 1) < 0 ||
      getsockname(l, (struct sockaddr*)&a, &len) < 0)
    return fail("listen on 127.0.0.1");
  int s = socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0 || connect(s, (struct sockaddr*)&a, sizeof a) < 0) return fail("connect");
  fflush(stdout);
  int saved = dup(1);
  if (saved < 0 || dup2(s, 1) < 0) return fail("dup2");
  if (dup2(saved, 1) < 0) return fail("dup2 back");
  close(saved);
  close(s);
  close(l);
  return 0;
}

static int ptrace_attach(void) {
  pid_t pid = fork();
  if (pid < 0) return fail("fork");
  if (pid == 0) {
    pause();
    _exit(0);
  }
  ptrace(PTRACE_ATTACH, pid, 0, 0);
  ptrace(PTRACE_SEIZE, pid, 0, 0);
  kill(pid, SIGKILL);
  return wait_child(pid);
}

static int traceme(void) {
  ptrace(PTRACE_TRACEME, 0, 0, 0);
  return 0;
}

static int memfd_exec(char** argv) {
  int in = open(argv[0], O_RDONLY | O_CLOEXEC);
  if (in < 0) return fail(argv[0]);
  int fd = memfd_create("kilt-memfd", 0);
  if (fd < 0) return fail("memfd_create");
  char buf[65536];
  ssize_t n;
  while ((n = read(in, buf, sizeof buf)) > 0)
    if (write(fd, buf, (size_t)n) != n) return fail("write to the memfd");
  close(in);
  extern char** environ;
  fexecve(fd, argv, environ);
  return fail("fexecve");
}

static int spawn_shell(const char* cmd, int uid) {
  pid_t pid = fork();
  if (pid < 0) return fail("fork");
  if (pid == 0) {
    if (uid >= 0 && (setgid((gid_t)uid) < 0 || setuid((uid_t)uid) < 0)) _exit(fail("setuid"));
    execl("/bin/sh", "sh", "-c", cmd, (char*)0);
    _exit(fail("exec /bin/sh"));
  }
  return wait_child(pid);
}

static int read_shadow_later(const char* seconds) {
  struct timespec d = {.tv_sec = atoi(seconds), .tv_nsec = 200 * 1000 * 1000};
  while (nanosleep(&d, &d) < 0 && errno == EINTR) {
  }
  int fd = open("/etc/shadow", O_RDONLY);
  if (fd < 0) return fail("/etc/shadow");
  close(fd);
  return 0;
}

static int ssh_connect(const char* addr, const char* port) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(port))};
  if (inet_pton(AF_INET, addr, &a.sin_addr) != 1) return 2;
  int s = socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0) return fail("socket");
  if (connect(s, (struct sockaddr*)&a, sizeof a) < 0) return fail("connect");
  close(s);
  return 0;
}

int main(int argc, char** argv) {
  const char* name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
  if (strcmp(name, "nginx") == 0) return spawn_shell("echo nginx runs a shell", -1);
  if (strcmp(name, "sshd") == 0) return spawn_shell("true", 65534);
  if (strcmp(name, "httpd") == 0 && argc == 2) return read_shadow_later(argv[1]);
  if (strcmp(name, "ssh") == 0 && argc == 3) return ssh_connect(argv[1], argv[2]);
  if (argc >= 2) {
    const char* step = argv[1];
    if (strcmp(step, "mark") == 0 && argc == 3) return mark(argv[2]);
    if (strcmp(step, "flood") == 0 && argc == 3) return flood(atol(argv[2]));
    if (strcmp(step, "traverse") == 0 && argc == 3) return traverse(argv[2]);
    if (strcmp(step, "packet") == 0) return packet();
    if (strcmp(step, "redirect") == 0) return redirect();
    if (strcmp(step, "ptrace-attach") == 0) return ptrace_attach();
    if (strcmp(step, "traceme") == 0) return traceme();
    if (strcmp(step, "memfd") == 0 && argc >= 3) return memfd_exec(argv + 2);
  }
  fprintf(stderr, "usage: see tests/falco/attacks.c\n");
  return 2;
}
