// kilt-run: runs the app (argv after "--") exactly as the container would have, with supervised agents
// beside it. See docs/launcher.md; the configuration is docs/run-cfg.md.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <string>

#include "launcher/config.h"
#include "launcher/launcher.h"
#include "launcher/self_check.h"

#ifndef KILT_VERSION
#define KILT_VERSION "0.1.0-dev"
#endif

namespace {

constexpr const char* kDefaultConfig = "/kilt/run.cfg";

const char kUsage[] =
    "usage: kilt-run [OPTIONS] [--] APP [ARG...]\n"
    "       kilt-run --check [--config FILE]\n"
    "\n"
    "Runs APP with the container's environment, PATH and stdio, unchanged, while the agents of the\n"
    "configuration run beside it, supervised, their output tagged on stdout. Exits with APP's status\n"
    "(128+N when APP was killed by signal N).\n"
    "\n"
    "Options (only before APP; everything after the first \"--\" or the first non-option is APP's argv):\n"
    "  --config FILE  configuration (default: $KILT_CONFIG, else /kilt/run.cfg)\n"
    "  --strict       an invalid or missing configuration is an error (as strict = true in the file)\n"
    "  --check        self-test: configuration, agent binaries, the capture (ptrace + seccomp), read-only\n"
    "                 /kilt, init duties\n"
    "  --capture-file FILE  trace the app (the capture) and write its events to FILE, a scap capture\n"
    "                 that Falco replays and sysdig reads (kilt capture -w uses this)\n"
    "  --capture-json trace the app and write its events as JSON lines on stdout (kilt capture -o json)\n"
    "  --version      print the version\n"
    "  --help         print this help\n"
    "\n"
    "Exit codes: APP's status; 121 an agent with on_failure = \"stop-app\" failed (or a readiness gate with\n"
    "on_timeout = \"fail\" timed out); 125 usage or strict configuration error; 126 APP not executable;\n"
    "127 APP not found. --check: 0 all passed, 1 something failed.\n";

}  // namespace

int main(int argc, char** argv) {
  std::string config_path;
  bool have_config_flag = false, strict = false, check = false, capture_json = false;
  std::string capture_file;
  int i = 1;
  for (; i < argc; ++i) {
    const char* a = argv[i];
    if (strcmp(a, "--") == 0) {
      ++i;
      break;
    }
    if (a[0] != '-') break;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      fputs(kUsage, stdout);
      return 0;
    }
    if (strcmp(a, "--version") == 0) {
      printf("kilt-run %s\n", KILT_VERSION);
      return 0;
    }
    if (strcmp(a, "--check") == 0) {
      check = true;
    } else if (strcmp(a, "--strict") == 0) {
      strict = true;
    } else if (strcmp(a, "--config") == 0) {
      if (i + 1 >= argc) {
        kilt::launcher::Diag("--config needs a FILE (kilt-run --help)");
        return kilt::launcher::kExitUsage;
      }
      config_path = argv[++i];
      have_config_flag = true;
    } else if (strcmp(a, "--capture-file") == 0) {
      if (i + 1 >= argc) {
        kilt::launcher::Diag("--capture-file needs a FILE (kilt-run --help)");
        return kilt::launcher::kExitUsage;
      }
      capture_file = argv[++i];
    } else if (strcmp(a, "--capture-json") == 0) {
      capture_json = true;
    } else if (strncmp(a, "--config=", 9) == 0) {
      config_path = a + 9;
      have_config_flag = true;
    } else {
      kilt::launcher::Diag("unknown option \"%s\"; put the app after \"--\" (kilt-run --help)", a);
      return kilt::launcher::kExitUsage;
    }
  }
  if (!have_config_flag) {
    const char* env = getenv("KILT_CONFIG");
    config_path = env && *env ? env : kDefaultConfig;
  }
  if (check) return kilt::launcher::RunSelfCheck(config_path);
  if (i >= argc) {
    kilt::launcher::Diag("no app to run: kilt-run [OPTIONS] -- APP [ARG...] (kilt-run --help)");
    return kilt::launcher::kExitUsage;
  }

  kilt::launcher::LaunchOptions opts;
  for (; i < argc; ++i) opts.app_argv.emplace_back(argv[i]);
  opts.capture_file = capture_file;
  opts.capture_json = capture_json;
  std::string err;
  if (!kilt::launcher::LoadRunConfig(config_path, &opts.config, &err)) {
    if (strict || opts.config.strict) {
      kilt::launcher::Diag("%s", err.c_str());
      kilt::launcher::Diag("strict mode: not starting the app (exit %d)", kilt::launcher::kExitUsage);
      return kilt::launcher::kExitUsage;
    }
    bool keep_log_format = opts.config.log_format == kilt::launcher::LogFormat::kJson;
    opts.config = kilt::launcher::RunConfig{};
    if (keep_log_format) opts.config.log_format = kilt::launcher::LogFormat::kJson;
    opts.config_ok = false;
    opts.config_error = err;
  }
  return kilt::launcher::RunLauncher(opts);
}
