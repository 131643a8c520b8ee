/* tblock — blocks forever in a traced syscall (accept on a listening socket nobody connects to), after
 * writing its pid to READY. For the capture suite: a stop at its exit is pending forever, and SIGTERM
 * must still end it at once.
 *
 *   tblock READY */
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  int l = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0, .sin_addr = {htonl(INADDR_LOOPBACK)}};
  if (bind(l, (struct sockaddr*)&sa, sizeof sa) != 0 || listen(l, 1) != 0) return 1;
  FILE* f = fopen(argv[1], "w");
  if (!f) return 1;
  fprintf(f, "%d\n", (int)getpid());
  fclose(f);
  accept(l, NULL, NULL);
  return 0;
}
