// The changes a patcher makes to a JSON document, kept as RFC 6902 operations while it makes them, so
// that a caller who must answer with a JSON Patch (the admission webhook) needs neither a copy of the
// document taken beforehand nor a before/after diff: those were over half of a review's CPU.
//
// Only paths are recorded. Values are read from the document when the patch is written, and a change
// inside a value that an earlier operation added or replaced is part of that value, so it is not
// written again: "add /env" then "add /env/3" is written as one "add /env" with the final list. This
// holds as long as every recorded path still addresses the same value when the patch is written; a
// recorder that inserts into an array before existing elements must do it after its last change
// inside those elements (the pod patcher's only insert, its init container at index 0, is its last
// change under spec.initContainers).
#ifndef KILT_PATCHER_CHANGE_LOG_H_
#define KILT_PATCHER_CHANGE_LOG_H_

#include <rapidjson/document.h>

#include <string>
#include <string_view>
#include <vector>

namespace kilt {

class ChangeLog {
 public:
  enum Op { kAdd, kReplace };

  // One change to the member `key` (or the element `index`) of the object (array) at `parent`, an
  // RFC 6901 pointer ("" is the document; build deeper ones with AppendPointerToken) into the
  // document as it is right after the change. kAdd: a new member or element (an index equal to the
  // old size appends), or a member set whether or not it existed ("add" replaces a member);
  // kReplace: an existing member or element got a new value.
  ChangeLog() { paths_.reserve(1024); }

  void Record(Op op, std::string_view parent, std::string_view key);
  void Record(Op op, std::string_view parent, rapidjson::SizeType index);
  bool empty() const { return ops_.empty(); }

  // The JSON Patch as compact JSON text, each value as `doc` holds it now, printed byte for byte as
  // rapidjson's Writer prints it. "[]" when nothing was recorded. A path that no longer resolves in
  // `doc` is a bug in the recorder: it throws std::logic_error rather than send a wrong patch.
  std::string Write(const rapidjson::Value& doc) const;

 private:
  // The paths live in one string (a review records a few dozen; one allocation instead of one each).
  struct Entry {
    Op op;
    size_t begin, end;  // the path is paths_[begin, end)
  };
  std::string paths_;
  std::vector<Entry> ops_;
};

// Appends "/" and `token` escaped for a JSON pointer ("~" → "~0", "/" → "~1"): annotation keys such as
// "kilt.io/status" hold slashes.
void AppendPointerToken(std::string_view token, std::string* path);

}  // namespace kilt

#endif  // KILT_PATCHER_CHANGE_LOG_H_
