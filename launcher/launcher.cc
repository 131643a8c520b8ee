#include "launcher/launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <memory>

#include "capture/feed.h"
#include "capture/scap_file.h"
#include "capture/scap_json.h"
#include "capture/tracer.h"
#include "init/pid1.h"
#include "launcher/line_framer.h"
#include "launcher/line_output.h"
#include "launcher/supervisor.h"

extern char** environ;

namespace kilt::launcher {

void Diag(const char* fmt, ...) {
  char buf[2048];
  int n = snprintf(buf, sizeof buf, "kilt-run: ");
  va_list ap;
  va_start(ap, fmt);
  int m = vsnprintf(buf + n, sizeof buf - n - 1, fmt, ap);
  va_end(ap);
  size_t len = static_cast<size_t>(n) + (m < 0 ? 0 : static_cast<size_t>(m));
  if (len > sizeof buf - 2) len = sizeof buf - 2;
  buf[len++] = '\n';
  ssize_t w;
  do w = write(2, buf, len);
  while (w < 0 && errno == EINTR);
}

namespace {

constexpr int64_t kGatePollMs = 20;         // file and TCP gates are probed this often
constexpr int64_t kKillWaitMs = 1000;       // after SIGKILL: how long to wait for the kernel to deliver (only
                                            // processes stuck in the kernel survive it; do not hang on them)
constexpr int64_t kFinalFlushMs = 2000;     // at exit: how long agent output may wait for a blocked stdout
constexpr int kReadsPerWakeup = 4;          // per agent pipe, so one flooding agent cannot starve the rest
constexpr int kReapBatch = 256;             // wait statuses per round: a traced app that keeps stopping must
                                            // not starve the agents' pipes, the feed and the signals
constexpr int64_t kDropReportMs = 5000;     // capture drops are reported at most this often

int64_t NowMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// One configured agent: its supervisor, the argv/envp built once at start-up (restarts do not allocate),
// and the read ends of its stdout/stderr (and notify) pipes of the current run.
struct Agent {
  Agent(const AgentConfig* c, LogFormat fmt, bool embed)
      : cfg(c), sup(c), out_framer(c->name, "stdout", fmt, embed), err_framer(c->name, "stderr", fmt, embed) {}
  const AgentConfig* cfg;
  AgentSupervisor sup;
  LineFramer out_framer, err_framer;
  std::vector<std::string> env_storage;
  std::vector<char*> argv, envp;
  int out_fd = -1, err_fd = -1, notify_fd = -1, tcp_fd = -1;
  // The process group of a run whose leader has exited while members remain (helpers it forked): they get
  // SIGTERM, then SIGKILL at group_kill_at, and the next run waits until the group is gone.
  pid_t leftover_group = 0;
  int64_t group_kill_at = 0;
  bool group_killed = false;
  bool gate_open = true;
  bool gate_armed = false;   // the timeout runs from the first start
  int64_t gate_deadline_ms = 0;
  int64_t next_probe_ms = 0;
};

// gating → app running (→ stopping app, for stop-app) → ending the app's leftovers → stopping agents → done.
enum class Phase { kGating, kAppRunning, kStoppingApp, kEndingLeftovers, kStoppingAgents, kDone };

void CloseFd(int* fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

bool SetNonBlocking(int fd) {
  int fl = fcntl(fd, F_GETFL);
  return fl >= 0 && fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0;
}

class Launcher;

// The tracer's events go to the live feed and, for `kilt capture`, to a file or JSON lines.
class CaptureOutput : public capture::EventOutput {
 public:
  explicit CaptureOutput(Launcher* l) : launcher_(l) {}
  void Take(std::string_view events) override;

 private:
  Launcher* launcher_;
};

class Launcher {
 public:
  explicit Launcher(const LaunchOptions& o) : opts_(o), cfg_(o.config),
      diag_framer_("kilt-run", "stderr", o.config.log_format, false) {}
  int Run();
  void TakeEvents(std::string_view events);

 private:
  void Say(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
  void BuildAgents();
  bool SpawnAgent(Agent* a);
  void StartAgent(Agent* a);
  void StartApp();
  void OnSignal(const struct signalfd_siginfo& si);
  void Reaped(pid_t pid, int st);
  void AgentExited(Agent* a, int st);
  void AgentFailed(Agent* a);
  void DrainAgent(Agent* a, int* fd, LineFramer* f, bool to_eof);
  void ReadNotify(Agent* a);
  void ProbeGate(Agent* a, int64_t now);
  void OpenGate(Agent* a, const char* why);
  void CheckGates(int64_t now);
  void BeginEndLeftovers();
  int SignalLeftovers(int sig);
  void CheckLeftovers(int64_t now);
  void EndAgentGroup(Agent* a, pid_t pgid);
  void CheckAgentGroups(int64_t now);
  void BeginStopAgents();
  void SignalApp(int sig);
  void Tick(int64_t now);
  int NextTimeout(int64_t now);
  void FinalFlush();
  int ExitCode();
  static void OnReaped(void* ctx, pid_t pid, int st) {
    auto* l = static_cast<Launcher*>(ctx);
    // With the capture on, reaping also collects the tracees' ptrace stops: the tracer's business.
    if (l->tracer_ && l->tracer_->OnWaitStatus(pid, st)) return;
    l->Reaped(pid, st);
  }
  bool SetUpCapture();
  bool CaptureFailed(const char* reason);
  void ReportCaptureDrops(int64_t now, bool final);
  static bool FeedPeerCheck(void* ctx, pid_t pid, uid_t uid);
  static void FeedConsumer(void* ctx, bool first);

  const LaunchOptions& opts_;
  const RunConfig& cfg_;
  kilt_pid1 p1_{};
  std::unique_ptr<LineOutput> out_, diag_;
  LineFramer diag_framer_;
  std::vector<std::unique_ptr<Agent>> agents_;
  Phase phase_ = Phase::kGating;
  pid_t app_pid_ = 0;
  int app_status_ = 0;
  int app_exec_errno_ = 0;
  bool app_started_ = false;
  bool agent_failure_exit_ = false;
  int stop_signal_ = 0;          // a stop signal that arrived before the app started
  int64_t app_kill_at_ = 0;      // kStoppingApp: SIGKILL the app then
  int64_t agents_kill_at_ = 0;   // kStoppingAgents: SIGKILL the agents then
  bool agents_killed_ = false;
  kilt_pid1_forwarding fwd_{};    // [signals]: scope and rewrites
  int64_t leftovers_kill_at_ = 0; // kEndingLeftovers: SIGKILL what the app left behind then
  bool leftovers_killed_ = false;
  std::vector<pid_t> skip_groups_;  // the agents' process groups, spared while the app's leftovers end
  long others_reaped_ = 0, others_killed_ = 0;  // orphans reaped (verbose report)
  // The capture: the tracer of the app's tree, the live feed its consumer agent reads, and optional
  // file/JSON sinks (kilt capture). The app waits for the consumer like for a readiness gate.
  std::unique_ptr<capture::Tracer> tracer_;
  std::unique_ptr<feed::FeedServer> feed_;
  std::unique_ptr<scap::EventSink> sink_;
  CaptureOutput capture_out_{this};
  bool capture_gate_open_ = true;
  int64_t capture_gate_deadline_ = 0;
  uint64_t drops_reported_ = 0;
  int64_t next_drop_report_ms_ = 0;
  bool reap_more_ = false;  // the last reap stopped at kReapBatch: poll without waiting
  std::vector<struct pollfd> pfds_;
  std::vector<std::pair<Agent*, int>> pfd_owner_;  // which agent/which fd (0 out, 1 err, 2 notify, 3 tcp)
  // One read takes a whole default (64 KiB) agent pipe. Bigger agent pipes (F_SETPIPE_SZ 1 MiB) with
  // 256 KiB reads were tried and measured no faster, rather slower: the agent runs further ahead and its
  // lines are out of cache by the time they are framed and written (docs/launcher.md, Throughput).
  char readbuf_[65536];
};

void Launcher::Say(const char* fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  size_t len = static_cast<size_t>(n) < sizeof buf - 1 ? static_cast<size_t>(n) : sizeof buf - 2;
  buf[len++] = '\n';
  diag_framer_.Feed(buf, len, diag_.get());
  diag_->Drain();
}

void Launcher::BuildAgents() {
  for (const AgentConfig& c : cfg_.agents) {
    auto a = std::make_unique<Agent>(&c, cfg_.log_format, cfg_.log_embed_json);
    std::vector<std::pair<std::string, std::string>> env = c.env;
    // The capture's consumer learns where the feed is (Falco's falco.yaml reads ${KILT_CAPTURE_SOCKET}).
    if (c.capture && feed_) env.emplace_back("KILT_CAPTURE_SOCKET", cfg_.capture.socket);
    a->env_storage.reserve(env.size());
    for (auto& [k, v] : env) a->env_storage.push_back(k + "=" + v);
    for (char** e = environ; *e; ++e) {
      const char* eq = strchr(*e, '=');
      size_t klen = eq ? static_cast<size_t>(eq - *e) : strlen(*e);
      bool overridden = false;
      for (auto& [k, v] : env)
        if (k.size() == klen && memcmp(k.data(), *e, klen) == 0) overridden = true;
      if (!overridden) a->envp.push_back(*e);
    }
    for (std::string& s : a->env_storage) a->envp.push_back(s.data());
    a->envp.push_back(nullptr);
    a->argv.push_back(const_cast<char*>(c.path.c_str()));
    for (const std::string& s : c.args) a->argv.push_back(const_cast<char*>(s.c_str()));
    a->argv.push_back(nullptr);
    a->gate_open = c.ready.kind == ReadyKind::kNone;
    agents_.push_back(std::move(a));
  }
}

bool Launcher::SpawnAgent(Agent* a) {
  int outp[2], errp[2], np[2] = {-1, -1};
  // Every run gets the notification fd, also restarts after the app has started: an agent that always
  // writes its readiness newline must not meet EBADF. As in s6, our end is closed after the newline.
  bool notify = a->cfg->ready.kind == ReadyKind::kNotifyFd;
  if (pipe2(outp, O_CLOEXEC) != 0) {
    Say("agent \"%s\": cannot start: pipe2: %s", a->cfg->name.c_str(), strerror(errno));
    return false;
  }
  if (pipe2(errp, O_CLOEXEC) != 0 || (notify && pipe2(np, O_CLOEXEC) != 0)) {
    Say("agent \"%s\": cannot start: pipe2: %s", a->cfg->name.c_str(), strerror(errno));
    for (int fd : {outp[0], outp[1], errp[0], errp[1]}) close(fd);
    return false;
  }
  kilt_pid1_spawn_opts so{};
  so.argv = a->argv.data();
  so.path = a->cfg->path.c_str();  // no PATH lookup for agents
  so.envp = a->envp.data();
  so.workdir = a->cfg->workdir.empty() ? nullptr : a->cfg->workdir.c_str();
  // Its own session: a terminal's ^C does not reach it, and stopping it signals its whole group.
  so.new_session = 1;
  so.stdin_fd = KILT_PID1_FD_NULL;
  so.stdout_fd = outp[1];
  so.stderr_fd = errp[1];
  so.extra_fd = np[1];
  so.extra_fd_at = notify ? a->cfg->ready.fd : 0;
  // Only 0-2 (and the notification fd) reach the agent: fds the container handed to the app (sockets,
  // LISTEN_FDS, ...) are not the agent's business.
  so.close_other_fds = 1;
  kilt_pid1_error e{};
  pid_t pid = kilt_pid1_spawn(&p1_, &so, &e);
  close(outp[1]), close(errp[1]);
  if (np[1] >= 0) close(np[1]);
  if (pid < 0) {
    Say("agent \"%s\": cannot start %s: %s: %s", a->cfg->name.c_str(), a->cfg->path.c_str(), e.call,
        strerror(e.err));
    close(outp[0]), close(errp[0]);
    if (np[0] >= 0) close(np[0]);
    return false;
  }
  SetNonBlocking(outp[0]);
  SetNonBlocking(errp[0]);
  if (np[0] >= 0) SetNonBlocking(np[0]);
  a->out_fd = outp[0];
  a->err_fd = errp[0];
  a->notify_fd = np[0];
  a->sup.Spawned(pid, NowMs());
  return true;
}

void Launcher::StartAgent(Agent* a) {
  int64_t now = NowMs();
  if (!a->gate_armed && !a->gate_open) {
    a->gate_armed = true;
    a->gate_deadline_ms = now + a->cfg->ready.timeout_ms;
  }
  if (!SpawnAgent(a)) {
    a->sup.SpawnFailed();
    AgentFailed(a);
  }
}

void Launcher::AgentFailed(Agent* a) {
  const AgentConfig& c = *a->cfg;
  if (c.on_failure == FailurePolicy::kContinue) {
    Say("agent \"%s\" failed (%s): MONITORING BY \"%s\" IS OFF; the app runs on (on_failure = \"continue\")",
        c.name.c_str(), a->sup.failure_reason(), c.name.c_str());
    if (!a->gate_open) OpenGate(a, "the agent failed");
    return;
  }
  Say("agent \"%s\" failed (%s): stopping the app (on_failure = \"stop-app\"), exit code %d", c.name.c_str(),
      a->sup.failure_reason(), kExitAgentFailed);
  agent_failure_exit_ = true;
  if (phase_ == Phase::kGating) {
    BeginStopAgents();
  } else if (phase_ == Phase::kAppRunning) {
    phase_ = Phase::kStoppingApp;
    app_kill_at_ = NowMs() + cfg_.app_stop_grace_ms;
    SignalApp(SIGTERM);
  }
}

void Launcher::OpenGate(Agent* a, const char* why) {
  a->gate_open = true;
  CloseFd(&a->notify_fd);
  CloseFd(&a->tcp_fd);
  if (why) Say("agent \"%s\": %s", a->cfg->name.c_str(), why);
}

void CaptureOutput::Take(std::string_view events) { launcher_->TakeEvents(events); }

void Launcher::TakeEvents(std::string_view events) {
  if (feed_) feed_->Push(events);  // never blocks: drops and counts when the consumer lags
  if (sink_) {
    std::string err;
    if (!sink_->Write(events, &err)) {
      Say("capture: writing the capture: %s; no longer writing it", err.c_str());
      sink_.reset();
    }
  }
}

// The platform refused ptrace or seccomp (or the feed could not listen): run untraced, loudly, or not at
// all with capture.on_failure = "stop-app". Returns whether to go on.
bool Launcher::CaptureFailed(const char* reason) {
  tracer_.reset();
  feed_.reset();
  capture_gate_open_ = true;
  if (cfg_.capture.on_failure == FailurePolicy::kStopApp) {
    Say("CAPTURE IS OFF: %s: not starting the app (capture.on_failure = \"stop-app\"), exit code %d", reason,
        kExitAgentFailed);
    agent_failure_exit_ = true;
    return false;
  }
  Say("CAPTURE IS OFF: %s: the app runs untraced, so the agents see none of its syscalls "
      "(capture.on_failure = \"continue\")",
      reason);
  return true;
}

bool Launcher::SetUpCapture() {
  bool consumer = false;
  for (const AgentConfig& a : cfg_.agents) consumer |= a.capture;
  if (!cfg_.capture_enabled() && opts_.capture_file.empty() && !opts_.capture_json) return true;
  std::string reason;
  if (!capture::ProbeCapture(&reason)) return CaptureFailed(reason.c_str());
  tracer_ = std::make_unique<capture::Tracer>();
  capture::Tracer::Options to;
  to.max_tasks = cfg_.capture.max_tasks;
  if (!tracer_->Init(to, &capture_out_, &reason)) return CaptureFailed(reason.c_str());
  if (!opts_.capture_file.empty()) {
    auto w = std::make_unique<scap::CaptureFileWriter>();
    if (!w->Open(opts_.capture_file, scap::CaptureFileWriter::Options{}, &reason)) {
      Say("capture: %s", reason.c_str());
      return false;  // asked for on the command line: a usage error, not a platform limit
    }
    sink_ = std::move(w);
  } else if (opts_.capture_json) {
    int fd = fcntl(1, F_DUPFD_CLOEXEC, 3);
    if (fd < 0) {
      Say("capture: cannot write JSON lines to stdout: %s", strerror(errno));
      return false;
    }
    sink_ = std::make_unique<scap::JsonLinesWriter>(fd, true);
  }
  if (consumer) {
    feed_ = std::make_unique<feed::FeedServer>();
    feed_->set_peer_check(&Launcher::FeedPeerCheck, this);
    feed_->set_on_consumer(&Launcher::FeedConsumer, this);
    feed::FeedServer::Options fo;
    fo.address = cfg_.capture.socket;
    fo.buffer_bytes = cfg_.capture.buffer_bytes;
    if (!feed_->Listen(fo, &reason)) return CaptureFailed(("the feed " + reason).c_str());
    capture_gate_open_ = false;
    capture_gate_deadline_ = NowMs() + cfg_.capture.consumer_timeout_ms;
  }
  if (cfg_.log_verbose)
    Say("capture: on (%s%s%s)", feed_ ? "live feed at " : "", feed_ ? cfg_.capture.socket.c_str() : "",
        sink_ ? (feed_ ? ", and a local copy" : "a local copy") : "");
  return true;
}

// Only the agent that consumes the capture may read it, not the traced app (nor, on an abstract socket,
// another container of the task): the peer must be that agent's leader or in its process group.
bool Launcher::FeedPeerCheck(void* ctx, pid_t pid, uid_t) {
  auto* l = static_cast<Launcher*>(ctx);
  pid_t pgid = getpgid(pid);
  for (auto& a : l->agents_)
    if (a->cfg->capture && a->sup.running() && (pid == a->sup.pid() || pgid == a->sup.pid())) return true;
  return false;
}

void Launcher::FeedConsumer(void* ctx, bool first) {
  auto* l = static_cast<Launcher*>(ctx);
  if (first) {
    if (!l->capture_gate_open_) {
      l->capture_gate_open_ = true;
      l->Say("capture: the consumer is connected: starting the app");
    }
    return;
  }
  // A restarted consumer (Falco) starts from nothing: introduce every live process again, first.
  l->Say("capture: the consumer reconnected: re-sending the %zu traced tasks", l->tracer_ ? l->tracer_->traced_tasks() : 0);
  if (l->tracer_) l->tracer_->Snapshot();
}

void Launcher::ReportCaptureDrops(int64_t now, bool final) {
  if (!feed_ || feed_->dropped_events() == drops_reported_ || (!final && now < next_drop_report_ms_)) return;
  Say("capture: %llu events dropped so far: the consumer reads slower than the app produces (capture.buffer = "
      "%zu bytes)",
      static_cast<unsigned long long>(feed_->dropped_events()), cfg_.capture.buffer_bytes);
  drops_reported_ = feed_->dropped_events();
  next_drop_report_ms_ = now + kDropReportMs;
}

void Launcher::StartApp() {
  std::vector<char*> argv;
  for (const std::string& s : opts_.app_argv) argv.push_back(const_cast<char*>(s.c_str()));
  argv.push_back(nullptr);
  kilt_pid1_spawn_opts so{};
  so.argv = argv.data();
  // Its own session and process group, so signals reach everything it starts (sh -c, npm), and, with a
  // terminal, the terminal's foreground group, so ^C reaches it once, from the kernel, not again from us.
  so.new_session = 1;
  so.take_tty = 1;
  // Traced from its first instruction: seized before it runs anything, the filter installed last.
  if (tracer_) so.hooks = tracer_->spawn_hooks();
  kilt_pid1_error e{};
  pid_t pid = kilt_pid1_spawn(&p1_, &so, &e);
  if (pid < 0) {
    if (e.call && strcmp(e.call, "exec") == 0) {
      app_exec_errno_ = e.err;
      Say("cannot run the app \"%s\": %s", opts_.app_argv[0].c_str(), strerror(e.err));
    } else {
      app_exec_errno_ = e.err ? e.err : EIO;
      Say("cannot start the app: %s: %s", e.call ? e.call : "spawn", strerror(e.err));
    }
    BeginStopAgents();
    return;
  }
  app_pid_ = pid;
  app_started_ = true;
  phase_ = Phase::kAppRunning;
  if (tracer_) {
    tracer_->Flush();
    if (tracer_->no_new_privs())
      Say("capture: the app runs with NO_NEW_PRIVS (seccomp without CAP_SYS_ADMIN requires it): setuid and "
          "file-capability programs do not gain privileges in it");
  }
}

void Launcher::SignalApp(int sig) {
  kilt_pid1_error e;
  if (app_pid_ > 0 && kilt_pid1_forward(app_pid_, sig, fwd_.to_group, &e) != 0)
    Say("SIG%s to the app: %s: %s", kilt_pid1_signal_name(sig), e.call, strerror(e.err));
}

void Launcher::OnSignal(const struct signalfd_siginfo& si) {
  int sig = static_cast<int>(si.ssi_signo);
  if (sig == SIGCHLD) return;
  // SIGPIPE from the kernel is our own write to a closed stdout; one sent by a process is forwarded.
  if (sig == SIGPIPE && si.ssi_code > 0) return;
  kilt_pid1_error e;
  switch (phase_) {
    case Phase::kGating:
      if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP || sig == SIGQUIT) {
        Say("SIG%s before the app started: not starting it", kilt_pid1_signal_name(sig));
        stop_signal_ = sig;
        BeginStopAgents();
      }
      break;
    case Phase::kAppRunning:
    case Phase::kStoppingApp: {
      // The app gets every signal first; agents keep running until it has exited (monitoring covers it).
      int to = fwd_.rewrite[sig];
      if (cfg_.log_verbose) {
        if (to == 0) Say("dropping SIG%s ([signals] rewrite)", kilt_pid1_signal_name(sig));
        else Say("forwarding SIG%s as SIG%s to %s %d", kilt_pid1_signal_name(sig), kilt_pid1_signal_name(to),
                 fwd_.to_group ? "process group" : "pid", static_cast<int>(app_pid_));
      }
      if (kilt_pid1_handle_signal(&p1_, &fwd_, app_pid_, &si, &e) < 0)
        Say("forward SIG%s to the app: %s: %s", kilt_pid1_signal_name(sig), e.call, strerror(e.err));
      return;
    }
    default:
      break;
  }
  // Not forwarded (no app): a fault the kernel queued for us still ends us as it would have.
  if (kilt_pid1_is_own_fault(&si)) kilt_pid1_handle_signal(&p1_, &fwd_, 0, &si, &e);
}

// Reads what the agent wrote. `to_eof`: the agent has exited, so take what is buffered and end the stream.
void Launcher::DrainAgent(Agent* a, int* fd, LineFramer* f, bool to_eof) {
  (void)a;
  if (*fd < 0) return;
  // A dead agent's pipe holds at most what it wrote before exiting; a bound still guards against a
  // grandchild that keeps writing to the inherited pipe.
  for (int i = 0; i < (to_eof ? 1024 : kReadsPerWakeup); ++i) {
    ssize_t n = read(*fd, readbuf_, sizeof readbuf_);
    if (n > 0) {
      f->Feed(readbuf_, static_cast<size_t>(n), out_.get());
      // Write while the framed lines are still in cache; what stdout does not take now stays queued.
      out_->Drain();
      if (!to_eof && i + 1 < kReadsPerWakeup) continue;
      if (!to_eof) return;  // more next round: other fds get their turn
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN && !to_eof) return;
    break;  // EOF, an error, or (to_eof) nothing more buffered
  }
  f->Flush(out_.get());
  CloseFd(fd);
}

void Launcher::ReadNotify(Agent* a) {
  char buf[256];
  ssize_t n = read(a->notify_fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n > 0 && memchr(buf, '\n', static_cast<size_t>(n))) {
    bool again = a->gate_open;
    OpenGate(a, nullptr);
    Say("agent \"%s\" is ready%s (notification fd %d)", a->cfg->name.c_str(), again ? " again" : "",
        a->cfg->ready.fd);
    return;
  }
  if (n <= 0) CloseFd(&a->notify_fd);  // closed without a newline: not ready (yet; a restart may be)
}

void Launcher::ProbeGate(Agent* a, int64_t now) {
  const ReadyGate& g = a->cfg->ready;
  if (a->gate_open || now < a->next_probe_ms) return;
  a->next_probe_ms = now + kGatePollMs;
  if (g.kind == ReadyKind::kFile) {
    if (access(g.file.c_str(), F_OK) == 0) {
      OpenGate(a, nullptr);
      Say("agent \"%s\" is ready (%s exists)", a->cfg->name.c_str(), g.file.c_str());
    }
    return;
  }
  if (g.kind != ReadyKind::kTcp || a->tcp_fd >= 0 || !a->sup.running()) return;
  struct sockaddr_storage ss {};
  socklen_t len;
  int family;
  if (strchr(g.tcp_host.c_str(), ':')) {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
    s6->sin6_family = family = AF_INET6;
    s6->sin6_port = htons(g.tcp_port);
    inet_pton(AF_INET6, g.tcp_host.c_str(), &s6->sin6_addr);
    len = sizeof *s6;
  } else {
    auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
    s4->sin_family = family = AF_INET;
    s4->sin_port = htons(g.tcp_port);
    inet_pton(AF_INET, g.tcp_host.c_str(), &s4->sin_addr);
    len = sizeof *s4;
  }
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  if (connect(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0) {
    close(fd);
    OpenGate(a, nullptr);
    Say("agent \"%s\" is ready (%s:%u accepts connections)", a->cfg->name.c_str(), g.tcp_host.c_str(), g.tcp_port);
    return;
  }
  if (errno == EINPROGRESS) a->tcp_fd = fd;  // finished in the poll loop
  else close(fd);
}

void Launcher::CheckGates(int64_t now) {
  if (phase_ != Phase::kGating) return;
  bool all_open = true;
  if (!capture_gate_open_) {
    if (now < capture_gate_deadline_) {
      all_open = false;
    } else if (cfg_.capture.on_timeout == ReadyTimeoutPolicy::kStartApp) {
      capture_gate_open_ = true;
      Say("capture: no consumer connected within %lld ms: starting the app anyway; its events wait in the feed "
          "(capture.on_timeout = \"start-app\")",
          static_cast<long long>(cfg_.capture.consumer_timeout_ms));
    } else {
      Say("capture: no consumer connected within %lld ms: not starting the app (capture.on_timeout = \"fail\"), "
          "exit code %d",
          static_cast<long long>(cfg_.capture.consumer_timeout_ms), kExitAgentFailed);
      agent_failure_exit_ = true;
      BeginStopAgents();
      return;
    }
  }
  for (auto& a : agents_) {
    if (a->gate_open) continue;
    ProbeGate(a.get(), now);
    if (a->gate_open) continue;
    if (a->gate_armed && now >= a->gate_deadline_ms) {
      if (a->cfg->ready.on_timeout == ReadyTimeoutPolicy::kStartApp) {
        OpenGate(a.get(), nullptr);
        Say("agent \"%s\" not ready after %lld ms: starting the app anyway (ready.on_timeout = \"start-app\")",
            a->cfg->name.c_str(), static_cast<long long>(a->cfg->ready.timeout_ms));
        continue;
      }
      Say("agent \"%s\" not ready after %lld ms: not starting the app (ready.on_timeout = \"fail\"), exit code %d",
          a->cfg->name.c_str(), static_cast<long long>(a->cfg->ready.timeout_ms), kExitAgentFailed);
      agent_failure_exit_ = true;
      BeginStopAgents();
      return;
    }
    all_open = false;
  }
  if (all_open) StartApp();
}

void Launcher::AgentExited(Agent* a, int st) {
  DrainAgent(a, &a->out_fd, &a->out_framer, true);
  DrainAgent(a, &a->err_fd, &a->err_framer, true);
  if (a->notify_fd >= 0) ReadNotify(a);
  CloseFd(&a->notify_fd);
  CloseFd(&a->tcp_fd);
  char how[64];
  if (WIFSIGNALED(st)) snprintf(how, sizeof how, "was killed by SIG%s", kilt_pid1_signal_name(WTERMSIG(st)));
  else snprintf(how, sizeof how, "exited with status %d", WEXITSTATUS(st));
  pid_t pgid = a->sup.pid();  // the agent leads its own group (setsid)
  a->sup.Exited(st, NowMs());
  if (phase_ != Phase::kStoppingAgents && phase_ != Phase::kDone) EndAgentGroup(a, pgid);
  switch (a->sup.state()) {
    case AgentState::kBackoff:
      Say("agent \"%s\" %s: restart %d in %lld ms", a->cfg->name.c_str(), how, a->sup.restarts(),
          static_cast<long long>(a->sup.current_backoff_ms()));
      break;
    case AgentState::kFinished:
      Say("agent \"%s\" %s: finished (restart = \"%s\"); monitoring by \"%s\" has ended", a->cfg->name.c_str(), how,
          a->cfg->restart == RestartPolicy::kNever ? "never" : "on-failure", a->cfg->name.c_str());
      if (!a->gate_open) OpenGate(a, "exited before it was ready");
      break;
    case AgentState::kFailed:
      Say("agent \"%s\" %s", a->cfg->name.c_str(), how);
      AgentFailed(a);
      break;
    default:
      break;
  }
}

void Launcher::Reaped(pid_t pid, int st) {
  if (pid == app_pid_ && app_pid_ > 0) {
    app_pid_ = 0;
    app_status_ = st;
    if (cfg_.log_verbose) {
      if (WIFSIGNALED(st))
        Say("%s (pid %d) was killed by SIG%s; exit code %d", opts_.app_argv[0].c_str(), static_cast<int>(pid),
            kilt_pid1_signal_name(WTERMSIG(st)), kilt_pid1_exit_code(st));
      else
        Say("%s (pid %d) exited with %d", opts_.app_argv[0].c_str(), static_cast<int>(pid), WEXITSTATUS(st));
    }
    BeginEndLeftovers();
    return;
  }
  for (auto& a : agents_) {
    if (a->sup.running() && a->sup.pid() == pid) {
      AgentExited(a.get(), st);
      return;
    }
  }
  // Anything else is an orphan that was re-parented to us: reaping it is all PID 1 owes it.
  others_reaped_++;
  if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) others_killed_++;
}

// A dead agent's helpers must not outlive it (1,000 restarts must not leave 1,000 helpers): its group gets
// SIGTERM now and SIGKILL after leftover_grace; the next run waits until the group is gone.
void Launcher::EndAgentGroup(Agent* a, pid_t pgid) {
  if (pgid <= 0 || kill(-pgid, 0) != 0) return;  // nothing left in the group
  a->leftover_group = pgid;
  a->group_kill_at = NowMs() + cfg_.leftover_grace_ms;
  a->group_killed = false;
  kill(-pgid, SIGTERM);
  kill(-pgid, SIGCONT);
}

void Launcher::CheckAgentGroups(int64_t now) {
  for (auto& a : agents_) {
    if (a->leftover_group == 0) continue;
    if (kill(-a->leftover_group, 0) != 0) {
      a->leftover_group = 0;
    } else if (!a->group_killed && now >= a->group_kill_at) {
      Say("agent \"%s\": processes of its last run ignored SIGTERM for %lld ms: SIGKILL", a->cfg->name.c_str(),
          static_cast<long long>(cfg_.leftover_grace_ms));
      kill(-a->leftover_group, SIGKILL);
      a->group_killed = true;
      a->group_kill_at = now + kKillWaitMs;
    } else if (a->group_killed && now >= a->group_kill_at) {
      Say("agent \"%s\": processes of its last run survive SIGKILL (stuck in the kernel?): restarting anyway",
          a->cfg->name.c_str());
      a->leftover_group = 0;
    }
  }
}

// The app has exited: what it left behind (daemons, a stuck child of `sh -c`) gets SIGTERM now and SIGKILL
// after leftover_grace, while the agents keep watching; then the agents stop.
void Launcher::BeginEndLeftovers() {
  if (phase_ == Phase::kEndingLeftovers || phase_ == Phase::kStoppingAgents || phase_ == Phase::kDone) return;
  phase_ = Phase::kEndingLeftovers;
  leftovers_killed_ = false;
  leftovers_kill_at_ = NowMs() + cfg_.leftover_grace_ms;
  int n = SignalLeftovers(SIGTERM);
  if (n > 0) {
    SignalLeftovers(SIGCONT);  // stopped processes can act on the SIGTERM
    if (cfg_.log_verbose)
      Say("processes are left: sending them SIGTERM, then SIGKILL after %lld ms at most",
          static_cast<long long>(cfg_.leftover_grace_ms));
  }
  if (n <= 0) BeginStopAgents();
}

// Signals the app's leftovers (every descendant but the agents' groups); returns how many, -1 when /proc
// cannot be walked (said once).
int Launcher::SignalLeftovers(int sig) {
  // Recomputed each time: an agent may restart meanwhile.
  skip_groups_.clear();
  for (auto& a : agents_) {
    if (a->sup.running()) skip_groups_.push_back(a->sup.pid());
    if (a->leftover_group) skip_groups_.push_back(a->leftover_group);
  }
  kilt_pid1_error e{};
  int n = kilt_pid1_signal_descendants_except(&p1_, sig, skip_groups_.data(),
                                              static_cast<int>(skip_groups_.size()), &e);
  if (n < 0) {
    if (e.err == EXDEV)
      Say("cannot end the app's leftover processes: /proc belongs to another PID namespace; mount this "
          "namespace's /proc (e.g. unshare --mount-proc)");
    else
      Say("ending the app's leftover processes: %s: %s", e.call, strerror(e.err));
  }
  return n;
}

void Launcher::CheckLeftovers(int64_t now) {
  if (phase_ != Phase::kEndingLeftovers) return;
  int left = SignalLeftovers(0);
  if (left <= 0) {
    BeginStopAgents();
    return;
  }
  if (now < leftovers_kill_at_) return;
  if (!leftovers_killed_) {
    leftovers_killed_ = true;
    leftovers_kill_at_ = now + kKillWaitMs;
    SignalLeftovers(SIGKILL);
    return;
  }
  Say("%d leftover processes survived SIGKILL for %lld ms (stuck in the kernel?): going on", left,
      static_cast<long long>(kKillWaitMs));
  BeginStopAgents();
}

void Launcher::BeginStopAgents() {
  if (phase_ == Phase::kStoppingApp && app_pid_ > 0) return;  // the app is still stopping
  if (phase_ == Phase::kStoppingAgents || phase_ == Phase::kDone) return;
  phase_ = Phase::kStoppingAgents;
  agents_kill_at_ = NowMs() + cfg_.agent_stop_grace_ms;
  for (auto& a : agents_) {
    bool was_running = a->sup.running();
    a->sup.Stop();
    if (was_running) {
      kilt_pid1_error e;
      kilt_pid1_forward(a->sup.pid(), SIGTERM, 1, &e);
      kilt_pid1_forward(a->sup.pid(), SIGCONT, 1, &e);
    }
  }
}

void Launcher::Tick(int64_t now) {
  for (auto& a : agents_) {
    if (a->sup.state() == AgentState::kBackoff && now >= a->sup.restart_at_ms() && a->leftover_group == 0 &&
        phase_ != Phase::kStoppingAgents) {
      StartAgent(a.get());
    }
  }
  CheckGates(now);
  CheckAgentGroups(now);
  ReportCaptureDrops(now, false);
  if (phase_ == Phase::kStoppingApp && app_pid_ > 0 && now >= app_kill_at_) {
    Say("the app did not exit within %lld ms of SIGTERM: SIGKILL", static_cast<long long>(cfg_.app_stop_grace_ms));
    SignalApp(SIGKILL);
    app_kill_at_ = INT64_MAX;
  }
  CheckLeftovers(now);
  if (phase_ == Phase::kStoppingAgents) {
    bool any = false;
    for (auto& a : agents_) any |= a->sup.running();
    if (!any) {
      phase_ = Phase::kDone;
    } else if (!agents_killed_ && now >= agents_kill_at_) {
      agents_killed_ = true;
      for (auto& a : agents_) {
        if (!a->sup.running()) continue;
        Say("agent \"%s\" did not exit within %lld ms of SIGTERM: SIGKILL", a->cfg->name.c_str(),
            static_cast<long long>(cfg_.agent_stop_grace_ms));
        kilt_pid1_error e;
        kilt_pid1_forward(a->sup.pid(), SIGKILL, 1, &e);
      }
      agents_kill_at_ = now + kKillWaitMs;
    } else if (agents_killed_ && now >= agents_kill_at_) {
      Say("agents still present %lld ms after SIGKILL (stuck in the kernel?): exiting anyway",
          static_cast<long long>(kKillWaitMs));
      phase_ = Phase::kDone;
    }
  }
}

int Launcher::NextTimeout(int64_t now) {
  int64_t next = INT64_MAX;
  for (auto& a : agents_) {
    if (a->sup.state() == AgentState::kBackoff) next = std::min(next, a->sup.restart_at_ms());
    if (a->leftover_group) next = std::min(next, a->group_kill_at);
    if (phase_ == Phase::kGating && !a->gate_open) {
      if (a->gate_armed) next = std::min(next, a->gate_deadline_ms);
      if (a->cfg->ready.kind == ReadyKind::kFile || a->cfg->ready.kind == ReadyKind::kTcp)
        next = std::min(next, a->next_probe_ms);
    }
  }
  if (phase_ == Phase::kGating && !capture_gate_open_) next = std::min(next, capture_gate_deadline_);
  if (feed_ && feed_->dropped_events() != drops_reported_) next = std::min(next, next_drop_report_ms_);
  if (reap_more_) next = now;
  if (phase_ == Phase::kStoppingApp) next = std::min(next, app_kill_at_);
  if (phase_ == Phase::kEndingLeftovers) next = std::min(next, leftovers_kill_at_);
  if (phase_ == Phase::kStoppingAgents) next = std::min(next, agents_kill_at_);
  if (next == INT64_MAX) return -1;
  int64_t d = next - now;
  if (d < 0) d = 0;
  return d > 60000 ? 60000 : static_cast<int>(d);
}

void Launcher::FinalFlush() {
  if (tracer_) tracer_->Flush();
  if (sink_) {
    std::string err;
    if (!sink_->Close(&err)) Say("capture: %s", err.c_str());
    sink_.reset();
  }
  ReportCaptureDrops(NowMs(), true);
  for (auto& a : agents_) {
    DrainAgent(a.get(), &a->out_fd, &a->out_framer, true);
    DrainAgent(a.get(), &a->err_fd, &a->err_framer, true);
  }
  int64_t deadline = NowMs() + kFinalFlushMs;
  for (LineOutput* o : {out_.get(), diag_.get()}) {
    while (o->Drain() && o->pending()) {
      int64_t left = deadline - NowMs();
      if (left <= 0) break;
      struct pollfd pfd = {o->fd(), POLLOUT, 0};
      poll(&pfd, 1, static_cast<int>(left));
    }
  }
  if (out_->dropped_lines() > 0) {
    Diag("%llu lines (%llu bytes) of agent output were dropped in total: stdout was blocked or closed",
         static_cast<unsigned long long>(out_->dropped_lines()),
         static_cast<unsigned long long>(out_->dropped_bytes()));
  }
}

int Launcher::ExitCode() {
  if (agent_failure_exit_) return kExitAgentFailed;
  if (app_exec_errno_) return kilt_pid1_exec_exit_code(app_exec_errno_);
  if (!app_started_) return stop_signal_ ? 128 + stop_signal_ : kExitUsage;
  return kilt_pid1_exit_code(app_status_);
}

int Launcher::Run() {
  kilt_pid1_error e{};
  if (kilt_pid1_setup(&p1_, &e) != 0) {
    Diag("cannot set up as init: %s: %s", e.call, strerror(e.err));
    return kExitUsage;
  }
  kilt_pid1_forwarding_defaults(&fwd_);
  fwd_.to_group = cfg_.signal_scope == SignalScope::kGroup;
  for (auto [from, to] : cfg_.signal_rewrite) fwd_.rewrite[from] = to;
  int ofd = OpenNonBlockingOutput(1), dfd = OpenNonBlockingOutput(2);
  out_ = std::make_unique<LineOutput>(ofd, cfg_.log_buffer_bytes, cfg_.log_format);
  diag_ = std::make_unique<LineOutput>(dfd, 256 * 1024, cfg_.log_format);
  if (!opts_.config_ok) {
    Say("%s", opts_.config_error.c_str());
    Say("MONITORING IS OFF: the configuration above is invalid, so no agent runs; the app starts anyway "
        "(set strict = true in the configuration to fail instead)");
  }
  // With a terminal we lead (docker run -it), give it up for the app's session to take.
  if (kilt_pid1_release_tty(&p1_) && cfg_.log_verbose)
    Say("gave the controlling terminal up for %s", opts_.app_argv[0].c_str());
  if (cfg_.log_verbose)
    Say("%s", p1_.is_pid1 ? "kilt-run is PID 1"
                          : p1_.is_subreaper ? "kilt-run is a child subreaper"
                                             : "warning: not PID 1 and the kernel refused PR_SET_CHILD_SUBREAPER; "
                                               "orphans are not ours");
  if (!SetUpCapture()) {
    FinalFlush();
    int code = agent_failure_exit_ ? kExitAgentFailed : kExitUsage;
    kilt_pid1_teardown(&p1_);
    return code;
  }
  BuildAgents();
  pfds_.reserve(2 + agents_.size() * 4 + feed::FeedServer::kMaxPollFds);
  pfd_owner_.reserve(2 + agents_.size() * 4);
  for (auto& a : agents_) StartAgent(a.get());
  if (phase_ == Phase::kGating) CheckGates(NowMs());

  while (phase_ != Phase::kDone) {
    pfds_.clear();
    pfd_owner_.clear();
    pfds_.push_back({p1_.sigfd, POLLIN, 0});
    pfd_owner_.push_back({nullptr, -1});
    if (out_->pending()) {
      pfds_.push_back({out_->fd(), POLLOUT, 0});
      pfd_owner_.push_back({nullptr, -2});
    }
    if (diag_->pending()) {
      pfds_.push_back({diag_->fd(), POLLOUT, 0});
      pfd_owner_.push_back({nullptr, -3});
    }
    for (auto& a : agents_) {
      int fds[4] = {a->out_fd, a->err_fd, a->notify_fd, a->tcp_fd};
      for (int k = 0; k < 4; ++k) {
        if (fds[k] < 0) continue;
        pfds_.push_back({fds[k], static_cast<short>(k == 3 ? POLLOUT : POLLIN), 0});
        pfd_owner_.push_back({a.get(), k});
      }
    }
    size_t feed_at = pfds_.size(), feed_n = 0;
    if (feed_) {
      pfds_.resize(feed_at + feed::FeedServer::kMaxPollFds);
      feed_n = feed_->FillPollFds(&pfds_[feed_at]);
      pfds_.resize(feed_at + feed_n);
      for (size_t i = 0; i < feed_n; ++i) pfd_owner_.push_back({nullptr, -4});
    }
    int timeout = NextTimeout(NowMs());
    int n = poll(pfds_.data(), pfds_.size(), timeout);
    if (n < 0 && errno != EINTR) {
      Say("poll: %s", strerror(errno));
      break;
    }
    if (feed_ && feed_n > 0 && n > 0) feed_->HandlePollFds(&pfds_[feed_at], feed_n);
    for (size_t i = 0; n > 0 && i < pfds_.size(); ++i) {
      if (!pfds_[i].revents) continue;
      auto [a, k] = pfd_owner_[i];
      if (k == -4) continue;  // the feed's, handled above
      if (k == -2) out_->Drain();
      else if (k == -3) diag_->Drain();
      else if (k == 0) DrainAgent(a, &a->out_fd, &a->out_framer, false);
      else if (k == 1) DrainAgent(a, &a->err_fd, &a->err_framer, false);
      else if (k == 2 && a->notify_fd >= 0) ReadNotify(a);
      else if (k == 3 && a->tcp_fd >= 0) {
        int soerr = 0;
        socklen_t sl = sizeof soerr;
        getsockopt(a->tcp_fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
        CloseFd(&a->tcp_fd);
        if (soerr == 0) {
          OpenGate(a, nullptr);
          Say("agent \"%s\" is ready (%s:%u accepts connections)", a->cfg->name.c_str(),
              a->cfg->ready.tcp_host.c_str(), a->cfg->ready.tcp_port);
        }
      }
    }
    // Signals last: a SIGCHLD reaps after the pipes of this round were read.
    struct signalfd_siginfo si[16];
    bool chld = reap_more_;
    int got;
    do {
      got = kilt_pid1_read_signals(&p1_, si, 16, &e);
      for (int i = 0; i < got; ++i) {
        if (si[i].ssi_signo == SIGCHLD) chld = true;
        else OnSignal(si[i]);
      }
    } while (got == 16);
    if (chld) {
      int reaped = kilt_pid1_reap_max(&Launcher::OnReaped, this, kReapBatch, nullptr, &e);
      if (reaped < 0) Say("waitpid: %s", strerror(e.err));
      reap_more_ = reaped == kReapBatch;
      if (tracer_) tracer_->Flush();
    }
    Tick(NowMs());
    out_->Drain();
    diag_->Drain();
  }
  // What is still there (helpers of agents that left their group, processes forked meanwhile) ends too.
  if (kilt_pid1_terminate_rest(&p1_, static_cast<int>(cfg_.leftover_grace_ms), static_cast<int>(kKillWaitMs),
                               &Launcher::OnReaped, this, &e) < 0 && e.err != EXDEV)
    Say("terminating the remaining processes: %s: %s", e.call, strerror(e.err));
  if (cfg_.log_verbose)
    Say("reaped %ld other processes (%ld of them killed by SIGKILL)", others_reaped_, others_killed_);
  FinalFlush();
  int code = ExitCode();
  kilt_pid1_teardown(&p1_);
  return code;
}

}  // namespace

int RunLauncher(const LaunchOptions& opts) {
  Launcher l(opts);
  return l.Run();
}

}  // namespace kilt::launcher
