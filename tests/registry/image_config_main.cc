// `kilt image-config` as its own binary, so tests/registry does not depend on the whole CLI's build.
#include "cli/commands.h"

int main(int argc, char** argv) { return kilt::cli::RunImageConfig(argc, argv); }
