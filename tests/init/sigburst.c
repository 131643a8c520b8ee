/* sigburst — sends signal SIG to PID N times as fast as it can (kill(2) in a loop).
 *
 *   sigburst PID SIG N      (SIG is a number; the shell test computes RT numbers with kill -l) */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: sigburst PID SIG N\n");
    return 2;
  }
  pid_t pid = (pid_t)atoi(argv[1]);
  int sig = atoi(argv[2]), n = atoi(argv[3]);
  for (int i = 0; i < n; i++) {
    if (kill(pid, sig) != 0) {
      perror("kill");
      return 1;
    }
  }
  return 0;
}
