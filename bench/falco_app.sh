# The app of bench/falco.sh (busybox sh, /app.sh in the task): LATENCY_N reads of /etc/shadow 20 ms apart (each
# raises "Read sensitive file untrusted": the alert latency), then a flood of FLOOD_N open+close pairs ended by
# one more read of /etc/shadow (its alert tells when Falco has consumed the whole flood).
set -u
mark() { kilt-attack mark "$1"; }
mark idle
sleep 2
mark latency
i=0
while [ $i -lt "$LATENCY_N" ]; do
  /bin/cat /etc/shadow > /dev/null
  usleep 20000
  i=$((i + 1))
done
mark flood
kilt-attack flood "$FLOOD_N"
mark flood-sentinel
/bin/cat /etc/shadow > /dev/null
# The last alerts have time to arrive; Falco's memory is sampled meanwhile.
sleep 2
mark end
