// The demo app of Kilt's scratch-like example image: the image holds this one static binary and
// nothing else (no shell, no libc files), which is the hardest case for a wrapper: /kilt/run must
// bring all it needs. It behaves like examples/apps/entrypoint.sh:
//   - prints its arguments and GREETING, then one "app: tick N zombies=Z" line per second;
//   - leaves one orphan behind (a grandchild that exits after 300 ms) that PID 1 must reap;
//   - exits with APP_TERM_EXIT_CODE (default 7) on SIGTERM/SIGINT, or after APP_EXIT_AFTER ticks
//   with
//     APP_EXIT_CODE (default 0).
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int env_int(const char* name, int dflt) {
  const char* v = getenv(name);
  return v && *v ? atoi(v) : dflt;
}

// Counts processes in state Z visible in /proc (our PID namespace).
static int count_zombies(void) {
  DIR* d = opendir("/proc");
  if (!d) return -1;
  int z = 0;
  struct dirent* e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    char path[300], buf[512];
    snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
    FILE* f = fopen(path, "r");
    if (!f) continue;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char* rp = strrchr(buf, ')');
    if (rp && rp[1] == ' ' && rp[2] == 'Z') z++;
  }
  closedir(d);
  return z;
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  int term_code = env_int("APP_TERM_EXIT_CODE", 7);
  int exit_after = env_int("APP_EXIT_AFTER", 0);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigprocmask(SIG_BLOCK, &set, NULL);

  printf("app: started as %s (pid %d) with args:", argv[0], (int)getpid());
  for (int i = 1; i < argc; i++) printf(" %s", argv[i]);
  printf("\napp: GREETING=%s\n", getenv("GREETING") ? getenv("GREETING") : "<unset>");

  // The orphan: the child forks a grandchild and exits; the grandchild is re-parented to PID 1.
  pid_t child = fork();
  if (child == 0) {
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    if (fork() == 0) {
      struct timespec ts = {0, 300 * 1000000L};
      nanosleep(&ts, NULL);
      _exit(0);
    }
    _exit(0);
  }
  if (child > 0) waitpid(child, NULL, 0);

  for (int n = 1;; n++) {
    printf("app: tick %d zombies=%d\n", n, count_zombies());
    if (exit_after > 0 && n >= exit_after) {
      int code = env_int("APP_EXIT_CODE", 0);
      printf("app: done after %d ticks, exiting with %d\n", n, code);
      return code;
    }
    struct timespec ts = {1, 0};
    int sig = sigtimedwait(&set, NULL, &ts);
    if (sig == SIGTERM || sig == SIGINT) {
      printf("app: %s received, exiting with %d\n", sig == SIGTERM ? "SIGTERM" : "SIGINT",
             term_code);
      return term_code;
    }
  }
}
