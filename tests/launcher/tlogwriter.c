/* A test agent that floods its stdout (and stderr with --both): N numbered lines of varying length, written
 * in chunks that cut lines at arbitrary places, so the launcher's framer sees partial lines constantly.
 *   tlogwriter ID N [--both] [--whole] [--done FILE]
 * --whole writes whole lines only, at most PIPE_BUF bytes per write (what a well-behaved app does: only such
 * writes stay untangled from other writers of the same pipe).
 * Line k: "ID k LEN PAYLOAD\n", PAYLOAD = LEN copies of 'a' + k % 26; with --both, odd k go to stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

static char buf[2][1 << 16];
static size_t used[2];

static void out(int s, size_t upto) {
  size_t off = 0;
  while (off < upto) {
    ssize_t w = write(s + 1, buf[s] + off, upto - off);
    if (w < 0) exit(3);
    off += (size_t)w;
  }
  memmove(buf[s], buf[s] + upto, used[s] - upto);
  used[s] -= upto;
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  const char *id = argv[1];
  long n = atol(argv[2]);
  int both = 0, whole = 0;
  const char *done = NULL;
  for (int i = 3; i < argc; ++i) {
    if (!strcmp(argv[i], "--both")) both = 1;
    else if (!strcmp(argv[i], "--whole")) whole = 1;
    else if (!strcmp(argv[i], "--done") && i + 1 < argc) done = argv[++i];
  }
  unsigned rng = 12345;
  for (long k = 0; k < n; ++k) {
    int s = both ? (int)(k & 1) : 0;
    int len = (int)((k * 7919) % 190) + 1;
    char line[300];
    int h = snprintf(line, sizeof line, "%s %ld %d ", id, k, len);
    memset(line + h, 'a' + (int)(k % 26), (size_t)len);
    line[h + len] = '\n';
    if (whole && used[s] + (size_t)(h + len + 1) > 4096) out(s, used[s]);
    memcpy(buf[s] + used[s], line, (size_t)(h + len + 1));
    used[s] += (size_t)(h + len + 1);
    rng = rng * 1103515245u + 12345u;
    size_t cut = (rng >> 8) % 9000 + 1;  /* a cut that falls anywhere, often mid-line */
    if (!whole && used[s] >= cut) out(s, cut);
  }
  for (int s = 0; s < 2; ++s) out(s, used[s]);
  if (done) {
    int fd = open(done, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) close(fd);
  }
  return 0;
}
