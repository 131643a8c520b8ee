// Writes a patched template as an edit of the text it was read from: the two documents are compared
// value by value along the reader's source map, and only what differs becomes new text — a value Kilt
// replaced, members and elements it appended, members it dropped (ECS read-only fields). Everything
// else comes out byte for byte as it went in: comments, quoting, flow or block style, key order,
// blank lines, a byte-order mark, line endings. So `kilt patch --diff` and `git diff` show only Kilt's
// own edits, a second run writes the same bytes, and `--check` compares bytes.
//
// New text follows the file's style: JSON with its indentation unit (and its habit for lists of
// scalars, on one line or not), YAML in block style at its indentation (cfn_yaml.h writes the values).
#ifndef KILT_PATCHER_SPLICE_H_
#define KILT_PATCHER_SPLICE_H_

#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "patcher/cfn_yaml.h"
#include "base/source_map.h"

namespace kilt {

struct SpliceInput {
  std::string_view text;               // the input as read
  const base::SourceNode* map = nullptr;  // where each value of `before` is in `text`
  const rapidjson::Value* before = nullptr;  // the document as read
  const rapidjson::Value* after = nullptr;   // the document as patched
  const YamlStyle* yaml = nullptr;     // YAML: the reader's style; null for JSON
};

// The text of `after`: `text` with the differences spliced in.
std::string SpliceText(const SpliceInput& in);

}  // namespace kilt

#endif  // KILT_PATCHER_SPLICE_H_
