/* zombiebench — measures how long the init above us takes to reap a storm of orphaned zombies.
 *
 *   zombiebench N       (run as the init's main child, the init being PID 1 of a PID namespace)
 *
 * A middle process forks N children that exit at once and waits until all N are zombies; then, at
 * T0, it exits, so all N are reparented to the init together. We poll kill(pid, 0) — which succeeds
 * for a zombie and fails with ESRCH once it has been reaped — until all N are gone: T1. Prints
 *   reap_us=<T1-T0 in microseconds> init_hwm_kb=<VmHWM of PID 1 afterwards>
 * The init's peak RSS is read after the storm, so it includes whatever the reaping cost it. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int is_zombie(pid_t pid) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  const char* p = strrchr(buf, ')');
  return p && p[1] == ' ' && p[2] == 'Z';
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: zombiebench N\n");
    return 2;
  }
  int n = atoi(argv[1]);
  /* The middle process reports the zombies' pids through `pids`, then waits for a byte on `go`. */
  int pids[2], go[2];
  if (pipe(pids) != 0 || pipe(go) != 0) return perror("pipe"), 1;
  pid_t middle = fork();
  if (middle < 0) return perror("fork"), 1;
  if (middle == 0) {
    close(pids[0]);
    close(go[1]);
    for (int i = 0; i < n; i++) {
      pid_t k = fork();
      if (k < 0) _exit(1);
      if (k == 0) _exit(0);
      if (write(pids[1], &k, sizeof k) != sizeof k) _exit(1);
    }
    close(pids[1]);
    char c;
    if (read(go[0], &c, 1) != 1) _exit(1);
    _exit(0); /* T0: the N zombies go to the init */
  }
  close(pids[1]);
  close(go[0]);
  pid_t* kids = calloc((size_t)n, sizeof *kids);
  for (int i = 0; i < n; i++)
    if (read(pids[0], &kids[i], sizeof kids[i]) != sizeof kids[i])
      return fprintf(stderr, "short read\n"), 1;
  time_t deadline = time(NULL) + 120;
  for (int i = 0; i < n; i++)
    while (!is_zombie(kids[i]))
      if (time(NULL) > deadline) return fprintf(stderr, "zombiebench: no zombie\n"), 1;
  long long t0 = now_us();
  if (write(go[1], "g", 1) != 1) return perror("write"), 1;
  if (waitpid(middle, NULL, 0) != middle) return perror("waitpid"), 1;
  for (int i = 0; i < n; i++) {
    while (kill(kids[i], 0) == 0) {
      if (time(NULL) > deadline)
        return fprintf(stderr, "zombiebench: the init never reaped %d\n", kids[i]), 1;
      sched_yield(); /* leave the CPU to the init on a busy machine */
    }
  }
  long long t1 = now_us();
  FILE* f = fopen("/proc/1/status", "r");
  long hwm = -1;
  if (f) {
    char status[4096];
    while (fgets(status, sizeof status, f))
      if (sscanf(status, "VmHWM: %ld", &hwm) == 1) break;
    fclose(f);
  }
  printf("reap_us=%lld init_hwm_kb=%ld\n", t1 - t0, hwm);
  return 0;
}
