// String helpers every module needs: split and join lists, trim, compare without case, parse integers.
#ifndef KILT_BASE_STRINGS_H_
#define KILT_BASE_STRINGS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kilt::base {

// Splits on `sep`, trims spaces and tabs around each item and drops empty items: "a, b,,c" -> a b c.
std::vector<std::string> Split(std::string_view s, char sep);

// "a, b, c" for Join({a, b, c}, ", ").
std::string Join(const std::vector<std::string>& items, std::string_view sep);

// Without leading and trailing spaces, tabs, CR and LF.
std::string_view Trim(std::string_view s);

std::string ToLower(std::string_view s);  // ASCII only
bool EqualsIgnoreCase(std::string_view a, std::string_view b);  // ASCII only
inline bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// The whole of `s` as a decimal integer (an optional '-', digits, nothing else) within [min, max].
[[nodiscard]] bool ParseInt(std::string_view s, int64_t min, int64_t max, int64_t* out);

}  // namespace kilt::base

#endif  // KILT_BASE_STRINGS_H_
