/* pid1.h — the mechanics of being PID 1 (or a child subreaper), shared by kilt-init and kilt-run.
 *
 * The caller owns the policy (which signals to forward where, when to exit, with what code); this
 * module owns the mechanics that are easy to get wrong:
 *  - every asynchronous signal is blocked and collected through a signalfd, so no work happens in
 *    a signal handler and a SIGCHLD is never missed (pending signals stay pending until read);
 *  - when not PID 1 the process becomes a child subreaper, so orphans are still reaped;
 *  - children start with an empty signal mask and default dispositions, optionally in their own
 *    session;
 *  - reaping drains every zombie per SIGCHLD (SIGCHLDs coalesce: one may stand for thousands);
 *  - "terminate the rest": SIGTERM every remaining descendant, wait at most a grace period (not at
 *    all when nothing is left), then SIGKILL.
 *
 * Nothing here allocates memory after kilt_pid1_setup(); nothing writes to stdout/stderr. Errors
 * are returned as -1 with a kilt_pid1_error naming the failing call and its errno, for the caller
 * to report.
 *
 * Thread-safety: none. Call from one thread; with threads, block the signals in every thread
 * (kilt_pid1_setup blocks them in the calling thread only, so call it before creating threads).
 *
 * Build: host objects come from build/lib/libkilt_init.a. Payload builds (kilt-run) compile
 * init/pid1.c with their own PAYLOAD_CC into their own object directory; it needs only libc (glibc
 * or musl) and -D_GNU_SOURCE.
 */
#ifndef KILT_INIT_PID1_H_
#define KILT_INIT_PID1_H_

#include <signal.h>
#include <sys/signalfd.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Why a call failed: `call` names the syscall or step (a string literal), `err` is its errno. */
typedef struct kilt_pid1_error {
  const char* call;
  int err;
} kilt_pid1_error;

typedef struct kilt_pid1 {
  int sigfd;        /* signalfd (non-blocking, close-on-exec) delivering every blocked signal */
  int is_pid1;      /* 1 when getpid() == 1 (PID 1 of a PID namespace) */
  int is_subreaper; /* 1 when not PID 1 and PR_SET_CHILD_SUBREAPER succeeded (0 under qemu-user, and
                       on kernels before 3.4: orphans then go to the namespace's init, not to us) */
  sigset_t blocked; /* the set routed to sigfd */
  sigset_t saved_mask; /* the mask in force before kilt_pid1_setup */
} kilt_pid1;

/* Blocks every signal that can be blocked (all but SIGKILL/SIGSTOP), the fault signals included, and
 * creates the signalfd for them; tries to become child subreaper when not PID 1 (a refusal is not an
 * error; see is_subreaper). Whatever is sent from outside, SIGSEGV and SIGTSTP included, therefore
 * arrives as data on sigfd and can neither kill nor stop this process; a fault of our own still kills
 * us visibly, because the kernel unblocks a fault signal it forces on a thread (see
 * kilt_pid1_is_own_fault for the rare kernel signal that is queued instead).
 * Before any fd is created, each of fds 0-2 that is closed is filled with a close-on-exec placeholder,
 * so that no fd of ours (the signalfd first) can land there and be handed to a child as its stdin:
 * a closed standard fd stays closed in every child that inherits it.
 * Returns 0, or -1 with *e set. */
int kilt_pid1_setup(kilt_pid1* p, kilt_pid1_error* e);

/* Closes sigfd and restores the saved signal mask (for tests and callers that stop being an
 * init). */
void kilt_pid1_teardown(kilt_pid1* p);

/* The stdin_fd/stdout_fd/stderr_fd values that are not fds. */
enum {
  KILT_PID1_FD_INHERIT = 0,  /* keep what this process has (0 for compatibility: {} means inherit) */
  KILT_PID1_FD_NULL = -2,    /* /dev/null (opened read-write in the child; left as is if it cannot be) */
};

/* Hooks for a caller that must act between fork and exec: the capture's tracer attaches to the child
 * here (PTRACE_SEIZE in `attach`, NO_NEW_PRIVS + the seccomp filter in `before_exec`). With `attach`
 * set, the child waits until `attach` has returned before it does anything else. */
typedef struct kilt_pid1_spawn_hooks {
  void* ctx;
  /* Parent side, right after fork, while the child waits. Nonzero fails the spawn: the child is
   * SIGKILLed and reaped, and `attach`'s errno is reported with call "attach". */
  int (*attach)(void* ctx, pid_t child);
  /* Child side, the very last step before exec (after session, terminal, fds and workdir). Only
   * async-signal-safe calls. Returns 0, or -1 with errno set (reported with call "before exec"). */
  int (*before_exec)(void* ctx);
  /* Parent side, in place of the blocking wait for the exec report: a traced child stops on its way
   * to exec and would never get there while we sit in read(). Must drive the child until its exec
   * succeeded (return 1, the child alive) or it exited (return 0, the child reaped: spawn then reads
   * report_fd for the reason). -1 with *e set on its own failure (spawn then kills the child). */
  int (*await_exec)(void* ctx, pid_t child, int report_fd, kilt_pid1_error* e);
} kilt_pid1_spawn_hooks;

/* How to start a child. Zero-initialise it ({0} / {}) so fields added later keep their defaults. */
typedef struct kilt_pid1_spawn_opts {
  char* const* argv; /* argv[0] is looked up in PATH like execvp (but never run through /bin/sh on
                        ENOEXEC: a script needs its #! line, as under any container runtime); argv
                        is passed to the program unchanged */
  const char* path;  /* non-NULL: exec exactly this file (no PATH search); argv[0] stays argv[0] */
  char* const* envp; /* NULL: inherit this process's environment */
  const char* workdir; /* non-NULL: chdir there before exec (a failure is reported as "chdir") */
  int new_session;   /* 1: setsid() in the child, so it leads its own session and process group */
  int take_tty; /* 1 (with new_session): if stdin is a terminal, make it the child's controlling
                   terminal and its process group the terminal's foreground group (TIOCSCTTY;
                   silently skipped when it is still another session's: see kilt_pid1_release_tty) */
  int stdin_fd;      /* >0: dup2'ed onto 0 in the child; KILT_PID1_FD_INHERIT or KILT_PID1_FD_NULL */
  int stdout_fd;     /* >0: dup2'ed onto 1 in the child; same special values */
  int stderr_fd;     /* >0: dup2'ed onto 2 in the child; same special values */
  int extra_fd;      /* >0: also handed to the child, as fd number extra_fd_at (> 2), e.g. the
                        s6-style readiness pipe of an agent */
  int extra_fd_at;
  int close_other_fds; /* 1: the child gets only 0-2 (and extra_fd_at): every other fd, inherited
                          ones included, is closed before exec */
  const kilt_pid1_spawn_hooks* hooks; /* NULL: none */
} kilt_pid1_spawn_opts;

/* For an init that is a session leader with a controlling terminal (docker run -it): gives the
 * terminal up (TIOCNOTTY) so that a child spawned with new_session + take_tty can take it, and
 * consumes the SIGHUP and SIGCONT the kernel sends us for it, so they are not forwarded. Does
 * nothing (returns 0) when stdin is not our controlling terminal or we do not lead our session.
 * Call after kilt_pid1_setup, before spawning. Returns 1 when the terminal was released, 0 when
 * there was nothing to do. */
int kilt_pid1_release_tty(const kilt_pid1* p);

/* Forks and execs opts->argv with an empty signal mask and every disposition reset to SIG_DFL.
 * The one place that starts processes: kilt-init's program, kilt-run's app and agents.
 * Returns the child's pid once the exec has succeeded. If the exec fails, the child is reaped here
 * and -1 is returned with e->call == "exec" and e->err the exec errno (see
 * kilt_pid1_exec_exit_code); a failure of an earlier step in the child returns its name ("setsid",
 * "dup2", "chdir", "before exec"), a failure in the parent its call ("fork", "pipe2", "attach"). */
pid_t kilt_pid1_spawn(const kilt_pid1* p, const kilt_pid1_spawn_opts* opts, kilt_pid1_error* e);

/* The conventional exit status for a failed exec: 127 for "not found" (ENOENT, ENOTDIR), else 126.
 */
int kilt_pid1_exec_exit_code(int exec_errno);

/* The conventional exit code for a wait status: WEXITSTATUS, or 128+N when killed by signal N. */
int kilt_pid1_exit_code(int wait_status);

/* Reads one signal from sigfd into *si. Returns 1 when one was read, 0 when none is pending (sigfd
 * is non-blocking), -1 with *e set on error. */
int kilt_pid1_read_signal(const kilt_pid1* p, struct signalfd_siginfo* si, kilt_pid1_error* e);
/* Reads up to max pending signals into si[] in one read(2). Returns how many (fewer than max: that was all
 * that was pending), 0 when none is, -1 with *e set on error. A traced app makes a SIGCHLD per ptrace
 * stop, so the supervisor's loop spares the read that would only say EAGAIN. */
int kilt_pid1_read_signals(const kilt_pid1* p, struct signalfd_siginfo* si, int max, kilt_pid1_error* e);

/* Waits up to timeout_ms (-1: forever) for a signal to be readable on sigfd. Returns 1 when
 * readable, 0 on timeout, -1 with *e set on error. EINTR is retried with the remaining time. */
int kilt_pid1_wait_signal(const kilt_pid1* p, int timeout_ms, kilt_pid1_error* e);

/* Called once per wait status collected: a child that exited (reaped), and, when this process traces
 * others (the capture), every ptrace stop and death of a tracee too (WIFSTOPPED statuses and deaths of
 * tracees that are not our children), which the tracer must handle. */
typedef void (*kilt_pid1_reaped_fn)(void* ctx, pid_t pid, int wait_status);

/* Collects every pending wait status, without blocking; calls fn (if not NULL) for each. Returns the
 * number collected (0 if none), or -1 with *e set on an error other than "no children". Sets
 * *no_children (if not NULL) to 1 when no child at all remains (waitpid said ECHILD), else 0. */
int kilt_pid1_reap(kilt_pid1_reaped_fn fn, void* ctx, int* no_children, kilt_pid1_error* e);

/* The same, but stops after max statuses (a traced app that keeps stopping would otherwise keep us here
 * forever): a return value of max means more may be pending, and no new SIGCHLD may say so. */
int kilt_pid1_reap_max(kilt_pid1_reaped_fn fn, void* ctx, int max, int* no_children, kilt_pid1_error* e);

/* Sends sig to pid, or to pid's process group when to_group is 1 (the child must lead its group,
 * i.e. was spawned with new_session; if that group no longer exists, pid alone is signalled). A
 * target that has already gone (ESRCH) is not an error: returns 0. */
int kilt_pid1_forward(pid_t pid, int sig, int to_group, kilt_pid1_error* e);

/* What an init does with the signals it receives while its child runs (kilt-init's options,
 * kilt-run's [signals] table). */
typedef struct kilt_pid1_forwarding {
  int to_group;       /* 1: to the child's whole process group (the default), 0: to the child alone */
  int rewrite[NSIG];  /* the signal to send for each one received; 0 drops it */
} kilt_pid1_forwarding;

/* The defaults: to the group, every signal as itself except TSTP/TTIN/TTOU, sent as SIGSTOP (the
 * child leads its own session, so its group is orphaned and the kernel would ignore their default
 * stop action; dumb-init does the same). */
void kilt_pid1_forwarding_defaults(kilt_pid1_forwarding* f);

/* 1 when si is a fault signal (SEGV, BUS, FPE, ILL, TRAP, SYS) that the kernel queued for this process
 * itself (si_code > 0: e.g. a machine-check SIGBUS), which must keep its default action; 0 for one
 * sent by a process (kill, sigqueue, tgkill), which is forwarded like any other. */
int kilt_pid1_is_own_fault(const struct signalfd_siginfo* si);

/* Acts on one signal read from sigfd while the child runs:
 *  - SIGCHLD: nothing (the caller reaps);
 *  - an own fault (kilt_pid1_is_own_fault): dies of it, with its default action;
 *  - else sends f->rewrite[sig] (nothing if 0) to the child or its group; and when this process is
 *    not PID 1, a received TSTP/TTIN/TTOU then stops this process too, as dumb-init does, so that a
 *    job-control shell above us sees its job stopped; the SIGCONT of `fg` resumes us and is
 *    forwarded like any signal. PID 1 never stops (the kernel would not let it).
 * Returns the signal sent (0 if none), or -1 with *e set. */
int kilt_pid1_handle_signal(const kilt_pid1* p, const kilt_pid1_forwarding* f, pid_t child,
                            const struct signalfd_siginfo* si, kilt_pid1_error* e);

/* Sends sig to every remaining descendant: as PID 1, kill(-1) (everything else in the namespace);
 * otherwise every process below this one in the process tree (/proc/<pid>/task/<tid>/children).
 * Returns the number of processes signalled (PID 1: 1 if any, else 0), or -1 with *e set; EXDEV
 * when not PID 1 and /proc belongs to another PID namespace (then nothing is signalled: the pids
 * would name strangers). */
int kilt_pid1_signal_descendants(const kilt_pid1* p, int sig, kilt_pid1_error* e);

/* Sends sig to every descendant except the processes whose process group is one of
 * skip_pgids[0..n_skip) and everything below them (kilt-run's agents lead their own groups: the app's
 * leftovers end before the agents that watch them). A /proc tree walk, also as PID 1. Returns how
 * many processes were signalled (with sig 0: how many are left), or -1 with *e set (EXDEV as for
 * kilt_pid1_signal_descendants). */
int kilt_pid1_signal_descendants_except(const kilt_pid1* p, int sig, const pid_t* skip_pgids,
                                        int n_skip, kilt_pid1_error* e);

/* Ends every remaining descendant: SIGTERM, then reap until none is left or grace_ms has passed,
 * then SIGKILL and reap until none is left (bounded by kill_wait_ms more). Returns at once when no
 * child is left. Signals arriving meanwhile are consumed and dropped (the main child has already
 * gone). fn/ctx see every reaped child. Returns 0 when nothing is left, 1 when children remain
 * after kill_wait_ms (stuck in the kernel), or -1 with *e set. SIGCONT follows SIGTERM so that
 * stopped processes can act on it. */
int kilt_pid1_terminate_rest(const kilt_pid1* p, int grace_ms, int kill_wait_ms,
                             kilt_pid1_reaped_fn fn, void* ctx, kilt_pid1_error* e);

/* Signal names without "SIG" ("TERM"), for messages; "?" for unknown numbers. */
const char* kilt_pid1_signal_name(int sig);

/* Parses "TERM", "SIGTERM", "sigterm" or "15". Returns the number, or -1 if it is not a signal. */
int kilt_pid1_parse_signal(const char* s);

#ifdef __cplusplus
}
#endif

#endif /* KILT_INIT_PID1_H_ */
