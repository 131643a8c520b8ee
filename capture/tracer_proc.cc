#include "capture/tracer_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

namespace kilt::capture {
namespace {

// "/proc/PID/NAME" into path; false if it does not fit.
bool ProcPath(pid_t pid, const char* name, char* path, size_t cap) {
  int n = snprintf(path, cap, "/proc/%d/%s", static_cast<int>(pid), name);
  return n > 0 && static_cast<size_t>(n) < cap;
}

uint64_t ParseU64(std::string_view s, size_t* pos, int base = 10) {
  uint64_t v = 0;
  while (*pos < s.size() && s[*pos] == ' ') ++*pos;
  while (*pos < s.size()) {
    char c = s[*pos];
    int d = c >= '0' && c <= '9' ? c - '0' : base == 16 && c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) break;
    v = v * base + static_cast<uint64_t>(d);
    ++*pos;
  }
  return v;
}

// The value after "Key:" on its line, as a number (the first of several, or the second with `nth`).
bool FieldU64(std::string_view text, std::string_view key, int base, uint64_t* out, int nth = 0) {
  size_t at = 0;
  while ((at = text.find(key, at)) != std::string_view::npos) {
    if (at == 0 || text[at - 1] == '\n') {
      size_t pos = at + key.size();
      while (pos < text.size() && (text[pos] == '\t' || text[pos] == ' ')) ++pos;
      for (int i = 0; i < nth; ++i) {
        ParseU64(text, &pos, base);
        while (pos < text.size() && (text[pos] == '\t' || text[pos] == ' ')) ++pos;
      }
      *out = ParseU64(text, &pos, base);
      return true;
    }
    at += key.size();
  }
  return false;
}

// Whether the list already names controller c ("c=..." at the start of an entry).
bool HasController(const char* out, size_t len, std::string_view c) {
  for (size_t at = 0; at < len;) {
    std::string_view entry(out + at);
    if (entry.size() > c.size() && entry.substr(0, c.size()) == c && entry[c.size()] == '=') return true;
    at += entry.size() + 1;
  }
  return false;
}

bool Append(char* out, size_t cap, size_t* len, std::string_view a, std::string_view b) {
  if (HasController(out, *len, a)) return true;  // hybrid v1 + v2: the v1 controller wins
  size_t need = a.size() + 1 + b.size() + 1;
  if (*len + need > cap) return false;
  memcpy(out + *len, a.data(), a.size());
  out[*len + a.size()] = '=';
  memcpy(out + *len + a.size() + 1, b.data(), b.size());
  out[*len + need - 1] = '\0';
  *len += need;
  return true;
}

}  // namespace

int OpenProcFile(pid_t pid, const char* name) {
  char path[64];
  if (!ProcPath(pid, name, path, sizeof path)) return -1;
  // openat directly: musl's open() adds an fcntl for O_CLOEXEC, and every exec and fork opens a few.
  return static_cast<int>(syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC));
}

ssize_t PreadProcFile(int fd, char* buf, size_t cap) {
  // No read for EOF after a short one: /proc's files hand out everything that fits in one read
  // (single_open seq files, cmdline, environ), so a short read is the end.
  size_t len = 0;
  while (len < cap) {
    ssize_t n = pread(fd, buf + len, cap - len, static_cast<off_t>(len));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    bool short_read = static_cast<size_t>(n) < cap - len;
    len += static_cast<size_t>(n);
    if (short_read) break;
  }
  return len > 0 || cap == 0 ? static_cast<ssize_t>(len) : -1;
}

ssize_t ReadProcFile(pid_t pid, const char* name, char* buf, size_t cap) {
  int fd = OpenProcFile(pid, name);
  if (fd < 0) return -1;
  ssize_t len = PreadProcFile(fd, buf, cap);
  close(fd);
  return len < 0 ? 0 : len;
}

ssize_t ReadProcLink(pid_t pid, const char* name, char* buf, size_t cap) {
  char path[64];
  if (cap == 0 || !ProcPath(pid, name, path, sizeof path)) return -1;
  ssize_t n = readlink(path, buf, cap - 1);
  if (n < 0) {
    buf[0] = '\0';
    return -1;
  }
  buf[n] = '\0';
  return n;
}

bool ParseProcStat(std::string_view text, ProcStat* out) {
  // "PID (COMM) STATE PPID PGRP SESSION TTY_NR TPGID FLAGS MINFLT CMINFLT MAJFLT ..." — COMM may hold
  // spaces and parentheses, so it ends at the last ')'.
  size_t open = text.find('('), close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return false;
  size_t n = close - open - 1;
  if (n > 16) n = 16;
  memcpy(out->comm, text.data() + open + 1, n);
  out->comm[n] = '\0';
  size_t pos = close + 2;  // past ") "
  if (pos >= text.size()) return false;
  ++pos;  // state
  uint64_t f[48];  // fields 4..51 (a shorter line, from an older kernel, leaves the rest 0)
  for (int i = 0; i < 48; ++i) {
    // Fields 4.. are numbers; tpgid (field 8) may be -1.
    while (pos < text.size() && text[pos] == ' ') ++pos;
    bool neg = pos < text.size() && text[pos] == '-';
    if (neg) ++pos;
    f[i] = ParseU64(text, &pos);
    if (neg) f[i] = 0;
  }
  // f[0] = field 4 (ppid) ... f[i] = field i + 4.
  out->ppid = static_cast<int64_t>(f[0]);
  out->pgrp = static_cast<int64_t>(f[1]);
  out->session = static_cast<int64_t>(f[2]);
  out->tty_nr = static_cast<uint32_t>(f[3]);
  out->minflt = f[6];
  out->majflt = f[8];
  out->starttime_ticks = f[18];  // field 22
  out->vsize_bytes = f[19];
  out->rss_pages = f[20];
  out->arg_start = f[44];  // fields 48-51
  out->arg_end = f[45];
  out->env_start = f[46];
  out->env_end = f[47];
  return true;
}

size_t CmdlineReadSize(const ProcStat& st, size_t cap) {
  if (st.arg_start == 0 || st.arg_end <= st.arg_start) return 0;
  uint64_t end = st.env_start == st.arg_end && st.env_end >= st.env_start ? st.env_end : st.arg_end;
  return static_cast<size_t>(std::min<uint64_t>(end - st.arg_start, cap));
}

ssize_t CmdlineLength(const char* buf, size_t got, const ProcStat& st) {
  if (st.arg_start == 0 || st.arg_end <= st.arg_start) return -1;
  size_t args = static_cast<size_t>(st.arg_end - st.arg_start);
  if (got < args) return -1;  // the last byte of argv, which decides, was not read
  if (buf[args - 1] == '\0') return static_cast<ssize_t>(args);
  // setproctitle: the title runs on into the environment, up to its NUL (got is at most a page).
  const void* nul = memchr(buf, '\0', got);
  return nul ? static_cast<const char*>(nul) - buf + 1 : static_cast<ssize_t>(got);
}
bool ParseProcStatus(std::string_view text, ProcStatus* out) {
  uint64_t v = 0;
  bool ok = FieldU64(text, "Tgid:", 10, &v);
  out->tgid = static_cast<int64_t>(v);
  if (FieldU64(text, "PPid:", 10, &v)) out->ppid = static_cast<int64_t>(v);
  if (FieldU64(text, "Uid:", 10, &v, 1)) out->euid = static_cast<uint32_t>(v);
  if (FieldU64(text, "Gid:", 10, &v, 1)) out->egid = static_cast<uint32_t>(v);
  if (FieldU64(text, "CapInh:", 16, &v)) out->cap_inh = v;
  if (FieldU64(text, "CapPrm:", 16, &v)) out->cap_prm = v;
  if (FieldU64(text, "CapEff:", 16, &v)) out->cap_eff = v;
  if (FieldU64(text, "VmSize:", 10, &v)) out->vm_size_kb = static_cast<uint32_t>(v);
  if (FieldU64(text, "VmRSS:", 10, &v)) out->vm_rss_kb = static_cast<uint32_t>(v);
  if (FieldU64(text, "VmSwap:", 10, &v)) out->vm_swap_kb = static_cast<uint32_t>(v);
  return ok;
}

bool ParseProcLimitsNofile(std::string_view text, uint64_t* soft) {
  constexpr std::string_view kKey = "Max open files";
  size_t at = 0;
  while ((at = text.find(kKey, at)) != std::string_view::npos && at != 0 && text[at - 1] != '\n') at += kKey.size();
  if (at == std::string_view::npos) return false;
  size_t pos = at + kKey.size();
  while (pos < text.size() && text[pos] == ' ') ++pos;
  if (text.substr(pos, 9) == "unlimited") {
    *soft = ~0ull;
    return true;
  }
  size_t start = pos;
  *soft = ParseU64(text, &pos);
  return pos > start;
}

size_t ConvertCgroups(std::string_view text, char* out, size_t cap) {
  size_t len = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    // "ID:CONTROLLERS:PATH"
    size_t c1 = line.find(':');
    size_t c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
    if (c2 == std::string_view::npos) continue;
    std::string_view controllers = line.substr(c1 + 1, c2 - c1 - 1), path = line.substr(c2 + 1);
    if (path.empty()) continue;
    if (controllers.empty()) {
      // The unified (v2) hierarchy names no controllers: give its path to the usual ones, as libscap
      // does with the controllers it finds enabled.
      for (std::string_view c : {"cpuset", "cpu", "io", "memory", "pids"}) Append(out, cap, &len, c, path);
      continue;
    }
    while (!controllers.empty()) {
      size_t comma = controllers.find(',');
      std::string_view c = controllers.substr(0, comma);
      controllers = comma == std::string_view::npos ? std::string_view() : controllers.substr(comma + 1);
      // "name=systemd" is a named hierarchy, not a controller: libsinsp splits entries at '='.
      if (!c.empty() && c.find('=') == std::string_view::npos) Append(out, cap, &len, c, path);
    }
  }
  return len;
}

}  // namespace kilt::capture
