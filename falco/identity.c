/* identity.c — see identity.h. */
#include "falco/identity.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void copy_str(char* dst, size_t cap, const char* src) {
  if (cap == 0) return;
  size_t n = strlen(src);
  if (n >= cap) n = cap - 1;
  memcpy(dst, src, n);
  dst[n] = '\0';
}

/* dst = a + sep + b, truncated to cap. */
static void join3(char* dst, size_t cap, const char* a, const char* sep, const char* b) {
  copy_str(dst, cap, a);
  size_t n = strlen(dst);
  copy_str(dst + n, cap - n, sep);
  n = strlen(dst);
  copy_str(dst + n, cap - n, b);
}

__attribute__((format(printf, 3, 4))) static void set_err(char* err, size_t errlen, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  if (errlen) vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

/* ---- a small JSON reader: just enough to walk one object and decode strings ---------------------------- */

typedef struct jscan {
  const char* p;
  const char* end;
  int depth;
} jscan;

enum { kMaxDepth = 64 };

static void skip_ws(jscan* s) {
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')) s->p++;
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static int parse_hex4(jscan* s, unsigned* cp) {
  if (s->end - s->p < 4) return -1;
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    int d = hex_digit(s->p[i]);
    if (d < 0) return -1;
    v = v << 4 | (unsigned)d;
  }
  s->p += 4;
  *cp = v;
  return 0;
}

/* Appends one byte to out unless full; *n counts every byte, so truncation is visible to the caller. */
static void put_byte(char* out, size_t cap, size_t* n, char c) {
  if (out && *n + 1 < cap) out[*n] = c;
  (*n)++;
}

static void put_utf8(char* out, size_t cap, size_t* n, unsigned cp) {
  if (cp < 0x80) {
    put_byte(out, cap, n, (char)cp);
  } else if (cp < 0x800) {
    put_byte(out, cap, n, (char)(0xC0 | cp >> 6));
    put_byte(out, cap, n, (char)(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    put_byte(out, cap, n, (char)(0xE0 | cp >> 12));
    put_byte(out, cap, n, (char)(0x80 | (cp >> 6 & 0x3F)));
    put_byte(out, cap, n, (char)(0x80 | (cp & 0x3F)));
  } else {
    put_byte(out, cap, n, (char)(0xF0 | cp >> 18));
    put_byte(out, cap, n, (char)(0x80 | (cp >> 12 & 0x3F)));
    put_byte(out, cap, n, (char)(0x80 | (cp >> 6 & 0x3F)));
    put_byte(out, cap, n, (char)(0x80 | (cp & 0x3F)));
  }
}

/* Reads a JSON string at s->p (which must be '"'), decoding escapes into out (NUL-terminated, truncated to
 * cap - 1 bytes; out may be NULL to skip). *full gets the decoded length before truncation. */
static int parse_string(jscan* s, char* out, size_t cap, size_t* full) {
  size_t n = 0;
  if (s->p >= s->end || *s->p != '"') return -1;
  s->p++;
  for (;;) {
    if (s->p >= s->end) return -1;
    unsigned char c = (unsigned char)*s->p++;
    if (c == '"') break;
    if (c < 0x20) return -1; /* raw control characters are not allowed in JSON strings */
    if (c != '\\') {
      put_byte(out, cap, &n, (char)c);
      continue;
    }
    if (s->p >= s->end) return -1;
    char e = *s->p++;
    switch (e) {
      case '"': put_byte(out, cap, &n, '"'); break;
      case '\\': put_byte(out, cap, &n, '\\'); break;
      case '/': put_byte(out, cap, &n, '/'); break;
      case 'b': put_byte(out, cap, &n, '\b'); break;
      case 'f': put_byte(out, cap, &n, '\f'); break;
      case 'n': put_byte(out, cap, &n, '\n'); break;
      case 'r': put_byte(out, cap, &n, '\r'); break;
      case 't': put_byte(out, cap, &n, '\t'); break;
      case 'u': {
        unsigned cp;
        if (parse_hex4(s, &cp) != 0) return -1;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          unsigned lo;
          jscan save = *s;
          if (s->end - s->p >= 2 && s->p[0] == '\\' && s->p[1] == 'u') {
            s->p += 2;
            if (parse_hex4(s, &lo) == 0 && lo >= 0xDC00 && lo <= 0xDFFF) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else {
              *s = save;
              cp = 0xFFFD;
            }
          } else {
            cp = 0xFFFD;
          }
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          cp = 0xFFFD; /* a lone low surrogate */
        }
        put_utf8(out, cap, &n, cp);
        break;
      }
      default: return -1;
    }
  }
  if (out && cap) out[n < cap ? n : cap - 1] = '\0';
  if (full) *full = n;
  return 0;
}

static int skip_value(jscan* s);

static int skip_literal(jscan* s, const char* lit) {
  size_t n = strlen(lit);
  if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0) return -1;
  s->p += n;
  return 0;
}

static int skip_number(jscan* s) {
  const char* start = s->p;
  while (s->p < s->end && strchr("+-0123456789.eE", *s->p)) s->p++;
  return s->p > start ? 0 : -1;
}

/* Calls member(ctx, key, keylen_full, s) for each member of an object, with s->p at the value; member must
 * consume the value. */
typedef int (*member_fn)(void* ctx, const char* key, size_t keylen, jscan* s);

/* An object ('{', members through `member`, or skipped when it is NULL) or an array ('[', elements
 * skipped) at s->p, up to its closing bracket. */
static int walk_container(jscan* s, member_fn member, void* ctx) {
  char key[128];
  size_t keylen;
  skip_ws(s);
  if (s->p >= s->end || (*s->p != '{' && *s->p != '[')) return -1;
  const int is_object = *s->p == '{';
  const char close = is_object ? '}' : ']';
  if (++s->depth > kMaxDepth) return -1;
  s->p++;
  skip_ws(s);
  int first = 1;
  for (;;) {
    skip_ws(s);
    if (s->p >= s->end) return -1;
    if (*s->p == close && first) break; /* empty */
    first = 0;
    if (is_object) {
      if (parse_string(s, key, sizeof key, &keylen) != 0) return -1;
      skip_ws(s);
      if (s->p >= s->end || *s->p != ':') return -1;
      s->p++;
      skip_ws(s);
      if ((member ? member(ctx, key, keylen, s) : skip_value(s)) != 0) return -1;
    } else if (skip_value(s) != 0) {
      return -1;
    }
    skip_ws(s);
    if (s->p >= s->end) return -1;
    if (*s->p == ',') {
      s->p++;
      continue;
    }
    if (*s->p == close) break;
    return -1;
  }
  s->p++;
  s->depth--;
  return 0;
}

static int skip_value(jscan* s) {
  skip_ws(s);
  if (s->p >= s->end) return -1;
  switch (*s->p) {
    case '"': return parse_string(s, NULL, 0, NULL);
    case '{':
    case '[': return walk_container(s, NULL, NULL);
    case 't': return skip_literal(s, "true");
    case 'f': return skip_literal(s, "false");
    case 'n': return skip_literal(s, "null");
    default: return skip_number(s);
  }
}

static int key_is(const char* key, size_t keylen, const char* want) {
  return keylen == strlen(want) && strcmp(key, want) == 0;
}

/* A string value into dst (when it is a string; other types are skipped and leave dst alone). */
static int take_string(jscan* s, char* dst, size_t cap) {
  if (s->p < s->end && *s->p == '"') {
    char tmp[KILT_ID_FIELD];
    if (parse_string(s, tmp, sizeof tmp, NULL) != 0) return -1;
    copy_str(dst, cap, tmp);
    return 0;
  }
  return skip_value(s);
}

static int label_member(void* ctx, const char* key, size_t keylen, jscan* s) {
  kilt_identity* out = (kilt_identity*)ctx;
  if (key_is(key, keylen, "com.amazonaws.ecs.task-arn")) return take_string(s, out->task, sizeof out->task);
  return skip_value(s);
}

static int container_member(void* ctx, const char* key, size_t keylen, jscan* s) {
  kilt_identity* out = (kilt_identity*)ctx;
  if (key_is(key, keylen, "DockerId")) return take_string(s, out->id, sizeof out->id);
  if (key_is(key, keylen, "Name")) return take_string(s, out->name, sizeof out->name);
  if (key_is(key, keylen, "Image")) return take_string(s, out->image, sizeof out->image);
  if (key_is(key, keylen, "Labels") && s->p < s->end && *s->p == '{') return walk_container(s, label_member, out);
  return skip_value(s);
}

int kilt_parse_ecs_metadata(const char* json, size_t len, kilt_identity* out, char* err, size_t errlen) {
  kilt_identity found;
  memset(&found, 0, sizeof found);
  jscan s = {json, json + len, 0};
  skip_ws(&s);
  if (s.p >= s.end || *s.p != '{') {
    set_err(err, errlen, "the metadata is not a JSON object");
    return -1;
  }
  if (walk_container(&s, container_member, &found) != 0) {
    set_err(err, errlen, "the metadata is not valid JSON");
    return -1;
  }
  skip_ws(&s);
  if (s.p != s.end) {
    set_err(err, errlen, "the metadata has text after its JSON object");
    return -1;
  }
  if (!found.id[0]) {
    set_err(err, errlen, "the metadata has no DockerId");
    return -1;
  }
  copy_str(out->id, sizeof out->id, found.id);
  if (found.name[0]) copy_str(out->name, sizeof out->name, found.name);
  if (found.image[0]) copy_str(out->image, sizeof out->image, found.image);
  if (found.task[0]) copy_str(out->task, sizeof out->task, found.task);
  return 0;
}

/* ---- cgroup and URL ----------------------------------------------------------------------------------- */

int kilt_container_id_from_cgroup(const char* text, size_t len, char* id, size_t idcap) {
  const char* end = text + len;
  for (const char* line = text; line < end;) {
    const char* eol = memchr(line, '\n', (size_t)(end - line));
    if (!eol) eol = end;
    /* hierarchy-ID:controllers:path — the path is after the second colon */
    const char* c1 = memchr(line, ':', (size_t)(eol - line));
    const char* c2 = c1 ? memchr(c1 + 1, ':', (size_t)(eol - c1 - 1)) : NULL;
    if (c2) {
      const char* path = c2 + 1;
      const char* last = path;
      for (const char* q = path; q < eol; q++)
        if (*q == '/') last = q + 1;
      /* the first run of exactly 64 hex digits in the last element */
      for (const char* q = last; q < eol;) {
        const char* r = q;
        while (r < eol && ((*r >= '0' && *r <= '9') || (*r >= 'a' && *r <= 'f'))) r++;
        if (r - q == 64) {
          if (idcap < 13) return -1;
          memcpy(id, q, 12);
          id[12] = '\0';
          return 0;
        }
        q = r > q ? r : q + 1;
      }
    }
    line = eol + 1;
  }
  return -1;
}

int kilt_url_last_element(const char* url, char* out, size_t cap) {
  const char* p = strstr(url, "://");
  p = p ? p + 3 : url;
  p = strchr(p, '/'); /* skip the authority */
  if (!p) return -1;
  const char* end = p + strcspn(p, "?#");
  while (end > p && end[-1] == '/') end--;
  const char* start = end;
  while (start > p && start[-1] != '/') start--;
  if (start == end || (size_t)(end - start) >= cap) return -1;
  memcpy(out, start, (size_t)(end - start));
  out[end - start] = '\0';
  return 0;
}

/* ---- HTTP GET ------------------------------------------------------------------------------------------ */

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int remaining(long long deadline) {
  long long r = deadline - now_ms();
  return r > 0 ? (int)r : 0;
}

/* Waits for fd to be ready for ev before the deadline; 0 ready, -1 timed out or failed (errno). */
static int wait_fd(int fd, short ev, long long deadline) {
  for (;;) {
    int left = remaining(deadline);
    if (left == 0) {
      errno = ETIMEDOUT;
      return -1;
    }
    struct pollfd pfd = {fd, ev, 0};
    int r = poll(&pfd, 1, left);
    if (r > 0) return 0;
    if (r < 0 && errno != EINTR) return -1;
  }
}

static int connect_any(const char* host, const char* port, long long deadline, char* err, size_t errlen) {
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  int gai = getaddrinfo(host, port, &hints, &res);
  if (gai != 0) {
    set_err(err, errlen, "cannot resolve %s: %s", host, gai_strerror(gai));
    return -1;
  }
  int fd = -1, last_errno = 0;
  for (struct addrinfo* ai = res; ai && fd < 0; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last_errno = errno;
      continue;
    }
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) break;
    int e = errno;
    if (e == EINPROGRESS) {
      int soerr = 0;
      socklen_t sl = sizeof soerr;
      if (wait_fd(fd, POLLOUT, deadline) != 0)
        e = errno;
      else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
        e = errno;
      else if (soerr == 0)
        break;
      else
        e = soerr;
    }
    last_errno = e;
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd < 0) {
    if (last_errno == ETIMEDOUT)
      set_err(err, errlen, "connect %s:%s: no answer in time", host, port);
    else
      set_err(err, errlen, "connect %s:%s: %s", host, port, strerror(last_errno));
  }
  return fd;
}

static int ieq_prefix(const char* s, const char* end, const char* want) {
  size_t n = strlen(want);
  if ((size_t)(end - s) < n) return 0;
  for (size_t i = 0; i < n; i++) {
    char a = s[i], b = want[i];
    if (a >= 'A' && a <= 'Z') a = (char)(a - 'A' + 'a');
    if (a != b) return 0;
  }
  return 1;
}

/* Decodes a chunked body in place; returns its length or -1. */
static long dechunk(char* b, size_t n) {
  size_t in = 0, out = 0;
  for (;;) {
    size_t size = 0;
    int digits = 0, d;
    while (in < n && (d = hex_digit(b[in])) >= 0) {
      if (size > (size_t)1 << 24) return -1;
      size = size * 16 + (size_t)d;
      in++;
      digits++;
    }
    if (!digits) return -1;
    while (in < n && b[in] != '\n') in++; /* chunk extensions, CR */
    if (in >= n) return -1;
    in++;
    if (size == 0) return (long)out;
    if (size > n - in) return -1;
    memmove(b + out, b + in, size);
    out += size;
    in += size;
    if (in < n && b[in] == '\r') in++;
    if (in >= n || b[in] != '\n') return -1;
    in++;
  }
}

int kilt_http_get(const char* url, int timeout_ms, char* body, size_t cap, size_t* len, char* err,
                  size_t errlen) {
  static const char kScheme[] = "http://";
  char host[256], port[8] = "80", req[2048];
  if (strncmp(url, kScheme, sizeof kScheme - 1) != 0) {
    set_err(err, errlen, "not an http:// URL: %s", url);
    return -1;
  }
  const char* a = url + sizeof kScheme - 1;
  const char* path = a + strcspn(a, "/?#");
  const char* hend = path;
  const char* pstart = NULL;
  if (*a == '[') { /* [IPv6]:port */
    const char* rb = memchr(a, ']', (size_t)(path - a));
    if (!rb) {
      set_err(err, errlen, "bad host in URL: %s", url);
      return -1;
    }
    if ((size_t)(rb - a - 1) >= sizeof host) {
      set_err(err, errlen, "bad host in URL: %s", url);
      return -1;
    }
    memcpy(host, a + 1, (size_t)(rb - a - 1));
    host[rb - a - 1] = '\0';
    if (rb + 1 < path && rb[1] == ':') pstart = rb + 2;
  } else {
    const char* colon = memchr(a, ':', (size_t)(path - a));
    if (colon) {
      hend = colon;
      pstart = colon + 1;
    }
    if (hend == a || (size_t)(hend - a) >= sizeof host) {
      set_err(err, errlen, "bad host in URL: %s", url);
      return -1;
    }
    memcpy(host, a, (size_t)(hend - a));
    host[hend - a] = '\0';
  }
  if (pstart) {
    size_t pl = (size_t)(path - pstart);
    if (pl == 0 || pl >= sizeof port || strspn(pstart, "0123456789") < pl) {
      set_err(err, errlen, "bad port in URL: %s", url);
      return -1;
    }
    memcpy(port, pstart, pl);
    port[pl] = '\0';
  }
  if (*path != '/') path = "/";
  int rl = snprintf(req, sizeof req,
                    "GET %s HTTP/1.0\r\nHost: %s\r\nAccept: application/json\r\nUser-Agent: kilt-falco-start\r\n"
                    "Connection: close\r\n\r\n",
                    path, host);
  if (rl < 0 || (size_t)rl >= sizeof req) {
    set_err(err, errlen, "URL too long");
    return -1;
  }

  long long deadline = now_ms() + timeout_ms;
  int fd = connect_any(host, port, deadline, err, errlen);
  if (fd < 0) return -1;

  int rc = -1;
  char resp[65536 + 8192];
  size_t got = 0;
  for (int sent = 0; sent < rl;) {
    ssize_t w = send(fd, req + sent, (size_t)(rl - sent), MSG_NOSIGNAL);
    if (w > 0) {
      sent += (int)w;
    } else if (w < 0 && errno == EAGAIN) {
      if (wait_fd(fd, POLLOUT, deadline) != 0) goto io_error;
    } else if (w < 0 && errno != EINTR) {
      goto io_error;
    }
  }
  for (;;) {
    if (got == sizeof resp) {
      set_err(err, errlen, "response too large (over %zu bytes)", sizeof resp);
      goto out;
    }
    ssize_t r = recv(fd, resp + got, sizeof resp - got, 0);
    if (r > 0) {
      got += (size_t)r;
    } else if (r == 0) {
      break;
    } else if (errno == EAGAIN) {
      if (wait_fd(fd, POLLIN, deadline) != 0) goto io_error;
    } else if (errno != EINTR) {
      goto io_error;
    }
  }

  /* Status line and headers. */
  {
    char* end = resp + got;
    char* hdr_end = NULL;
    for (char* q = resp; q + 3 < end; q++) {
      if (q[0] == '\r' && q[1] == '\n' && q[2] == '\r' && q[3] == '\n') {
        hdr_end = q;
        break;
      }
    }
    if (got < 12 || strncmp(resp, "HTTP/1.", 7) != 0 || !hdr_end) {
      set_err(err, errlen, "not an HTTP response from %s", host);
      goto out;
    }
    if (memcmp(resp + 9, "200", 3) != 0) {
      char status[4] = {resp[9], resp[10], resp[11], 0};
      set_err(err, errlen, "HTTP %s from %s", status, host);
      goto out;
    }
    int chunked = 0;
    long content_length = -1;
    for (char* q = memchr(resp, '\n', (size_t)(hdr_end - resp)); q && q < hdr_end;
         q = memchr(q, '\n', (size_t)(hdr_end - q))) {
      q++;
      if (ieq_prefix(q, hdr_end, "transfer-encoding:")) {
        for (char* v = q; v + 7 <= hdr_end && *v != '\r'; v++)
          if (ieq_prefix(v, hdr_end, "chunked")) chunked = 1;
      } else if (ieq_prefix(q, hdr_end, "content-length:")) {
        content_length = strtol(q + 15, NULL, 10);
      }
    }
    char* b = hdr_end + 4;
    size_t n = (size_t)(end - b);
    if (chunked) {
      long dn = dechunk(b, n);
      if (dn < 0) {
        set_err(err, errlen, "bad chunked body from %s", host);
        goto out;
      }
      n = (size_t)dn;
    } else if (content_length >= 0) {
      if ((size_t)content_length > n) {
        set_err(err, errlen, "short body from %s", host);
        goto out;
      }
      n = (size_t)content_length;
    }
    if (n + 1 > cap) {
      set_err(err, errlen, "response body too large for its buffer");
      goto out;
    }
    memcpy(body, b, n);
    body[n] = '\0';
    *len = n;
    rc = 0;
    goto out;
  }

io_error:
  if (errno == ETIMEDOUT) {
    set_err(err, errlen, "no answer from %s within %d ms", host, timeout_ms);
  } else {
    set_err(err, errlen, "reading from %s: %s", host, strerror(errno));
  }
out:
  close(fd);
  return rc;
}

/* ---- resolution ---------------------------------------------------------------------------------------- */

static void from_env(const kilt_identity_env* env, const char* name, char* dst, size_t cap) {
  const char* v = env->getenv(name);
  if (v && *v) copy_str(dst, cap, v);
}

/* '$' would be expanded again by Falco's ${VAR} substitution (a value holding "${X}" could even make it
 * loop); '%' starts a field reference in an output format (kilt.task and kilt.platform are formats);
 * control characters have no place in these fields. None of them occurs in legitimate values. */
static void sanitize(char* s) {
  for (; *s; s++)
    if (*s == '$' || *s == '%' || (unsigned char)*s < 0x20 || *s == 0x7f) *s = '_';
}

static void append_note(char* note, size_t cap, const char* text) {
  size_t n = strlen(note);
  if (n && n + 2 < cap) {
    memcpy(note + n, "; ", 3);
    n += 2;
  }
  copy_str(note + n, cap - n, text);
}

void kilt_resolve_identity(const kilt_identity_env* env, kilt_identity* out, char* note, size_t notecap) {
  char host[256] = "", cg[8192], cgid[16] = "", buf[300];
  memset(out, 0, sizeof *out);
  if (notecap) note[0] = '\0';

  from_env(env, "KILT_CONTAINER_ID", out->id, sizeof out->id);
  from_env(env, "KILT_CONTAINER_NAME", out->name, sizeof out->name);
  from_env(env, "KILT_CONTAINER_IMAGE", out->image, sizeof out->image);
  from_env(env, "KILT_TASK", out->task, sizeof out->task);
  from_env(env, "KILT_PLATFORM", out->platform, sizeof out->platform);
  if (env->hostname(host, sizeof host) != 0) host[0] = '\0';
  long cgn = env->read_file("/proc/self/cgroup", cg, sizeof cg);
  if (cgn > 0 && kilt_container_id_from_cgroup(cg, (size_t)cgn, cgid, sizeof cgid) != 0) cgid[0] = '\0';

  const char* uri = env->getenv("ECS_CONTAINER_METADATA_URI_V4");
  const char* pod_name = env->getenv("KILT_POD_NAME");
  const char* pod_uid = env->getenv("KILT_POD_UID");
  const char* pod_ns = env->getenv("KILT_POD_NAMESPACE");
  int need = !out->id[0] || !out->name[0] || !out->image[0] || !out->task[0];

  if (uri && *uri) {
    if (!out->platform[0]) copy_str(out->platform, sizeof out->platform, "ecs");
    copy_str(out->source, sizeof out->source, "ECS task metadata v4");
    if (need) {
      static char body[65536];
      size_t blen = 0;
      char err[256] = "";
      int ok = -1;
      int attempts = env->metadata_attempts > 0 ? env->metadata_attempts : 1;
      for (int i = 0; i < attempts && ok != 0; i++) {
        if (i) usleep(200 * 1000);
        ok = kilt_http_get(uri, env->metadata_timeout_ms, body, sizeof body, &blen, err, sizeof err);
        if (ok == 0) {
          kilt_identity md;
          memset(&md, 0, sizeof md);
          ok = kilt_parse_ecs_metadata(body, blen, &md, err, sizeof err);
          if (ok == 0) {
            if (!out->id[0]) copy_str(out->id, sizeof out->id, md.id);
            if (!out->name[0]) copy_str(out->name, sizeof out->name, md.name);
            if (!out->image[0]) copy_str(out->image, sizeof out->image, md.image);
            if (!out->task[0]) copy_str(out->task, sizeof out->task, md.task);
            break; /* a well-formed answer is not retried */
          }
        }
      }
      if (ok != 0) {
        char last[256] = "";
        join3(buf, sizeof buf, "ECS task metadata unavailable (", err, "); using fallbacks");
        append_note(note, notecap, buf);
        copy_str(out->source, sizeof out->source, "ECS, metadata unavailable");
        if (!out->id[0] && kilt_url_last_element(uri, last, sizeof last) == 0) copy_str(out->id, sizeof out->id, last);
      }
    }
  } else if ((pod_name && *pod_name) || (pod_uid && *pod_uid)) {
    if (!out->platform[0]) copy_str(out->platform, sizeof out->platform, "eks");
    copy_str(out->source, sizeof out->source, "the pod's environment (EKS)");
    if (!out->task[0])
      join3(out->task, sizeof out->task, pod_ns && *pod_ns ? pod_ns : "default", "/",
            pod_name && *pod_name ? pod_name : host);
    if (!out->name[0] || !out->image[0])
      append_note(note, notecap, "KILT_CONTAINER_NAME or KILT_CONTAINER_IMAGE is not set (the webhook adds them)");
    if (!out->id[0] && cgid[0]) copy_str(out->id, sizeof out->id, cgid);
    if (!out->id[0] && pod_uid && *pod_uid && out->name[0])
      join3(out->id, sizeof out->id, pod_uid, "/", out->name);
  } else {
    if (!out->platform[0]) copy_str(out->platform, sizeof out->platform, "none");
    copy_str(out->source, sizeof out->source, cgid[0] ? "cgroup and hostname" : "hostname");
  }

  /* Last resorts, so that every field the container plugin requires is non-empty. */
  if (!out->id[0]) copy_str(out->id, sizeof out->id, cgid[0] ? cgid : host[0] ? host : "unknown");
  if (!out->name[0]) copy_str(out->name, sizeof out->name, host[0] ? host : out->id);
  if (!out->image[0]) copy_str(out->image, sizeof out->image, "unknown");
  /* kilt.task is an output format in falco.yaml: an empty one stops Falco ("empty formatting token"). */
  if (!out->task[0]) copy_str(out->task, sizeof out->task, "none");
  sanitize(out->id);
  sanitize(out->name);
  sanitize(out->image);
  sanitize(out->task);
  sanitize(out->platform);
}
