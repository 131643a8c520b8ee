#include "capture/scap_json.h"

#include <arpa/inet.h>
#include <errno.h>
#include <unistd.h>

#include <charconv>
#include <cstring>

#include "base/file.h"
#include "capture/scap_table.h"

namespace kilt::scap {
namespace {

template <typename T>
void AppendNumber(T v, std::string* out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr - buf);
}

void AppendHex(uint64_t v, std::string* out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v, 16);
  out->append("0x");
  out->append(buf, r.ptr - buf);
}

// Length of the valid UTF-8 sequence at s[i], or 0.
size_t Utf8Len(std::string_view s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t n;
  uint32_t min;
  if (c < 0x80) return 1;
  if ((c & 0xe0) == 0xc0) {
    n = 2;
    min = 0x80;
  } else if ((c & 0xf0) == 0xe0) {
    n = 3;
    min = 0x800;
  } else if ((c & 0xf8) == 0xf0) {
    n = 4;
    min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  uint32_t cp = c & (0x7f >> n);
  for (size_t k = 1; k < n; ++k) {
    unsigned char cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

template <typename T>
T Load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

void AppendIp(const char* addr, bool v6, std::string* out) {
  char buf[INET6_ADDRSTRLEN];
  if (inet_ntop(v6 ? AF_INET6 : AF_INET, addr, buf, sizeof buf) == nullptr) buf[0] = '\0';
  if (v6) out->push_back('[');
  out->append(buf);
  if (v6) out->push_back(']');
}

// "ip:port" from `ip_len` address bytes followed by a host-order u16 port.
void AppendEndpoint(const char* p, size_t ip_len, std::string* out) {
  AppendIp(p, ip_len == 16, out);
  out->push_back(':');
  AppendNumber(Load<uint16_t>(p + ip_len), out);
}

// The textual form of a SOCKTUPLE / SOCKADDR parameter; false if malformed.
bool FormatSocket(std::string_view v, bool tuple, std::string* text) {
  if (v.empty()) return false;
  const uint8_t family = static_cast<uint8_t>(v[0]);
  const char* p = v.data() + 1;
  const size_t n = v.size() - 1;
  if (family == PPM_AF_INET || family == PPM_AF_INET6) {
    const size_t ip = family == PPM_AF_INET ? 4 : 16;
    if (n != (tuple ? 2 : 1) * (ip + 2)) return false;
    AppendEndpoint(p, ip, text);
    if (tuple) {
      text->append("->");
      AppendEndpoint(p + ip + 2, ip, text);
    }
    return true;
  }
  if (family == PPM_AF_UNIX) {
    std::string_view rest(p, n);
    if (tuple) {
      if (n < 16) return false;
      AppendHex(Load<uint64_t>(p), text);
      text->append("->");
      AppendHex(Load<uint64_t>(p + 8), text);
      text->push_back(' ');
      rest.remove_prefix(16);
    }
    if (const void* nul = std::memchr(rest.data(), '\0', rest.size())) {
      rest = rest.substr(0, static_cast<const char*>(nul) - rest.data());
    }
    text->append(rest);
    return true;
  }
  return false;
}

void AppendFlags(uint32_t value, const ParamInfo& pi, std::string* out) {
  std::string names;
  uint32_t rest = value;
  for (uint8_t i = 0; i < pi.nflags; ++i) {
    uint32_t v = pi.flags[i].value;
    if (v != 0 && (rest & v) == v) {
      if (!names.empty()) names.push_back('|');
      names.append(pi.flags[i].name);
      rest &= ~v;
    }
  }
  if (rest != 0 || names.empty()) {
    if (!names.empty()) names.push_back('|');
    if (value == 0) {
      names.push_back('0');
    } else {
      std::string hex;
      AppendHex(rest, &hex);
      names.append(hex);
    }
  }
  AppendJsonString(names, out);
}

void AppendEnum(uint32_t value, const ParamInfo& pi, std::string* out) {
  for (uint8_t i = 0; i < pi.nflags; ++i) {
    if (pi.flags[i].value == value) {
      AppendJsonString(pi.flags[i].name, out);
      return;
    }
  }
  AppendNumber(value, out);
}

bool IsStringList(const char* name) {
  return std::strcmp(name, "args") == 0 || std::strcmp(name, "env") == 0 ||
         std::strcmp(name, "cgroups") == 0;
}

void AppendStringList(std::string_view v, std::string* out) {
  out->push_back('[');
  bool first = true;
  while (!v.empty()) {
    size_t nul = v.find('\0');
    std::string_view item = v.substr(0, nul);
    if (!first) out->push_back(',');
    AppendJsonString(item, out);
    first = false;
    if (nul == std::string_view::npos) break;
    v.remove_prefix(nul + 1);
  }
  out->push_back(']');
}

void AppendHexString(std::string_view v, std::string* out) {
  static const char kDigits[] = "0123456789abcdef";
  out->push_back('"');
  for (char c : v) {
    out->push_back(kDigits[static_cast<unsigned char>(c) >> 4]);
    out->push_back(kDigits[static_cast<unsigned char>(c) & 15]);
  }
  out->push_back('"');
}

template <typename T>
bool AppendFixed(std::string_view v, std::string* out) {
  if (v.size() != sizeof(T)) return false;
  AppendNumber(Load<T>(v.data()), out);
  return true;
}

// One parameter's value; falls back to a hex string when the bytes do not fit the type.
void AppendValue(std::string_view v, const ParamInfo& pi, std::string* out) {
  if (v.empty()) {
    out->append("null");
    return;
  }
  bool ok = true;
  switch (pi.type) {
    case PT_INT64:
    case PT_ERRNO:
    case PT_FD:
    case PT_PID:
      ok = AppendFixed<int64_t>(v, out);
      break;
    case PT_UINT64:
    case PT_ABSTIME:
    case PT_RELTIME:
      ok = AppendFixed<uint64_t>(v, out);
      break;
    case PT_INT32:
      ok = AppendFixed<int32_t>(v, out);
      break;
    case PT_UINT32:
    case PT_UID:
    case PT_GID:
      ok = AppendFixed<uint32_t>(v, out);
      break;
    case PT_INT16:
      ok = AppendFixed<int16_t>(v, out);
      break;
    case PT_UINT16:
    case PT_PORT:
      ok = AppendFixed<uint16_t>(v, out);
      break;
    case PT_INT8:
      ok = AppendFixed<int8_t>(v, out);
      break;
    case PT_UINT8:
    case PT_SIGTYPE:
    case PT_L4PROTO:
    case PT_SOCKFAMILY:
      ok = AppendFixed<uint8_t>(v, out);
      break;
    case PT_FLAGS8:
    case PT_FLAGS16:
    case PT_FLAGS32:
    case PT_ENUMFLAGS8:
    case PT_ENUMFLAGS16:
    case PT_ENUMFLAGS32: {
      uint32_t value;
      if (v.size() == 1) {
        value = static_cast<uint8_t>(v[0]);
      } else if (v.size() == 2) {
        value = Load<uint16_t>(v.data());
      } else if (v.size() == 4) {
        value = Load<uint32_t>(v.data());
      } else {
        ok = false;
        break;
      }
      bool is_enum =
          pi.type == PT_ENUMFLAGS8 || pi.type == PT_ENUMFLAGS16 || pi.type == PT_ENUMFLAGS32;
      if (pi.flags == nullptr) {
        AppendNumber(value, out);
      } else if (is_enum) {
        AppendEnum(value, pi, out);
      } else {
        AppendFlags(value, pi, out);
      }
      break;
    }
    case PT_MODE: {
      if (v.size() != 4) {
        ok = false;
        break;
      }
      char octal[16] = {'0'};
      auto r = std::to_chars(octal + 1, octal + sizeof octal, Load<uint32_t>(v.data()), 8);
      AppendJsonString(std::string_view(octal, r.ptr - octal), out);
      break;
    }
    case PT_CHARBUF:
    case PT_FSPATH:
    case PT_FSRELPATH: {
      if (const void* nul = std::memchr(v.data(), '\0', v.size())) {
        v = v.substr(0, static_cast<const char*>(nul) - v.data());
      }
      AppendJsonString(v, out);
      break;
    }
    case PT_BYTEBUF:
      if (IsStringList(pi.name)) {
        AppendStringList(v, out);
      } else {
        AppendJsonString(v, out);
      }
      break;
    case PT_SOCKTUPLE:
    case PT_SOCKADDR: {
      std::string text;
      ok = FormatSocket(v, pi.type == PT_SOCKTUPLE, &text);
      if (ok) AppendJsonString(text, out);
      break;
    }
    case PT_DYN: {
      // Index byte, then a 1- or 8-byte value (ptrace's addr/data).
      if (v.size() == 2) {
        AppendNumber(static_cast<uint8_t>(v[1]), out);
      } else if (v.size() == 9) {
        AppendNumber(Load<uint64_t>(v.data() + 1), out);
      } else {
        ok = false;
      }
      break;
    }
    default:
      ok = false;
  }
  if (!ok) AppendHexString(v, out);
}

}  // namespace

void AppendJsonString(std::string_view s, std::string* out) {
  static const char kDigits[] = "0123456789abcdef";
  out->push_back('"');
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = Utf8Len(s, i);
    if (n > 1) {
      // cppcheck-suppress invalidLifetime ; false positive: the caller's string outlives the call
      out->append(s.data() + i, n);
      i += n;
      continue;
    }
    ++i;
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(static_cast<char>(c));
    } else if (c == '\n') {
      out->append("\\n");
    } else if (c == '\t') {
      out->append("\\t");
    } else if (c < 0x20 || n == 0) {  // control characters, and bytes that are not UTF-8
      out->append("\\u00");
      out->push_back(kDigits[c >> 4]);
      out->push_back(kDigits[c & 15]);
    } else {
      out->push_back(static_cast<char>(c));
    }
  }
  out->push_back('"');
}

void AppendEventJson(const DecodedEvent& ev, std::string* out) {
  out->append("{\"ts\":");
  AppendNumber(ev.ts, out);
  out->append(",\"tid\":");
  AppendNumber(ev.tid, out);
  out->append(",\"type\":");
  if (ev.info != nullptr) {
    AppendJsonString(ev.info->name, out);
  } else {
    std::string t = "unknown:";
    AppendNumber(ev.type, &t);
    AppendJsonString(t, out);
  }
  out->append((ev.type & 1) != 0 ? ",\"dir\":\"<\"" : ",\"dir\":\">\"");
  out->append(",\"params\":{");
  for (uint32_t i = 0; i < ev.nparams; ++i) {
    if (i > 0) out->push_back(',');
    if (ev.info != nullptr && i < ev.info->nparams) {
      AppendJsonString(ev.info->params[i].name, out);
      out->push_back(':');
      AppendValue(ev.params[i], ev.info->params[i], out);
    } else {
      std::string key = "p";
      AppendNumber(i, &key);
      AppendJsonString(key, out);
      out->push_back(':');
      AppendHexString(ev.params[i], out);
    }
  }
  out->append("}}");
}

JsonLinesWriter::~JsonLinesWriter() {
  std::string ignored;
  (void)JsonLinesWriter::Close(&ignored);
}

bool JsonLinesWriter::Write(std::string_view events, std::string* err) {
  if (fd_ < 0) {
    *err = "JSON output already closed";
    return false;
  }
  bool ok = ForEachEvent(events, err, [&](const DecodedEvent& ev) {
    AppendEventJson(ev, &pending_);
    pending_.push_back('\n');
    ++events_;
    return pending_.size() < 64 * 1024 || Flush(err);
  });
  if (!ok) return false;
  return Flush(err);
}

bool JsonLinesWriter::Flush(std::string* err) {
  if (!base::WriteAll(fd_, pending_)) {
    *err = std::string("writing JSON lines: ") + std::strerror(errno);
    pending_.clear();
    return false;
  }
  pending_.clear();
  return true;
}

bool JsonLinesWriter::Close(std::string* err) {
  if (fd_ < 0) return true;
  bool ok = Flush(err);
  if (owned_ && close(fd_) != 0 && ok) {
    *err = std::string("closing the JSON output: ") + std::strerror(errno);
    ok = false;
  }
  fd_ = -1;
  return ok;
}

}  // namespace kilt::scap
