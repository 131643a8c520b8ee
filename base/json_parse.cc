#include "base/json_parse.h"

#include <rapidjson/encodedstream.h>
#include <rapidjson/memorystream.h>

namespace kilt::base {

JsonParseResult ParseJson(std::string_view text, const JsonLimits& limits, rapidjson::Document* doc,
                          SourceNode* map) {
  // rapidjson's own Parse(str, length) reads through this pair of streams too: it stops at the length,
  // not at a NUL byte.
  rapidjson::MemoryStream ms(text.data(), text.size());
  rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> is(ms);
  // Not kParseFullPrecisionFlag: rapidjson 1.1's exact strtod has undefined behaviour on a zero with a
  // large exponent ("0.0e48", found by the template fuzzer). Numbers Kilt leaves alone keep their text
  // anyway (patcher/splice.h); the normal path is within a unit in the last place.
  constexpr unsigned kFlags = rapidjson::kParseValidateEncodingFlag;
  return json_internal::ParseLimited<kFlags>(is, text.size(), limits, doc, text.data(), map);
}

std::string LineColumn(std::string_view text, size_t offset) {
  size_t line = 1, col = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') ++line, col = 1;
    else ++col;
  }
  return std::to_string(line) + ":" + std::to_string(col);
}

}  // namespace kilt::base
