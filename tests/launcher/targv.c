/* A test app: writes its argv (and, with TARGV_ENV set, its environment) NUL-separated to the files named
 * by $TARGV_OUT / $TARGV_ENV, then exits with $TARGV_EXIT (default 0). Reached through PATH in the tests. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

static void dump(const char *path, char **v) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) _exit(99);
  for (; *v; ++v)
    if (write(fd, *v, strlen(*v) + 1) < 0) _exit(99);
  close(fd);
}

int main(int argc, char **argv) {
  (void)argc;
  const char *o = getenv("TARGV_OUT"), *e = getenv("TARGV_ENV"), *x = getenv("TARGV_EXIT");
  if (e) dump(e, environ);
  if (o) dump(o, argv);
  return x ? atoi(x) : 0;
}
