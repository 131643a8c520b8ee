/* pid1.c — see pid1.h. Plain C, libc only (glibc or musl), so kilt-init (C) and kilt-run (C++)
 * share it. */
#include "init/pid1.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

static int fail(kilt_pid1_error* e, const char* call) {
  if (e) {
    e->call = call;
    e->err = errno;
  }
  return -1;
}

/* Fills each closed standard fd with a close-on-exec placeholder (an O_PATH fd of "/": it needs no
 * /dev, which a scratch image may lack). open() returns the lowest free number, so the placeholder lands
 * exactly in the hole; it vanishes at exec, so a child that inherits it sees the fd closed, as given. */
static int reserve_std_fds(void) {
  for (int fd = 0; fd <= 2; fd++) {
    if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF) continue;
    int r = open("/", O_PATH | O_CLOEXEC);
    if (r < 0) return -1;
    if (r != fd) { /* a lower hole was filled meanwhile: cannot happen, but never leak */
      close(r);
      errno = EBADF;
      return -1;
    }
  }
  return 0;
}

int kilt_pid1_setup(kilt_pid1* p, kilt_pid1_error* e) {
  memset(p, 0, sizeof *p);
  p->sigfd = -1;
  if (reserve_std_fds() != 0) return fail(e, "open (placeholder for a closed fd 0-2)");
  /* sigfillset leaves out the signals libc reserves for itself (glibc's SIGCANCEL/SIGSETXID, musl's
   * 32-34). The fault signals are blocked too: a kill -SEGV from outside must be forwarded, not kill
   * us, and a real fault of ours still does, because the kernel unblocks a signal it forces. */
  sigfillset(&p->blocked);
  if (sigprocmask(SIG_SETMASK, &p->blocked, &p->saved_mask) != 0) return fail(e, "sigprocmask");
  p->sigfd = signalfd(-1, &p->blocked, SFD_NONBLOCK | SFD_CLOEXEC);
  if (p->sigfd < 0) {
    int err = errno;
    sigprocmask(SIG_SETMASK, &p->saved_mask, NULL);
    errno = err;
    return fail(e, "signalfd");
  }
  p->is_pid1 = getpid() == 1;
  /* As PID 1 the kernel reparents every orphan of the namespace to us already; otherwise ask for
   * it, or daemons that double-fork would become zombies of whoever runs us (or of the host's
   * init). */
  /* Failure is not fatal (qemu-user, for one, rejects it): the caller sees is_subreaper == 0 and
   * may warn. */
  if (!p->is_pid1) p->is_subreaper = prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0;
  return 0;
}

void kilt_pid1_teardown(kilt_pid1* p) {
  if (p->sigfd >= 0) close(p->sigfd);
  p->sigfd = -1;
  sigprocmask(SIG_SETMASK, &p->saved_mask, NULL);
}

/* ---- spawning
 * ---------------------------------------------------------------------------------------- */

/* What the child reports through the close-on-exec pipe when it cannot exec; nothing arrives on
 * success. */
struct spawn_failure {
  int stage; /* index into kStageNames */
  int err;
};
static const char* const kStageNames[] = {"exec", "setsid", "dup2", "chdir", "before exec", "attach"};
enum { STAGE_EXEC, STAGE_SETSID, STAGE_DUP2, STAGE_CHDIR, STAGE_HOOK, STAGE_ATTACH, STAGE_COUNT };

static ssize_t write_all(int fd, const void* buf, size_t len) {
  const char* b = buf;
  size_t done = 0;
  while (done < len) {
    ssize_t n = write(fd, b + done, len - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    done += (size_t)n;
  }
  return (ssize_t)done;
}

static ssize_t read_full(int fd, void* buf, size_t len) {
  ssize_t n;
  do n = read(fd, buf, len);
  while (n < 0 && errno == EINTR);
  return n;
}

static void __attribute__((noreturn)) child_fail(int report_fd, int stage) {
  struct spawn_failure f = {stage, errno};
  write_all(report_fd, &f, sizeof f);
  _exit(stage == STAGE_EXEC ? kilt_pid1_exec_exit_code(f.err) : 126);
}

/* Moves fd onto target (0, 1 or 2) without close-on-exec. dup2(fd, fd) would keep FD_CLOEXEC, hence
 * the special case. KILT_PID1_FD_NULL opens /dev/null there; if it cannot (no /dev in the image),
 * target is closed, which reads as end-of-file just the same. */
static int move_fd(int fd, int target) {
  if (fd == KILT_PID1_FD_NULL) {
    int n = open("/dev/null", O_RDWR);
    if (n < 0) {
      close(target);
      return 0;
    }
    if (n == target) return 0;
    int r = dup2(n, target);
    close(n);
    return r < 0 ? -1 : 0;
  }
  /* Inherit (0 for stdin included) means untouched: a close-on-exec placeholder there (a standard fd we
   * were started without) must stay close-on-exec, so the child sees the fd closed. */
  if (fd <= 0) return 0;
  if (fd == target) return fcntl(fd, F_SETFD, 0);
  return dup2(fd, target) < 0 ? -1 : 0;
}

/* Lifts fd above `floor` (close-on-exec), so that a later dup2 onto a low number cannot clobber it. */
static int lift_fd(int fd, int floor) {
  if (fd < 0 || fd >= floor) return fd;
  return fcntl(fd, F_DUPFD_CLOEXEC, floor);
}

/* Closes fds first..last (close_range(2); where the kernel lacks it, a bounded loop: fds above 65535
 * then stay open, a documented limit). */
static void close_span(unsigned first, unsigned last) {
  if (first > last) return;
  if (syscall(SYS_close_range, first, last, 0u) == 0) return;
  unsigned end = last < 65535u ? last : 65535u;
  for (unsigned fd = first; fd <= end; fd++) close((int)fd);
}

/* Closes every fd from 3 up except keep1 and keep2 (either may be -1). */
static void close_fds_except(int keep1, int keep2) {
  if (keep1 > keep2) {
    int t = keep1;
    keep1 = keep2;
    keep2 = t;
  }
  unsigned next = 3;
  int keeps[2] = {keep1, keep2};
  for (int i = 0; i < 2; i++) {
    if (keeps[i] < (int)next) continue;
    close_span(next, (unsigned)keeps[i] - 1);
    next = (unsigned)keeps[i] + 1;
  }
  close_span(next, ~0u);
}

/* execvp's PATH search, but the same with glibc and musl: no /bin/sh fallback for ENOEXEC (glibc
 * has one, musl not; the container runtime that would otherwise start the program has none either),
 * and envp passed explicitly. PATH is this process's, as with execvpe. Returns only on failure,
 * with errno set. */
static void exec_path(char* const argv[], char* const envp[]) {
  const char* file = argv[0];
  if (strchr(file, '/')) {
    execve(file, argv, envp);
    return;
  }
  const char* path = getenv("PATH");
  if (!path) path = "/usr/local/bin:/bin:/usr/bin"; /* musl's default; glibc's is a subset */
  size_t flen = strlen(file);
  if (flen == 0 || flen > NAME_MAX) {
    errno = flen ? ENAMETOOLONG : ENOENT;
    return;
  }
  int seen_eacces = 0;
  char buf[PATH_MAX];
  for (const char* dir = path;; dir++) {
    const char* end = strchrnul(dir, ':');
    size_t dlen = (size_t)(end - dir);
    if (dlen + 1 + flen < sizeof buf) {
      memcpy(buf, dir, dlen);
      if (dlen) buf[dlen++] = '/'; /* an empty element is the current directory */
      memcpy(buf + dlen, file, flen + 1);
      execve(buf, argv, envp);
      switch (errno) {
        case EACCES:
          seen_eacces = 1;
          break; /* keep looking, like execvp; report it if nothing else runs */
        case ENOENT:
        case ENOTDIR:
        case ENAMETOOLONG:
        case ELOOP:
        case ESTALE:
        case ENODEV:
        case ETIMEDOUT:
          break;
        default:
          return; /* found but broken (ENOEXEC, ETXTBSY, E2BIG, ...): stop here */
      }
    }
    if (*end == '\0') break;
    dir = end;
  }
  errno = seen_eacces ? EACCES : ENOENT;
}

/* Runs in the forked child: only async-signal-safe calls from here on. */
static void __attribute__((noreturn)) child_exec(const kilt_pid1_spawn_opts* o, int report_fd,
                                                 int sync_fd) {
  /* Keep our own fds clear of 0-2 and of extra_fd_at, which the dup2s below may overwrite (when we
   * were started with closed standard fds, pipe2 hands out the lowest numbers). */
  int floor = o->extra_fd > 0 && o->extra_fd_at >= 3 ? o->extra_fd_at + 1 : 3;
  report_fd = lift_fd(report_fd, floor);
  sync_fd = lift_fd(sync_fd, floor);
  if (report_fd < 0 || (o->hooks && o->hooks->attach && sync_fd < 0)) _exit(126);
  /* Wait until the parent has attached to us (the tracer's PTRACE_SEIZE): nothing of ours may run
   * untraced. EOF is the go; the parent closes its end after attach. */
  if (sync_fd >= 0) {
    char c;
    if (read_full(sync_fd, &c, 1) != 0) _exit(126); /* attach failed: the parent kills us anyway */
    close(sync_fd);
  }
  /* The raw syscall, because libc's sigaction refuses the signals it reserves (32-34), and those
   * can arrive ignored from whoever started us: a program inherits ignored dispositions across
   * exec. A zeroed kernel sigaction (handler, flags, restorer, mask on x86_64 and aarch64) is
   * SIG_DFL. */
  unsigned long dfl[4] = {0, 0, 0, 0};
  for (int sig = 1; sig <= 64; sig++) {
    if (sig != SIGKILL && sig != SIGSTOP) syscall(SYS_rt_sigaction, sig, dfl, NULL, (size_t)8);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  if (o->new_session && setsid() < 0) child_fail(report_fd, STAGE_SETSID);
  int extra = o->extra_fd > 0 && o->extra_fd_at >= 3 ? lift_fd(o->extra_fd, floor) : -1;
  if (o->extra_fd > 0 && extra < 0) child_fail(report_fd, STAGE_DUP2);
  if (move_fd(o->stdin_fd, 0) < 0 || move_fd(o->stdout_fd, 1) < 0 || move_fd(o->stderr_fd, 2) < 0)
    child_fail(report_fd, STAGE_DUP2);
  if (extra >= 0 && dup2(extra, o->extra_fd_at) < 0) child_fail(report_fd, STAGE_DUP2);
  /* Best effort: without a controlling terminal an interactive shell has no job control, but a
   * program must not fail to start over it. TIOCSCTTY also makes our group the foreground one. */
  if (o->new_session && o->take_tty && isatty(0)) ioctl(0, TIOCSCTTY, 0);
  /* Only 0-2 and the extra fd then; the report pipe stays too, it is close-on-exec. */
  if (o->close_other_fds) close_fds_except(extra >= 0 ? o->extra_fd_at : -1, report_fd);
  if (o->workdir && chdir(o->workdir) != 0) child_fail(report_fd, STAGE_CHDIR);
  if (o->hooks && o->hooks->before_exec && o->hooks->before_exec(o->hooks->ctx) != 0)
    child_fail(report_fd, STAGE_HOOK);
  if (o->path) execve(o->path, o->argv, o->envp ? o->envp : environ);
  else exec_path(o->argv, o->envp ? o->envp : environ);
  child_fail(report_fd, STAGE_EXEC);
}

/* Reaps one child of ours that is known to be exiting (a failed spawn). */
static void reap_one(pid_t pid) {
  while (waitpid(pid, NULL, __WALL) < 0 && errno == EINTR) {
  }
}

/* Reads the child's failure report; n is what read() returned for it. */
static int report_failure(const struct spawn_failure* f, ssize_t n, int read_err, kilt_pid1_error* e) {
  if (n != (ssize_t)sizeof *f) {
    errno = n < 0 ? read_err : EPROTO;
    return fail(e, "read (spawn report)");
  }
  errno = f->err;
  return fail(e, kStageNames[f->stage >= 0 && f->stage < STAGE_COUNT ? f->stage : 0]);
}

pid_t kilt_pid1_spawn(const kilt_pid1* p, const kilt_pid1_spawn_opts* opts, kilt_pid1_error* e) {
  (void)p;
  if (!opts->argv || !opts->argv[0]) {
    errno = EINVAL;
    return fail(e, "spawn (empty argv)");
  }
  const kilt_pid1_spawn_hooks* h = opts->hooks;
  int report[2], sync[2] = {-1, -1};
  if (pipe2(report, O_CLOEXEC) != 0) return fail(e, "pipe2");
  if (h && h->attach && pipe2(sync, O_CLOEXEC) != 0) {
    int err = errno;
    close(report[0]);
    close(report[1]);
    errno = err;
    return fail(e, "pipe2");
  }
  pid_t pid = fork();
  if (pid < 0) {
    int err = errno;
    close(report[0]);
    close(report[1]);
    if (sync[0] >= 0) close(sync[0]), close(sync[1]);
    errno = err;
    return fail(e, "fork");
  }
  if (pid == 0) {
    close(report[0]);
    if (sync[1] >= 0) close(sync[1]);
    child_exec(opts, report[1], sync[0]);
  }
  close(report[1]);
  if (sync[0] >= 0) close(sync[0]);
  if (h && h->attach) {
    int r = h->attach(h->ctx, pid), err = errno;
    if (r != 0) {
      kill(pid, SIGKILL);
      close(sync[1]);
      reap_one(pid);
      close(report[0]);
      errno = err;
      return fail(e, kStageNames[STAGE_ATTACH]);
    }
    close(sync[1]); /* the child's go */
  }
  struct spawn_failure f;
  if (h && h->await_exec) {
    int r = h->await_exec(h->ctx, pid, report[0], e);
    if (r != 0) {
      if (r < 0) {
        kill(pid, SIGKILL);
        reap_one(pid);
      }
      close(report[0]);
      return r > 0 ? pid : -1;
    }
    /* The child exited before its exec and was reaped by the hook: the report says why. */
    ssize_t n = read_full(report[0], &f, sizeof f);
    int read_err = errno;
    close(report[0]);
    return report_failure(&f, n, read_err, e);
  }
  ssize_t n = read_full(report[0], &f, sizeof f);
  int read_err = errno;
  close(report[0]);
  if (n == 0) return pid; /* the pipe closed on exec: the program runs */
  /* The child failed (or the pipe did): it is our child and exits at once, so this wait is short. */
  reap_one(pid);
  return report_failure(&f, n, read_err, e);
}

int kilt_pid1_release_tty(const kilt_pid1* p) {
  (void)p;
  if (!isatty(0) || getsid(0) != getpid() || tcgetsid(0) != getpid()) return 0;
  if (ioctl(0, TIOCNOTTY) != 0) return 0;
  /* As session leader giving up its terminal, the kernel sent SIGHUP and SIGCONT to the terminal's
   * foreground group (us). They are blocked, hence pending: take exactly these two off, leaving any
   * other pending signal for the main loop. */
  sigset_t hup_cont;
  sigemptyset(&hup_cont);
  sigaddset(&hup_cont, SIGHUP);
  sigaddset(&hup_cont, SIGCONT);
  struct timespec zero = {0, 0};
  while (sigtimedwait(&hup_cont, NULL, &zero) > 0) {
  }
  return 1;
}

int kilt_pid1_exec_exit_code(int exec_errno) {
  return (exec_errno == ENOENT || exec_errno == ENOTDIR) ? 127 : 126;
}

int kilt_pid1_exit_code(int st) {
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return 255; /* stopped/continued statuses are never reported without WUNTRACED */
}

/* ---- signals and reaping
 * ----------------------------------------------------------------------------- */

int kilt_pid1_read_signals(const kilt_pid1* p, struct signalfd_siginfo* si, int max, kilt_pid1_error* e) {
  for (;;) {
    ssize_t n = read(p->sigfd, si, (size_t)max * sizeof *si);
    if (n > 0 && n % (ssize_t)sizeof *si == 0) return (int)(n / (ssize_t)sizeof *si);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
    if (n >= 0) errno = EIO;
    return fail(e, "read (signalfd)");
  }
}

int kilt_pid1_read_signal(const kilt_pid1* p, struct signalfd_siginfo* si, kilt_pid1_error* e) {
  return kilt_pid1_read_signals(p, si, 1, e);
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int kilt_pid1_wait_signal(const kilt_pid1* p, int timeout_ms, kilt_pid1_error* e) {
  int64_t deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : 0;
  for (;;) {
    struct pollfd pfd = {p->sigfd, POLLIN, 0};
    int left = -1;
    if (timeout_ms >= 0) {
      int64_t d = deadline - now_ms();
      left = d > 0 ? (int)d : 0;
    }
    int r = poll(&pfd, 1, left);
    if (r > 0) return 1;
    if (r == 0) return 0;
    if (errno != EINTR) return fail(e, "poll (signalfd)");
  }
}

int kilt_pid1_reap(kilt_pid1_reaped_fn fn, void* ctx, int* no_children, kilt_pid1_error* e) {
  return kilt_pid1_reap_max(fn, ctx, INT_MAX, no_children, e);
}

int kilt_pid1_reap_max(kilt_pid1_reaped_fn fn, void* ctx, int max, int* no_children, kilt_pid1_error* e) {
  int reaped = 0;
  if (no_children) *no_children = 0;
  while (reaped < max) {
    int st;
    /* __WALL: an orphan created by clone() with an exit signal other than SIGCHLD is still ours to
     * reap. */
    pid_t pid = waitpid(-1, &st, WNOHANG | __WALL);
    if (pid > 0) {
      reaped++;
      if (fn) fn(ctx, pid, st);
      continue;
    }
    if (pid == 0) return reaped;
    if (errno == EINTR) continue;
    if (errno == ECHILD) {
      if (no_children) *no_children = 1;
      return reaped;
    }
    return fail(e, "waitpid");
  }
  return reaped;
}

int kilt_pid1_forward(pid_t pid, int sig, int to_group, kilt_pid1_error* e) {
  if (pid <= 0) {
    errno = EINVAL;
    return fail(e, "kill (bad pid)");
  }
  if (to_group) {
    if (kill(-pid, sig) == 0) return 0;
    /* ESRCH for the group: the child moved itself to another group (a job-control shell does); it
     * still deserves the signal, so fall back to the child alone. */
    if (errno != ESRCH) return fail(e, "kill (process group)");
  }
  if (kill(pid, sig) == 0 || errno == ESRCH) return 0;
  return fail(e, "kill");
}

void kilt_pid1_forwarding_defaults(kilt_pid1_forwarding* f) {
  f->to_group = 1;
  for (int s = 0; s < NSIG; s++) f->rewrite[s] = s;
  /* The child leads its own session, so its process group is orphaned, and the kernel ignores the
   * default (stop) action of TSTP/TTIN/TTOU for orphaned groups: forwarded as is, they would do
   * nothing to most programs. Like dumb-init, send SIGSTOP instead. */
  f->rewrite[SIGTSTP] = f->rewrite[SIGTTIN] = f->rewrite[SIGTTOU] = SIGSTOP;
}

int kilt_pid1_is_own_fault(const struct signalfd_siginfo* si) {
  switch (si->ssi_signo) {
    case SIGSEGV: case SIGBUS: case SIGFPE: case SIGILL: case SIGTRAP: case SIGSYS:
      /* si_code > 0 is the kernel's own (SI_KERNEL, BUS_MCEERR_*, ...); SI_USER (0), SI_QUEUE (-1),
       * SI_TKILL (-6) and the rest of the negative codes come from a process. */
      return si->ssi_code > 0;
    default:
      return 0;
  }
}

int kilt_pid1_handle_signal(const kilt_pid1* p, const kilt_pid1_forwarding* f, pid_t child,
                            const struct signalfd_siginfo* si, kilt_pid1_error* e) {
  int sig = (int)si->ssi_signo;
  if (sig == SIGCHLD || sig <= 0 || sig >= NSIG) return 0;
  if (kilt_pid1_is_own_fault(si)) {
    /* Die of it, as if it had never been blocked: default action, then deliver. */
    signal(sig, SIG_DFL);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    raise(sig);
    sigprocmask(SIG_UNBLOCK, &one, NULL);
    _exit(128 + sig); /* only if the default action did not end us */
  }
  int to = f->rewrite[sig];
  if (to != 0 && kilt_pid1_forward(child, to, f->to_group, e) < 0) return -1;
  if (!p->is_pid1 && (sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU)) kill(getpid(), SIGSTOP);
  return to;
}

/* ---- descendants
 * ------------------------------------------------------------------------------------- */

/* Depth-first walk of the process tree below us. Fixed storage: no allocation, and a tree larger
 * than this is finished by the next round (terminate_rest signals repeatedly). */
enum { kMaxWalk = 8192 };
static pid_t walk_stack[kMaxWalk];

static int format_uint(char* out, unsigned v) {
  char tmp[12];
  int n = 0;
  do tmp[n++] = (char)('0' + v % 10);
  while ((v /= 10) != 0);
  for (int i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
  return n;
}

/* Appends the pids listed in path (a /proc/.../children file: "12 34 ") to walk_stack. */
static void push_children_file(const char* path, int* top) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return; /* the process is gone: nothing to push */
  char buf[1024];
  unsigned cur = 0;
  int in_num = 0;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; i++) {
      if (buf[i] >= '0' && buf[i] <= '9') {
        cur = cur * 10 + (unsigned)(buf[i] - '0');
        in_num = 1;
      } else if (in_num) {
        if (*top < kMaxWalk) walk_stack[(*top)++] = (pid_t)cur;
        cur = 0;
        in_num = 0;
      }
    }
  }
  if (in_num && *top < kMaxWalk) walk_stack[(*top)++] = (pid_t)cur;
  close(fd);
}

/* getdents64 fills linux_dirent64 records; struct dirent has that layout where ino_t and off_t are
 * 64-bit, i.e. on musl everywhere and on glibc for the 64-bit targets we build (x86_64, aarch64).
 */
_Static_assert(sizeof(ino_t) == 8 && sizeof(off_t) == 8, "struct dirent must match linux_dirent64");

/* Pushes the children of every thread of pid: /proc/PID/task/TID/children. */
static void push_children(pid_t pid, int* top) {
  char path[64] = "/proc/";
  int len = 6;
  len += format_uint(path + len, (unsigned)pid);
  memcpy(path + len, "/task", 6);
  len += 5;
  int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return;
  /* getdents64 on a stack buffer: opendir() would allocate. */
  char buf[1024] __attribute__((aligned(8)));
  for (;;) {
    long n = syscall(SYS_getdents64, dfd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (long off = 0; off < n;) {
      const struct dirent* d = (const void*)(buf + off);
      off += d->d_reclen;
      if (d->d_name[0] < '0' || d->d_name[0] > '9') continue;
      size_t nl = strlen(d->d_name);
      if ((size_t)len + 1 + nl + sizeof "/children" > sizeof path) continue;
      char* q = path + len;
      *q++ = '/';
      memcpy(q, d->d_name, nl);
      q += nl;
      memcpy(q, "/children", sizeof "/children");
      push_children_file(path, top);
      path[len] = '\0';
    }
  }
  close(dfd);
}

static int in_list(pid_t v, const pid_t* list, int n) {
  for (int i = 0; i < n; i++)
    if (list[i] == v) return 1;
  return 0;
}

/* The /proc walk below us: sig to every descendant, except (and not below) those in a skipped group. */
static int signal_tree(int sig, const pid_t* skip_pgids, int n_skip, kilt_pid1_error* e) {
  /* /proc must belong to our PID namespace (unshare -p without --mount-proc leaves the parent's):
   * there, /proc/<our pid> would be some other process, and we would signal strangers. */
  char self[32];
  ssize_t n = readlink("/proc/self", self, sizeof self - 1);
  char mine[16];
  int ml = format_uint(mine, (unsigned)getpid());
  if (n != ml || memcmp(self, mine, (size_t)ml) != 0) {
    errno = n < 0 ? errno : EXDEV;
    return fail(e, "readlink /proc/self (is /proc mounted for this PID namespace?)");
  }
  int top = 0, signalled = 0;
  push_children(getpid(), &top);
  while (top > 0) {
    pid_t pid = walk_stack[--top];
    if (n_skip > 0 && in_list(getpgid(pid), skip_pgids, n_skip)) continue;
    /* Read the children before signalling: a SIGKILLed parent hands its children to us and its own
     * children list empties. */
    push_children(pid, &top);
    if (kill(pid, sig) == 0)
      signalled++;
    else if (errno != ESRCH)
      return fail(e, "kill");
  }
  return signalled;
}

int kilt_pid1_signal_descendants(const kilt_pid1* p, int sig, kilt_pid1_error* e) {
  if (p->is_pid1) {
    /* kill(-1) reaches every process of the namespace but ourselves. */
    if (kill(-1, sig) == 0) return 1;
    if (errno == ESRCH) return 0;
    return fail(e, "kill(-1)");
  }
  return signal_tree(sig, NULL, 0, e);
}

int kilt_pid1_signal_descendants_except(const kilt_pid1* p, int sig, const pid_t* skip_pgids,
                                        int n_skip, kilt_pid1_error* e) {
  (void)p;
  return signal_tree(sig, skip_pgids, n_skip, e);
}

static void drain_signals(const kilt_pid1* p) {
  struct signalfd_siginfo si;
  while (kilt_pid1_read_signal(p, &si, NULL) == 1) {
  }
}

/* Reaps until no child is left (returns 0) or deadline passes (returns 1). When resend is non-zero
 * it is sent to every descendant on each round, for processes that were reparented to us or forked
 * meanwhile. */
static int reap_until_gone(const kilt_pid1* p, int64_t deadline, int resend, kilt_pid1_reaped_fn fn,
                           void* ctx, kilt_pid1_error* e) {
  for (;;) {
    /* Drain first, reap second: a child exiting after the reap leaves a fresh SIGCHLD pending for
     * the wait below, so no exit is missed. */
    drain_signals(p);
    int none;
    if (kilt_pid1_reap(fn, ctx, &none, e) < 0) return -1;
    if (none) return 0;
    int64_t left = deadline - now_ms();
    if (left <= 0) return 1;
    if (resend && kilt_pid1_signal_descendants(p, resend, e) < 0) return -1;
    if (kilt_pid1_wait_signal(p, left > 1000 ? 1000 : (int)left, e) < 0) return -1;
  }
}

int kilt_pid1_terminate_rest(const kilt_pid1* p, int grace_ms, int kill_wait_ms,
                             kilt_pid1_reaped_fn fn, void* ctx, kilt_pid1_error* e) {
  int none;
  if (kilt_pid1_reap(fn, ctx, &none, e) < 0) return -1;
  if (none) return 0;
  if (kilt_pid1_signal_descendants(p, SIGTERM, e) < 0) return -1;
  if (kilt_pid1_signal_descendants(p, SIGCONT, e) < 0) return -1;
  int r = reap_until_gone(p, now_ms() + (grace_ms > 0 ? grace_ms : 0), 0, fn, ctx, e);
  if (r <= 0) return r;
  if (kilt_pid1_signal_descendants(p, SIGKILL, e) < 0) return -1;
  return reap_until_gone(p, now_ms() + (kill_wait_ms > 0 ? kill_wait_ms : 0), SIGKILL, fn, ctx, e);
}

/* ---- names
 * ------------------------------------------------------------------------------------------- */

static const struct {
  int sig;
  const char* name;
} kSignalNames[] = {
    {SIGHUP, "HUP"},       {SIGINT, "INT"},   {SIGQUIT, "QUIT"},   {SIGILL, "ILL"},
    {SIGTRAP, "TRAP"},     {SIGABRT, "ABRT"}, {SIGBUS, "BUS"},     {SIGFPE, "FPE"},
    {SIGKILL, "KILL"},     {SIGUSR1, "USR1"}, {SIGSEGV, "SEGV"},   {SIGUSR2, "USR2"},
    {SIGPIPE, "PIPE"},     {SIGALRM, "ALRM"}, {SIGTERM, "TERM"},   {SIGCHLD, "CHLD"},
    {SIGCONT, "CONT"},     {SIGSTOP, "STOP"}, {SIGTSTP, "TSTP"},   {SIGTTIN, "TTIN"},
    {SIGTTOU, "TTOU"},     {SIGURG, "URG"},   {SIGXCPU, "XCPU"},   {SIGXFSZ, "XFSZ"},
    {SIGVTALRM, "VTALRM"}, {SIGPROF, "PROF"}, {SIGWINCH, "WINCH"}, {SIGIO, "IO"},
    {SIGPWR, "PWR"},       {SIGSYS, "SYS"},
#ifdef SIGSTKFLT
    {SIGSTKFLT, "STKFLT"},
#endif
};

const char* kilt_pid1_signal_name(int sig) {
  for (size_t i = 0; i < sizeof kSignalNames / sizeof kSignalNames[0]; i++)
    if (kSignalNames[i].sig == sig) return kSignalNames[i].name;
  return "?";
}

static int ascii_upper(int c) { return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c; }

static int name_equals(const char* a, const char* upper) {
  while (*a && *upper && ascii_upper((unsigned char)*a) == *upper) a++, upper++;
  return *a == '\0' && *upper == '\0';
}

int kilt_pid1_parse_signal(const char* s) {
  if (!s || !*s) return -1;
  if (*s >= '0' && *s <= '9') {
    int v = 0;
    for (; *s; s++) {
      if (*s < '0' || *s > '9' || v > NSIG) return -1;
      v = v * 10 + (*s - '0');
    }
    return v >= 1 && v < NSIG ? v : -1;
  }
  if (ascii_upper((unsigned char)s[0]) == 'S' && ascii_upper((unsigned char)s[1]) == 'I' &&
      ascii_upper((unsigned char)s[2]) == 'G')
    s += 3;
  for (size_t i = 0; i < sizeof kSignalNames / sizeof kSignalNames[0]; i++)
    if (name_equals(s, kSignalNames[i].name)) return kSignalNames[i].sig;
  /* RTMIN+n / RTMAX-n */
  if (name_equals(s, "RTMIN")) return SIGRTMIN;
  if (name_equals(s, "RTMAX")) return SIGRTMAX;
  return -1;
}
