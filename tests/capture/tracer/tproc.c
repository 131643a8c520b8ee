/* tproc — process state the tracer keeps between events (Tracer::ProcCache), changed in each way that
 * could leave a kept value stale, each change followed by a fork whose clone event must show it.
 *
 *   tproc DIR   forks a child that exits at once after each step, then execs /bin/true:
 *                 1. nothing (the first fork: everything read from /proc)
 *                 2. nothing (the second fork: its stat file is kept open from now on)
 *                 3. prctl(PR_SET_NAME, "tproc-renamed")                     comm
 *                 4. a title written over argv, on into the environment    args (setproctitle)
 *                 5. chdir(DIR)                                            cwd
 *                 6. setrlimit(RLIMIT_NOFILE, 77)                          fdlimit
 *                 7. setresgid, setresuid(65534)                           uid, gid
 *               (needs root for step 7; exits 3 when the environment is too small for step 4) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

static void fork_once(void) {
  pid_t p = fork();
  if (p == 0) _exit(0);
  if (p > 0) waitpid(p, NULL, 0);
}

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const char* dir = argv[1];
  char dir_copy[4096];
  snprintf(dir_copy, sizeof dir_copy, "%s", dir);  // argv is overwritten below
  fork_once();
  fork_once();
  prctl(PR_SET_NAME, "tproc-renamed", 0, 0, 0);
  fork_once();
  // setproctitle: the argument area and the environment after it are one run of memory.
  char* start = argv[0];
  char* end = argv[argc - 1] + strlen(argv[argc - 1]) + 1;
  for (char** e = environ; *e; ++e)
    if (*e == end) end = *e + strlen(*e) + 1;
  const char* title = "tproc: a title longer than the arguments it overwrites, as nginx and postgres write theirs";
  size_t len = strlen(title);
  if ((size_t)(end - start) < len + 1 || (size_t)(argv[argc - 1] + strlen(argv[argc - 1]) + 1 - start) > len) {
    fprintf(stderr, "tproc: the environment is too small for the title test\n");
    return 3;
  }
  memset(start, 0, (size_t)(end - start));
  memcpy(start, title, len);
  fork_once();
  if (chdir(dir_copy) != 0) return 4;
  fork_once();
  struct rlimit rl = {77, 77};
  if (setrlimit(RLIMIT_NOFILE, &rl) != 0) return 5;
  fork_once();
  if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) return 6;
  fork_once();
  char* const args[] = {"/bin/true", NULL};
  char* const env[] = {NULL};
  execve(args[0], args, env);
  return 127;
}
