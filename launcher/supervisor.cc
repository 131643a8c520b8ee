#include "launcher/supervisor.h"

#include <sys/wait.h>

#include <cstdio>

namespace kilt::launcher {

const char* AgentStateName(AgentState s) {
  switch (s) {
    case AgentState::kDown: return "down";
    case AgentState::kUp: return "up";
    case AgentState::kBackoff: return "backoff";
    case AgentState::kStopping: return "stopping";
    case AgentState::kStopped: return "stopped";
    case AgentState::kFinished: return "finished";
    case AgentState::kFailed: return "failed";
  }
  return "?";
}

void AgentSupervisor::Spawned(pid_t pid, int64_t now_ms) {
  pid_ = pid;
  started_ms_ = now_ms;
  state_ = AgentState::kUp;
}

void AgentSupervisor::SpawnFailed() {
  pid_ = 0;
  state_ = AgentState::kFailed;
  snprintf(reason_, sizeof reason_, "cannot start");
}

void AgentSupervisor::Exited(int st, int64_t now_ms) {
  pid_ = 0;
  if (state_ == AgentState::kStopping) {
    state_ = AgentState::kStopped;
    return;
  }
  bool clean = WIFEXITED(st) && WEXITSTATUS(st) == 0;
  bool restart = cfg_->restart == RestartPolicy::kAlways ||
                 (cfg_->restart == RestartPolicy::kOnFailure && !clean);
  if (!restart) {
    state_ = clean ? AgentState::kFinished : AgentState::kFailed;
    if (!clean) {
      if (WIFSIGNALED(st)) snprintf(reason_, sizeof reason_, "killed by signal %d (restart = never)", WTERMSIG(st));
      else snprintf(reason_, sizeof reason_, "exited with status %d (restart = never)", WEXITSTATUS(st));
    }
    return;
  }
  if (window_restarts_ == 0 || now_ms - window_start_ms_ >= cfg_->restart_window_ms) {
    window_start_ms_ = now_ms;
    window_restarts_ = 0;
  }
  if (window_restarts_ >= cfg_->restart_limit) {
    state_ = AgentState::kFailed;
    snprintf(reason_, sizeof reason_, "gave up: %d restarts within %lld ms (restart_limit)", window_restarts_,
             static_cast<long long>(cfg_->restart_window_ms));
    return;
  }
  ++window_restarts_;
  ++restarts_;
  // A run that lasted longer than the longest back-off was healthy: start the back-off over.
  if (backoff_ms_ == 0 || now_ms - started_ms_ >= cfg_->backoff_max_ms) {
    backoff_ms_ = cfg_->backoff_initial_ms;
  } else {
    backoff_ms_ = backoff_ms_ * 2 > cfg_->backoff_max_ms ? cfg_->backoff_max_ms : backoff_ms_ * 2;
  }
  restart_at_ms_ = now_ms + backoff_ms_;
  state_ = AgentState::kBackoff;
}

void AgentSupervisor::Stop() {
  if (state_ == AgentState::kUp) state_ = AgentState::kStopping;
  else if (state_ == AgentState::kBackoff || state_ == AgentState::kDown) state_ = AgentState::kStopped;
}

}  // namespace kilt::launcher
