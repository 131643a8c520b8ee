// The recipe: what the patcher adds to a task definition or pod (TOML, documented in docs/recipe.md).
// Consumers parse it once and may override fields per request (the macro's `params`).
#ifndef KILT_PATCHER_RECIPE_H_
#define KILT_PATCHER_RECIPE_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace kilt {

// What the patcher knows about an image without asking a registry (recipe `[[hints]]`).
struct ImageHint {
  std::string image;                    // the reference exactly as the task definition spells it
  std::vector<std::string> entrypoint;  // the image's ENTRYPOINT (may be empty)
  std::vector<std::string> cmd;         // the image's CMD (may be empty)
};

// One environment variable the recipe adds to each patched container.
struct RecipeEnv {
  std::string name;
  std::string value;
  bool force = false;  // true: the recipe's value replaces the user's; false: the user's value wins
};

struct Recipe {
  // Image holding /kilt (declares VOLUME /kilt); pin a tag or digest. Required: there is no safe default.
  std::string kilt_image;
  // The launcher: becomes each patched container's entrypoint; the original argv follows it as command.
  std::vector<std::string> entrypoint = {"/kilt/run", "--"};

  // Selection.
  bool opt_in = false;                                 // false: patch unless told not to; true: only when asked
  std::vector<std::string> compatibilities = {"FARGATE"};  // patch task definitions that require one of these

  // Environment added to patched containers. Metadata variables are named here; "" disables one.
  std::vector<RecipeEnv> env;                          // fixed variables, in order
  std::string task_env = "KILT_TASK";                  // logical id (CloudFormation) or family (ECS) / pod name
  std::string container_env = "KILT_CONTAINER_NAME";   // the container's name
  std::string image_env = "KILT_CONTAINER_IMAGE";      // the container's image

  // Added to LinuxParameters.Capabilities.Add (Fargate allows SYS_PTRACE only).
  std::vector<std::string> capabilities = {"SYS_PTRACE"};

  // The sidecar that carries /kilt.
  std::string sidecar_name = "kilt";
  bool sidecar_essential = false;                // true lets the sidecar's exit stop the task: rarely wanted
  std::vector<std::string> sidecar_command;      // empty: the kilt image's default (an idle process)
  int sidecar_cpu = 0;                           // CPU units; 0: not set
  int sidecar_memory = 0;                        // hard limit MiB; 0: not set
  int sidecar_memory_reservation = 16;           // soft limit MiB; 0: not set
  std::string depends_on_condition = "START";    // patched containers wait for the sidecar: START|COMPLETE|SUCCESS|HEALTHY
  // Sidecar log configuration: "copy" the first patched container's awslogs options (stream prefix
  // replaced), "group" (awslogs to log_group / log_region), or "none".
  std::string log_mode = "copy";
  std::string log_group;
  std::string log_region;
  std::string log_stream_prefix = "kilt";

  // Offline knowledge of images' ENTRYPOINT/CMD, used when no lookup result is given.
  std::vector<ImageHint> hints;
};

// The largest recipe ParseRecipe reads (the default one is 3 KiB).
inline constexpr size_t kMaxRecipeBytes = 1u << 20;

// The documented default recipe, as TOML text (what `kilt recipe --default` prints).
std::string_view DefaultRecipeToml();

// Parses TOML recipe text over the defaults. `source` names the file for error messages.
// Returns false and sets *err ("FILE:LINE: key: what is wrong") on bad input.
[[nodiscard]] bool ParseRecipe(std::string_view toml, std::string_view source, Recipe* out,
                               std::string* err);

// Applies string overrides (the macro's Transform `params`, e.g. {"KiltImage": "..."}) to a recipe.
// Unknown keys are an error naming the key and the accepted ones. Accepted keys: KiltImage, SidecarName,
// OptIn ("true"/"false"), Compatibilities (comma-separated), Capabilities (comma-separated, "" = none),
// LogGroup (sets log mode "group"), LogRegion, DependsOnCondition.
[[nodiscard]] bool ApplyRecipeOverrides(const std::map<std::string, std::string>& overrides,
                                        Recipe* recipe, std::string* err);

// Checks cross-field rules (image set, names valid, condition known). ParseRecipe and
// ApplyRecipeOverrides call it; the patchers call it too, so a hand-built Recipe is checked as well.
[[nodiscard]] bool ValidateRecipe(const Recipe& recipe, std::string* err);

}  // namespace kilt

#endif  // KILT_PATCHER_RECIPE_H_
