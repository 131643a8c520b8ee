// The launcher's configuration (/kilt/run.cfg, TOML): which agents run beside the app and how they are
// supervised and logged. Schema reference: docs/run-cfg.md. Parsing is pure (text in, struct out) so it is
// unit-tested without processes.
#ifndef KILT_LAUNCHER_CONFIG_H_
#define KILT_LAUNCHER_CONFIG_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "launcher/line_framer.h"  // LogFormat

namespace kilt::launcher {

enum class RestartPolicy { kNever, kOnFailure, kAlways };
// What happens when an agent cannot start or its restarts give up.
enum class FailurePolicy { kContinue, kStopApp };
enum class ReadyKind { kNone, kNotifyFd, kFile, kTcp };
// What happens when a readiness gate has not opened within its timeout.
enum class ReadyTimeoutPolicy { kStartApp, kFail };
// Where signals kilt-run receives go: the app's whole process group (as dumb-init), or the app alone (tini).
enum class SignalScope { kGroup, kApp };

struct ReadyGate {
  ReadyKind kind = ReadyKind::kNone;
  int fd = -1;                 // kNotifyFd: the fd number the agent writes a newline to (s6 style)
  std::string file;            // kFile: path that appears when the agent is ready
  std::string tcp_host;        // kTcp: numeric IPv4/IPv6 address
  uint16_t tcp_port = 0;
  int64_t timeout_ms = 30000;
  ReadyTimeoutPolicy on_timeout = ReadyTimeoutPolicy::kStartApp;
};

struct AgentConfig {
  std::string name;
  std::string path;
  std::vector<std::string> args;                           // argv[1..]; argv[0] is `path`
  std::vector<std::pair<std::string, std::string>> env;    // added to / overriding the container's
  std::string workdir;                                     // empty: kilt-run's own
  RestartPolicy restart = RestartPolicy::kOnFailure;
  int64_t backoff_initial_ms = 100;
  int64_t backoff_max_ms = 30000;
  int restart_limit = 10;                                  // restarts allowed per window
  int64_t restart_window_ms = 300000;
  FailurePolicy on_failure = FailurePolicy::kContinue;
  ReadyGate ready;
  bool capture = false;  // consumes the live capture (KILT_CAPTURE_SOCKET in its environment)
};

// [capture]: kilt-run traces the app's process tree (capture/tracer.h) and serves the events live.
struct CaptureConfig {
  enum class Enabled { kAuto, kOn, kOff };
  Enabled enabled = Enabled::kAuto;       // auto: on when an agent has capture = true
  std::string socket = "@kilt-capture";   // the feed's address: a path, or @name (abstract)
  size_t buffer_bytes = 8 << 20;          // events waiting for the consumer; beyond it dropped, counted
  int64_t consumer_timeout_ms = 30000;    // how long the app waits for the consumer to connect
  ReadyTimeoutPolicy on_timeout = ReadyTimeoutPolicy::kStartApp;
  FailurePolicy on_failure = FailurePolicy::kContinue;  // ptrace or seccomp refused by the platform
  size_t max_tasks = 65536;               // threads traced at once; beyond it new ones run untraced
};

struct RunConfig {
  bool strict = false;                      // invalid config or agent failure at start: fail, not degrade
  LogFormat log_format = LogFormat::kPlain;
  bool log_embed_json = true;               // JSON format: embed lines that are JSON objects as objects
  size_t log_buffer_bytes = 1 << 20;        // agent output held while stdout blocks; beyond it: dropped, counted
  bool log_verbose = false;                 // kilt-run's own diagnostics: forwarded signals, leftovers, reaping
  SignalScope signal_scope = SignalScope::kGroup;
  std::vector<std::pair<int, int>> signal_rewrite;  // [signals] rewrite: received → sent (0: dropped)
  int64_t leftover_grace_ms = 2000;         // after the app exited: SIGTERM → SIGKILL for what it left behind
  int64_t agent_stop_grace_ms = 5000;       // SIGTERM → SIGKILL for agents once the app and its leftovers are gone
  int64_t app_stop_grace_ms = 10000;        // stop-app policy: SIGTERM → SIGKILL for the app
  CaptureConfig capture;
  std::vector<AgentConfig> agents;

  // Whether the capture runs: asked for, or (auto) an agent consumes it.
  bool capture_enabled() const {
    if (capture.enabled != CaptureConfig::Enabled::kAuto) return capture.enabled == CaptureConfig::Enabled::kOn;
    for (const AgentConfig& a : agents)
      if (a.capture) return true;
    return false;
  }
};

// Parses run.cfg text. `source` names the file in errors. On failure returns false and sets *err to
// "SOURCE:LINE:COL: KEY: what is wrong" (one problem, the first found). Even then out->strict holds the
// file's `strict` when the text is valid TOML (so the caller knows whether to fail); the rest is unspecified.
[[nodiscard]] bool ParseRunConfig(std::string_view text, std::string_view source, RunConfig* out,
                                  std::string* err);

// Reads and parses a file. A missing file is an error like any other ("FILE: cannot read: ...").
[[nodiscard]] bool LoadRunConfig(const std::string& path, RunConfig* out, std::string* err);

// "250ms", "5s", "2m", "1h" or a bare number of seconds (integer or float) → milliseconds.
[[nodiscard]] bool ParseDurationMs(std::string_view text, int64_t* ms);

}  // namespace kilt::launcher

#endif  // KILT_LAUNCHER_CONFIG_H_
