// A synthetic capture of a small attack on a container, event by event as the tracer would encode
// it: the app started by kilt-run, a shell reading /etc/shadow, `cat /etc/shadow`, `nc -e /bin/sh`
// with its socket and connect and a dup2 of the socket onto stdin, `grep` for private keys,
// symlinks and hard links over sensitive files, a truncated log, a packet socket, a ptrace attach,
// a fileless memfd execution, an execution from /dev/shm, and a few state changes (chdir, chmod,
// setuid, mount, rename, unlink). Every process is introduced by clone + execve events with
// docker-style cgroups. Used by the sysdig test (a capture file), `scap_scenario json` and the live
// Falco test (the feed).
#ifndef KILT_TESTS_CAPTURE_SCENARIO_H_
#define KILT_TESTS_CAPTURE_SCENARIO_H_

#include <cstdint>
#include <string>
#include <vector>

namespace kilt::scap::scenario {

// The encoded events, in order; timestamps start at `base_ts` and advance 1 µs per event. The app's
// processes get pids from `pid_base` + 100 on (their parent, kilt-run, is pid 1): a live test picks
// a base above any real pid so that Falco's /proc lookups find nothing to mix in.
std::vector<std::string> Events(uint64_t base_ts, int64_t pid_base = 0);

// The 64-hex container id in the cgroups ("docker-style", so that 2022 readers see a container
// too).
extern const char kContainerId[];

}  // namespace kilt::scap::scenario

#endif  // KILT_TESTS_CAPTURE_SCENARIO_H_
