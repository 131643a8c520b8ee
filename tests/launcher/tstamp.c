/* Start-up latency harness for the benchmarks: how long from exec'ing a launcher until the app it runs
 * has been exec'ed.
 *   tstamp app                    the "app": writes CLOCK_MONOTONIC (ns) to fd $STAMP_FD and exits
 *   tstamp measure N CMD...       runs CMD N times (CMD ends up exec'ing "tstamp app"); prints
 *                                 "median p10 p90" of (app's stamp - time just before fork) in microseconds */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc >= 2 && !strcmp(argv[1], "app")) {
    int64_t t = now_ns();
    const char *fd = getenv("STAMP_FD");
    if (!fd || write(atoi(fd), &t, sizeof t) != sizeof t) return 1;
    return 0;
  }
  if (argc < 4 || strcmp(argv[1], "measure")) {
    fprintf(stderr, "usage: tstamp app | tstamp measure N CMD...\n");
    return 2;
  }
  int n = atoi(argv[2]);
  int64_t *v = calloc((size_t)n, sizeof *v);
  for (int i = 0; i < n; ++i) {
    int p[2];
    if (pipe(p)) return 1;
    char fdbuf[16];
    snprintf(fdbuf, sizeof fdbuf, "%d", p[1]);
    setenv("STAMP_FD", fdbuf, 1);
    int64_t t0 = now_ns();
    pid_t pid = fork();
    if (pid == 0) {
      close(p[0]);
      execvp(argv[3], argv + 3);
      _exit(127);
    }
    close(p[1]);
    int64_t t1 = 0;
    ssize_t r = read(p[0], &t1, sizeof t1);
    close(p[0]);
    int st;
    waitpid(pid, &st, 0);
    if (r != sizeof t1) {
      fprintf(stderr, "tstamp: run %d: no stamp from the app (exit status %d)\n", i, st);
      return 1;
    }
    v[i] = (t1 - t0) / 1000;
  }
  qsort(v, (size_t)n, sizeof *v, cmp);
  printf("%lld %lld %lld\n", (long long)v[n / 2], (long long)v[n / 10], (long long)v[n * 9 / 10]);
  return 0;
}
