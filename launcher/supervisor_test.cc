#include "launcher/supervisor.h"

#include <sys/wait.h>

#include <catch2/catch.hpp>

using kilt::launcher::AgentState;
using kilt::launcher::AgentSupervisor;

namespace {
int Exit(int code) { return (code & 0xff) << 8; }  // a wait status for "exited with code"
int Killed(int sig) { return sig; }
}  // namespace

TEST_CASE("on-failure: exponential back-off capped at max, then the window limit gives up") {
  kilt::launcher::AgentConfig c;
  c.backoff_initial_ms = 100;
  c.backoff_max_ms = 500;
  c.restart_limit = 5;
  c.restart_window_ms = 60000;
  AgentSupervisor s(&c);
  int64_t t = 0;
  s.Spawned(10, t);
  std::vector<int64_t> delays;
  for (int i = 0; i < 5; ++i) {
    s.Exited(Exit(1), t += 10);
    REQUIRE(s.state() == AgentState::kBackoff);
    delays.push_back(s.restart_at_ms() - t);
    s.Spawned(11 + i, t = s.restart_at_ms());
  }
  CHECK(delays == std::vector<int64_t>{100, 200, 400, 500, 500});
  s.Exited(Killed(SIGSEGV), t += 10);
  CHECK(s.state() == AgentState::kFailed);
  CHECK(std::string(s.failure_reason()).find("gave up") == 0);
}

TEST_CASE("a run longer than backoff_max resets the back-off; a new window resets the count") {
  kilt::launcher::AgentConfig c;
  c.backoff_initial_ms = 100;
  c.backoff_max_ms = 1000;
  c.restart_limit = 2;
  c.restart_window_ms = 10000;
  AgentSupervisor s(&c);
  s.Spawned(1, 0);
  s.Exited(Exit(1), 10);
  s.Spawned(2, 110);
  s.Exited(Exit(1), 120);
  CHECK(s.current_backoff_ms() == 200);
  s.Spawned(3, 320);
  s.Exited(Exit(1), 20000);  // ran long, and the window is over
  CHECK(s.state() == AgentState::kBackoff);
  CHECK(s.current_backoff_ms() == 100);
}

TEST_CASE("on-failure: a clean exit finishes; never: a failure fails; always restarts a clean exit") {
  kilt::launcher::AgentConfig c;
  AgentSupervisor a(&c);
  a.Spawned(1, 0);
  a.Exited(Exit(0), 5);
  CHECK(a.state() == AgentState::kFinished);

  c.restart = kilt::launcher::RestartPolicy::kNever;
  AgentSupervisor b(&c);
  b.Spawned(1, 0);
  b.Exited(Exit(2), 5);
  CHECK(b.state() == AgentState::kFailed);

  kilt::launcher::AgentConfig d;
  d.restart = kilt::launcher::RestartPolicy::kAlways;
  AgentSupervisor e(&d);
  e.Spawned(1, 0);
  e.Exited(Exit(0), 5);
  CHECK(e.state() == AgentState::kBackoff);
}

TEST_CASE("restart_limit = 0 gives up at the first failure; spawn failure gives up at once") {
  kilt::launcher::AgentConfig c;
  c.restart_limit = 0;
  AgentSupervisor s(&c);
  s.Spawned(1, 0);
  s.Exited(Exit(1), 5);
  CHECK(s.state() == AgentState::kFailed);
  AgentSupervisor t(&c);
  t.SpawnFailed();
  CHECK(t.state() == AgentState::kFailed);
  CHECK(std::string(t.failure_reason()) == "cannot start");
}

TEST_CASE("stop: a running agent is stopping, then stopped, never restarted") {
  kilt::launcher::AgentConfig c;
  c.restart = kilt::launcher::RestartPolicy::kAlways;
  AgentSupervisor s(&c);
  s.Spawned(7, 0);
  s.Stop();
  CHECK(s.state() == AgentState::kStopping);
  CHECK(s.running());
  s.Exited(Killed(SIGTERM), 5);
  CHECK(s.state() == AgentState::kStopped);
  AgentSupervisor b(&c);
  b.Spawned(8, 0);
  b.Exited(Exit(1), 1);
  b.Stop();
  CHECK(b.state() == AgentState::kStopped);
}
