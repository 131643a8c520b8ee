// `kilt local run`: run an ECS task definition on this machine with runc (see docs/local.md).
#include "local/local.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "cli/commands.h"

namespace kilt::cli {
namespace {

const char kUsage[] =
    "usage: kilt local run TASKDEF|TEMPLATE [--resource ID] --images DIR [options]\n"
    "\n"
    "Runs an ECS task definition (ECS JSON, or one AWS::ECS::TaskDefinition of a CloudFormation "
    "template)\n"
    "on this machine with runc, one container per container definition. Needs root.\n"
    "\n"
    "  --images DIR          OCI layouts (DIR/NAME/) or archives (DIR/NAME.oci.tar, DIR/NAME.tar); "
    "image\n"
    "                        [REGISTRY/]PATH/NAME:TAG is looked up as NAME with tag TAG\n"
    "  --resource ID         the task definition's logical id (templates with several)\n"
    "  --parameter K=V       a template parameter value (repeatable; Defaults are used otherwise)\n"
    "  --stop-timeout SECS   SIGTERM -> SIGKILL delay for every container (default: its "
    "StopTimeout, or 30)\n"
    "  --runc-root DIR       runc's state directory (default /run/kilt-local)\n"
    "  --work-dir DIR        where bundles are unpacked (default $TMPDIR or /var/tmp); always "
    "removed\n"
    "\n"
    "Output lines are tagged with the container name ([app] ...). SIGINT/SIGTERM stop the task like ECS "
    "(SIGTERM,\n"
    "StopTimeout, SIGKILL; a second signal kills at once). Exit status: the essential container's; "
    "125 when\n"
    "kilt local itself fails.\n";

}  // namespace

int RunLocal(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "run") != 0) {
    bool help = argc >= 2 && (!std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h"));
    std::fputs(kUsage, help ? stdout : stderr);
    return help ? 0 : 2;
  }
  local::LocalOptions o;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "kilt local run: %s needs a value\n", a.c_str());
        return false;
      }
      *out = argv[++i];
      return true;
    };
    std::string v;
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--images") {
      if (!value(&o.images_dir)) return 2;
    } else if (a == "--resource") {
      if (!value(&o.resource)) return 2;
    } else if (a == "--runc-root") {
      if (!value(&o.runc_root)) return 2;
    } else if (a == "--work-dir") {
      if (!value(&o.work_parent)) return 2;
    } else if (a == "--parameter") {
      if (!value(&v)) return 2;
      size_t eq = v.find('=');
      if (eq == std::string::npos || eq == 0) {
        std::fprintf(stderr, "kilt local run: --parameter wants NAME=VALUE, got '%s'\n", v.c_str());
        return 2;
      }
      o.parameters.emplace_back(v.substr(0, eq), v.substr(eq + 1));
    } else if (a == "--stop-timeout") {
      if (!value(&v)) return 2;
      char* end = nullptr;
      long s = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end || s < 0 || s > 3600) {
        std::fprintf(stderr, "kilt local run: --stop-timeout wants seconds (0..3600), got '%s'\n",
                     v.c_str());
        return 2;
      }
      o.stop_timeout_s = static_cast<int>(s);
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "kilt local run: unknown option %s\n%s", a.c_str(), kUsage);
      return 2;
    } else if (o.task_path.empty()) {
      o.task_path = a;
    } else {
      std::fprintf(stderr, "kilt local run: one task definition at a time (got %s and %s)\n",
                   o.task_path.c_str(), a.c_str());
      return 2;
    }
  }
  if (o.task_path.empty() || o.images_dir.empty()) {
    std::fprintf(stderr, "kilt local run: TASKDEF and --images DIR are required\n%s", kUsage);
    return 2;
  }
  return local::RunLocalTask(o);
}

}  // namespace kilt::cli
