/* tthreads — threads for the capture suite.
 *
 *   tthreads N            N threads, each opens /dev/null once (with its own tid in the path's
 *                         query: /dev/null never has one, so the path is /dev/null), then all exit
 *   tthreads exec PROG..  one extra thread execs PROG (an exec from a non-leader thread); the main
 *                         thread meanwhile blocks forever: the exec ends it */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char** exec_argv;

static void* opener(void* arg) {
  (void)arg;
  int fd = open("/dev/null", O_RDONLY);
  if (fd >= 0) close(fd);
  return NULL;
}

static void* execer(void* arg) {
  (void)arg;
  execv(exec_argv[0], exec_argv);
  perror("execv");
  exit(127);
}

int main(int argc, char** argv) {
  if (argc >= 3 && strcmp(argv[1], "exec") == 0) {
    exec_argv = argv + 2;
    pthread_t t;
    pthread_create(&t, NULL, execer, NULL);
    for (;;) pause();
  }
  if (argc != 2) return 2;
  int n = atoi(argv[1]);
  pthread_t* ts = calloc((size_t)n, sizeof *ts);
  for (int i = 0; i < n; i++)
    if (pthread_create(&ts[i], NULL, opener, NULL) != 0) return 1;
  for (int i = 0; i < n; i++) pthread_join(ts[i], NULL);
  return 0;
}
