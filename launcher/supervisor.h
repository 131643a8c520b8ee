// The supervision state machine of one agent (s6 style), kept free of processes and clocks so that the
// policy (restart, back-off, limit per window, give up) is unit-tested; the run loop feeds it events and
// the current time (CLOCK_MONOTONIC milliseconds) and carries out what it decides.
//
//   kDown --Spawned--> kUp --Exited--> kBackoff --(deadline)--> spawn again
//                       |                \--> kFinished  (clean exit, no restart wanted)
//                       |                 \-> kFailed    (cannot start, or restarts gave up)
//                       \--Stop--> kStopping --Exited--> kStopped
#ifndef KILT_LAUNCHER_SUPERVISOR_H_
#define KILT_LAUNCHER_SUPERVISOR_H_

#include <sys/types.h>

#include <cstdint>

#include "launcher/config.h"

namespace kilt::launcher {

enum class AgentState { kDown, kUp, kBackoff, kStopping, kStopped, kFinished, kFailed };
const char* AgentStateName(AgentState s);

class AgentSupervisor {
 public:
  explicit AgentSupervisor(const AgentConfig* cfg) : cfg_(cfg) {}

  // The process was started (exec succeeded).
  void Spawned(pid_t pid, int64_t now_ms);
  // The exec failed: a missing or non-executable binary does not fix itself, so this gives up at once.
  void SpawnFailed();
  // The process exited with `wait_status`. Decides: restart later (kBackoff, see restart_at_ms()),
  // finished, failed, or stopped (when Stop() was asked).
  void Exited(int wait_status, int64_t now_ms);
  // Shutdown: a running agent goes to kStopping (the caller signals it); one waiting to restart stops.
  void Stop();

  AgentState state() const { return state_; }
  pid_t pid() const { return pid_; }
  int64_t restart_at_ms() const { return restart_at_ms_; }
  int restarts() const { return restarts_; }
  int64_t current_backoff_ms() const { return backoff_ms_; }
  // Whether the process is alive (kUp or kStopping).
  bool running() const { return state_ == AgentState::kUp || state_ == AgentState::kStopping; }
  // Why kFailed: "cannot start", "gave up after N restarts in ...", "exited with ..."; for log lines.
  const char* failure_reason() const { return reason_; }
  const AgentConfig& config() const { return *cfg_; }

 private:
  const AgentConfig* cfg_;
  AgentState state_ = AgentState::kDown;
  pid_t pid_ = 0;
  int64_t started_ms_ = 0;
  int64_t restart_at_ms_ = 0;
  int64_t backoff_ms_ = 0;       // delay before the next restart; doubles per quick failure
  int64_t window_start_ms_ = 0;  // restarts are counted per window starting at the first restart in it
  int window_restarts_ = 0;
  int restarts_ = 0;
  char reason_[128] = "";
};

}  // namespace kilt::launcher

#endif  // KILT_LAUNCHER_SUPERVISOR_H_
