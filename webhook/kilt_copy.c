/* kilt-copy SRC DST: copies the directory tree SRC into the existing directory DST (regular files,
 * directories, symlinks; modes kept). It is the command of the webhook's init container: the kilt
 * image has no shell or cp, and Kubernetes has no volumesFrom, so /kilt reaches the app containers
 * through an emptyDir that this fills. Static (musl), so it runs from the kilt image as /kilt/copy.
 *
 * Each file is written to DST/.name.tmp and renamed, so an app container never sees a half-written
 * binary even if the init container is restarted mid-copy. Exit status: 0 done, 1 I/O error
 * (message names the path and errno), 2 usage. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(const char *what, const char *path) {
  fprintf(stderr, "kilt-copy: %s %s: %s\n", what, path, strerror(errno));
  return 1;
}

static int copy_file(const char *src, const char *dst, const char *dir, const char *name, mode_t mode) {
  char tmp[PATH_MAX];
  if (snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name) >= (int)sizeof tmp) return fail("path too long", dst);
  int in = open(src, O_RDONLY | O_CLOEXEC);
  if (in < 0) return fail("open", src);
  int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode & 07777);
  if (out < 0) {
    close(in);
    return fail("create", tmp);
  }
  char buf[65536];
  for (;;) {
    ssize_t n = read(in, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      close(in), close(out);
      return fail("read", src);
    }
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(out, buf + off, (size_t)(n - off));
      if (w < 0) {
        if (errno == EINTR) continue;
        close(in), close(out);
        return fail("write", tmp);
      }
      off += w;
    }
  }
  close(in);
  /* umask may have cleared bits (the exec bit is what matters here). */
  if (fchmod(out, mode & 07777) != 0) return close(out), fail("chmod", tmp);
  if (close(out) != 0) return fail("close", tmp);
  if (rename(tmp, dst) != 0) return fail("rename", dst);
  return 0;
}

static int copy_tree(const char *src, const char *dst) {
  DIR *d = opendir(src);
  if (!d) return fail("opendir", src);
  struct dirent *e;
  int rc = 0;
  while (rc == 0 && (e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    char s[PATH_MAX], t[PATH_MAX];
    if (snprintf(s, sizeof s, "%s/%s", src, e->d_name) >= (int)sizeof s ||
        snprintf(t, sizeof t, "%s/%s", dst, e->d_name) >= (int)sizeof t) {
      errno = ENAMETOOLONG;
      rc = fail("path", s);
      break;
    }
    struct stat st;
    if (lstat(s, &st) != 0) {
      rc = fail("stat", s);
    } else if (S_ISDIR(st.st_mode)) {
      if (mkdir(t, st.st_mode & 07777) != 0 && errno != EEXIST) rc = fail("mkdir", t);
      if (rc == 0) rc = copy_tree(s, t);
    } else if (S_ISLNK(st.st_mode)) {
      char target[PATH_MAX];
      ssize_t n = readlink(s, target, sizeof target - 1);
      if (n < 0) {
        rc = fail("readlink", s);
      } else {
        target[n] = 0;
        unlink(t);
        if (symlink(target, t) != 0) rc = fail("symlink", t);
      }
    } else if (S_ISREG(st.st_mode)) {
      rc = copy_file(s, t, dst, e->d_name, st.st_mode);
    }
  }
  closedir(d);
  return rc;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: kilt-copy SRC DST  (copies the tree SRC into the directory DST)\n");
    return 2;
  }
  umask(0);
  return copy_tree(argv[1], argv[2]);
}
