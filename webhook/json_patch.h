// RFC 6902 JSON Patch computed from two JSON values (the pod before and after PatchPod), as the
// apiserver applies it (evanphx/json-patch). Paths are RFC 6901 pointers ("/" → "~1", "~" → "~0"):
// annotation keys such as "kilt.io/status" contain slashes.
#ifndef KILT_WEBHOOK_JSON_PATCH_H_
#define KILT_WEBHOOK_JSON_PATCH_H_

#include <rapidjson/document.h>

#include <string>
#include <string_view>

namespace kilt {

// Escapes one reference token for a JSON pointer.
std::string JsonPointerEscape(std::string_view token);

// The operations that turn `before` into `after`, as a JSON text ("[]" when equal). Objects are
// diffed key by key (removals first, in `before`'s order, then additions and changes in `after`'s
// order); arrays that only grew at the end or at the front get "add" operations (so a reinvocation
// that races another webhook's additions does not replace whole lists); any other change is a
// "replace" of the smallest enclosing value. The text is what rapidjson's Writer would print for
// the same operations (compact, same escaping and number format).
std::string JsonPatch(const rapidjson::Value& before, const rapidjson::Value& after);

}  // namespace kilt

#endif  // KILT_WEBHOOK_JSON_PATCH_H_
