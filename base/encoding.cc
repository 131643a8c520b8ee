#include "base/encoding.h"

#include <endian.h>

#include <array>
#include <cctype>
#include <cstdint>
#include <cstring>

namespace kilt::base {

namespace {
constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}
}  // namespace

void Base64EncodeTo(std::string_view bytes, std::string* out) {
  // The webhook base64-encodes every JSON patch it answers (about 2 KiB for a typical pod), so this is
  // a hot loop: one table lookup per two output characters (the 12-bit table below), six input bytes
  // per step through one 8-byte load, and one 8-byte store: about a quarter of the instructions of a
  // lookup and a store per character.
  static const std::array<uint16_t, 4096> kPairs = [] {
    std::array<uint16_t, 4096> t{};
    for (unsigned i = 0; i < t.size(); i++) {
      const char pair[2] = {kBase64[i >> 6], kBase64[i & 63]};
      memcpy(&t[i], pair, 2);
    }
    return t;
  }();
  const size_t start = out->size();
  out->resize(start + (bytes.size() + 2) / 3 * 4, '=');
  const auto* in = reinterpret_cast<const unsigned char*>(bytes.data());
  char* o = out->data() + start;
  size_t i = 0;
  // Six bytes (two groups of three) per step; the 8-byte load reads two bytes beyond them, so it
  // stops while 8 bytes remain.
  for (; i + 8 <= bytes.size(); i += 6, o += 8) {
    uint64_t w;
    memcpy(&w, in + i, 8);
    const uint64_t v = be64toh(w) >> 16;  // the six bytes, first one highest
    const uint16_t quad[4] = {kPairs[v >> 36], kPairs[(v >> 24) & 0xfff], kPairs[(v >> 12) & 0xfff],
                              kPairs[v & 0xfff]};
    memcpy(o, quad, 8);
  }
  for (; i + 2 < bytes.size(); i += 3, o += 4) {
    const unsigned v = unsigned{in[i]} << 16 | unsigned{in[i + 1]} << 8 | in[i + 2];
    memcpy(o, &kPairs[v >> 12], 2);
    memcpy(o + 2, &kPairs[v & 0xfff], 2);
  }
  if (i + 1 == bytes.size()) {
    const unsigned v = unsigned{in[i]} << 16;
    o[0] = kBase64[v >> 18];
    o[1] = kBase64[(v >> 12) & 63];
  } else if (i + 2 == bytes.size()) {
    const unsigned v = unsigned{in[i]} << 16 | unsigned{in[i + 1]} << 8;
    o[0] = kBase64[v >> 18];
    o[1] = kBase64[(v >> 12) & 63];
    o[2] = kBase64[(v >> 6) & 63];
  }
}

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  Base64EncodeTo(bytes, &out);
  return out;
}

bool Base64Decode(std::string_view text, std::string* bytes, bool skip_whitespace) {
  std::string compact;
  if (skip_whitespace && text.find_first_of(" \t\r\n") != std::string_view::npos) {
    compact.reserve(text.size());
    for (char c : text)
      if (c != ' ' && c != '\t' && c != '\r' && c != '\n') compact += c;
    text = compact;
  }
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return false;
  std::string out;
  unsigned acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = Base64Value(c);
    if (v < 0) return false;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  *bytes = std::move(out);
  return true;
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string PercentEncode(std::string_view s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace kilt::base
