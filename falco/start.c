/* start.c — /kilt/falco/start: finds the container's identity, puts it where /kilt/falco/falco.yaml
 * reads it (environment variables), and execs Falco. kilt-run starts this instead of Falco itself.
 *
 *   /kilt/falco/start [FALCO ARGS...]
 *   execs <dir>/bin/falco -c <dir>/falco.yaml FALCO ARGS...   (<dir> = where this program lives; no -c is
 *   added when the arguments already name a config with -c)
 *
 * Sets KILT_CONTAINER_ID, KILT_CONTAINER_NAME, KILT_CONTAINER_IMAGE, KILT_TASK and KILT_PLATFORM (see
 * identity.h for where each comes from), and removes LD_PRELOAD, LD_LIBRARY_PATH and LD_AUDIT: they belong
 * to the app's image and must not inject its libraries into Falco (whose own loader and libraries live under
 * <dir>/lib). Writes one line to stderr with the identity it found, and one more when it had to fall back.
 *
 * Environment it reads besides identity.h's: KILT_METADATA_TIMEOUT_MS (default 1000, per attempt; 3
 * attempts).
 * Exit status (only when Falco could not be started): 127 Falco not found, 126 not executable, 111 other.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "falco/identity.h"

enum { kMaxArgs = 256 };

static const char* real_getenv(const char* name) { return getenv(name); }

static long read_small_file(const char* path, char* buf, size_t cap) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t n = 0;
  while (n < cap) {
    ssize_t r = read(fd, buf + n, cap - n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    n += (size_t)r;
  }
  close(fd);
  return (long)n;
}

static int real_hostname(char* buf, size_t cap) {
  if (gethostname(buf, cap) != 0) return -1;
  buf[cap - 1] = '\0';
  return 0;
}

/* The directory this program lives in (/kilt/falco in the payload). */
static int own_dir(char* dir, size_t cap) {
  ssize_t n = readlink("/proc/self/exe", dir, cap - 1);
  if (n <= 0) return -1;
  dir[n] = '\0';
  char* slash = strrchr(dir, '/');
  if (!slash) return -1;
  *slash = '\0';
  return 0;
}

static int has_config_arg(int argc, char** argv) {
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) break;
    if (strcmp(argv[i], "-c") == 0 || strncmp(argv[i], "-c", 2) == 0 || strncmp(argv[i], "--config", 8) == 0)
      return 1;
  }
  return 0;
}

int main(int argc, char** argv) {
  char dir[PATH_MAX], falco[PATH_MAX + 16], config[PATH_MAX + 16], note[1024];
  static kilt_identity id;

  if (own_dir(dir, sizeof dir) != 0) {
    fprintf(stderr, "kilt-falco-start: cannot find its own directory (/proc/self/exe): %s\n", strerror(errno));
    return 111;
  }
  snprintf(falco, sizeof falco, "%s/bin/falco", dir);
  snprintf(config, sizeof config, "%s/falco.yaml", dir);

  const char* t = getenv("KILT_METADATA_TIMEOUT_MS");
  int timeout_ms = t && *t ? atoi(t) : 1000;
  kilt_identity_env env = {real_getenv, read_small_file, real_hostname, timeout_ms > 0 ? timeout_ms : 1000, 3};
  kilt_resolve_identity(&env, &id, note, sizeof note);
  if (note[0]) fprintf(stderr, "kilt-falco-start: warning: %s\n", note);
  fprintf(stderr, "kilt-falco-start: container id=%s name=%s image=%s platform=%s task=%s (from %s)\n", id.id, id.name,
          id.image, id.platform, id.task, id.source);

  if (setenv("KILT_CONTAINER_ID", id.id, 1) || setenv("KILT_CONTAINER_NAME", id.name, 1) ||
      setenv("KILT_CONTAINER_IMAGE", id.image, 1) || setenv("KILT_TASK", id.task, 1) ||
      setenv("KILT_PLATFORM", id.platform, 1)) {
    fprintf(stderr, "kilt-falco-start: setenv: %s\n", strerror(errno));
    return 111;
  }
  unsetenv("LD_PRELOAD");
  unsetenv("LD_LIBRARY_PATH");
  unsetenv("LD_AUDIT");

  char* args[kMaxArgs + 4];
  int n = 0;
  args[n++] = falco;
  if (!has_config_arg(argc, argv)) {
    args[n++] = "-c";
    args[n++] = config;
  }
  if (argc - 1 > kMaxArgs) {
    fprintf(stderr, "kilt-falco-start: too many arguments (%d, at most %d)\n", argc - 1, kMaxArgs);
    return 111;
  }
  for (int i = 1; i < argc; i++) args[n++] = argv[i];
  args[n] = NULL;
  fflush(stderr);
  execv(falco, args);
  int e = errno;
  if (e == ENOENT && access(falco, F_OK) == 0)
    fprintf(stderr,
            "kilt-falco-start: cannot run %s: its ELF interpreter is missing (the tree must be mounted at "
            "/kilt/falco, which bin/falco's PT_INTERP names)\n",
            falco);
  else
    fprintf(stderr, "kilt-falco-start: cannot run %s: %s\n", falco, strerror(e));
  return e == ENOENT ? 127 : e == EACCES ? 126 : 111;
}
