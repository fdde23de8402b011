#!/usr/bin/env bash
# Boots a real systemd as PID 1 of fresh pid/mount/net/uts/ipc/cgroup namespaces, starting only
# TARGET, for SystemdInNamespaces. Guide: ../shared/testbed/systemd-in-ns.sh and TESTING.md.
#
#   usage: systemd-in-ns.sh UNIT_DIR TARGET SRC_DIR LOG_FILE
# UNIT_DIR's units go to /run/systemd/system inside; SRC_DIR is visible inside as
# /run/testbed-src. Prints "PID=<host pid of that systemd> UNSHARE_PID=<pid> CGROUP=<dir>"
# (await-systemd.sh); stop it with `kill -s SIGRTMIN+3 PID`, then rmdir CGROUP.
#
# SAFETY (shared machine): every unit in UNIT_DIR must set DefaultDependencies=no, or
# sysinit.target would run tmpfiles and udev against the host. Those units are masked as a
# second guard, and /run, /tmp, /var/tmp are private tmpfs.
set -euo pipefail
UNIT_DIR=$(cd "$1" && pwd); TARGET=$2; SRC_DIR=$(cd "$3" && pwd); LOG=$4
if grep -L '^DefaultDependencies=no' "$UNIT_DIR"/* | grep .; then
  echo "systemd-in-ns.sh: the units above lack DefaultDependencies=no; refusing to boot" >&2
  exit 2
fi
CG=/sys/fs/cgroup/unified/seqbus-it-$$
[[ -d /sys/fs/cgroup/unified ]] || CG=/sys/fs/cgroup/seqbus-it-$$
mkdir "$CG"
(
  echo "$BASHPID" > "$CG/cgroup.procs"
  exec unshare --cgroup --pid --fork --mount --net --uts --ipc --mount-proc --propagation private \
    bash -c '
      set -e
      UNIT_DIR=$1; TARGET=$2; SRC_DIR=$3
      mount -t tmpfs -o mode=755 tmpfs /run
      mkdir -p /run/systemd/system /run/testbed-src
      mount --bind "$SRC_DIR" /run/testbed-src
      cp "$UNIT_DIR"/* /run/systemd/system/
      for u in sysinit.target basic.target local-fs.target swap.target \
               systemd-tmpfiles-setup.service systemd-tmpfiles-setup-dev.service systemd-tmpfiles-clean.service \
               systemd-tmpfiles-clean.timer systemd-udevd.service systemd-udev-trigger.service \
               systemd-journald.service systemd-journald.socket systemd-journald-dev-log.socket \
               systemd-sysctl.service systemd-modules-load.service systemd-random-seed.service \
               systemd-timesyncd.service systemd-networkd.service systemd-resolved.service \
               systemd-sysusers.service getty.target console-getty.service multi-user.target graphical.target; do
        ln -sf /dev/null /run/systemd/system/$u
      done
      mount -t tmpfs tmpfs /tmp
      mount -t tmpfs tmpfs /var/tmp
      umount -R /sys/fs/cgroup
      mount -t cgroup2 cgroup2 /sys/fs/cgroup
      hostname seqbus-it
      exec env container=seqbus-it /lib/systemd/systemd --system --unit="$TARGET" \
           --log-target=console --log-level=info --show-status=no
    ' _ "$UNIT_DIR" "$TARGET" "$SRC_DIR"
) > "$LOG" 2>&1 &
UNSHARE_PID=$!
source "$(dirname "${BASH_SOURCE[0]}")/await-systemd.sh"
