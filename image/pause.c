// kilt-pause: the payload image's default command. The injected `kilt` sidecar only has to exist so
// that other containers can mount its VOLUME /kilt (VolumesFrom); it should cost nothing while it
// waits. Like Kubernetes' pause container it blocks in sigwait and exits 0 on SIGTERM/SIGINT.
//
// It is PID 1 of the sidecar container, where the kernel ignores signals without a handler;
// blocking them and collecting them with sigwait makes SIGTERM work anyway (ECS stops the task
// promptly instead of waiting StopTimeout for SIGKILL). As PID 1 it also reaps any child it might
// inherit (SIGCHLD).
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGCHLD);
  if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) {
    static const char msg[] = "kilt-pause: sigprocmask failed\n";
    (void)!write(STDERR_FILENO, msg, sizeof msg - 1);
    return 1;
  }
  for (;;) {
    int sig = 0;
    int rc = sigwait(&set, &sig);
    if (rc != 0 && rc != EINTR) return 1;
    if (sig == SIGCHLD) {
      while (waitpid(-1, NULL, WNOHANG) > 0) {
      }
      continue;
    }
    if (sig == SIGTERM || sig == SIGINT) return 0;
  }
}
