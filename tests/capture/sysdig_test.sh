#!/usr/bin/env bash
# Debian's sysdig 0.29 (libs of 2022) reads capture files written by the encoder + CaptureFileWriter:
# the synthetic scenario of tests/capture/scenario.h, filtered per event kind.
# Usage: sysdig_test.sh SCAP_SCENARIO_TOOL
set -u
TOOL=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
T_NAME=capture-sysdig
. "$HERE/../lib/testlib.sh"

use_workdir capture-sysdig

if ! command -v sysdig >/dev/null; then
  echo "sysdig is missing: run 'make deps'"; exit 1
fi

"$TOOL" file "$W/s.scap" || { fail "writing the capture"; summary; exit 1; }
# q FILTER FORMAT: sysdig's lines for FILTER ('*' prints events whose fields are missing too).
q() { sysdig -r "$W/s.scap" -p "*$2" "$1" 2>&1; }

echo "# processes introduced by clone + execve, with a container from the cgroups"
expect_eq "cat reading /etc/shadow: name, parent, container, exepath, cmdline" \
  "cat server 3ad7b26ded6d /etc/shadow /usr/bin/cat cat /etc/shadow" \
  "$(q 'proc.name=cat and fd.name=/etc/shadow and evt.type=openat and evt.dir=<' \
       '%proc.name %proc.pname %container.id %fd.name %proc.exepath %proc.cmdline')"
expect_eq "ancestors: grep <- server <- kilt-run" "grep server kilt-run" \
  "$(q 'evt.type=execve and evt.dir=< and proc.name=grep' '%proc.name %proc.aname[1] %proc.aname[2]')"
expect_eq "tty of the interactive shell" "bash 34816" \
  "$(q 'evt.type=execve and evt.dir=< and proc.name=bash' '%proc.name %proc.tty')"
expect_eq "procexit" "cat 0" "$(q 'evt.type=procexit and proc.name=cat' '%proc.name %evt.arg.status')"

echo "# files"
expect_eq "open flags: O_TRUNC on a log" "sh /var/log/app.log O_TRUNC|O_WRONLY" \
  "$(q 'evt.type=openat and evt.dir=< and fd.name startswith /var/log' '%proc.name %fd.name %evt.arg.flags')"
expect_eq "close" "bash /etc/shadow" "$(q 'evt.type=close and evt.dir=> and proc.name=bash' '%proc.name %fd.name')"
expect_eq "symlinkat target" "/etc/shadow /tmp/p" \
  "$(q 'evt.type in (symlink, symlinkat)' '%evt.arg.target %evt.arg.linkpath')"
expect_eq "linkat oldpath" "/etc/shadow /tmp/s" "$(q 'evt.type in (link, linkat)' '%evt.arg.oldpath %evt.arg.newpath')"
expect_eq "unlinkat, rename" "unlinkat /tmp/p
rename /tmp/b" "$(q 'evt.type in (unlinkat, rename)' '%evt.type %evt.arg[2]')"
expect_eq "chdir changes proc.cwd; chmod mode" "chmod /tmp/ S_IXOTH|S_IROTH|S_IXGRP|S_IRGRP|S_IXUSR|S_IWUSR|S_IRUSR|S_ISUID" "$(q 'evt.type=chmod' '%evt.type %proc.cwd %evt.arg.mode')"

echo "# network"
expect_eq "socket domain (enter event)" "nc AF_INET
tool AF_PACKET" "$(q 'evt.type=socket and evt.dir=>' '%proc.name %evt.arg.domain')"
expect_eq "connect: the socket gets its tuple" "nc 10.0.0.5 4444 172.17.0.2:40000->10.0.0.5:4444 4" \
  "$(q 'evt.type=connect and evt.dir=<' '%proc.name %fd.sip %fd.sport %fd.name %fd.typechar')"

echo "# privileges and the rest"
expect_eq "ptrace request (enter event)" "PTRACE_ATTACH" "$(q 'evt.type=ptrace and evt.dir=>' '%evt.arg.request')"
expect_eq "failed setuid and mount" "setuid EPERM
mount EPERM" "$(q '(evt.type=setuid or evt.type=mount) and evt.dir=<' '%evt.type %evt.res')"
expect_eq "execution from /dev/shm" "/dev/shm/x" \
  "$(q 'evt.type=execve and evt.dir=< and proc.exe startswith /dev/shm/' '%proc.exe')"

echo "# expanded default-rule conditions (those the 2022 filter language compiles)"
expect_eq "Read sensitive file untrusted (simplified)" "cat" \
  "$(q 'evt.type=openat and evt.dir=< and fd.name=/etc/shadow and container.id!=host and not proc.name in (bash, sh)' '%proc.name')"
expect_eq "Netcat Remote Code Execution in Container" "nc" \
  "$(q 'evt.type=execve and evt.dir=< and container.id!=host and proc.name=nc and (proc.args contains "-e" or proc.args contains "-c")' '%proc.name')"
expect_eq "Search Private Keys or Passwords" "grep" \
  "$(q 'evt.type=execve and evt.dir=< and proc.name=grep and proc.args contains "BEGIN RSA PRIVATE"' '%proc.name')"

echo "# the exit-only layout (what the live feed sends) reads too"
"$TOOL" file "$W/x.scap" --exit-only
expect_eq "exit-only file: openat of /etc/shadow by cat" "cat /etc/shadow" \
  "$(sysdig -r "$W/x.scap" -p '*%proc.name %fd.name' 'evt.type=openat and proc.name=cat' 2>&1)"

summary
