# Sourced by systemd-in-ns.sh and systemd-in-overlay.sh once they have started UNSHARE_PID in the
# background: waits (bounded, 10 s) for the systemd that unshare forks, prints
# "PID=<host pid of that systemd> UNSHARE_PID=<pid> CGROUP=<dir>" and fails if it never came.
SD=
for _ in $(seq 100); do
  SD=$(pgrep -P "$UNSHARE_PID" -x systemd || true)
  [[ -n "$SD" ]] && break
  sleep 0.1
done
echo "PID=${SD:-?} UNSHARE_PID=$UNSHARE_PID CGROUP=$CG"
[[ -n "$SD" ]]
