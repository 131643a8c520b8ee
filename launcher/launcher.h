// The run loop of kilt-run: PID 1 (or subreaper) duties via init/pid1, agents under AgentSupervisor, their
// output framed into the container's stdout, readiness gates, the app, and the shutdown order.
#ifndef KILT_LAUNCHER_LAUNCHER_H_
#define KILT_LAUNCHER_LAUNCHER_H_

#include <string>
#include <vector>

#include "launcher/config.h"

namespace kilt::launcher {

// Exit codes of kilt-run itself (the app's own status, or 128+N for signal N, passes through otherwise).
constexpr int kExitAgentFailed = 121;  // an agent with on_failure = "stop-app" (or a gate with
                                       // on_timeout = "fail") failed: the app was stopped or never started
constexpr int kExitUsage = 125;        // bad command line, strict config error, or kilt-run's own failure
constexpr int kExitCannotExec = 126;   // the app exists but cannot be executed
constexpr int kExitNotFound = 127;     // the app was not found (PATH lookup)

struct LaunchOptions {
  RunConfig config;
  bool config_ok = true;              // false: run the app without agents, saying why loudly
  std::string config_error;           // "FILE:LINE:COL: KEY: what" when !config_ok
  std::vector<std::string> app_argv;  // exactly as given after "--"
  std::string capture_file;           // --capture-file: the capture also written there (scap file)
  bool capture_json = false;          // --capture-json: the capture also as JSON lines on stdout
};

// Runs everything and returns kilt-run's exit code. Writes its own messages to stderr.
int RunLauncher(const LaunchOptions& opts);

// kilt-run's own diagnostic line on stderr ("kilt-run: ..."), one write(2). For use before the loop runs.
void Diag(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace kilt::launcher

#endif  // KILT_LAUNCHER_LAUNCHER_H_
