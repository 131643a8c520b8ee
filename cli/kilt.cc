// `kilt`: one binary, several subcommands, dispatched from one table.
#include <cstdio>
#include <cstring>

#include "cli/commands.h"

#ifndef KILT_VERSION
#define KILT_VERSION "0.1.0"
#endif

namespace kilt::cli {
namespace {

struct Command {
  const char* name;
  int (*run)(int argc, char** argv);
  const char* summary;
};

int RunHelp(int argc, char** argv);

// One line per subcommand. Keep it sorted by name; `kilt help` prints it in this order.
const Command kCommands[] = {
    {"capture", RunCapture, "run a command traced and write its syscall events (kilt capture --help)"},
    {"help", RunHelp, "show this help"},
    {"image-config", RunImageConfig, "print an image's digest and config from its registry (kilt image-config --help)"},
    {"local", RunLocal, "run an ECS task definition here with runc (kilt local run --help)"},
    {"patch", RunPatch, "patch a CloudFormation template or ECS task definition (kilt patch --help)"},
    {"recipe", RunRecipe, "print the default recipe or check one (kilt recipe --help)"},
    {"version", RunVersion, "print the version"},
};

int RunHelp(int, char**) {
  std::printf("usage: kilt COMMAND [ARGS]\n\ncommands:\n");
  for (const Command& c : kCommands) std::printf("  %-14s %s\n", c.name, c.summary);
  return 0;
}

}  // namespace

int RunVersion(int, char**) {
  std::printf("kilt %s\n", KILT_VERSION);
  return 0;
}

}  // namespace kilt::cli

int main(int argc, char** argv) {
  if (argc < 2) {
    kilt::cli::RunHelp(0, nullptr);
    return 2;
  }
  const char* name = argv[1];
  if (!std::strcmp(name, "--help") || !std::strcmp(name, "-h")) name = "help";
  if (!std::strcmp(name, "--version")) name = "version";
  for (const kilt::cli::Command& c : kilt::cli::kCommands) {
    if (!std::strcmp(c.name, name)) return c.run(argc - 1, argv + 1);
  }
  std::fprintf(stderr, "kilt: unknown command '%s'; run 'kilt help' for the list\n", argv[1]);
  return 2;
}
