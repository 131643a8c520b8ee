#include "local/process.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "init/pid1.h"

namespace kilt {
namespace local {

pid_t Spawn(const std::vector<std::string>& argv, int out_fd, int err_fd, bool own_group, std::string* err) {
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  // Own process group: a Ctrl-C on the terminal then reaches kilt local only, which stops the task in
  // order (runc would otherwise forward the SIGINT to every container at once).
  kilt_pid1_spawn_hooks group = {};
  group.before_exec = [](void*) { return setpgid(0, 0); };
  kilt_pid1_spawn_opts o = {};
  o.argv = cargv.data();
  o.stdin_fd = KILT_PID1_FD_NULL;
  o.stdout_fd = out_fd;
  o.stderr_fd = err_fd;
  o.hooks = own_group ? &group : nullptr;
  kilt_pid1_error e = {};
  // The spawner keeps no state of the kilt_pid1 (the caller's signal routing): the child always starts
  // with an empty mask and default dispositions, whoever blocked what.
  pid_t pid = kilt_pid1_spawn(nullptr, &o, &e);
  if (pid < 0) {
    *err = std::string(std::strcmp(e.call, "exec") == 0 ? "cannot run " + argv[0] : std::string(e.call)) + ": " +
           std::strerror(e.err);
  }
  return pid;
}

bool RunProcess(const std::vector<std::string>& argv, int* status, std::string* output, std::string* err) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    *err = std::string("pipe: ") + std::strerror(errno);
    return false;
  }
  pid_t pid = Spawn(argv, fds[1], fds[1], false, err);
  close(fds[1]);
  if (pid < 0) {
    close(fds[0]);
    return false;
  }
  output->clear();
  char buf[4096];
  for (;;) {
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n > 0)
      output->append(buf, static_cast<size_t>(n));
    else if (n == 0 || errno != EINTR)
      break;
  }
  close(fds[0]);
  int ws = 0;
  while (waitpid(pid, &ws, 0) < 0) {
    if (errno != EINTR) {
      *err = std::string("waitpid: ") + std::strerror(errno);
      return false;
    }
  }
  *status = kilt_pid1_exit_code(ws);
  return true;
}

bool RunChecked(const std::vector<std::string>& argv, std::string* err) {
  int status = 0;
  std::string out;
  if (!RunProcess(argv, &status, &out, err)) return false;
  if (status != 0) {
    std::string cmd;
    for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    *err = "'" + cmd + "' failed (exit " + std::to_string(status) + ")" + (out.empty() ? "" : ": " + out);
    return false;
  }
  return true;
}

}  // namespace local
}  // namespace kilt
