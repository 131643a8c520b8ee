/* argdump — writes its arguments (after OUT), each followed by a NUL byte, to OUT; then the
 * environment, likewise, to OUT.env. Lets a test compare argv and environment byte for byte.
 *
 *   argdump OUT [ARGS...] */
#include <stdio.h>
#include <string.h>

extern char** environ;

static int dump(const char* path, char** items) {
  FILE* f = fopen(path, "wb");
  if (!f) return perror(path), 1;
  for (char** p = items; *p; p++) fwrite(*p, 1, strlen(*p) + 1, f);
  return fclose(f) != 0;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: argdump OUT [ARGS...]\n");
    return 2;
  }
  char env_path[4096];
  snprintf(env_path, sizeof env_path, "%s.env", argv[1]);
  return dump(argv[1], argv + 2) | dump(env_path, environ);
}
