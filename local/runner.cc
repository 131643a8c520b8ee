// The task runner behind `kilt local run`: prepares one bundle per container, then one event loop
// that starts containers in DependsOn order, multiplexes their output, reacts to exits (Essential)
// and to SIGINT/SIGTERM (stop like ECS), and always cleans up.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <set>

#include "base/diag.h"
#include "base/file.h"
#include "init/pid1.h"
#include "launcher/line_framer.h"
#include "local/bundle.h"
#include "local/image_store.h"
#include "local/local.h"
#include "local/process.h"
#include "local/task.h"
#include "patcher/patcher.h"

namespace kilt {
namespace local {
namespace {

using Clock = std::chrono::steady_clock;

void Say(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void Say(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  base::VSay("kilt-local", fmt, ap);
  va_end(ap);
}

// One output stream of one container, framed as kilt-run frames its agents' ("[app] text", long lines
// split into "[app+] " pieces): one write per whole line.
class ContainerOutput : public launcher::LineSink {
 public:
  ContainerOutput(const std::string& name, int out_fd)
      : framer_(name, out_fd == 1 ? "stdout" : "stderr", launcher::LogFormat::kPlain, false), out_fd_(out_fd) {}
  void Feed(const char* data, size_t n) { framer_.Feed(data, n, this); }
  void Flush() { framer_.Flush(this); }
  void Line(const char* data, size_t len) override { (void)base::WriteAll(out_fd_, std::string_view(data, len)); }

 private:
  launcher::LineFramer framer_;
  int out_fd_;
};

enum class State { kPending, kStarting, kRunning, kExited, kNeverStarted };

struct Container {
  const ContainerSpec* spec = nullptr;
  ImageSpec image;
  std::string id;      // runc container id
  std::string bundle;  // bundle directory
  State state = State::kPending;
  pid_t runc_pid = -1;
  int out_fd = -1, err_fd = -1;
  ContainerOutput* out = nullptr;
  ContainerOutput* err = nullptr;
  int exit_code = -1;
  bool term_sent = false, kill_sent = false;
  Clock::time_point kill_at;
  int stop_timeout_s = 30;
};

class TaskRunner {
 public:
  TaskRunner(const LocalOptions& o, const TaskSpec& t) : o_(o), task_(t) {}
  ~TaskRunner() { Cleanup(); }

  int Run();

 private:
  bool Prepare(std::string* err);
  bool PrepareBundle(Container* c, std::map<std::string, Container*>& by_name, std::string* err);
  bool Start(Container* c, std::string* err);
  void CheckStarted(Container* c);
  void Schedule();
  void BeginStop(const std::string& reason, int exit_from);
  void DriveStop();
  void HandleSignals();
  void Reap();                              // collects every exited runc (init/pid1's reaper)
  void Reaped(pid_t pid, int wait_status);  // one of them
  bool Drained() const;
  bool Runc(const std::vector<std::string>& args, std::string* output);
  void Cleanup();

  const LocalOptions& o_;
  const TaskSpec& task_;
  std::vector<Container> cs_;
  std::vector<std::unique_ptr<ContainerOutput>> outputs_;
  std::string work_;
  int sigfd_ = -1;
  sigset_t old_mask_;
  bool stopping_ = false;
  bool force_kill_ = false;
  Clock::time_point stop_signal_at_;
  int stop_signal_ = 0;  // the signal that stopped the task, if one did
  std::string stop_reason_;
  int exit_from_ = -1;  // index of the container whose exit status is the task's
  bool cleaned_ = false;
};

bool TaskRunner::Runc(const std::vector<std::string>& args, std::string* output) {
  std::vector<std::string> argv = {o_.runc, "--root", o_.runc_root};
  argv.insert(argv.end(), args.begin(), args.end());
  int status = 0;
  std::string out, err;
  if (!RunProcess(argv, &status, &out, &err)) {
    if (output) *output = err;
    return false;
  }
  if (output) *output = out;
  return status == 0;
}

bool TaskRunner::Prepare(std::string* err) {
  std::string parent = o_.work_parent;
  if (parent.empty()) parent = getenv("TMPDIR") ? getenv("TMPDIR") : "/var/tmp";
  std::string tmpl = parent + "/kilt-local.XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) {
    *err = "cannot create a work directory under " + parent + ": " + std::strerror(errno);
    return false;
  }
  work_ = buf.data();
  if (!base::MakeDirs(work_ + "/scratch", err) || !base::MakeDirs(work_ + "/volumes", err)) return false;
  ImageStore store(o_.images_dir, work_ + "/scratch");
  cs_.resize(task_.containers.size());
  std::map<std::string, Container*> by_name;
  std::string base_id = "kilt-local-" + std::to_string(getpid()) + "-";
  for (size_t i = 0; i < cs_.size(); ++i) {
    Container& c = cs_[i];
    c.spec = &task_.containers[i];
    c.id = base_id + std::to_string(i);
    c.bundle = work_ + "/bundles/" + std::to_string(i);
    c.stop_timeout_s = o_.stop_timeout_s >= 0 ? o_.stop_timeout_s : c.spec->stop_timeout_s;
    outputs_.push_back(std::make_unique<ContainerOutput>(c.spec->name, 1));
    c.out = outputs_.back().get();
    outputs_.push_back(std::make_unique<ContainerOutput>(c.spec->name, 2));
    c.err = outputs_.back().get();
    by_name[c.spec->name] = &c;
    if (!store.Resolve(c.spec->image, &c.image, err)) {
      *err = "container " + c.spec->name + ": " + *err;
      return false;
    }
    if (!base::MakeDirs(c.bundle, err)) return false;
    Say("unpacking %s for container %s", c.spec->image.c_str(), c.spec->name.c_str());
    if (!store.Unpack(c.image, c.bundle + "/rootfs", err)) {
      *err = "container " + c.spec->name + ": " + *err;
      return false;
    }
  }
  for (auto& c : cs_) {
    if (!PrepareBundle(&c, by_name, err)) return false;
  }
  return true;
}

bool TaskRunner::PrepareBundle(Container* c, std::map<std::string, Container*>& by_name,
                               std::string* err) {
  const ContainerSpec& s = *c->spec;
  std::string rootfs = c->bundle + "/rootfs";
  ProcessSpec p;
  std::string passwd, group, home;
  std::string ignored;  // an image without them: numeric ids only
  (void)base::ReadFile(rootfs + "/etc/passwd", &passwd, &ignored);
  (void)base::ReadFile(rootfs + "/etc/group", &group, &ignored);
  std::string user = s.user.empty() ? c->image.user : s.user;
  if (!ResolveUser(user, passwd, group, &p.uid, &p.gid, &home, err)) {
    *err = "container " + s.name + ": " + *err;
    return false;
  }
  if (!EffectiveArgv(s, c->image, &p.args, err)) return false;
  p.env = EffectiveEnv(s, c->image, home);
  p.cwd = !s.working_directory.empty()
              ? s.working_directory
              : (!c->image.working_dir.empty() ? c->image.working_dir : "/");
  std::vector<BindMount> binds;
  for (const auto& vf : s.volumes_from) {
    Container* src = by_name[vf.source_container];
    if (src->image.volumes.empty())
      Say("warning: container %s: VolumesFrom %s mounts nothing: image %s declares no VOLUME",
          s.name.c_str(), vf.source_container.c_str(), src->spec->image.c_str());
    for (const auto& vol : src->image.volumes) {
      // The source's volume shows the image's content at that path, as Docker's first use of a
      // volume does; both containers see the same directory.
      std::string host = src->bundle + "/rootfs" + vol;
      if (!base::MakeDirs(host, err)) return false;
      binds.push_back({host, vol, vf.read_only});
    }
  }
  for (const auto& mp : s.mount_points) {
    std::string host = work_ + "/volumes/" + mp.source_volume;
    if (!base::MakeDirs(host, err)) return false;
    binds.push_back({host, mp.container_path, mp.read_only});
  }
  std::string hostname = s.name;
  if (!base::WriteFileAtomically(c->bundle + "/config.json", RuntimeSpecJson(p, binds, hostname, s.cap_add),
                                 err))
    return false;
  std::string cmd;
  for (const auto& a : p.args) cmd += (cmd.empty() ? "" : " ") + a;
  Say("container %s: %s (uid %u)", s.name.c_str(), cmd.c_str(), p.uid);
  return true;
}

bool TaskRunner::Start(Container* c, std::string* err) {
  int out[2], errp[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0) {
    *err = std::string("pipe: ") + std::strerror(errno);
    return false;
  }
  pid_t pid = Spawn({o_.runc, "--root", o_.runc_root, "run", "--bundle", c->bundle, c->id}, out[1], errp[1],
                    /*own_group=*/true, err);
  if (pid < 0) {
    for (int fd : {out[0], out[1], errp[0], errp[1]}) close(fd);
    return false;
  }
  close(out[1]);
  close(errp[1]);
  c->out_fd = out[0];
  c->err_fd = errp[0];
  c->runc_pid = pid;
  c->state = State::kStarting;
  Say("starting container %s (%s)", c->spec->name.c_str(), c->spec->image.c_str());
  return true;
}

// START is satisfied once runc reports the container's process as running (or already stopped).
void TaskRunner::CheckStarted(Container* c) {
  std::string out;
  if (!Runc({"state", c->id}, &out)) return;  // not created yet
  if (out.find("\"status\": \"running\"") != std::string::npos ||
      out.find("\"status\": \"stopped\"") != std::string::npos) {
    c->state = State::kRunning;
  }
}

void TaskRunner::Schedule() {
  if (stopping_) return;
  for (size_t i : StartOrder(task_)) {
    Container& c = cs_[i];
    if (c.state != State::kPending) continue;
    bool ready = true;
    for (const auto& d : c.spec->depends_on) {
      const Container* dep = nullptr;
      for (const auto& x : cs_)
        if (x.spec->name == d.container) dep = &x;
      switch (d.condition) {
        case DependsCondition::kStart:
        case DependsCondition::kHealthy:
          ready &= dep->state == State::kRunning || dep->state == State::kExited;
          break;
        case DependsCondition::kComplete:
          ready &= dep->state == State::kExited;
          break;
        case DependsCondition::kSuccess:
          if (dep->state == State::kExited && dep->exit_code != 0) {
            BeginStop("container " + c.spec->name + " depends on " + dep->spec->name +
                          " SUCCESS, which exited with " + std::to_string(dep->exit_code),
                      static_cast<int>(dep - cs_.data()));
            return;
          }
          ready &= dep->state == State::kExited;
          break;
      }
    }
    if (!ready) continue;
    std::string err;
    if (!Start(&c, &err)) {
      Say("container %s: cannot start: %s", c.spec->name.c_str(), err.c_str());
      c.state = State::kNeverStarted;
      BeginStop("container " + c.spec->name + " could not start", -1);
      return;
    }
  }
}

void TaskRunner::BeginStop(const std::string& reason, int exit_from) {
  if (stopping_) return;
  stopping_ = true;
  stop_reason_ = reason;
  exit_from_ = exit_from;
  Say("stopping the task: %s", reason.c_str());
  for (auto& c : cs_)
    if (c.state == State::kPending) c.state = State::kNeverStarted;
}

// Like ECS: a container is stopped once every container that depends on it has stopped (dependents
// first), with SIGTERM, then SIGKILL after its StopTimeout.
void TaskRunner::DriveStop() {
  if (!stopping_) return;
  auto now = Clock::now();
  for (auto& c : cs_) {
    if (c.state != State::kRunning && c.state != State::kStarting) continue;
    if (!c.term_sent) {
      bool dependents_done = true;
      for (const auto& other : cs_) {
        if (other.state != State::kRunning && other.state != State::kStarting) continue;
        for (const auto& d : other.spec->depends_on)
          if (d.container == c.spec->name) dependents_done = false;
      }
      if (!dependents_done && !force_kill_) continue;
      c.term_sent = true;
      c.kill_at = now + std::chrono::seconds(c.stop_timeout_s);
      Say("sending SIGTERM to container %s (SIGKILL in %d s)", c.spec->name.c_str(),
          c.stop_timeout_s);
      Runc({"kill", c.id, "TERM"}, nullptr);
    }
    if (!c.kill_sent && (force_kill_ || now >= c.kill_at)) {
      c.kill_sent = true;
      Say("sending SIGKILL to container %s", c.spec->name.c_str());
      Runc({"kill", "--all", c.id, "KILL"}, nullptr);
    }
  }
}

void TaskRunner::HandleSignals() {
  struct signalfd_siginfo si;
  while (read(sigfd_, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
    if (si.ssi_signo == SIGCHLD) continue;  // Reap() runs every iteration
    const char* name = si.ssi_signo == SIGINT    ? "SIGINT"
                       : si.ssi_signo == SIGTERM ? "SIGTERM"
                                                 : "SIGHUP";
    if (!stopping_) {
      stop_signal_ = static_cast<int>(si.ssi_signo);
      BeginStop(std::string("received ") + name, -1);
      stop_signal_at_ = Clock::now();
    } else if (!force_kill_ && Clock::now() - stop_signal_at_ < std::chrono::milliseconds(500)) {
      // The same signal sent to the whole process group (timeout(1), a shell's job control) arrives
      // twice at once; only a second, later request means "kill now".
      continue;
    } else if (!force_kill_) {
      force_kill_ = true;
      Say("received %s again: killing every container now", name);
    }
  }
}

void TaskRunner::Reap() {
  kilt_pid1_error e = {};
  auto reaped = [](void* self, pid_t pid, int ws) { static_cast<TaskRunner*>(self)->Reaped(pid, ws); };
  if (kilt_pid1_reap(reaped, this, nullptr, &e) < 0) Say("%s: %s", e.call, std::strerror(e.err));
}

void TaskRunner::Reaped(pid_t pid, int wait_status) {
  for (size_t i = 0; i < cs_.size(); ++i) {
    Container& c = cs_[i];
    if (c.runc_pid != pid) continue;
    c.runc_pid = -1;
    c.exit_code = kilt_pid1_exit_code(wait_status);
    c.state = State::kExited;
    Say("container %s exited with status %d", c.spec->name.c_str(), c.exit_code);
    if (c.spec->essential && !stopping_) BeginStop("essential container " + c.spec->name + " exited", static_cast<int>(i));
  }
}

bool TaskRunner::Drained() const {
  for (const auto& c : cs_) {
    if (c.state == State::kStarting || c.state == State::kRunning) return false;
    if (c.state == State::kPending) return false;
    if (c.out_fd >= 0 || c.err_fd >= 0) return false;
  }
  return true;
}

int TaskRunner::Run() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGCHLD}) sigaddset(&set, s);
  sigprocmask(SIG_BLOCK, &set, &old_mask_);
  sigfd_ = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (sigfd_ < 0) {
    Say("signalfd: %s", std::strerror(errno));
    return kLocalFailed;
  }
  std::string err;
  if (!Prepare(&err)) {
    Say("%s", err.c_str());
    return kLocalFailed;
  }
  HandleSignals();  // a Ctrl-C while unpacking stops here, before anything starts
  if (stopping_) return 128 + stop_signal_;

  for (;;) {
    Reap();
    for (auto& c : cs_)
      if (c.state == State::kStarting) CheckStarted(&c);
    Schedule();
    DriveStop();
    if (Drained()) break;
    // Nothing left to start and nothing running: the task is over (only non-essential containers
    // ran).
    std::vector<pollfd> fds;
    fds.push_back({sigfd_, POLLIN, 0});
    std::vector<std::pair<Container*, bool>> owners;
    for (auto& c : cs_) {
      if (c.out_fd >= 0) {
        fds.push_back({c.out_fd, POLLIN, 0});
        owners.push_back({&c, true});
      }
      if (c.err_fd >= 0) {
        fds.push_back({c.err_fd, POLLIN, 0});
        owners.push_back({&c, false});
      }
    }
    int timeout = 1000;
    bool starting = std::any_of(cs_.begin(), cs_.end(),
                                [](const Container& c) { return c.state == State::kStarting; });
    if (starting) timeout = 50;
    if (stopping_) timeout = std::min(timeout, 100);
    int n = poll(fds.data(), fds.size(), timeout);
    if (n < 0 && errno != EINTR) {
      Say("poll: %s", std::strerror(errno));
      force_kill_ = true;
      BeginStop("internal error", -1);
      continue;
    }
    if (fds[0].revents) HandleSignals();
    for (size_t i = 1; i < fds.size(); ++i) {
      if (!fds[i].revents) continue;
      Container* c = owners[i - 1].first;
      bool is_out = owners[i - 1].second;
      int& fd = is_out ? c->out_fd : c->err_fd;
      char buf[8192];
      ssize_t r = read(fd, buf, sizeof buf);
      if (r > 0) {
        (is_out ? c->out : c->err)->Feed(buf, static_cast<size_t>(r));
      } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
        (is_out ? c->out : c->err)->Flush();
        close(fd);
        fd = -1;
      }
    }
  }

  int status = 0;
  if (exit_from_ >= 0) {
    status = cs_[exit_from_].exit_code;
  } else {
    // Stopped from outside (or a start failure): the first essential container's status.
    status = kLocalFailed;
    for (const auto& c : cs_) {
      if (c.spec->essential && c.exit_code >= 0) {
        status = c.exit_code;
        break;
      }
    }
  }
  Say("task %s stopped (%s); exit status %d", task_.name.c_str(),
      stop_reason_.empty() ? "all containers exited" : stop_reason_.c_str(), status);
  return status;
}

void TaskRunner::Cleanup() {
  if (cleaned_) return;
  cleaned_ = true;
  // Anything still running (an error path) is killed and waited for before its bundle goes away.
  for (auto& c : cs_) {
    if (c.runc_pid > 0) {
      Runc({"kill", "--all", c.id, "KILL"}, nullptr);
      int ws;
      waitpid(c.runc_pid, &ws, 0);
      c.runc_pid = -1;
    }
    if (c.state != State::kPending) Runc({"delete", "--force", c.id}, nullptr);
    if (c.out_fd >= 0) close(c.out_fd);
    if (c.err_fd >= 0) close(c.err_fd);
    c.out_fd = c.err_fd = -1;
  }
  if (!work_.empty()) {
    std::string err;
    if (!base::RemoveTree(work_, &err)) Say("warning: %s", err.c_str());
  }
  if (sigfd_ >= 0) {
    close(sigfd_);
    sigfd_ = -1;
    sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
  }
}

}  // namespace

int RunLocalTask(const LocalOptions& o) {
  std::string text, err;
  if (!base::ReadFile(o.task_path, &text, &err, kMaxTemplateBytes)) {
    Say("cannot read %s", err.c_str());
    return kLocalFailed;
  }
  TaskSpec task;
  if (!ParseTask(text, o.task_path, o.resource, o.parameters, &task, &err) ||
      !ValidateTask(task, &err)) {
    Say("%s", err.c_str());
    return kLocalFailed;
  }
  for (const auto& w : task.warnings) Say("warning: %s", w.c_str());
  if (geteuid() != 0) {
    Say("kilt local run needs root: runc creates the containers (run it with sudo)");
    return kLocalFailed;
  }
  for (const std::string& tool : {o.runc, std::string("umoci"), std::string("tar")}) {
    int status = 0;
    std::string out, e;
    if (!RunProcess({tool, "--version"}, &status, &out, &e) || status != 0) {
      Say("%s is needed and cannot be run (%s); install it ('make deps' installs runc and umoci)",
          tool.c_str(), e.empty() ? out.c_str() : e.c_str());
      return kLocalFailed;
    }
  }
  struct stat st;
  if (stat(o.images_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    Say("--images %s is not a directory of OCI layouts/archives", o.images_dir.c_str());
    return kLocalFailed;
  }
  TaskRunner runner(o, task);
  return runner.Run();
}

}  // namespace local
}  // namespace kilt
