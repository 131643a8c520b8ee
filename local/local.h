// `kilt local run`: runs an ECS task definition on this machine with runc, one OCI bundle per
// container, so a patched task can be seen working before it is deployed. Semantics follow ECS
// where they can (EntryPoint/Command over the image's ENTRYPOINT/CMD, Environment, User,
// VolumesFrom, DependsOn, Essential, StopTimeout); docs/local.md lists where they differ.
#ifndef KILT_LOCAL_LOCAL_H_
#define KILT_LOCAL_LOCAL_H_

#include <string>
#include <utility>
#include <vector>

namespace kilt {
namespace local {

struct LocalOptions {
  std::string task_path;   // ECS JSON, or a CloudFormation template (JSON or YAML)
  std::string resource;    // template only: the AWS::ECS::TaskDefinition's logical id
  std::string images_dir;  // OCI layouts / archives, see image_store.h
  std::vector<std::pair<std::string, std::string>>
      parameters;  // template parameters (--parameter K=V)
  std::string runc = "runc";
  std::string runc_root = "/run/kilt-local";  // runc state, kept apart from other runc users
  std::string work_parent;                    // where the bundles go; empty: $TMPDIR or /var/tmp
  int stop_timeout_s = -1;                    // >= 0: overrides every container's StopTimeout
};

// Exit status of `kilt local run` when it fails itself (bad input, image missing, runc missing), as
// `docker run` does; otherwise the status is the essential container's.
constexpr int kLocalFailed = 125;

// Runs the task until it stops and returns the exit status. Writes container output to
// stdout/stderr framed as kilt-run frames its agents' ("[app] ...", launcher/line_framer.h), and its own
// messages ("kilt-local: ...") to stderr.
int RunLocalTask(const LocalOptions& opts);

}  // namespace local
}  // namespace kilt

#endif  // KILT_LOCAL_LOCAL_H_
