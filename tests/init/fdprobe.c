/* fdprobe — a test stand-in for an application that reports which standard fds it was started with.
 *
 *   fdprobe OUT
 *
 * Checks fds 0, 1 and 2 with fcntl(F_GETFD) before opening anything (a shell would reuse a closed number
 * for its own redirection) and writes "N open" or "N closed" for each to OUT. */
#include <fcntl.h>
#include <stdio.h>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  int open_[3];
  for (int fd = 0; fd < 3; fd++) open_[fd] = fcntl(fd, F_GETFD) >= 0;
  FILE* f = fopen(argv[1], "w");
  if (!f) return 1;
  for (int fd = 0; fd < 3; fd++) fprintf(f, "%d %s\n", fd, open_[fd] ? "open" : "closed");
  return fclose(f) == 0 ? 0 : 1;
}
