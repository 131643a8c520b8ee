// `kilt capture`: runs a command traced by the capture and writes its events as a scap capture file or as
// JSON lines. The tracing, the PID-1 duties and the event writers are kilt-run's (one place for each): this
// command finds the kilt-run beside it and execs it with --capture-file / --capture-json, so the command
// runs exactly as it would under /kilt/run in a container.
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "cli/commands.h"

namespace kilt::cli {
namespace {

const char kUsage[] =
    "usage: kilt capture [-w FILE.scap | -o json] [--config RUN.CFG] -- CMD [ARGS...]\n"
    "\n"
    "Runs CMD traced (ptrace + seccomp, as /kilt/run does in a container) and writes what it did as Falco's\n"
    "own scap events:\n"
    "  -w FILE.scap     a capture file: `sysdig -r FILE` and Falco's replay engine read it\n"
    "  -o json          JSON lines on stdout, one event per line (the default); CMD's own stdout is\n"
    "                   stdout too, so redirect it (sh -c 'CMD >/dev/null') for clean output\n"
    "  --config RUN.CFG a kilt-run configuration ([capture] settings, agents); default: none\n"
    "Exit status: CMD's (128+N if it died of signal N); 125 usage; 126/127 CMD not executable / not found.\n"
    "kilt-run is looked for beside this kilt, or where $KILT_RUN says.\n";

// kilt-run beside this binary (build/bin/kilt-run next to build/bin/kilt), else $KILT_RUN, else PATH.
std::string FindKiltRun() {
  if (const char* env = getenv("KILT_RUN"); env && *env) return env;
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = '\0';
    std::string dir(self);
    dir.resize(dir.rfind('/') + 1);
    std::string beside = dir + "kilt-run";
    if (access(beside.c_str(), X_OK) == 0) return beside;
  }
  return "kilt-run";
}

}  // namespace

int RunCapture(int argc, char** argv) {
  std::string file, config = "/dev/null";
  bool json = false;
  int i = 1;
  for (; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a == "-h" || a == "--help") {
      fputs(kUsage, stdout);
      return 0;
    }
    if ((a == "-w" || a == "-o" || a == "--config") && i + 1 >= argc) {
      fprintf(stderr, "kilt capture: %s needs a value\n%s", a.c_str(), kUsage);
      return 125;
    }
    if (a == "-w") {
      file = argv[++i];
    } else if (a == "-o") {
      std::string fmt = argv[++i];
      if (fmt != "json") {
        fprintf(stderr, "kilt capture: -o %s: the only output format is json (or -w FILE.scap)\n", fmt.c_str());
        return 125;
      }
      json = true;
    } else if (a == "--config") {
      config = argv[++i];
    } else if (!a.empty() && a[0] == '-') {
      fprintf(stderr, "kilt capture: unknown option %s\n%s", a.c_str(), kUsage);
      return 125;
    } else {
      break;
    }
  }
  if (i >= argc) {
    fprintf(stderr, "kilt capture: no command to run\n%s", kUsage);
    return 125;
  }
  if (!file.empty() && json) {
    fprintf(stderr, "kilt capture: -w and -o json exclude each other\n");
    return 125;
  }
  std::string run = FindKiltRun();
  std::vector<const char*> args = {run.c_str(), "--config", config.c_str()};
  if (!file.empty()) args.insert(args.end(), {"--capture-file", file.c_str()});
  else args.push_back("--capture-json");
  args.push_back("--");
  for (; i < argc; ++i) args.push_back(argv[i]);
  args.push_back(nullptr);
  execvp(args[0], const_cast<char* const*>(args.data()));
  fprintf(stderr, "kilt capture: cannot run %s: %s (build it with make, or set KILT_RUN)\n", run.c_str(),
          strerror(errno));
  return 125;
}

}  // namespace kilt::cli
