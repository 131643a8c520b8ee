// Test helpers: spell expected scap events out by hand (from the parameter lists in
// capture/event_params.golden), independently of the encoder. Tests only.
#ifndef KILT_CAPTURE_SCAP_TEST_UTIL_H_
#define KILT_CAPTURE_SCAP_TEST_UTIL_H_

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace kilt::scap::testing {

// One parameter's bytes.
struct P {
  std::string bytes;
};
inline std::string Le(uint64_t v, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return s;
}
inline P I64(int64_t v) { return {Le(static_cast<uint64_t>(v), 8)}; }
inline P U64(uint64_t v) { return {Le(v, 8)}; }
inline P U32(uint32_t v) { return {Le(v, 4)}; }
inline P U16(uint16_t v) { return {Le(v, 2)}; }
inline P U8(uint8_t v) { return {Le(v, 1)}; }
inline P Str(std::string_view s) { return {std::string(s) + '\0'}; }  // CHARBUF/FSPATH
inline P Raw(std::string_view s) { return {std::string(s)}; }         // BYTEBUF/tuple/sockaddr
inline P None() { return {std::string()}; }                           // empty parameter

// The whole event: header (ts, tid, len, type, nparams), u16 lengths, then the parameters.
inline std::string Event(uint64_t ts, int64_t tid, uint16_t type, std::initializer_list<P> params) {
  std::string lens, data;
  for (const P& p : params) {
    lens += Le(p.bytes.size(), 2);
    data += p.bytes;
  }
  uint64_t len = 26 + lens.size() + data.size();
  return Le(ts, 8) + Le(static_cast<uint64_t>(tid), 8) + Le(len, 4) + Le(type, 2) +
         Le(params.size(), 4) + lens + data;
}

inline std::string Hex(std::string_view s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i && i % 16 == 0) out += '\n';
    unsigned char c = static_cast<unsigned char>(s[i]);
    out += d[c >> 4];
    out += d[c & 15];
    out += ' ';
  }
  return out;
}

// Linux sockaddr bytes, built by hand.
inline std::string SockaddrIn(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port) {
  std::string s = Le(2, 2);  // AF_INET
  s.push_back(static_cast<char>(port >> 8));
  s.push_back(static_cast<char>(port & 0xff));
  s += std::string{static_cast<char>(a), static_cast<char>(b), static_cast<char>(c),
                   static_cast<char>(d)};
  s += std::string(8, '\0');
  return s;
}
inline std::string SockaddrIn6(const uint8_t (&addr)[16], uint16_t port) {
  std::string s = Le(10, 2);  // AF_INET6
  s.push_back(static_cast<char>(port >> 8));
  s.push_back(static_cast<char>(port & 0xff));
  s += Le(0, 4);  // flowinfo
  s.append(reinterpret_cast<const char*>(addr), 16);
  s += Le(0, 4);  // scope id
  return s;
}
inline std::string SockaddrUn(std::string_view path, bool abstract = false) {
  std::string s = Le(1, 2);  // AF_UNIX
  if (abstract) s.push_back('\0');
  s += path;
  if (!abstract) s.push_back('\0');
  return s;
}

}  // namespace kilt::scap::testing

#endif  // KILT_CAPTURE_SCAP_TEST_UTIL_H_
