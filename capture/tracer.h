// The capture's tracer: follows the app's whole process tree from user space with ptrace and a
// seccomp-bpf filter and turns what it sees into Falco's own scap events (capture/scap_encoder.h).
//
// It lives inside a PID 1 (kilt-run) and owns no loop of its own: the caller
//   - starts the app with kilt_pid1_spawn and spawn_hooks(): PTRACE_SEIZE before the child may run
//     anything, NO_NEW_PRIVS (when the kernel demands it) and the filter installed last before exec,
//     and the child followed to its exec, which becomes the first execve event;
//   - hands every wait status it reaps (kilt_pid1_reap sees ptrace stops too) to OnWaitStatus, which
//     handles stops and deaths of traced tasks and says which statuses are PID 1's business;
//   - takes the encoded events through its EventOutput when the buffer fills and at Flush().
//
// Tracing is PTRACE_SEIZE-based with EXITKILL (a tracee never outlives its tracer, so the filter's
// SECCOMP_RET_TRACE can never turn into ENOSYS), follows fork/vfork/clone/clone3 through ptrace events
// (new tasks are traced from their first instruction), exec through PTRACE_EVENT_EXEC (also from a
// non-leader thread), deaths through the wait statuses, and keeps job control intact: a group-stop is
// left in place with PTRACE_LISTEN, so SIGSTOP/SIGTSTP stop the app as they would untraced and SIGCONT
// resumes it.
#ifndef KILT_CAPTURE_TRACER_H_
#define KILT_CAPTURE_TRACER_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "capture/ptrace_seccomp.h"
#include "capture/scap_buffer.h"
#include "capture/scap_encoder.h"
#include "init/pid1.h"

namespace kilt::capture {

// Where encoded events go (the live feed, a capture file, JSON lines...).
class EventOutput {
 public:
  virtual ~EventOutput() = default;
  // A run of back-to-back encoded events.
  virtual void Take(std::string_view events) = 0;
};

struct TracerStats {
  uint64_t stops = 0;          // ptrace stops handled
  uint64_t events = 0;         // events encoded
  uint64_t lost_events = 0;    // events that could not be encoded (a bug, or a table overflow)
  uint64_t tasks = 0;          // tasks currently traced
  uint64_t max_tasks_seen = 0;
  uint64_t untracked = 0;      // tasks left untraced because the task table was full
};

class Tracer {
 public:
  struct Options {
    size_t max_tasks = 65536;          // traced threads at once; beyond it new tasks run untraced
    size_t buffer_bytes = 256 * 1024;  // encoded events held before they are handed to the output
    uint64_t container_start_ns = 0;   // CLOCK_REALTIME at start: executables changed after it are
                                       // flagged as written in the container (proc.is_exe_upper_layer)
  };

  Tracer();
  ~Tracer();
  Tracer(const Tracer&) = delete;
  Tracer& operator=(const Tracer&) = delete;

  // Builds the filter and allocates the tables (the only allocations). False with *err on failure.
  [[nodiscard]] bool Init(const Options& options, EventOutput* output, std::string* err);

  // Hooks for kilt_pid1_spawn (see init/pid1.h): the spawned child is traced from its first instruction.
  const kilt_pid1_spawn_hooks* spawn_hooks() const { return &hooks_; }
  // Whether the last spawn had to set NO_NEW_PRIVS (no CAP_SYS_ADMIN): setuid binaries then do not
  // gain privileges in the app.
  bool no_new_privs() const { return no_new_privs_; }

  // Handles one wait status. Returns true when it was the tracer's alone (a ptrace stop, or the death
  // of a traced task that is not our child: its real parent reaps it); false when the caller must treat
  // it as a child of its own that was reaped (the app, an orphan) or it is not a traced task at all.
  bool OnWaitStatus(pid_t pid, int status);

  // Hands every encoded event to the output.
  void Flush();

  // Re-introduces every live traced process to a consumer that starts from nothing (a restarted
  // Falco): one execve event per process (parents first) and one clone event per extra thread, from
  // /proc. Flushes first, so the snapshot follows what came before.
  void Snapshot();

  // The tids currently traced (for tests and --check).
  size_t traced_tasks() const;
  const TracerStats& stats() const { return stats_; }

 private:
  struct Task;
  class TaskTable;
  // What a process's last full read of /proc said of the state that only syscalls the filter stops change
  // (cwd: chdir, fchdir; credentials: the set*id family) or that hardly ever changes (the cgroups, the
  // loginuid). The events of a fork/exec-heavy app read those once per process per kCacheTtlNs, not once per
  // event: half of what an exec event costs is the kernel instantiating /proc/PID/* of the new process.
  // Inherited at fork. A traced chdir, fchdir or set*id anywhere in the tree bumps the tracer's epoch and
  // so invalidates every entry (a CLONE_FS sibling shares the cwd); a change the filter does not see (a
  // cgroup move, a write to /proc/PID/loginuid, chroot) shows within kCacheTtlNs.
  struct ProcCache {
    uint64_t epoch = 0;    // the tracer's epoch_ when read
    uint64_t read_ns = 0;  // CLOCK_MONOTONIC when read
    uint32_t uid = 0, gid = 0, loginuid = UINT32_MAX, vm_swap_kb = 0;
    std::string cwd;
    std::shared_ptr<const std::string> cgroups;  // shared with the processes it was inherited by
    int stat_fd = -1;    // /proc/TGID/stat kept open once it forked twice (ReadStat)
    uint32_t forks = 0;
  };
  static constexpr size_t kMaxKeptStatFds = 64;
  struct ProcRead;

  static int AttachHook(void* ctx, pid_t child);
  static int BeforeExecHook(void* ctx);
  static int AwaitExecHook(void* ctx, pid_t child, int report_fd, kilt_pid1_error* e);

  void OnStop(Task* t, int status);
  void OnSeccompStop(Task* t);
  void OnSyscallExit(Task* t);
  void OnExec(Task* t);
  void OnClone(Task* t, int event);
  void OnNewTaskStop(Task* t);
  void ReleaseNewChild(Task* c);
  void OnDeath(Task* t, int status);
  void ReleaseHeldChild(Task* child, bool emit_child_event);
  void Resume(Task* t, int sig);
  void ReadProcess(pid_t tid, pid_t tgid, bool for_exec, ProcCache* cache, ProcRead* r);
  ProcCache* CacheOf(pid_t tgid);
  void DropCache(pid_t tgid);
  ssize_t ReadStat(pid_t tid, pid_t tgid, bool for_exec, ProcCache* cache, char* buf, size_t cap);
  void EmitExecve(pid_t tid, bool execveat, int64_t res);
  void EmitCloneCaller(Task* parent, pid_t child, int event, uint64_t flags);
  void EmitCloneChild(pid_t tid, pid_t ptid, uint64_t flags);
  // One exit event for syscall nr with the arguments saved at its entry and its result (tracer_syscalls.cc).
  void EmitSyscall(pid_t tid, pid_t tgid, int64_t nr, const uint64_t* args, int64_t rval);
  // Encodes one event into the buffer, handing the buffer to the output first when it is full.
  template <typename Event>
  void Emit(pid_t tid, const Event& e) {
    scap::EventHeader h{Now(), tid};
    scap::EncodeStatus st = scap::Encode(h, e, buf_.get());
    if (st == scap::EncodeStatus::kFull) {
      Flush();
      st = scap::Encode(h, e, buf_.get());
    }
    Encoded(st);
  }
  void Encoded(scap::EncodeStatus st);
  uint64_t Now() const;

  Options options_;
  EventOutput* output_ = nullptr;
  SeccompProgram filter_;
  kilt_pid1_spawn_hooks hooks_{};
  bool no_new_privs_ = false;  // read back from /proc/PID/status after the first exec
  pid_t self_ = 0;
  std::unique_ptr<TaskTable> tasks_;
  std::unique_ptr<scap::OwnedEventBuffer> buf_;
  std::unique_ptr<char[]> scratch_;  // /proc reads and tracee strings for one event
  std::unordered_map<pid_t, ProcCache> procs_;  // by tgid
  uint64_t epoch_ = 1;  // bumped by every traced syscall that changes cached process state
  dev_t root_dev_ = 0;  // the first traced process's root filesystem
  bool root_dev_known_ = false;
  size_t kept_stat_fds_ = 0;
  TracerStats stats_;
};

// Whether this process may trace a child and give it a seccomp filter here (some platforms refuse
// ptrace: EKS Fargate reports say PTRACE_TRACEME fails with EPERM). Forks a short-lived child, seizes
// it and has it install a trivial filter. False with *reason ("ptrace: Operation not permitted", ...).
bool ProbeCapture(std::string* reason);

}  // namespace kilt::capture

#endif  // KILT_CAPTURE_TRACER_H_
