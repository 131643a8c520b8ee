// Where each value of a parsed document sits in the text it was read from. The readers
// (base/json_parse.h, patcher/cfn_yaml.h) fill it beside the rapidjson document; the patcher's writer
// (patcher/splice.h) uses it to copy the text of everything Kilt did not change and to write Kilt's
// edits in the style around them.
#ifndef KILT_BASE_SOURCE_MAP_H_
#define KILT_BASE_SOURCE_MAP_H_

#include <cstdint>
#include <vector>

namespace kilt::base {

struct SourceNode {
  enum Kind : uint8_t {
    kScalar,
    kFlowCollection,   // JSON objects and arrays; YAML {..} and [..]
    kBlockCollection,  // YAML block mappings and sequences
    kShortTag,         // YAML !Ref x, !If [..]: the value is {"Fn::If": ..}; children[0] is the tag's operand
    kOpaque,           // text that is not the value's shape (!GetAtt a.b, read as ["a", "b"]): never edited inside
  };
  enum ScalarStyle : uint8_t { kPlain, kSingleQuoted, kDoubleQuoted, kLiteral, kFolded };

  uint32_t begin = 0, end = 0;          // the value's text, properties (tag, anchor) included
  uint32_t key_begin = 0, key_end = 0;  // for a mapping member: its key's text
  uint32_t column = 0;                  // YAML block collections: the column of their keys or dashes
  Kind kind = kScalar;
  ScalarStyle style = kPlain;
  std::vector<SourceNode> children;     // members or elements in document order; kShortTag: its operand
};

}  // namespace kilt::base

#endif  // KILT_BASE_SOURCE_MAP_H_
