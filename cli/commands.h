// The `kilt` subcommands. Each is a main()-like function: argv[0] is the subcommand's name, the return value
// is the process exit status. cli/kilt.cc dispatches to them; each engineer adds one line there and one
// declaration here for a subcommand they own.
#ifndef KILT_CLI_COMMANDS_H_
#define KILT_CLI_COMMANDS_H_

namespace kilt::cli {

int RunCapture(int argc, char** argv);      // cli/capture.cc: execs kilt-run --capture-file/--capture-json
int RunImageConfig(int argc, char** argv);  // cli/image_config.cc (registry/): link build/lib/libkilt_registry.a $(REGISTRY_LDLIBS)
int RunLocal(int argc, char** argv);    // cli/local.cc (local/): kilt local run; link build/lib/libkilt_local.a $(LOCAL_LDLIBS)
int RunPatch(int argc, char** argv);    // cli/patch.cc: patch a CloudFormation template or ECS task definition
int RunRecipe(int argc, char** argv);   // cli/recipe.cc: print or check a recipe
int RunVersion(int argc, char** argv);  // cli/kilt.cc

}  // namespace kilt::cli

#endif  // KILT_CLI_COMMANDS_H_
