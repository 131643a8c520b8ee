// The OCI runtime bundle of one container: how ECS semantics (EntryPoint/Command over the image's
// ENTRYPOINT/CMD, Environment over the image's Env, User, WorkingDirectory, VolumesFrom) become a
// runc config.json. Pure functions; the runner does the file system work.
#ifndef KILT_LOCAL_BUNDLE_H_
#define KILT_LOCAL_BUNDLE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "local/image_store.h"
#include "local/task.h"

namespace kilt {
namespace local {

struct BindMount {
  std::string source;       // host path
  std::string destination;  // path in the container
  bool read_only = false;
};

struct ProcessSpec {
  std::vector<std::string> args;
  std::vector<std::string> env;  // "K=V"
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string cwd = "/";
};

// Docker/ECS rule: the task's EntryPoint replaces the image's ENTRYPOINT and then drops the image's
// CMD; the task's Command replaces the image's CMD; an empty list counts as unset. Fails (naming the
// container) when nothing is left to run.
[[nodiscard]] bool EffectiveArgv(const ContainerSpec& c, const ImageSpec& image,
                                 std::vector<std::string>* argv, std::string* err);

// The image's Env, then the task's Environment (same name: the task wins, in place), then PATH and
// HOME when neither set them.
std::vector<std::string> EffectiveEnv(const ContainerSpec& c, const ImageSpec& image,
                                      const std::string& home);

// Resolves USER ("", "name", "uid", "name:group", "uid:gid") against the rootfs's /etc/passwd and
// /etc/group text. Numeric ids need no entry; names do. *home is the passwd home ("/" when
// unknown).
[[nodiscard]] bool ResolveUser(const std::string& user, const std::string& passwd,
                               const std::string& group, uint32_t* uid, uint32_t* gid,
                               std::string* home, std::string* err);

// The runc config.json: the process, rootfs "rootfs", the usual /proc /dev /sys mounts, the binds,
// PID/IPC/ UTS/mount namespaces (the network is the host's: ECS awsvpc containers share one network
// namespace), Docker's default capabilities plus `cap_add` (root only: a non-root process gets
// none, as with Docker).
std::string RuntimeSpecJson(const ProcessSpec& p, const std::vector<BindMount>& binds,
                            const std::string& hostname, const std::vector<std::string>& cap_add);

}  // namespace local
}  // namespace kilt

#endif  // KILT_LOCAL_BUNDLE_H_
