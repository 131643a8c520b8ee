/* kilt-init — a tiny PID 1: runs one program, forwards signals to it, reaps zombies, exits with
 * its status.
 *
 * This file is policy only (options, messages, exit codes); the mechanics live in pid1.c, shared
 * with kilt-run. Exit codes (documented once, here and in docs/init.md):
 *   N       the program exited with N (after --map-exit)
 *   128+N   the program died of signal N (after --map-exit)
 *   127     PROGRAM not found (PATH lookup like execvp)
 *   126     PROGRAM found but could not be executed (permissions, bad format, ...)
 *   2       bad options (usage on stderr)
 *   1       kilt-init itself failed (a syscall it needs failed; the message names it)
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "init/pid1.h"

#ifndef KILT_VERSION
#define KILT_VERSION "0.1.0"
#endif

enum {
  EXIT_INTERNAL = 1,
  EXIT_USAGE = 2,
  DEFAULT_GRACE_MS = 2000,
  MAX_GRACE_MS = 3600 * 1000,
  KILL_WAIT_MS =
      1000, /* after SIGKILL only processes stuck in the kernel remain; don't hang on them */
  MAX_EXIT_MAPS = 32,
};

static const char kUsage[] =
    "usage: kilt-init [OPTIONS] [--] PROGRAM [ARGS...]\n"
    "Runs PROGRAM as the only child of a minimal init: forwards signals, reaps zombies, exits "
    "with\n"
    "PROGRAM's exit code (128+N if it died of signal N).\n"
    "\n"
    "  -s, --single-child       forward signals to PROGRAM only, not to its whole process group\n"
    "  -g, --grace SECONDS      after PROGRAM exits, how long leftovers get between SIGTERM and\n"
    "                           SIGKILL (default 2; fractions like 0.5 allowed; 0 = SIGKILL at "
    "once)\n"
    "  -r, --rewrite FROM:TO    forward signal FROM as TO (e.g. TERM:QUIT); TO=0 drops FROM; "
    "repeatable\n"
    "  -e, --map-exit FROM:TO   exit with TO when PROGRAM's exit code is FROM (e.g. 143:0); "
    "repeatable\n"
    "  -v, --verbose            diagnostics on stderr\n"
    "  -h, --help               this text\n"
    "  -V, --version            print the version\n"
    "\n"
    "Exit codes: PROGRAM's code, or 128+N on signal N; 127 PROGRAM not found; 126 not executable;\n"
    "2 bad options; 1 kilt-init failed.\n";

struct options {
  int verbose;
  int grace_ms;
  kilt_pid1_forwarding fwd; /* group or single child, and the rewrite table */
  int exit_from[MAX_EXIT_MAPS], exit_to[MAX_EXIT_MAPS];
  int n_exit_maps;
  char** program; /* argv of PROGRAM, NULL-terminated (a tail of our own argv) */
};

/* ---- messages: one write(2) per line, no stdio, no allocation
 * ---------------------------------------- */

struct line {
  char buf[1024];
  size_t len;
};

static void put(struct line* l, const char* s) {
  while (*s && l->len < sizeof l->buf - 1) l->buf[l->len++] = *s++;
}

static void put_int(struct line* l, long v) {
  char tmp[24];
  int n = 0;
  unsigned long u = v < 0 ? -(unsigned long)v : (unsigned long)v;
  do tmp[n++] = (char)('0' + u % 10);
  while ((u /= 10) != 0);
  if (v < 0) tmp[n++] = '-';
  while (n > 0 && l->len < sizeof l->buf - 1) l->buf[l->len++] = tmp[--n];
}

/* Writes "kilt-init: " + fmt + "\n" to stderr. fmt knows %s (string), %d (int) and %S (signal
 * name). */
static void say(const char* fmt, ...) {
  struct line l = {.len = 0};
  put(&l, "kilt-init: ");
  va_list ap;
  va_start(ap, fmt);
  for (const char* f = fmt; *f; f++) {
    if (*f != '%' || !f[1]) {
      if (l.len < sizeof l.buf - 1) l.buf[l.len++] = *f;
      continue;
    }
    f++;
    if (*f == 's') put(&l, va_arg(ap, const char*));
    if (*f == 'd') put_int(&l, va_arg(ap, int));
    if (*f == 'S') {
      int sig = va_arg(ap, int);
      put(&l, "SIG");
      put(&l, kilt_pid1_signal_name(sig));
      put(&l, " (");
      put_int(&l, sig);
      put(&l, ")");
    }
  }
  va_end(ap);
  l.buf[l.len++] = '\n';
  /* A failed write to stderr has nowhere to be reported; SIGPIPE is blocked, so it cannot kill us
   * either. */
  ssize_t unused = write(2, l.buf, l.len);
  (void)unused;
}

static int usage_error(const char* what, const char* arg) {
  if (arg)
    say("%s: '%s'", what, arg);
  else
    say("%s", what);
  ssize_t unused = write(2, kUsage, sizeof kUsage - 1);
  (void)unused;
  return EXIT_USAGE;
}

static int report(const kilt_pid1_error* e) {
  say("%s failed: %s", e->call, strerror(e->err));
  return EXIT_INTERNAL;
}

/* ---- option parsing
 * ---------------------------------------------------------------------------------- */

/* "2", "0.5", "1.25" seconds -> milliseconds; -1 if malformed or too large. */
static int parse_seconds_ms(const char* s) {
  long ms = 0;
  int digits = 0;
  for (; *s >= '0' && *s <= '9'; s++, digits++) {
    ms = ms * 10 + (*s - '0');
    if (ms > MAX_GRACE_MS / 1000) return -1;
  }
  ms *= 1000;
  if (*s == '.') {
    s++;
    long scale = 100;
    for (; *s >= '0' && *s <= '9'; s++, digits++) {
      ms += (*s - '0') * scale;
      scale /= 10;
    }
  }
  return (*s == '\0' && digits > 0) ? (int)ms : -1;
}

static int parse_byte(const char* s, const char* end) {
  int v = 0;
  if (s == end) return -1;
  for (; s < end; s++) {
    if (*s < '0' || *s > '9') return -1;
    v = v * 10 + (*s - '0');
    if (v > 255) return -1;
  }
  return v;
}

/* Splits "A:B" at the colon; returns the pointer to the colon or NULL. */
static const char* colon(const char* s) {
  const char* c = strchr(s, ':');
  return (c && c != s && c[1]) ? c : NULL;
}

static int add_rewrite(struct options* o, const char* arg) {
  const char* c = colon(arg);
  if (!c) return -1;
  char from_name[32];
  size_t n = (size_t)(c - arg);
  if (n >= sizeof from_name) return -1;
  memcpy(from_name, arg, n);
  from_name[n] = '\0';
  int from = kilt_pid1_parse_signal(from_name);
  int to = strcmp(c + 1, "0") == 0 ? 0 : kilt_pid1_parse_signal(c + 1);
  /* SIGKILL/SIGSTOP never reach us; SIGCHLD is how we learn of exits, so it cannot be rewritten. */
  if (from < 0 || to < 0 || from == SIGKILL || from == SIGSTOP || from == SIGCHLD) return -1;
  o->fwd.rewrite[from] = to;
  return 0;
}

static int add_exit_map(struct options* o, const char* arg) {
  const char* c = colon(arg);
  if (!c || o->n_exit_maps >= MAX_EXIT_MAPS) return -1;
  int from = parse_byte(arg, c), to = parse_byte(c + 1, c + 1 + strlen(c + 1));
  if (from < 0 || to < 0) return -1;
  o->exit_from[o->n_exit_maps] = from;
  o->exit_to[o->n_exit_maps] = to;
  o->n_exit_maps++;
  return 0;
}

/* Returns -1 when parsing succeeded and we should run PROGRAM, else the exit code to return now.
 * Options end at "--" or at the first non-option: everything after belongs to PROGRAM untouched (a
 * literal "--" among PROGRAM's arguments is passed through). */
static int parse_options(int argc, char** argv, struct options* o) {
  memset(o, 0, sizeof *o);
  o->grace_ms = DEFAULT_GRACE_MS;
  /* TSTP/TTIN/TTOU go out as SIGSTOP (see kilt_pid1_forwarding_defaults); `--rewrite TSTP:TSTP`
   * restores the original for programs that handle it. */
  kilt_pid1_forwarding_defaults(&o->fwd);
  int i = 1;
  for (; i < argc; i++) {
    const char* a = argv[i];
    if (strcmp(a, "--") == 0) {
      i++;
      break;
    }
    if (a[0] != '-' || a[1] == '\0') break;
    /* --name=value or --name value / -x value */
    const char* eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
    size_t name_len = eq ? (size_t)(eq - a) : strlen(a);
#define IS(long_name, short_name)                                                 \
  ((name_len == sizeof(long_name) - 1 && strncmp(a, long_name, name_len) == 0) || \
   (!eq && strcmp(a, short_name) == 0))
    int takes_value = IS("--grace", "-g") || IS("--rewrite", "-r") || IS("--map-exit", "-e");
    const char* value = NULL;
    if (takes_value) {
      if (eq) {
        value = eq + 1;
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        return usage_error("option needs a value", a);
      }
    } else if (eq) {
      return usage_error("option takes no value", a);
    }
    if (IS("--single-child", "-s")) {
      o->fwd.to_group = 0;
    } else if (IS("--verbose", "-v")) {
      o->verbose = 1;
    } else if (IS("--help", "-h")) {
      ssize_t unused = write(1, kUsage, sizeof kUsage - 1);
      (void)unused;
      return 0;
    } else if (IS("--version", "-V")) {
      static const char v[] = "kilt-init " KILT_VERSION "\n";
      ssize_t unused = write(1, v, sizeof v - 1);
      (void)unused;
      return 0;
    } else if (IS("--grace", "-g")) {
      o->grace_ms = parse_seconds_ms(value);
      if (o->grace_ms < 0)
        return usage_error("--grace wants seconds (e.g. 2 or 0.5, at most 3600)", value);
    } else if (IS("--rewrite", "-r")) {
      if (add_rewrite(o, value) != 0)
        return usage_error("--rewrite wants FROM:TO signals (e.g. TERM:QUIT)", value);
    } else if (IS("--map-exit", "-e")) {
      if (add_exit_map(o, value) != 0)
        return usage_error("--map-exit wants FROM:TO exit codes 0-255 (e.g. 143:0)", value);
    } else {
      return usage_error("unknown option", a);
    }
#undef IS
  }
  if (i >= argc) return usage_error("missing PROGRAM", NULL);
  o->program = argv + i;
  return -1;
}

/* ---- running
 * ----------------------------------------------------------------------------------------- */

struct run_state {
  pid_t child;
  int child_done;
  int child_status;
  long others_reaped;
  long others_sigkilled;
};

static void on_reaped(void* ctx, pid_t pid, int status) {
  struct run_state* r = ctx;
  if (pid == r->child) {
    r->child_done = 1;
    r->child_status = status;
  } else {
    r->others_reaped++;
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) r->others_sigkilled++;
  }
}

static int map_exit(const struct options* o, int code) {
  for (int i = 0; i < o->n_exit_maps; i++)
    if (o->exit_from[i] == code) return o->exit_to[i];
  return code;
}

/* Forwards what arrived on the signalfd until the child has exited. Returns 0, or -1 with *e set.
 */
static int supervise(const struct options* o, const kilt_pid1* p, struct run_state* r,
                     kilt_pid1_error* e) {
  while (!r->child_done) {
    if (kilt_pid1_wait_signal(p, -1, e) < 0) return -1;
    struct signalfd_siginfo si;
    int got;
    while ((got = kilt_pid1_read_signal(p, &si, e)) == 1) {
      int sig = (int)si.ssi_signo;
      if (sig == SIGCHLD || sig <= 0 || sig >= NSIG) continue; /* exits are collected below */
      int to = o->fwd.rewrite[sig];
      if (o->verbose) {
        if (to == 0)
          say("dropping %S (--rewrite)", sig);
        else
          say("forwarding %S as %S to %s %d", sig, to, o->fwd.to_group ? "process group" : "pid",
              r->child);
      }
      if (kilt_pid1_handle_signal(p, &o->fwd, r->child, &si, e) < 0) report(e);
    }
    if (got < 0) return -1;
    if (kilt_pid1_reap(on_reaped, r, NULL, e) < 0) return -1;
  }
  return 0;
}

int main(int argc, char** argv) {
  static struct options o; /* static: NSIG ints of rewrite table stay off the small stack */
  int rc = parse_options(argc, argv, &o);
  if (rc >= 0) return rc;

  kilt_pid1 p;
  kilt_pid1_error e;
  if (kilt_pid1_setup(&p, &e) != 0) return report(&e);

  /* Always a new session, so the program and everything it starts form one process group we can
   * signal (sh -c, npm and friends do not forward signals themselves). --single-child only narrows
   * the target. */
  kilt_pid1_spawn_opts so;
  memset(&so, 0, sizeof so);
  so.argv = o.program;
  so.new_session = 1;
  /* With a terminal (docker run -it), hand it to the program's new session, as dumb-init does, so
   * an interactive shell keeps job control and Ctrl-C reaches its foreground job directly. */
  so.take_tty = 1;
  if (kilt_pid1_release_tty(&p) && o.verbose)
    say("gave the controlling terminal up for %s", o.program[0]);
  struct run_state r = {.child = 0, .child_done = 0, .child_status = 0, .others_reaped = 0};
  r.child = kilt_pid1_spawn(&p, &so, &e);
  if (r.child < 0) {
    if (strcmp(e.call, "exec") != 0) {
      say("cannot start %s: %s failed: %s", o.program[0], e.call, strerror(e.err));
      /* fork/pipe2 failing is kilt-init's own failure (1); a step in the child before exec is the
       * program's start failing (126). */
      return strcmp(e.call, "fork") == 0 || strcmp(e.call, "pipe2") == 0 ? EXIT_INTERNAL : 126;
    }
    int code = kilt_pid1_exec_exit_code(e.err);
    if (code == 127)
      say("%s: not found (searched PATH)", o.program[0]);
    else
      say("%s: cannot execute: %s", o.program[0], strerror(e.err));
    return code;
  }
  if (o.verbose)
    say("started %s as pid %d (%s)", o.program[0], r.child,
        p.is_pid1        ? "kilt-init is PID 1"
        : p.is_subreaper ? "kilt-init is a child subreaper"
                         : "warning: not PID 1 and the kernel refused PR_SET_CHILD_SUBREAPER; "
                           "orphans are not ours");

  int failed = supervise(&o, &p, &r, &e) < 0;
  if (failed) report(&e);

  if (o.verbose) {
    int none = 1;
    if (kilt_pid1_reap(on_reaped, &r, &none, &e) == 0 && !none)
      say("processes are left: sending them SIGTERM, then SIGKILL after %d ms at most", o.grace_ms);
  }
  int left = kilt_pid1_terminate_rest(&p, o.grace_ms, KILL_WAIT_MS, on_reaped, &r, &e);
  if (left < 0 && e.err == EXDEV)
    say("cannot end the leftover processes: /proc belongs to another PID namespace; mount this "
        "namespace's "
        "/proc (e.g. unshare --mount-proc)");
  else if (left < 0)
    report(&e);
  if (left > 0) say("some processes did not exit even after SIGKILL; exiting anyway");
  if (failed || !r.child_done) return EXIT_INTERNAL;

  int code = kilt_pid1_exit_code(r.child_status);
  if (o.verbose) {
    if (WIFSIGNALED(r.child_status))
      say("%s (pid %d) was killed by %S; exit code %d", o.program[0], r.child,
          WTERMSIG(r.child_status), code);
    else
      say("%s (pid %d) exited with %d", o.program[0], r.child, code);
    say("reaped %d other processes (%d of them killed by SIGKILL)", (int)r.others_reaped,
        (int)r.others_sigkilled);
  }
  return map_exit(&o, code);
}
