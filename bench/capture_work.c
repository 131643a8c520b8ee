/* capture_work — the workloads of bench/capture.sh (the capture's overhead), each a fixed amount of work:
 *
 *   capture_work open N       N open+close of one file (the read-sensitive-file rules' path)
 *   capture_work files N      N files created (open O_CREAT + close) in a new directory (tmpfs), then all unlinked:
 *                             OSBench's "Create Files", the workload of pdig's published 0.245
 *   capture_work connect N    N loopback TCP connections: socket, connect, accept, close
 *   capture_work cpu N        N rounds of arithmetic, no syscalls (what the filter must leave alone)
 *   capture_work threads N    N threads created and joined
 *   capture_work mixed N      N rounds of read+write on a pipe (untraced syscalls: must not stop) */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void* nothing(void* a) { return a; }

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  long n = atol(argv[2]);
  if (!strcmp(argv[1], "open")) {
    for (long i = 0; i < n; i++) {
      int fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
      if (fd < 0) return 1;
      close(fd);
    }
  } else if (!strcmp(argv[1], "files")) {
    /* On tmpfs when there is one: the syscalls' cost, not the disk's writeback of the previous run. */
    char shm[] = "/dev/shm/kilt-capture-files.XXXXXX", tmp[] = "/tmp/kilt-capture-files.XXXXXX", path[64];
    const char* dir = mkdtemp(shm) ? shm : mkdtemp(tmp);
    if (!dir) return 1;
    for (long i = 0; i < n; i++) {
      snprintf(path, sizeof path, "%s/%ld", dir, i);
      int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
      if (fd < 0) return 1;
      close(fd);
    }
    for (long i = 0; i < n; i++) {
      snprintf(path, sizeof path, "%s/%ld", dir, i);
      if (unlink(path)) return 1;
    }
    if (rmdir(dir)) return 1;
  } else if (!strcmp(argv[1], "connect")) {
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    if (bind(l, (struct sockaddr*)&sa, sizeof sa) || listen(l, 128) || getsockname(l, (struct sockaddr*)&sa, &sl))
      return 1;
    for (long i = 0; i < n; i++) {
      int c = socket(AF_INET, SOCK_STREAM, 0);
      if (connect(c, (struct sockaddr*)&sa, sizeof sa)) return 1;
      int a = accept(l, NULL, NULL);
      close(a);
      close(c);
    }
  } else if (!strcmp(argv[1], "cpu")) {
    volatile uint64_t x = 1;
    for (long i = 0; i < n; i++) x = x * 6364136223846793005ull + 1442695040888963407ull;
    return (int)(x & 0);
  } else if (!strcmp(argv[1], "threads")) {
    for (long i = 0; i < n; i++) {
      pthread_t t;
      if (pthread_create(&t, NULL, nothing, NULL)) return 1;
      pthread_join(t, NULL);
    }
  } else if (!strcmp(argv[1], "mixed")) {
    int p[2];
    char b[64] = {0};
    if (pipe(p)) return 1;
    for (long i = 0; i < n; i++) {
      if (write(p[1], b, sizeof b) != sizeof b || read(p[0], b, sizeof b) != sizeof b) return 1;
    }
  } else {
    return 2;
  }
  return 0;
}
