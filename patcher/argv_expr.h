// Docker's ENTRYPOINT/CMD rule on task-definition values that may hold CloudFormation intrinsic functions.
// The plain-list rule is in command.h; this is the same rule where EntryPoint/Command may be Fn::If (at
// field level: the concatenation is distributed into each branch), {"Ref": "AWS::NoValue"} (absent),
// lists with intrinsic elements (kept exactly), Fn::Split, or a Ref to a list parameter.
#ifndef KILT_PATCHER_ARGV_EXPR_H_
#define KILT_PATCHER_ARGV_EXPR_H_

#include <functional>
#include <string>

#include "lookup/image_source.h"
#include "patcher/json.h"

namespace kilt {

using lookup::ImageConfig;

// Gives the image's config when composing needs it (need_cmd: the image CMD is needed too, not just its
// ENTRYPOINT). Returns null and sets *err when it is not known.
using ImageConfigSource = std::function<const ImageConfig*(bool need_cmd, std::string* err)>;

// Sets *out to the list-valued expression EntryPoint ++ Command would run. `entrypoint`/`command` are
// null when absent. allow_intrinsics = false (ECS API JSON) accepts only lists of strings. Returns false
// and sets *err (what is wrong, what to do) when the result cannot be expressed exactly.
[[nodiscard]] bool ComposeArgvExpr(const rapidjson::Value* entrypoint, const rapidjson::Value* command,
                                   bool allow_intrinsics, const ImageConfigSource& image, JsonAlloc& a,
                                   rapidjson::Value* out, std::string* err);

}  // namespace kilt

#endif  // KILT_PATCHER_ARGV_EXPR_H_
