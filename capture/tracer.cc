#include "capture/tracer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "capture/ptrace_arch.h"
#include "capture/scap_encoder.h"
#include "capture/tracer_proc.h"

namespace kilt::capture {
namespace {

constexpr unsigned kSeizeOptions = PTRACE_O_EXITKILL | PTRACE_O_TRACESECCOMP | PTRACE_O_TRACESYSGOOD |
                                   PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE |
                                   PTRACE_O_TRACEEXEC;

// scap's executable flags (libs driver/ppm_events_public.h).
constexpr uint32_t kExeWritable = 1u << 0, kExeUpperLayer = 1u << 1, kExeFromMemfd = 1u << 2,
                   kExeLowerLayer = 1u << 3;

// Scratch space for one event: tracee strings and /proc files, reused for every event.
constexpr size_t kStr = 4096;  // one path or string argument (PATH_MAX)
enum ScratchSlot { kS0, kS1, kS2, kSCmdline, kSEnv, kSCwd, kSExe, kSCgroup, kSStatus, kSStat, kSlots };
constexpr size_t kScratchBytes = kSlots * kStr;

bool IsStopSignal(int sig) { return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU; }

// ERESTARTSYS and friends: the syscall is restarted after a signal handler and stops again then.
bool IsRestart(int64_t rval) { return rval <= -512 && rval >= -516; }

// The traced syscalls after which a process's cached /proc state (Tracer::ProcCache) is stale.
bool ChangesProcessState(int64_t nr) {
  switch (nr) {
    case SYS_chdir:
    case SYS_fchdir:
    case SYS_setuid:
    case SYS_setgid:
    case SYS_setreuid:
    case SYS_setregid:
    case SYS_setresuid:
    case SYS_setresgid:
      return true;
    default:
      return false;
  }
}

uint64_t TimespecNs(const struct timespec& ts) { return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + ts.tv_nsec; }

}  // namespace

// ---- the task table: open addressing, backward-shift deletion, grows with the tree ----------------------

struct Tracer::Task {
  pid_t tid = 0;      // 0: free slot
  pid_t tgid = 0;
  pid_t parent = 0;   // a leader's reaper-to-be: its parent's tgid, or our pid once orphaned
  bool started = false;    // its first stop (or the seize) has been seen
  bool announced = false;  // the clone event that introduces it has been emitted
  bool held = false;       // stopped at its first stop until its parent's clone event is handled
  bool in_syscall = false; // resumed with PTRACE_SYSCALL: its exit stop is next
  int64_t nr = -1;
  uint64_t args[6] = {};
};

// Sized by the tasks alive, not by `max`: a table allocated for 65,536 tasks up front is 9 MiB that the
// process start pays for in page faults (~45 ms on a nested VM), and that every leader's death scans.
// Insert may move every task: a Task* taken before it is stale after it.
class Tracer::TaskTable {
 public:
  explicit TaskTable(size_t max) : max_(max) { Rehash(64); }
  Task* Find(pid_t tid) {
    for (size_t i = Hash(tid);; i = (i + 1) & mask_) {
      if (slots_[i].tid == tid) return &slots_[i];
      if (slots_[i].tid == 0) return nullptr;
    }
  }
  Task* Insert(pid_t tid) {
    if (Task* t = Find(tid)) return t;
    if (size_ >= max_) return nullptr;
    if ((size_ + 1) * 2 > mask_ + 1) Rehash((mask_ + 1) * 2);  // keep the load at most 1/2
    size_t i = Hash(tid);
    while (slots_[i].tid != 0) i = (i + 1) & mask_;
    slots_[i] = Task{};
    slots_[i].tid = tid;
    ++size_;
    return &slots_[i];
  }
  void Erase(Task* t) {
    size_t i = static_cast<size_t>(t - slots_.get());
    slots_[i] = Task{};
    --size_;
    // Backward shift: move later entries of the probe run into the hole so lookups never stop early.
    for (size_t j = (i + 1) & mask_; slots_[j].tid != 0; j = (j + 1) & mask_) {
      size_t home = Hash(slots_[j].tid);
      bool between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
      if (between) continue;
      slots_[i] = slots_[j];
      slots_[j] = Task{};
      i = j;
    }
  }
  template <typename F>
  void ForEach(F f) {
    for (size_t i = 0; i <= mask_; ++i)
      if (slots_[i].tid != 0) f(&slots_[i]);
  }
  size_t size() const { return size_; }

 private:
  size_t Hash(pid_t tid) const { return (static_cast<uint32_t>(tid) * 2654435761u) & mask_; }
  void Rehash(size_t cap) {
    std::unique_ptr<Task[]> old = std::move(slots_);
    size_t old_cap = old ? mask_ + 1 : 0;
    slots_.reset(new Task[cap]);
    mask_ = cap - 1;
    for (size_t k = 0; k < old_cap; ++k) {
      if (old[k].tid == 0) continue;
      size_t i = Hash(old[k].tid);
      while (slots_[i].tid != 0) i = (i + 1) & mask_;
      slots_[i] = old[k];
    }
  }
  std::unique_ptr<Task[]> slots_;
  size_t mask_ = 0, size_ = 0, max_;
};

// ---- set-up and the spawn hooks -----------------------------------------------------------------------

Tracer::Tracer() = default;
Tracer::~Tracer() {
  for (auto& [tgid, cache] : procs_)
    if (cache.stat_fd >= 0) close(cache.stat_fd);
}

bool Tracer::Init(const Options& options, EventOutput* output, std::string* err) {
  options_ = options;
  output_ = output;
  self_ = getpid();
  if (!BuildSeccompProgram(&filter_)) {
    *err = "the seccomp filter does not fit its program (a bug)";
    return false;
  }
  if (options_.container_start_ns == 0) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    options_.container_start_ns = TimespecNs(ts);
  }
  tasks_ = std::make_unique<TaskTable>(options_.max_tasks);
  buf_ = std::make_unique<scap::OwnedEventBuffer>(std::max(options_.buffer_bytes, scap::kMaxEventSize * 2));
  scratch_.reset(new char[kScratchBytes]);
  hooks_.ctx = this;
  hooks_.attach = &Tracer::AttachHook;
  hooks_.before_exec = &Tracer::BeforeExecHook;
  hooks_.await_exec = &Tracer::AwaitExecHook;
  return true;
}

int Tracer::AttachHook(void* ctx, pid_t child) {
  auto* self = static_cast<Tracer*>(ctx);
  if (ptrace(PTRACE_SEIZE, child, nullptr, reinterpret_cast<void*>(static_cast<uintptr_t>(kSeizeOptions))) != 0)
    return -1;
  Task* t = self->tasks_->Insert(child);
  if (!t) {
    errno = ENOSPC;
    return -1;
  }
  t->tgid = child;
  t->parent = self->self_;
  t->started = t->announced = true;  // a seized child does not stop first; its exec introduces it
  return 0;
}

// Runs in the child (a copy of our memory): installs the filter, the last step before exec.
int Tracer::BeforeExecHook(void* ctx) {
  auto* self = static_cast<Tracer*>(ctx);
  bool nnp = false;
  return InstallSeccompProgram(self->filter_, &nnp);
}

// Follows the child to its exec: until then it can stop only for a signal (it runs no traced syscall:
// exec is not in the filter), and we must not sit in read() while it waits for us.
int Tracer::AwaitExecHook(void* ctx, pid_t child, int report_fd, kilt_pid1_error* e) {
  (void)report_fd;
  auto* self = static_cast<Tracer*>(ctx);
  for (;;) {
    int st;
    pid_t r = waitpid(child, &st, __WALL);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      e->call = "waitpid (traced child)";
      e->err = errno;
      return -1;
    }
    Task* t = self->tasks_->Find(child);
    if (!WIFSTOPPED(st)) {  // it failed before exec: the report pipe says why
      if (t) self->tasks_->Erase(t);
      return 0;
    }
    if (!t) {  // cannot happen: attach inserted it
      e->call = "await exec (unknown child)";
      e->err = ESRCH;
      return -1;
    }
    bool exec = (st >> 16) == PTRACE_EVENT_EXEC;
    self->OnStop(t, st);
    if (exec) {
      char status[2048];
      ssize_t n = ReadProcFile(child, "status", status, sizeof status - 1);
      self->no_new_privs_ = n > 0 && std::string_view(status, static_cast<size_t>(n)).find("NoNewPrivs:\t1") !=
                                         std::string_view::npos;
      return 1;
    }
  }
}

// ---- wait statuses -------------------------------------------------------------------------------------

bool Tracer::OnWaitStatus(pid_t pid, int status) {
  Task* t = tasks_->Find(pid);
  if (WIFSTOPPED(status)) {
    ++stats_.stops;
    if (!t) {
      // Not seen yet: a new task (auto-attached at fork) whose first stop came before its parent's event.
      t = tasks_->Insert(pid);
      if (!t) {
        // The table is full: let it run untraced rather than stall it.
        ++stats_.untracked;
        ptrace(PTRACE_DETACH, pid, nullptr, nullptr);
        return true;
      }
      stats_.tasks = tasks_->size();
      stats_.max_tasks_seen = std::max(stats_.max_tasks_seen, stats_.tasks);
    }
    OnStop(t, status);
    return true;
  }
  if (!t) return false;  // not a traced task (an agent), or untraced
  bool our_child = t->tid == t->tgid && t->parent == self_;
  OnDeath(t, status);
  return !our_child;
}

void Tracer::OnStop(Task* t, int status) {
  int sig = WSTOPSIG(status);
  int event = (status >> 16) & 0xff;
  switch (event) {
    case PTRACE_EVENT_SECCOMP:
      return OnSeccompStop(t);
    case PTRACE_EVENT_EXEC:
      return OnExec(t);
    case PTRACE_EVENT_FORK:
    case PTRACE_EVENT_VFORK:
    case PTRACE_EVENT_CLONE:
      return OnClone(t, event);
    case PTRACE_EVENT_STOP:
      if (IsStopSignal(sig)) {
        // Group-stop (SIGSTOP, ^Z...): stay stopped, as untraced, yet let SIGCONT wake it (PTRACE_LISTEN).
        // PTRACE_CONT here would run the task despite the stop: pdig's and Datadog's tracers get this wrong.
        ptrace(PTRACE_LISTEN, t->tid, nullptr, nullptr);
        return;
      }
      if (!t->started) return OnNewTaskStop(t);
      return Resume(t, 0);  // the end of a LISTEN (SIGCONT), or an interrupt
    default:
      break;
  }
  if (sig == (SIGTRAP | 0x80)) return OnSyscallExit(t);
  // A signal on its way to the task: deliver it, as if nobody were tracing.
  if (!t->started) t->started = true;
  Resume(t, sig);
}

void Tracer::Resume(Task* t, int sig) {
  // ESRCH: killed meanwhile (SIGKILL needs no tracer); its death is reported later.
  ptrace(PTRACE_CONT, t->tid, nullptr, reinterpret_cast<void*>(static_cast<uintptr_t>(sig)));
}

void Tracer::OnSeccompStop(Task* t) {
  SyscallStop s;
  if (!GetSyscallStop(t->tid, &s) || s.op != SyscallStop::kSeccomp) return Resume(t, 0);
  switch (SyscallTraceMode(s.nr)) {
    case TraceMode::kEntryOnly: {
      // close: the fd is all the event needs; a close that fails (EBADF) changes nothing either.
      scap::CloseExit e;
      e.fd = static_cast<int32_t>(s.args[0]);
      Emit(t->tid, e);
      return Resume(t, 0);
    }
    case TraceMode::kExit:
      t->in_syscall = true;
      t->nr = s.nr;
      for (int i = 0; i < 6; ++i) t->args[i] = s.args[i];
      // To its exit stop; from there PTRACE_CONT again, so untraced syscalls never stop.
      ptrace(PTRACE_SYSCALL, t->tid, nullptr, nullptr);
      return;
    case TraceMode::kNotTraced:
      return Resume(t, 0);
  }
}

void Tracer::OnSyscallExit(Task* t) {
  SyscallStop s;
  if (t->in_syscall && GetSyscallStop(t->tid, &s) && s.op == SyscallStop::kExit && !IsRestart(s.rval)) {
    EmitSyscall(t->tid, t->tgid ? t->tgid : t->tid, t->nr, t->args, s.rval);
    if (s.rval == 0 && ChangesProcessState(t->nr)) ++epoch_;
  }
  t->in_syscall = false;
  t->nr = -1;
  Resume(t, 0);
}

void Tracer::OnExec(Task* t) {
  unsigned long former = 0;
  ptrace(PTRACE_GETEVENTMSG, t->tid, nullptr, &former);
  if (former != 0 && static_cast<pid_t>(former) != t->tid) {
    // A non-leader thread exec'd: it now has the leader's tid, and its own tid is gone without a death
    // report (ptrace(2), "execve(2) under ptrace").
    if (Task* old = tasks_->Find(static_cast<pid_t>(former))) {
      scap::ProcExit e;
      Emit(old->tid, e);
      tasks_->Erase(old);
      t = tasks_->Find(t->tgid ? t->tgid : t->tid);
      if (!t) return;
    }
  }
  int64_t nr = -1;
  uint64_t args[6];
  bool at = GetSyscallFromRegs(t->tid, &nr, args) && nr == SYS_execveat;
  t->tgid = t->tid;
  t->in_syscall = false;
  t->announced = true;
  EmitExecve(t->tid, at, 0);
  Resume(t, 0);
}

void Tracer::OnClone(Task* parent, int event) {
  unsigned long msg = 0;
  if (ptrace(PTRACE_GETEVENTMSG, parent->tid, nullptr, &msg) != 0) return Resume(parent, 0);
  pid_t child = static_cast<pid_t>(msg);
  uint64_t flags = 0;
  int64_t nr = -1;
  uint64_t args[6];
  if (event == PTRACE_EVENT_VFORK) {
    flags = CLONE_VM | CLONE_VFORK;
  } else if (GetSyscallFromRegs(parent->tid, &nr, args)) {
    if (nr == SYS_clone) {
      flags = args[0];
#ifdef SYS_clone3
    } else if (nr == SYS_clone3) {
      uint64_t f = 0;  // struct clone_args starts with its u64 flags
      if (ReadTraceeMemory(parent->tid, args[0], &f, sizeof f) == static_cast<ssize_t>(sizeof f)) flags = f;
#else
    } else if (nr == 435) {
      uint64_t f = 0;
      if (ReadTraceeMemory(parent->tid, args[0], &f, sizeof f) == static_cast<ssize_t>(sizeof f)) flags = f;
#endif
    }
  }
  pid_t caller = parent->tid;
  Task* c = tasks_->Insert(child);
  parent = tasks_->Find(caller);  // Insert may have moved it
  if (c) {
    c->tgid = (flags & CLONE_THREAD) ? parent->tgid : child;
    Task* pl = tasks_->Find(parent->tgid);
    // CLONE_PARENT and threads share the caller's parent; otherwise the caller's process is it.
    c->parent = (flags & (CLONE_PARENT | CLONE_THREAD)) ? (pl ? pl->parent : self_) : parent->tgid;
    c->announced = true;
    stats_.tasks = tasks_->size();
    stats_.max_tasks_seen = std::max(stats_.max_tasks_seen, stats_.tasks);
  } else {
    ++stats_.untracked;
  }
  if (c) ReleaseNewChild(c);
  parent = tasks_->Find(caller);
  EmitCloneCaller(parent, child, event, flags);
  // A new process starts with its parent's state: its exec event needs only what exec changes.
  if (c && !(flags & CLONE_THREAD)) {
    ProcCache& inherited = procs_[child];
    inherited = *CacheOf(parent->tgid ? parent->tgid : parent->tid);
    inherited.stat_fd = -1;  // the parent's
    inherited.forks = 0;
  }
  Resume(parent, 0);
}

// A new task's first stop often comes before its parent's clone event is handled: resume it before the
// parent's /proc state is read, not after (the parent stays stopped meanwhile, and any event of the child is
// handled, and emitted, only after the clone event). A first stop not reported yet is resumed when it is.
void Tracer::ReleaseNewChild(Task* c) {
  if (c->held) {
    c->held = false;
    return Resume(c, 0);
  }
  if (c->started) return;
  siginfo_t si;
  si.si_pid = 0;
  if (waitid(P_PID, static_cast<id_t>(c->tid), &si, WEXITED | WSTOPPED | WNOHANG | WNOWAIT | __WALL) != 0 ||
      si.si_pid != c->tid || si.si_code != CLD_TRAPPED)
    return;
  int st = 0;
  if (waitpid(c->tid, &st, WNOHANG | __WALL) != c->tid) return;
  ++stats_.stops;
  OnStop(c, st);
}

void Tracer::OnNewTaskStop(Task* t) {
  t->started = true;
  if (t->announced) return Resume(t, 0);
  // Its parent's fork/clone event is still to come: keep it stopped until then, so that Falco learns of
  // it before any event of its own.
  t->held = true;
}

void Tracer::OnDeath(Task* t, int status) {
  scap::ProcExit e;
  e.wait_status = status;
  Emit(t->tid, e);
  pid_t dead = t->tid;
  bool leader = t->tid == t->tgid;
  tasks_->Erase(t);
  stats_.tasks = tasks_->size();
  if (!leader) return;
  DropCache(dead);
  // Its children are ours now (as PID 1 or child subreaper); and a child held for its parent's clone
  // event would wait forever if the parent died between the fork and the event.
  tasks_->ForEach([&](Task* c) {
    if (c->tid == c->tgid && c->parent == dead) c->parent = self_;
    if (c->held) {
      char text[1024];
      ssize_t n = ReadProcFile(c->tid, "status", text, sizeof text - 1);
      ProcStatus ps;
      if (n > 0 && ParseProcStatus(std::string_view(text, static_cast<size_t>(n)), &ps)) {
        pid_t p = ps.tgid != c->tid ? static_cast<pid_t>(ps.tgid) : static_cast<pid_t>(ps.ppid);
        if (p != dead && p != self_) return;
        c->tgid = static_cast<pid_t>(ps.tgid);
      }
      c->held = false;
      c->announced = true;
      EmitCloneChild(c->tid, dead, c->tgid != c->tid ? CLONE_THREAD : 0);
      Resume(c, 0);
    }
  });
}

// ---- events ----------------------------------------------------------------------------------------------

uint64_t Tracer::Now() const {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return TimespecNs(ts);
}

void Tracer::Encoded(scap::EncodeStatus st) {
  if (st == scap::EncodeStatus::kOk) ++stats_.events;
  else ++stats_.lost_events;
}

void Tracer::Flush() {
  if (buf_->empty()) return;
  if (output_) output_->Take(buf_->bytes());
  buf_->Clear();
}

namespace {

constexpr uint64_t kCacheTtlNs = 1000000000;  // 1 s

uint64_t MonotonicNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return TimespecNs(ts);
}

std::string_view Slot(char* scratch, ScratchSlot s, ssize_t n) {
  return n > 0 ? std::string_view(scratch + s * kStr, static_cast<size_t>(n)) : std::string_view();
}

// cmdline "argv0\0argv1\0...": exe = argv0, args = the rest.
void SplitCmdline(std::string_view cmdline, scap::ProcessInfo* info) {
  size_t nul = cmdline.find('\0');
  if (nul == std::string_view::npos) {
    info->exe = cmdline;
    info->args = std::string_view("", 0);
    return;
  }
  info->exe = cmdline.substr(0, nul);
  info->args = cmdline.substr(nul + 1);
}

// What /proc/PID/cmdline (and, with env, /proc/PID/environ) say, read from the process's memory where its
// stat shows where argv and envp are (one syscall instead of three a file), else from the files.
void ReadArgs(pid_t tid, const ProcStat& st, char* args, ssize_t* nargs, char* env, ssize_t* nenv) {
  size_t want_args = CmdlineReadSize(st, scap::kMaxArgsEnvSize);
  size_t want_env = env && st.env_start != 0 && st.env_end > st.env_start
                        ? static_cast<size_t>(std::min<uint64_t>(st.env_end - st.env_start, scap::kMaxArgsEnvSize))
                        : 0;
  struct iovec local[2] = {{args, want_args}, {env, want_env}};
  struct iovec remote[2] = {{reinterpret_cast<void*>(st.arg_start), want_args},
                            {reinterpret_cast<void*>(st.env_start), want_env}};
  unsigned long parts = want_env > 0 ? 2 : 1;
  ssize_t got = want_args > 0 ? process_vm_readv(tid, local, parts, remote, parts, 0) : -1;
  *nargs = got > 0 ? CmdlineLength(args, std::min(static_cast<size_t>(got), want_args), st) : -1;
  if (*nargs < 0) *nargs = ReadProcFile(tid, "cmdline", args, scap::kMaxArgsEnvSize);
  if (!env) return;
  bool env_read = want_env > 0 && got == static_cast<ssize_t>(want_args + want_env);
  *nenv = env_read ? static_cast<ssize_t>(want_env) : ReadProcFile(tid, "environ", env, scap::kMaxArgsEnvSize);
}

// The three capability sets /proc/PID/status shows, through capget(2); left 0 if it fails (gone).
void ReadCaps(pid_t tid, ProcStatus* st) {
  struct {
    uint32_t version;
    int pid;
  } hdr = {0x20080522 /* _LINUX_CAPABILITY_VERSION_3 */, static_cast<int>(tid)};
  struct {
    uint32_t effective, permitted, inheritable;
  } data[2] = {};
  if (syscall(SYS_capget, &hdr, data) != 0) return;
  auto both = [](uint32_t lo, uint32_t hi) { return static_cast<uint64_t>(hi) << 32 | lo; };
  st->cap_eff = both(data[0].effective, data[1].effective);
  st->cap_prm = both(data[0].permitted, data[1].permitted);
  st->cap_inh = both(data[0].inheritable, data[1].inheritable);
}

uint64_t ReadFdLimit(pid_t tid, char* scratch) {
  struct rlimit rl;
  if (syscall(SYS_prlimit64, tid, RLIMIT_NOFILE, nullptr, &rl) == 0) return rl.rlim_cur;
  // Refused for a tracee that changed its uid (without CAP_SYS_RESOURCE): its limits file is readable.
  ssize_t n = ReadProcFile(tid, "limits", scratch + kS0 * kStr, kStr - 1);
  uint64_t soft = 0;
  if (n > 0 && ParseProcLimitsNofile(Slot(scratch, kS0, n), &soft)) return soft;
  return 0;
}

}  // namespace

// What the execve and clone events say about a process, read from /proc into the scratch slots.
struct Tracer::ProcRead {
  scap::ProcessInfo info;
  ProcStatus status;
  ProcStat stat;
};

// /proc/PID/stat of tid. A process that forks again and again (a shell, a server's master) keeps its stat
// open: one pread instead of open, read and close at every fork.
ssize_t Tracer::ReadStat(pid_t tid, pid_t tgid, bool for_exec, ProcCache* cache, char* buf, size_t cap) {
  if (cache && tid == tgid) {
    if (cache->stat_fd < 0 && !for_exec && ++cache->forks >= 2 && kept_stat_fds_ < kMaxKeptStatFds) {
      cache->stat_fd = OpenProcFile(tid, "stat");
      if (cache->stat_fd >= 0) ++kept_stat_fds_;
    }
    if (cache->stat_fd >= 0) {
      ssize_t n = PreadProcFile(cache->stat_fd, buf, cap);
      if (n > 0) return n;
    }
  }
  return ReadProcFile(tid, "stat", buf, cap);
}

void Tracer::DropCache(pid_t tgid) {
  auto it = procs_.find(tgid);
  if (it == procs_.end()) return;
  if (it->second.stat_fd >= 0) {
    close(it->second.stat_fd);
    --kept_stat_fds_;
  }
  procs_.erase(it);
}

// Fills r for an execve (for_exec) or clone event of tid (of process tgid). With a valid cache, only what
// can have changed since it was read: comm, memory, argv (setproctitle), the fd limit, and at exec the
// executable, credentials, capabilities, environment, tty and process group. Without, everything, and the
// cache is refilled.
void Tracer::ReadProcess(pid_t tid, pid_t tgid, bool for_exec, ProcCache* cache, ProcRead* r) {
  char* scratch = scratch_.get();
  uint64_t now = MonotonicNs();
  bool cached = cache && cache->epoch == epoch_ && now - cache->read_ns < kCacheTtlNs;
  scap::ProcessInfo& info = r->info;
  info.tid = tid;
  ssize_t n = ReadStat(tid, tgid, for_exec, cache, scratch + kSStat * kStr, kStr - 1);
  if (n > 0) ParseProcStat(Slot(scratch, kSStat, n), &r->stat);
  struct stat exe_st;
  bool exe_known = false;
  if (for_exec) {
    n = ReadProcLink(tid, "exe", scratch + kSExe * kStr, kStr);
    info.trusted_exepath = Slot(scratch, kSExe, n);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/exe", static_cast<int>(tid));
    exe_known = stat(path, &exe_st) == 0;
  }
  // Exec changes the effective ids only through a setuid or setgid executable, and not under NO_NEW_PRIVS
  // (every Fargate task); the capabilities it may change come from capget(2), one syscall.
  bool ids_kept = cached && (!for_exec || (exe_known && (no_new_privs_ || !(exe_st.st_mode & (S_ISUID | S_ISGID)))));
  if (!ids_kept) {
    n = ReadProcFile(tid, "status", scratch + kSStatus * kStr, kStr - 1);
    if (n > 0) ParseProcStatus(Slot(scratch, kSStatus, n), &r->status);
    info.vm_size_kb = r->status.vm_size_kb;
    info.vm_rss_kb = r->status.vm_rss_kb;
    info.vm_swap_kb = r->status.vm_swap_kb;
    info.uid = r->status.euid;
    info.gid = r->status.egid;
  } else {
    if (for_exec) ReadCaps(tid, &r->status);
    static const uint64_t page_kb = static_cast<uint64_t>(sysconf(_SC_PAGESIZE)) / 1024;
    info.vm_size_kb = static_cast<uint32_t>(r->stat.vsize_bytes / 1024);
    info.vm_rss_kb = static_cast<uint32_t>(r->stat.rss_pages * page_kb);
    info.vm_swap_kb = cache->vm_swap_kb;
    info.uid = cache->uid;
    info.gid = cache->gid;
  }
  info.pid = r->status.tgid ? r->status.tgid : tgid;
  info.ptid = r->status.ppid ? r->status.ppid : r->stat.ppid;
  info.comm = std::string_view(r->stat.comm);
  info.pgft_maj = r->stat.majflt;
  info.pgft_min = r->stat.minflt;
  ssize_t nenv = -1;
  ReadArgs(tid, r->stat, scratch + kSCmdline * kStr, &n, for_exec ? scratch + kSEnv * kStr : nullptr, &nenv);
  SplitCmdline(Slot(scratch, kSCmdline, n), &info);
  info.fdlimit = ReadFdLimit(tid, scratch);
  if (cached) {
    info.cwd = cache->cwd;
    info.cgroups = *cache->cgroups;
  } else {
    n = ReadProcLink(tid, "cwd", scratch + kSCwd * kStr, kStr);
    if (n > 0) {
      // libsinsp keeps cwd with a trailing slash.
      char* cwd = scratch + kSCwd * kStr;
      if (cwd[n - 1] != '/' && static_cast<size_t>(n) + 1 < kStr) cwd[n++] = '/';
      info.cwd = std::string_view(cwd, static_cast<size_t>(n));
    }
    n = ReadProcFile(tid, "cgroup", scratch + kS0 * kStr, kStr - 1);
    size_t cg = n > 0 ? ConvertCgroups(Slot(scratch, kS0, n), scratch + kSCgroup * kStr, kStr) : 0;
    info.cgroups = std::string_view(scratch + kSCgroup * kStr, cg);
    char num[24];
    n = ReadProcFile(tid, "loginuid", num, sizeof num - 1);
    if (n > 0) {
      num[n] = '\0';
      info.loginuid = static_cast<uint32_t>(strtoul(num, nullptr, 10));
    }
  }
  if (cache && (!cached || !ids_kept)) {
    if (!cached) {
      cache->epoch = epoch_;
      cache->read_ns = now;
      cache->cwd.assign(info.cwd);
      // One copy for the processes that share it (all of a container's, usually: ~1 KiB under ECS's v1).
      if (!cache->cgroups || *cache->cgroups != info.cgroups)
        cache->cgroups = std::make_shared<const std::string>(info.cgroups);
      cache->loginuid = info.loginuid;
    }
    cache->uid = info.uid;  // exec may change them (a setuid binary without NO_NEW_PRIVS)
    cache->gid = info.gid;
    cache->vm_swap_kb = info.vm_swap_kb;
  }
  if (!for_exec) {
    info.vtid = tid;
    info.vpid = info.pid;
    return;
  }
  if (cached) info.loginuid = cache->loginuid;
  info.env = Slot(scratch, kSEnv, nenv);
  info.tty = r->stat.tty_nr;
  info.pgid = info.vpgid = r->stat.pgrp;
  info.cap_inheritable = r->status.cap_inh;  // Linux bits: the encoder converts
  info.cap_permitted = r->status.cap_prm;
  info.cap_effective = r->status.cap_eff;
  if (info.trusted_exepath.substr(0, 7) == "/memfd:") info.exe_flags |= kExeFromMemfd;
  if (exe_known) {
    info.exe_ino = exe_st.st_ino;
    info.exe_ino_ctime = TimespecNs(exe_st.st_ctim);
    info.exe_ino_mtime = TimespecNs(exe_st.st_mtim);
    // The overlay heuristic (no user-space API tells the layer): an executable on the container's root
    // filesystem (the first traced process's root) that changed after the container started was
    // written in it (the upper layer).
    if (!root_dev_known_) {
      char path[64];
      struct stat root_st;
      snprintf(path, sizeof path, "/proc/%d/root/", static_cast<int>(tid));
      root_dev_known_ = stat(path, &root_st) == 0;
      root_dev_ = root_st.st_dev;
    }
    if (!(info.exe_flags & kExeFromMemfd) && root_dev_known_ && root_dev_ == exe_st.st_dev)
      info.exe_flags |= info.exe_ino_ctime >= options_.container_start_ns ? kExeUpperLayer : kExeLowerLayer;
    bool writable = info.uid == 0 || (exe_st.st_uid == info.uid   ? (exe_st.st_mode & S_IWUSR)
                                      : exe_st.st_gid == info.gid ? (exe_st.st_mode & S_IWGRP)
                                                                  : (exe_st.st_mode & S_IWOTH));
    if (writable) info.exe_flags |= kExeWritable;
  }
}

Tracer::ProcCache* Tracer::CacheOf(pid_t tgid) { return &procs_[tgid]; }

void Tracer::EmitExecve(pid_t tid, bool execveat, int64_t res) {
  ProcRead r;
  Task* t = tasks_->Find(tid);
  pid_t tgid = t && t->tgid ? t->tgid : tid;
  ReadProcess(tid, tgid, true, CacheOf(tgid), &r);
  if (execveat) {
    scap::ExecveatExit e;
    e.res = res;
    e.proc = r.info;
    Emit(tid, e);
  } else {
    scap::ExecveExit e;
    e.res = res;
    e.proc = r.info;
    Emit(tid, e);
  }
}

void Tracer::EmitCloneCaller(Task* parent, pid_t child, int event, uint64_t flags) {
  ProcRead r;
  pid_t tgid = parent->tgid ? parent->tgid : parent->tid;
  ReadProcess(parent->tid, tgid, false, CacheOf(tgid), &r);
  scap::CloneExit e;
  e.kind = event == PTRACE_EVENT_VFORK ? scap::CloneKind::kVfork
           : event == PTRACE_EVENT_FORK && (flags & CLONE_THREAD) == 0 && flags == 0 ? scap::CloneKind::kFork
                                                                                     : scap::CloneKind::kClone;
  e.res = child;
  e.proc = r.info;
  e.flags = flags;
  Emit(parent->tid, e);
}

void Tracer::EmitCloneChild(pid_t tid, pid_t ptid, uint64_t flags) {
  ProcRead r;
  ReadProcess(tid, tid, false, nullptr, &r);
  scap::CloneExit e;
  e.kind = scap::CloneKind::kClone;
  e.res = 0;
  e.proc = r.info;
  if (ptid) e.proc.ptid = ptid;
  e.flags = flags;
  Emit(tid, e);
}

void Tracer::Snapshot() {
  Flush();
  // Parents before children: a process is emitted once its parent has been, or when its parent is not
  // traced (the app's root, orphans).
  std::vector<Task*> leaders, threads;
  tasks_->ForEach([&](Task* t) {
    if (!t->announced) return;
    (t->tid == t->tgid ? leaders : threads).push_back(t);
  });
  std::vector<bool> done(leaders.size(), false);
  size_t left = leaders.size();
  while (left > 0) {
    size_t before = left;
    for (size_t i = 0; i < leaders.size(); ++i) {
      if (done[i]) continue;
      pid_t p = leaders[i]->parent;
      bool parent_pending = false;
      for (size_t j = 0; j < leaders.size(); ++j)
        if (!done[j] && j != i && leaders[j]->tid == p) parent_pending = true;
      if (parent_pending) continue;
      EmitExecve(leaders[i]->tid, false, 0);
      done[i] = true;
      --left;
    }
    if (left == before) break;  // a cycle cannot happen; never loop forever anyway
  }
  for (Task* t : threads) EmitCloneChild(t->tid, t->tgid, CLONE_THREAD | CLONE_VM | CLONE_FILES | CLONE_FS | CLONE_SIGHAND);
  Flush();
}

size_t Tracer::traced_tasks() const { return tasks_ ? tasks_->size() : 0; }

// ---- the probe -------------------------------------------------------------------------------------------

bool ProbeCapture(std::string* reason) {
  int sync[2];
  if (pipe2(sync, O_CLOEXEC) != 0) {
    *reason = std::string("pipe2: ") + strerror(errno);
    return false;
  }
  pid_t child = fork();
  if (child < 0) {
    *reason = std::string("fork: ") + strerror(errno);
    close(sync[0]);
    close(sync[1]);
    return false;
  }
  if (child == 0) {
    close(sync[1]);
    char c;
    while (read(sync[0], &c, 1) < 0 && errno == EINTR) {
    }
    SeccompProgram p;
    bool nnp;
    if (!BuildSeccompProgram(&p) || InstallSeccompProgram(p, &nnp) != 0) _exit(100 + (errno & 0x3f));
    _exit(0);
  }
  close(sync[0]);
  bool ok = true;
  if (ptrace(PTRACE_SEIZE, child, nullptr, reinterpret_cast<void*>(static_cast<uintptr_t>(PTRACE_O_EXITKILL))) != 0) {
    *reason = std::string("ptrace(PTRACE_SEIZE): ") + strerror(errno);
    ok = false;
    kill(child, SIGKILL);
  }
  close(sync[1]);
  int st = 0;
  for (;;) {
    pid_t r = waitpid(child, &st, __WALL);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) break;
    if (WIFSTOPPED(st)) {  // a signal on its way: pass it on
      ptrace(PTRACE_CONT, child, nullptr, reinterpret_cast<void*>(static_cast<uintptr_t>(WSTOPSIG(st))));
      continue;
    }
    break;
  }
  if (ok && WIFEXITED(st) && WEXITSTATUS(st) >= 100) {
    *reason = std::string("seccomp: ") + strerror(WEXITSTATUS(st) - 100);
    ok = false;
  } else if (ok && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
    *reason = "the probe child did not finish cleanly";
    ok = false;
  }
  return ok;
}

}  // namespace kilt::capture
