#include "launcher/line_framer.h"

#include <cstdint>
#include <cstring>

namespace kilt::launcher {
namespace {

// Length of the UTF-8 sequence starting at p[0..n) if it is valid and complete; 0 if invalid;
// -1 if it is a valid prefix cut off by the end of the input.
int Utf8SequenceLength(const unsigned char* p, size_t n) {
  unsigned char c = p[0];
  int len;
  unsigned lo = 0x80, hi = 0xBF;  // allowed range of the second byte (excludes overlongs, surrogates)
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) len = 2;
  else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  for (int i = 1; i < len; ++i) {
    if (static_cast<size_t>(i) >= n) return -1;
    unsigned b = p[i];
    unsigned l = i == 1 ? lo : 0x80, h = i == 1 ? hi : 0xBF;
    if (b < l || b > h) return 0;
  }
  return len;
}

void AppendJsonString(std::string* out, std::string_view s) {
  out->push_back('"');
  for (char c : s) {
    if (c == '"' || c == '\\') out->push_back('\\');
    out->push_back(c);
  }
  out->push_back('"');
}

// A small validating recursive-descent JSON reader: enough to decide whether a line may be embedded.
class JsonChecker {
 public:
  explicit JsonChecker(std::string_view s) : p_(s.data()), end_(s.data() + s.size()) {}

  bool Object() {
    Ws();
    if (p_ >= end_ || *p_ != '{') return false;
    if (!Value(0)) return false;
    Ws();
    return p_ == end_;
  }

 private:
  void Ws() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\r' || *p_ == '\n')) ++p_;
  }
  bool Lit(const char* w) {
    size_t n = strlen(w);
    if (static_cast<size_t>(end_ - p_) < n || memcmp(p_, w, n) != 0) return false;
    p_ += n;
    return true;
  }
  bool Value(int depth) {
    if (depth > 64) return false;
    Ws();
    if (p_ >= end_) return false;
    switch (*p_) {
      case '{': {
        ++p_;
        Ws();
        if (p_ < end_ && *p_ == '}') return ++p_, true;
        for (;;) {
          Ws();
          if (!String()) return false;
          Ws();
          if (p_ >= end_ || *p_++ != ':') return false;
          if (!Value(depth + 1)) return false;
          Ws();
          if (p_ >= end_) return false;
          if (*p_ == '}') return ++p_, true;
          if (*p_++ != ',') return false;
        }
      }
      case '[': {
        ++p_;
        Ws();
        if (p_ < end_ && *p_ == ']') return ++p_, true;
        for (;;) {
          if (!Value(depth + 1)) return false;
          Ws();
          if (p_ >= end_) return false;
          if (*p_ == ']') return ++p_, true;
          if (*p_++ != ',') return false;
        }
      }
      case '"': return String();
      case 't': return Lit("true");
      case 'f': return Lit("false");
      case 'n': return Lit("null");
      default: return Number();
    }
  }
  bool Digits() {
    const char* s = p_;
    while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    return p_ > s;
  }
  bool Number() {
    if (p_ < end_ && *p_ == '-') ++p_;
    if (p_ < end_ && *p_ == '0') ++p_;
    else if (!Digits()) return false;
    if (p_ < end_ && *p_ == '.') {
      ++p_;
      if (!Digits()) return false;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (!Digits()) return false;
    }
    return true;
  }
  static bool Hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
  bool String() {
    if (p_ >= end_ || *p_ != '"') return false;
    ++p_;
    while (p_ < end_) {
      unsigned char c = static_cast<unsigned char>(*p_);
      if (c == '"') return ++p_, true;
      if (c < 0x20) return false;
      if (c == '\\') {
        ++p_;
        if (p_ >= end_) return false;
        char e = *p_++;
        if (e == 'u') {
          for (int i = 0; i < 4; ++i)
            if (p_ >= end_ || !Hex(*p_++)) return false;
        } else if (!strchr("\"\\/bfnrt", e) || e == 0) {
          return false;
        }
        continue;
      }
      int len = Utf8SequenceLength(reinterpret_cast<const unsigned char*>(p_), end_ - p_);
      if (len <= 0) return false;
      p_ += len;
    }
    return false;
  }

  const char* p_;
  const char* end_;
};

// Copies a log line's worth of bytes. musl's memcpy (rep movsq plus byte loops) costs ~100 cycles for the
// ~100-byte copies the log path makes twice per line; 16-byte moves inline are several times faster. The
// empty asm keeps the compiler from turning the loop back into a memcpy call.
inline void CopyBytes(char* d, const char* s, size_t n) {
  if (n > 512) {
    memcpy(d, s, n);
    return;
  }
  while (n >= 16) {
    __builtin_memcpy(d, s, 16);
    d += 16, s += 16, n -= 16;
    __asm__ volatile("" ::: "memory");
  }
  if (n >= 8) __builtin_memcpy(d, s, 8), d += 8, s += 8, n -= 8;
  if (n >= 4) __builtin_memcpy(d, s, 4), d += 4, s += 4, n -= 4;
  while (n--) *d++ = *s++;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define KILT_VECTOR_SCAN 1
// 16 bytes at a time with the compiler's generic vectors (SSE2 on x86-64, NEON on aarch64): musl's memchr
// is a C word loop that cost about twice the rest of the log path per 100-byte line.
typedef char Bytes16 __attribute__((vector_size(16)));

// Index (0-15) of the first '\n' in the 16 bytes at p, or 16.
inline unsigned NewlineIn16(Bytes16 v) {
  const Bytes16 nl = {'\n', '\n', '\n', '\n', '\n', '\n', '\n', '\n',
                      '\n', '\n', '\n', '\n', '\n', '\n', '\n', '\n'};
  Bytes16 eq = (Bytes16)(v == nl);  // 0xff where equal
#ifdef __SSE2__
  unsigned m = static_cast<unsigned>(__builtin_ia32_pmovmskb128(eq));
  return m ? static_cast<unsigned>(__builtin_ctz(m)) : 16;
#endif
  uint64_t lo, hi;
  memcpy(&lo, &eq, 8);
  memcpy(&hi, reinterpret_cast<const char*>(&eq) + 8, 8);
  if (lo) return static_cast<unsigned>(__builtin_ctzll(lo)) / 8;
  if (hi) return 8 + static_cast<unsigned>(__builtin_ctzll(hi)) / 8;
  return 16;
}
#endif

// First '\n' in p[0..n), or nullptr: memchr, vectorised where the compiler allows.
inline const char* FindNewline(const char* p, size_t n) {
#ifdef KILT_VECTOR_SCAN
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    Bytes16 v;
    memcpy(&v, p + i, 16);
    unsigned k = NewlineIn16(v);
    if (k < 16) return p + i + k;
  }
  for (; i < n; ++i)
    if (p[i] == '\n') return p + i;
  return nullptr;
#else
  return static_cast<const char*>(memchr(p, '\n', n));
#endif
}

// Copies src to dst up to and including the first '\n' among the first `limit` bytes, reading no more
// than src[0..avail). Returns the bytes copied (the line with its '\n'), or 0 when there is no '\n' in
// that range. dst needs room for limit + 16 bytes: the copy goes 16 bytes at a time, so up to 15 bytes
// past the line's end are scribbled (the next line overwrites them).
inline size_t CopyLine(char* dst, const char* src, size_t avail, size_t limit) {
  size_t end = avail < limit ? avail : limit;
  size_t i = 0;
#ifdef KILT_VECTOR_SCAN
  const size_t vend = avail < 16 ? 0 : (end < avail - 15 ? end : avail - 15);
  for (; i < vend; i += 16) {
    Bytes16 v;
    memcpy(&v, src + i, 16);
    memcpy(dst + i, &v, 16);
    unsigned k = NewlineIn16(v);
    if (k < 16) return i + k < end ? i + k + 1 : 0;
  }
#endif
  for (; i < end; ++i) {
    dst[i] = src[i];
    if (src[i] == '\n') return i + 1;
  }
  return 0;
}

}  // namespace

bool IsJsonObject(std::string_view s) { return JsonChecker(s).Object(); }

LineFramer::LineFramer(std::string_view tag, std::string_view stream, LogFormat format, bool embed_json)
    : format_(format), embed_json_(embed_json) {
  if (format == LogFormat::kPlain) {
    prefix_ = "[" + std::string(tag) + "] ";
    cont_prefix_ = "[" + std::string(tag) + "+] ";
    memcpy(prefix16_, prefix_.data(), prefix_.size() < sizeof prefix16_ ? prefix_.size() : sizeof prefix16_);
  } else {
    std::string head = "{\"kilt\":";
    AppendJsonString(&head, tag);
    head += ",\"stream\":";
    AppendJsonString(&head, stream);
    prefix_ = head + ",\"msg\":";
    cont_prefix_ = head + ",\"cont\":true,\"msg\":";
  }
}

void LineFramer::Feed(const char* data, size_t len, LineSink* sink) {
  // Lines that fit in one frame even in the worst case (JSON escapes a byte into at most 6) are framed
  // straight from the input, skipping the copy into pending_: the common case of a log line.
  const size_t fast_max = format_ == LogFormat::kPlain ? kMaxFramedLine - cont_prefix_.size() - 1
                                                       : (kMaxFramedLine - cont_prefix_.size() - 3) / 6;
  while (len > 0) {
    if (pending_len_ == 0 && !continued_ && format_ == LogFormat::kPlain) {
      size_t used = FeedBatch(data, len, sink);
      data += used;
      len -= used;
      if (len == 0) break;
    }
    if (pending_len_ == 0) {
      const char* nl = FindNewline(data, len < fast_max + 1 ? len : fast_max + 1);
      if (nl) {
        size_t n = static_cast<size_t>(nl - data);
        FrameOne(data, n, true, true, sink);
        continued_ = false;
        data += n + 1;
        len -= n + 1;
        continue;
      }
    }
    const char* nl = FindNewline(data, len);
    size_t upto = nl ? static_cast<size_t>(nl - data) : len;
    size_t room = sizeof pending_ - pending_len_;
    size_t take = upto < room ? upto : room;
    memcpy(pending_ + pending_len_, data, take);
    pending_len_ += take;
    data += take;
    len -= take;
    if (pending_len_ == sizeof pending_) {
      Emit(false, sink);  // an over-long line: frame what fits, keep the rest
    } else if (nl && take == upto) {
      Emit(true, sink);
      ++data;  // the '\n'
      --len;
    }
  }
}

size_t LineFramer::FeedBatch(const char* data, size_t len, LineSink* sink) {
  // A line fits one frame if its text is at most fast_max bytes: its '\n' is among the first fast_max + 1.
  const size_t limit = kMaxFramedLine - cont_prefix_.size();
  const size_t plen = prefix_.size();
  size_t consumed = 0;
  while (len > consumed) {
    size_t room;
    char* out = sink->ReserveBatch(&room);
    if (!out) break;
    size_t o = 0;
    bool more = true;
    while (len > consumed && room - o >= kMaxFramedLine + kBatchSlack) {
      if (plen <= sizeof prefix16_) memcpy(out + o, prefix16_, sizeof prefix16_);  // the line overwrites the rest
      else CopyBytes(out + o, prefix_.data(), plen);
      size_t n = CopyLine(out + o + plen, data + consumed, len - consumed, limit);
      if (n == 0) {  // an unfinished or over-long line: the general path takes it from here
        more = false;
        break;
      }
      o += plen + n;
      consumed += n;
    }
    sink->Commit(o);
    if (!more) break;
  }
  return consumed;
}

void LineFramer::Flush(LineSink* sink) {
  if (pending_len_ > 0) Emit(true, sink);
  continued_ = false;
}

void LineFramer::Emit(bool line_end, LineSink* sink) {
  if (line_end) {
    const bool whole = !continued_;
    size_t off = 0;
    do {  // an empty line still makes one (empty) framed line
      off += FrameOne(pending_ + off, pending_len_ - off, true, whole && off == 0, sink);
      continued_ = true;
    } while (off < pending_len_);
    continued_ = false;
    pending_len_ = 0;
    return;
  }
  size_t off = FrameOne(pending_, pending_len_, false, false, sink);
  continued_ = true;
  memmove(pending_, pending_ + off, pending_len_ - off);
  pending_len_ -= off;
}

size_t LineFramer::FrameOne(const char* p, size_t n, bool line_end, bool whole_line, LineSink* sink) {
  const std::string& pre = continued_ ? cont_prefix_ : prefix_;
  char* direct = sink->Reserve(kMaxFramedLine);
  char* out = direct ? direct : frame_;
  auto finish = [&](size_t len) {
    if (direct) sink->Commit(len);
    else sink->Line(out, len);
  };
  CopyBytes(out, pre.data(), pre.size());
  size_t o = pre.size();

  if (format_ == LogFormat::kPlain) {
    size_t cap = kMaxFramedLine - o - 1;
    size_t m = n < cap ? n : cap;
    if (m < n) {
      // Do not cut a UTF-8 sequence in two: back off over continuation bytes (at most 3).
      size_t back = 0;
      while (back < 3 && back < m && (static_cast<unsigned char>(p[m - back]) & 0xC0) == 0x80) ++back;
      if (back < m && (static_cast<unsigned char>(p[m - back]) & 0xC0) != 0x80) m -= back;
    }
    CopyBytes(out + o, p, m);
    o += m;
    out[o++] = '\n';
    finish(o);
    return m;
  }

  // JSON. An object line that fits is embedded as is.
  if (embed_json_ && line_end && whole_line && o + n + 2 <= kMaxFramedLine &&
      IsJsonObject(std::string_view(p, n))) {
    memcpy(out + o, p, n);
    o += n;
    out[o++] = '}';
    out[o++] = '\n';
    finish(o);
    return n;
  }
  out[o++] = '"';
  const size_t limit = kMaxFramedLine - 3;  // room for "}\n
  static const char kHex[] = "0123456789abcdef";
  size_t i = 0;
  while (i < n) {
    unsigned char c = static_cast<unsigned char>(p[i]);
    char esc[8];
    size_t elen = 0, consumed = 1;
    if (c == '"' || c == '\\') {
      esc[0] = '\\', esc[1] = static_cast<char>(c), elen = 2;
    } else if (c == '\n') {
      esc[0] = '\\', esc[1] = 'n', elen = 2;
    } else if (c == '\t') {
      esc[0] = '\\', esc[1] = 't', elen = 2;
    } else if (c == '\r') {
      esc[0] = '\\', esc[1] = 'r', elen = 2;
    } else if (c < 0x20) {
      memcpy(esc, "\\u00", 4);
      esc[4] = kHex[c >> 4], esc[5] = kHex[c & 15], elen = 6;
    } else if (c < 0x80) {
      esc[0] = static_cast<char>(c), elen = 1;
    } else {
      int len = Utf8SequenceLength(reinterpret_cast<const unsigned char*>(p + i), n - i);
      if (len < 0 && !line_end) break;  // the rest of the character is still to come
      if (len > 0) {
        memcpy(esc, p + i, len);
        elen = consumed = static_cast<size_t>(len);
      } else {
        memcpy(esc, "\\ufffd", 6);  // invalid UTF-8 would make the whole line invalid JSON
        elen = 6;
      }
    }
    if (o + elen > limit) break;
    memcpy(out + o, esc, elen);
    o += elen;
    i += consumed;
  }
  out[o++] = '"';
  out[o++] = '}';
  out[o++] = '\n';
  finish(o);
  return i;
}

}  // namespace kilt::launcher
