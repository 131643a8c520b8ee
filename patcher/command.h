// Rules shared by every patcher (task definitions, pods) on plain values: how a container's argv is composed
// from its own entrypoint/command and its image's, and how the recipe's environment merges with the user's.
#ifndef KILT_PATCHER_COMMAND_H_
#define KILT_PATCHER_COMMAND_H_

#include <optional>
#include <string>
#include <vector>

#include "lookup/image_source.h"
#include "patcher/recipe.h"

namespace kilt {

using lookup::ImageConfig;

using Argv = std::vector<std::string>;

// What an unwrapped container would run, by Docker's rule (ECS and Kubernetes follow it):
//   entrypoint set  ⇒ entrypoint ++ command (the image CMD is dropped, even when command is unset);
//   entrypoint unset ⇒ image ENTRYPOINT ++ (command if set, else image CMD).
// An empty list counts as unset (ECS and Kubernetes omit empty lists). `image` may be null when it is
// not needed (see NeedsImageConfig). Returns false and sets *err when it is needed but null.
[[nodiscard]] bool ComposeArgv(const std::optional<Argv>& entrypoint, const std::optional<Argv>& command,
                               const ImageConfig* image, Argv* out, std::string* err);

// True when the image's ENTRYPOINT (and maybe CMD) must be known to compose the argv.
bool NeedsImageConfig(const std::optional<Argv>& entrypoint);

// The argv a patched container runs: launcher ++ original (the launcher ends with "--").
Argv WrapArgv(const Argv& launcher, const Argv& original);

// Metadata about one container, for the recipe's metadata variables.
struct ContainerMetadata {
  std::string task;       // CloudFormation logical id, ECS family, or pod namespace/name
  std::string container;  // container name
  std::string image;      // image reference
};

// The variables the recipe adds to one container, in a fixed order: fixed ones first (recipe order),
// then the metadata ones (task, container, image). Metadata variables are never forced.
std::vector<RecipeEnv> RecipeEnvironment(const Recipe& recipe, const ContainerMetadata& meta);

// Env merge policy: whether a recipe variable is written when the user already has `name`.
// User values win unless the recipe forces its own.
inline bool RecipeVariableWins(const RecipeEnv& var, bool user_has_it) { return !user_has_it || var.force; }

}  // namespace kilt

#endif  // KILT_PATCHER_COMMAND_H_
