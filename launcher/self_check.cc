#include "launcher/self_check.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture/tracer.h"
#include "launcher/config.h"

namespace kilt::launcher {
namespace {

class Report {
 public:
  void Ok(const char* fmt, ...) __attribute__((format(printf, 2, 3))) {
    va_list ap;
    va_start(ap, fmt);
    Line("ok  ", fmt, ap);
    va_end(ap);
  }
  // What is true but worth knowing: neither ok nor a failure.
  void Note(const char* fmt, ...) __attribute__((format(printf, 2, 3))) {
    va_list ap;
    va_start(ap, fmt);
    Line("note", fmt, ap);
    va_end(ap);
  }
  void Fail(const char* fmt, ...) __attribute__((format(printf, 2, 3))) {
    va_list ap;
    va_start(ap, fmt);
    Line("FAIL", fmt, ap);
    va_end(ap);
    ++failed_;
  }
  int failed() const { return failed_; }

 private:
  void Line(const char* tag, const char* fmt, va_list ap) {
    char buf[1024];
    int n = snprintf(buf, sizeof buf, "%s ", tag);
    int m = vsnprintf(buf + n, sizeof buf - n - 1, fmt, ap);
    size_t len = static_cast<size_t>(n) + (m > 0 ? static_cast<size_t>(m) : 0);
    if (len > sizeof buf - 2) len = sizeof buf - 2;
    buf[len++] = '\n';
    fwrite(buf, 1, len, stdout);
  }
  int failed_ = 0;
};

void CheckAgent(const AgentConfig& a, Report* r) {
  struct stat st;
  if (stat(a.path.c_str(), &st) != 0) {
    r->Fail("agent \"%s\": %s: %s (is the payload mounted at /kilt?)", a.name.c_str(), a.path.c_str(),
            strerror(errno));
  } else if (!S_ISREG(st.st_mode)) {
    r->Fail("agent \"%s\": %s is not a regular file", a.name.c_str(), a.path.c_str());
  } else if (access(a.path.c_str(), X_OK) != 0) {
    r->Fail("agent \"%s\": %s is not executable: %s", a.name.c_str(), a.path.c_str(), strerror(errno));
  } else {
    r->Ok("agent \"%s\": %s is present and executable", a.name.c_str(), a.path.c_str());
  }
  if (!a.workdir.empty()) {
    if (stat(a.workdir.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
      r->Ok("agent \"%s\": workdir %s exists", a.name.c_str(), a.workdir.c_str());
    else
      r->Fail("agent \"%s\": workdir %s is not a directory", a.name.c_str(), a.workdir.c_str());
  }
}

// What the agents do not see even when the capture works (docs/image.md, "What it does not see"): said
// where an operator checks the container, not only in the docs.
void NoteCaptureLimits(Report* r) {
  r->Note("capture: not seen: processes started outside the app's tree (ECS Exec, runc/docker exec), "
          "sendto/sendmsg, other syscall ABIs (i386 int 0x80, x32), kernel-only fields (dev/ino, kernel "
          "pointers); the app runs with NO_NEW_PRIVS (setuid programs do not gain privileges) unless "
          "kilt-run has CAP_SYS_ADMIN. See docs/image.md");
}

// The capture traces the app with ptrace and a seccomp filter (capture/tracer.h): probe both on a child of
// our own, as the real start does. Seccomp profiles, Yama (ptrace_scope 3) or a platform that refuses
// PTRACE_TRACEME/SEIZE (some EKS Fargate reports) are what forbid it.
void CheckCapture(const RunConfig& cfg, Report* r) {
  // Run inside a traced app (a shell in the container under /kilt/run), this check is itself traced, and
  // a tracee cannot trace: that is the capture working, not failing.
  if (FILE* f = fopen("/proc/self/status", "re")) {
    char line[256];
    long tracer = 0;
    while (fgets(line, sizeof line, f))
      if (sscanf(line, "TracerPid: %ld", &tracer) == 1) break;
    fclose(f);
    if (tracer > 0) {
      r->Ok("capture: on: this check itself runs traced (by pid %ld), inside the app's process tree", tracer);
      NoteCaptureLimits(r);
      return;
    }
  }
  std::string reason;
  bool works = capture::ProbeCapture(&reason);
  bool wanted = cfg.capture_enabled();
  if (works) {
    r->Ok("capture: ptrace and seccomp work here%s", wanted ? "; the app's syscalls will be captured"
                                                             : " (the capture is not enabled in the config)");
    if (wanted) NoteCaptureLimits(r);
  } else if (wanted) {
    r->Fail("CAPTURE IS OFF: %s: the app would run untraced, so the agents would see none of its syscalls "
            "(on ECS add SYS_PTRACE to LinuxParameters.Capabilities.Add, or check the seccomp profile)",
            reason.c_str());
  } else {
    r->Ok("capture: not enabled in the config (and not possible here: %s)", reason.c_str());
  }
}

void CheckPayloadReadOnly(Report* r) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) {
    r->Fail("payload: readlink /proc/self/exe: %s (is /proc mounted?)", strerror(errno));
    return;
  }
  exe[n] = 0;
  char* slash = strrchr(exe, '/');
  if (slash && slash != exe) *slash = 0;
  struct statvfs vfs;
  if (statvfs(exe, &vfs) != 0) {
    r->Fail("payload: statvfs %s: %s", exe, strerror(errno));
  } else if (vfs.f_flag & ST_RDONLY) {
    r->Ok("payload directory %s is mounted read-only", exe);
  } else {
    r->Fail("payload directory %s is writable: mount it read-only (VolumesFrom ReadOnly: true, or a "
            "readOnly volumeMount) so the app cannot tamper with the agent",
            exe);
  }
}

void CheckInit(Report* r) {
  if (getpid() == 1) {
    r->Ok("running as PID 1: zombies are reaped and signals forwarded by kilt-run");
  } else if (prctl(PR_SET_CHILD_SUBREAPER, 1) == 0) {
    r->Ok("running as PID %d, child subreaper: orphans are reaped by kilt-run (PID 1 is another init)",
          static_cast<int>(getpid()));
  } else {
    r->Fail("not PID 1 and cannot become a child subreaper: %s: orphaned processes would not be reaped",
            strerror(errno));
  }
}

}  // namespace

int RunSelfCheck(const std::string& config_path) {
  Report r;
  RunConfig cfg;
  std::string err;
  if (LoadRunConfig(config_path, &cfg, &err)) {
    r.Ok("config %s parses (%zu agent%s)", config_path.c_str(), cfg.agents.size(),
         cfg.agents.size() == 1 ? "" : "s");
    if (cfg.agents.empty()) r.Fail("config %s declares no [[agent]]: nothing would monitor the app",
                                   config_path.c_str());
    for (const AgentConfig& a : cfg.agents) CheckAgent(a, &r);
  } else {
    r.Fail("config: %s", err.c_str());
  }
  CheckCapture(cfg, &r);
  CheckPayloadReadOnly(&r);
  CheckInit(&r);
  printf("%s: %d check%s failed\n", r.failed() ? "FAILED" : "PASSED", r.failed(), r.failed() == 1 ? "" : "s");
  fflush(stdout);
  return r.failed() ? 1 : 0;
}

}  // namespace kilt::launcher
