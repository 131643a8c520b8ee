#include "patcher/command.h"

#include "patcher/patcher.h"

namespace kilt {

static bool IsSet(const std::optional<Argv>& v) { return v.has_value() && !v->empty(); }

bool NeedsImageConfig(const std::optional<Argv>& entrypoint) { return !IsSet(entrypoint); }

bool ComposeArgv(const std::optional<Argv>& entrypoint, const std::optional<Argv>& command,
                 const ImageConfig* image, Argv* out, std::string* err) {
  out->clear();
  if (IsSet(entrypoint)) {
    // Overriding ENTRYPOINT drops the image CMD: only the task's own command follows.
    *out = *entrypoint;
    if (IsSet(command)) out->insert(out->end(), command->begin(), command->end());
    return true;
  }
  if (image == nullptr) {
    *err = "the entrypoint is not set, so the image's ENTRYPOINT must be known";
    return false;
  }
  *out = image->entrypoint;
  const Argv& tail = IsSet(command) ? *command : image->cmd;
  out->insert(out->end(), tail.begin(), tail.end());
  if (out->empty()) {
    *err = "the image has neither ENTRYPOINT nor CMD and the container sets no command: nothing to run";
    return false;
  }
  return true;
}

Argv WrapArgv(const Argv& launcher, const Argv& original) {
  Argv out = launcher;
  out.insert(out.end(), original.begin(), original.end());
  return out;
}

std::vector<RecipeEnv> RecipeEnvironment(const Recipe& recipe, const ContainerMetadata& meta) {
  std::vector<RecipeEnv> vars = recipe.env;
  if (!recipe.task_env.empty()) vars.push_back({recipe.task_env, meta.task, false});
  if (!recipe.container_env.empty()) vars.push_back({recipe.container_env, meta.container, false});
  if (!recipe.image_env.empty()) vars.push_back({recipe.image_env, meta.image, false});
  return vars;
}

}  // namespace kilt
