/* Start-up latency harness for the benchmarks: how long from exec'ing a launcher until the app it runs
 * has been exec'ed.
 *   tstamp app        the "app": writes CLOCK_MONOTONIC (ns) to fd $STAMP_FD and exits
 *   tstamp measure N CMD0... [:: CMD1...]...
 *                     runs every CMD (each ends up exec'ing "tstamp app") once per round, N rounds,
 *                     the commands interleaved round by round so that load changes on a shared machine
 *                     fall on all of them alike. For each CMD prints one line:
 *                       median p10 p90 min paired cpu
 *                     in microseconds: the latency (app's stamp - time just before fork); `paired`, the
 *                     median over rounds of (this CMD's latency - CMD0's in the same round), the figure
 *                     that drift in load disturbs least; `cpu`, the median user+sys time of the whole run
 *                     (the launcher, its agents and the app, until the launcher exits). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CMDS 8

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t children_cpu_us(void) {
  struct rusage ru;
  getrusage(RUSAGE_CHILDREN, &ru);
  return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec +
         ru.ru_stime.tv_usec;
}

static int cmp(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

/* The p-th percentile of v[0..n); sorts v in place. */
static int64_t pct(int64_t *v, int n, int p) {
  qsort(v, (size_t)n, sizeof *v, cmp);
  return v[(n - 1) * p / 100];
}

/* One run of argv: fills its latency and CPU time (µs) and returns 0, or returns -1. */
static int run_once(char **argv, int64_t *lat_us, int64_t *cpu_us) {
  int p[2];
  if (pipe(p)) return -1;
  char fdbuf[16];
  snprintf(fdbuf, sizeof fdbuf, "%d", p[1]);
  setenv("STAMP_FD", fdbuf, 1);
  int64_t cpu0 = children_cpu_us();
  int64_t t0 = now_ns();
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    execvp(argv[0], argv);
    _exit(127);
  }
  close(p[1]);
  int64_t t1 = 0;
  ssize_t r = read(p[0], &t1, sizeof t1);
  close(p[0]);
  int st;
  waitpid(pid, &st, 0);
  if (r != sizeof t1) {
    fprintf(stderr, "tstamp: %s: no stamp from the app (exit status %d)\n", argv[0], st);
    return -1;
  }
  *lat_us = (t1 - t0) / 1000;
  *cpu_us = children_cpu_us() - cpu0;
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 2 && !strcmp(argv[1], "app")) {
    int64_t t = now_ns();
    const char *fd = getenv("STAMP_FD");
    if (!fd || write(atoi(fd), &t, sizeof t) != sizeof t) return 1;
    return 0;
  }
  if (argc < 4 || strcmp(argv[1], "measure") || atoi(argv[2]) < 1) {
    fprintf(stderr, "usage: tstamp app | tstamp measure N CMD... [:: CMD...]...\n");
    return 2;
  }
  int n = atoi(argv[2]);
  char **cmds[MAX_CMDS];
  int ncmds = 0;
  cmds[ncmds++] = argv + 3;
  for (int i = 3; i < argc; ++i) {
    if (strcmp(argv[i], "::")) continue;
    argv[i] = NULL; /* ends the previous command's argv */
    if (ncmds == MAX_CMDS || i + 1 >= argc) {
      fprintf(stderr, "tstamp: at most %d commands, none empty\n", MAX_CMDS);
      return 2;
    }
    cmds[ncmds++] = argv + i + 1;
  }
  int64_t *lat = calloc((size_t)(n * ncmds), sizeof *lat);
  int64_t *cpu = calloc((size_t)(n * ncmds), sizeof *cpu);
  int64_t *tmp = calloc((size_t)n, sizeof *tmp);
  if (!lat || !cpu || !tmp) return 1;
  for (int i = 0; i < n; ++i) {
    for (int c = 0; c < ncmds; ++c) { /* the order rotates: no command always runs first */
      int k = (c + i) % ncmds;
      if (run_once(cmds[k], &lat[k * n + i], &cpu[k * n + i])) return 1;
    }
  }
  int64_t paired[MAX_CMDS], cpu_med[MAX_CMDS];
  for (int c = 0; c < ncmds; ++c) { /* before any sort: pairs are by round */
    for (int i = 0; i < n; ++i) tmp[i] = lat[c * n + i] - lat[i];
    paired[c] = pct(tmp, n, 50);
    memcpy(tmp, cpu + c * n, (size_t)n * sizeof *tmp);
    cpu_med[c] = pct(tmp, n, 50);
  }
  for (int c = 0; c < ncmds; ++c) {
    int64_t *v = lat + c * n;
    int64_t med = pct(v, n, 50), p10 = pct(v, n, 10), p90 = pct(v, n, 90), mn = v[0];
    printf("%lld %lld %lld %lld %lld %lld\n", (long long)med, (long long)p10, (long long)p90, (long long)mn,
           (long long)paired[c], (long long)cpu_med[c]);
  }
  return 0;
}
