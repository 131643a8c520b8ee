// `kilt-run --check`: an in-container self-test that prints one line per check (what works, what does not,
// and what to do about it) and returns 0 when everything passed, 1 otherwise. Usable as a one-off ECS task
// or as a container health check.
#ifndef KILT_LAUNCHER_SELF_CHECK_H_
#define KILT_LAUNCHER_SELF_CHECK_H_

#include <string>

namespace kilt::launcher {

int RunSelfCheck(const std::string& config_path);

}  // namespace kilt::launcher

#endif  // KILT_LAUNCHER_SELF_CHECK_H_
