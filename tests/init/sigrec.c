/* sigrec — a test stand-in for an application: records every signal it receives, one line each.
 *
 *   sigrec [-i] LOG READY
 *
 * Writes its pid to READY (atomically, via rename) once it is ready to receive, then appends the
 * signal's name ("TERM", "USR1", "RTMIN+1", ...) to LOG for each signal. TERM, INT, QUIT and HUP
 * end it with exit status 0 after logging, unless -i (ignore: log and keep running, like a daemon
 * that disregards SIGTERM). Signals are collected with sigwaitinfo, so even TSTP/TTIN/TTOU are
 * recorded instead of stopping it, and kill()-sent SEGV, BUS, FPE, ILL, TRAP, ABRT, SYS are recorded
 * instead of killing it. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void name_of(int sig, char* out, size_t n) {
  const char* abbrev = sig < SIGRTMIN ? sigabbrev_np(sig) : NULL;
  if (abbrev)
    snprintf(out, n, "%s", abbrev);
  else
    snprintf(out, n, "RTMIN+%d", sig - SIGRTMIN);
}

int main(int argc, char** argv) {
  int ignore = 0, a = 1;
  if (a < argc && strcmp(argv[a], "-i") == 0) ignore = 1, a++;
  if (argc - a != 2) {
    fprintf(stderr, "usage: sigrec [-i] LOG READY\n");
    return 2;
  }
  const char *log_path = argv[a], *ready = argv[a + 1];
  /* The fault signals too: sent by kill(), they must be recorded like any other (a real fault of
   * sigrec's own still kills it: the kernel unblocks what it forces). */
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, NULL);
  int log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    perror(log_path);
    return 1;
  }
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp.%d", ready, (int)getpid());
  FILE* f = fopen(tmp, "w");
  if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) != 0 || rename(tmp, ready) != 0) {
    perror(ready);
    return 1;
  }
  for (;;) {
    int sig = sigwaitinfo(&all, NULL);
    if (sig < 0) {
      if (errno == EINTR) continue;
      perror("sigwaitinfo");
      return 1;
    }
    char line[32];
    name_of(sig, line, sizeof line - 1);
    size_t len = strlen(line);
    line[len++] = '\n';
    if (write(log_fd, line, len) != (ssize_t)len) return 1;
    if (!ignore && (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT || sig == SIGHUP)) return 0;
  }
}
