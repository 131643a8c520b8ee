/* orphans — makes N orphaned zombies at once: forks N children that exit immediately, waits
 * (without reaping) until every one is a zombie, then exits so that all N are reparented to the
 * init together.
 *
 *   orphans N */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int is_zombie(pid_t pid) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  const char* close_paren = strrchr(buf, ')'); /* comm may contain spaces and parentheses */
  return close_paren && close_paren[1] == ' ' && close_paren[2] == 'Z';
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: orphans N\n");
    return 2;
  }
  int n = atoi(argv[1]);
  pid_t* kids = calloc((size_t)n, sizeof *kids);
  for (int i = 0; i < n; i++) {
    kids[i] = fork();
    if (kids[i] < 0) {
      perror("fork");
      return 1;
    }
    if (kids[i] == 0) _exit(0);
  }
  /* Poll with a generous deadline: exiting children become zombies within microseconds. */
  time_t deadline = time(NULL) + 60;
  for (int i = 0; i < n; i++) {
    while (!is_zombie(kids[i])) {
      if (time(NULL) > deadline) {
        fprintf(stderr, "orphans: child %d never became a zombie\n", (int)kids[i]);
        return 1;
      }
      struct timespec ts = {0, 1000000};
      nanosleep(&ts, NULL);
    }
  }
  return 0;
}
