#include "base/diag.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace kilt::base {

void VSay(const char* prefix, const char* fmt, va_list ap) {
  char buf[2048];
  int n = snprintf(buf, sizeof buf, "%s: ", prefix);
  if (n < 0) n = 0;
  if (static_cast<size_t>(n) > sizeof buf - 2) n = sizeof buf - 2;
  int m = vsnprintf(buf + n, sizeof buf - n - 1, fmt, ap);
  size_t len = static_cast<size_t>(n) + (m < 0 ? 0 : static_cast<size_t>(m));
  if (len > sizeof buf - 2) len = sizeof buf - 2;
  buf[len++] = '\n';
  // A failed write to stderr has nowhere to be reported.
  ssize_t w;
  do w = write(STDERR_FILENO, buf, len);
  while (w < 0 && errno == EINTR);
}

void Say(const char* prefix, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  VSay(prefix, fmt, ap);
  va_end(ap);
}

std::string ErrnoMessage(std::string_view what) { return std::string(what) + ": " + std::strerror(errno); }

}  // namespace kilt::base
