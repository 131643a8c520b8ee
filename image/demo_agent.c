// kilt-demo-agent: a STAND-IN for Falco in Kilt's payload image.
//
// Falco cannot be downloaded in Kilt's build environment, so the image ships this small static
// program in its place. It is not a security tool. It does what the launcher needs an agent to do,
// so the whole chain (image -> patch -> /kilt/run -> agent beside the app) can be shown and tested:
//   - it starts, prints a banner that says what it is, and reads its configuration file;
//   - every `interval_ms` it scans /proc and prints one "event" line per process it has not seen
//   before
//     (a toy version of Falco's "spawned process" rule: inside the app's container it sees the
//     app);
//   - on SIGTERM or SIGINT it prints a last line and exits 0, promptly.
//
// Signals are collected synchronously with sigtimedwait (as tini does): no logic in handlers.
// Every line is written with one write(2) so the launcher's log multiplexer never sees half lines.
//
// Usage: kilt-demo-agent [-c CONFIG] [--notify-fd N]
//   -c CONFIG      default /kilt/demo-agent.conf; a missing default file means defaults
//   --notify-fd N  readiness (s6 style): write a newline to fd N once the first /proc scan is done,
//   so
//                  kilt-run's `ready = { fd = N }` gate starts the app only after the agent
//                  watches.
// Config: `key = value` lines, `#` comments. Keys: interval_ms (100..3600000), name (prefix of
// lines),
//         max_events (0 = unlimited; a cap on event lines per scan).
// Exit codes: 0 stopped by SIGTERM/SIGINT, 2 bad usage or configuration, 1 system error.
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_SEEN 4096

struct config {
  long interval_ms;
  long max_events;
  char name[64];
  char prefix[70];  // "NAME: " or empty: the launcher already tags agent lines
};

static void say(const char* fmt, ...) {
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (n > (int)sizeof line - 2) n = (int)sizeof line - 2;
  line[n++] = '\n';
  // One write per line: lines from the agent and the app never interleave mid-line on a pipe.
  ssize_t w;
  do w = write(STDOUT_FILENO, line, (size_t)n);
  while (w < 0 && errno == EINTR);
}

static char* trim(char* s) {
  while (isspace((unsigned char)*s)) s++;
  char* e = s + strlen(s);
  while (e > s && isspace((unsigned char)e[-1])) *--e = '\0';
  return s;
}

// Returns 0 on success, -1 after printing what is wrong (file, line, key).
static int load_config(const char* path, int required, struct config* c) {
  FILE* f = fopen(path, "r");
  if (!f) {
    if (!required && errno == ENOENT) return 0;
    fprintf(stderr, "kilt-demo-agent: cannot read config %s: %s\n", path, strerror(errno));
    return -1;
  }
  char buf[512];
  int lineno = 0;
  while (fgets(buf, sizeof buf, f)) {
    lineno++;
    char* hash = strchr(buf, '#');
    if (hash) *hash = '\0';
    char* line = trim(buf);
    if (!*line) continue;
    char* eq = strchr(line, '=');
    if (!eq) {
      fprintf(stderr, "kilt-demo-agent: %s:%d: expected `key = value`\n", path, lineno);
      fclose(f);
      return -1;
    }
    *eq = '\0';
    char* key = trim(line);
    char* val = trim(eq + 1);
    char* end = NULL;
    if (!strcmp(key, "interval_ms") || !strcmp(key, "max_events")) {
      errno = 0;
      long v = strtol(val, &end, 10);
      int bad = errno || end == val || *end;
      if (!strcmp(key, "interval_ms")) {
        if (bad || v < 100 || v > 3600000) {
          fprintf(stderr, "kilt-demo-agent: %s:%d: interval_ms must be 100..3600000, got '%s'\n",
                  path, lineno, val);
          fclose(f);
          return -1;
        }
        c->interval_ms = v;
      } else {
        if (bad || v < 0) {
          fprintf(stderr, "kilt-demo-agent: %s:%d: max_events must be >= 0, got '%s'\n", path,
                  lineno, val);
          fclose(f);
          return -1;
        }
        c->max_events = v;
      }
    } else if (!strcmp(key, "name")) {
      snprintf(c->name, sizeof c->name, "%s", val);
    } else {
      fprintf(stderr,
              "kilt-demo-agent: %s:%d: unknown key '%s' (known: interval_ms, name, max_events)\n",
              path, lineno, key);
      fclose(f);
      return -1;
    }
  }
  fclose(f);
  return 0;
}

// PIDs already reported. A fixed array: the agent allocates nothing after start-up.
static long seen[MAX_SEEN];
static int nseen;

static int was_seen(long pid) {
  for (int i = 0; i < nseen; i++)
    if (seen[i] == pid) return 1;
  return 0;
}

static void remember(long pid) {
  if (nseen < MAX_SEEN) seen[nseen++] = pid;
}

// Reads /proc/PID/cmdline into out with NULs turned into spaces; falls back to /proc/PID/comm.
static void describe(long pid, char* out, size_t cap) {
  char path[64];
  out[0] = '\0';
  snprintf(path, sizeof path, "/proc/%ld/cmdline", pid);
  FILE* f = fopen(path, "r");
  size_t n = 0;
  if (f) {
    n = fread(out, 1, cap - 1, f);
    fclose(f);
  }
  if (n == 0) {
    snprintf(path, sizeof path, "/proc/%ld/comm", pid);
    f = fopen(path, "r");
    if (f) {
      n = fread(out, 1, cap - 1, f);
      fclose(f);
    }
  }
  out[n] = '\0';
  for (size_t i = 0; i < n; i++)
    if (out[i] == '\0' || out[i] == '\n') out[i] = ' ';
  char* t = trim(out);
  if (t != out) memmove(out, t, strlen(t) + 1);
}

static void scan(const struct config* c, int first) {
  DIR* d = opendir("/proc");
  if (!d) {
    say("%scannot open /proc (%s): no process events", c->prefix, strerror(errno));
    return;
  }
  long self = (long)getpid();
  long events = 0;
  struct dirent* e;
  while ((e = readdir(d)) != NULL) {
    char* end;
    long pid = strtol(e->d_name, &end, 10);
    if (*end || pid <= 0 || pid == self || was_seen(pid)) continue;
    remember(pid);
    if (c->max_events && events >= c->max_events) continue;
    char cmd[256];
    describe(pid, cmd, sizeof cmd);
    if (!cmd[0]) continue;  // exited meanwhile
    say("%sevent %s pid=%ld cmdline=\"%s\"", c->prefix,
        first ? "process-present" : "process-spawned", pid, cmd);
    events++;
  }
  closedir(d);
}

int main(int argc, char** argv) {
  struct config c = {.interval_ms = 2000, .max_events = 0, .name = ""};
  const char* path = "/kilt/demo-agent.conf";
  int required = 0;
  int notify_fd = -1;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-c") && i + 1 < argc) {
      path = argv[++i];
      required = 1;
    } else if (!strcmp(argv[i], "--notify-fd") && i + 1 < argc) {
      char* end;
      long fd = strtol(argv[++i], &end, 10);
      if (*end || fd < 3 || fd > 1023) {
        fprintf(stderr, "kilt-demo-agent: --notify-fd wants a descriptor number 3..1023\n");
        return 2;
      }
      notify_fd = (int)fd;
    } else if (!strcmp(argv[i], "--version")) {
      say("kilt-demo-agent 1 (stand-in for Falco)");
      return 0;
    } else {
      fprintf(stderr, "usage: kilt-demo-agent [-c CONFIG] [--notify-fd N]\n");
      return 2;
    }
  }
  if (load_config(path, required, &c) != 0) return 2;

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) {
    fprintf(stderr, "kilt-demo-agent: sigprocmask: %s\n", strerror(errno));
    return 1;
  }

  if (c.name[0]) snprintf(c.prefix, sizeof c.prefix, "%s: ", c.name);
  say("%sstarted (pid %ld) -- DEMO STAND-IN FOR FALCO, not a security tool: it reports new "
      "processes "
      "seen in /proc every %ld ms",
      c.prefix, (long)getpid(), c.interval_ms);
  int first = 1;
  for (;;) {
    scan(&c, first);
    if (first && notify_fd >= 0) {
      ssize_t w;
      do w = write(notify_fd, "\n", 1);
      while (w < 0 && errno == EINTR);
      close(notify_fd);  // a launcher without a gate gave us no such fd: EBADF is harmless
      notify_fd = -1;
    }
    first = 0;
    struct timespec ts = {c.interval_ms / 1000, (c.interval_ms % 1000) * 1000000L};
    int sig = sigtimedwait(&set, NULL, &ts);
    if (sig == SIGTERM || sig == SIGINT) {
      say("%sreceived %s, stopping", c.prefix, sig == SIGTERM ? "SIGTERM" : "SIGINT");
      return 0;
    }
    if (sig < 0 && errno != EAGAIN && errno != EINTR) {
      fprintf(stderr, "kilt-demo-agent: sigtimedwait: %s\n", strerror(errno));
      return 1;
    }
  }
}
