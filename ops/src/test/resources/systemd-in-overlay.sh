#!/usr/bin/env bash
# Boots a real systemd as PID 1 of fresh pid/mount/net/uts/ipc/cgroup namespaces whose root is
# an overlay over the host's root file system, for DebPackageIT: inside, a test may install a
# package with dpkg, add users and enable units, and every write lands in a tmpfs that only
# these namespaces see and that vanishes with them. The host's /etc, /usr, /var/lib/dpkg are
# the overlay's read-only lower layer: never written.
#
#   usage: systemd-in-overlay.sh TARGET_UNIT SRC_DIR LOG_FILE
# TARGET_UNIT (a file NAME.target with DefaultDependencies=no) is the one unit systemd boots;
# SRC_DIR is visible inside as /run/testbed-src. Prints "PID=<host pid of that systemd>
# UNSHARE_PID=<pid> CGROUP=<dir>"; stop it with `kill -s SIGRTMIN+3 PID`, then rmdir CGROUP.
#
# SAFETY (shared machine): the overlay holds the file system, but the kernel is shared, so
# whatever sysinit.target would run (tmpfiles and udev on /dev, sysctl, module loading, the
# clock, binfmt, swap, fstab mounts) must not run: sysinit.target and basic.target are empty
# here, and every unit the host's targets pull in, plus the known dangerous ones, is masked.
# /dev/shm, /run, /tmp and /var/tmp are private tmpfs.
set -euo pipefail
TARGET_UNIT=$(readlink -f "$1"); SRC_DIR=$(cd "$2" && pwd); LOG=$3
if ! grep -q '^DefaultDependencies=no' "$TARGET_UNIT"; then
  echo "systemd-in-overlay.sh: $TARGET_UNIT lacks DefaultDependencies=no; refusing to boot" >&2
  exit 2
fi
CG=/sys/fs/cgroup/unified/seqbus-deb-it-$$
[[ -d /sys/fs/cgroup/unified ]] || CG=/sys/fs/cgroup/seqbus-deb-it-$$
mkdir "$CG"
(
  echo "$BASHPID" > "$CG/cgroup.procs"
  exec unshare --cgroup --pid --fork --mount --net --uts --ipc --propagation private \
    bash -c '
      set -e
      TARGET_UNIT=$1; SRC_DIR=$2
      # The writable layer: a tmpfs in this mount namespace only (hides the host /run here).
      mount -t tmpfs -o mode=755 tmpfs /run
      mkdir -p /run/ov/upper /run/ov/work /run/ov/root
      mount -t overlay overlay -o lowerdir=/,upperdir=/run/ov/upper,workdir=/run/ov/work /run/ov/root
      R=/run/ov/root
      mount -t proc proc "$R/proc"
      mount -t sysfs sysfs "$R/sys"
      mount -t cgroup2 cgroup2 "$R/sys/fs/cgroup"
      mount --rbind /dev "$R/dev"
      mount -t tmpfs tmpfs "$R/dev/shm"
      mount -t tmpfs -o mode=755 tmpfs "$R/run"
      mount -t tmpfs -o mode=1777 tmpfs "$R/tmp"
      mount -t tmpfs -o mode=1777 tmpfs "$R/var/tmp"
      mkdir -p "$R/run/systemd/system" "$R/run/testbed-src"
      mount --bind "$SRC_DIR" "$R/run/testbed-src"
      units=$R/run/systemd/system
      cp "$TARGET_UNIT" "$units/"
      for t in sysinit.target basic.target; do
        printf "[Unit]\nDescription=%s, empty in this test system\nDefaultDependencies=no\n" "$t" > "$units/$t"
      done
      mask() { [[ -e "$units/$1" ]] || ln -s /dev/null "$units/$1"; }
      for d in "$R"/etc/systemd/system "$R"/usr/lib/systemd/system; do
        for w in "$d"/*.target.wants/* "$d"/*.target.requires/*; do
          [[ -e "$w" || -L "$w" ]] && mask "$(basename "$w")"
        done
      done
      for u in local-fs.target swap.target sockets.target timers.target paths.target \
               systemd-tmpfiles-setup.service systemd-tmpfiles-setup-dev.service systemd-tmpfiles-clean.service \
               systemd-tmpfiles-clean.timer systemd-udevd.service systemd-udev-trigger.service \
               systemd-journald.service systemd-journald.socket systemd-journald-dev-log.socket \
               systemd-sysctl.service systemd-modules-load.service systemd-random-seed.service \
               systemd-timesyncd.service systemd-networkd.service systemd-resolved.service \
               systemd-binfmt.service systemd-remount-fs.service systemd-fsck-root.service \
               systemd-sysusers.service getty.target console-getty.service multi-user.target graphical.target; do
        mask "$u"
      done
      cd "$R"
      mkdir -p .oldroot
      pivot_root . .oldroot
      cd /
      umount -l /.oldroot
      hostname seqbus-deb-it
      exec env container=seqbus-deb-it /lib/systemd/systemd --system --unit="$(basename "$TARGET_UNIT")" \
           --log-target=console --log-level=info --show-status=no
    ' _ "$TARGET_UNIT" "$SRC_DIR"
) > "$LOG" 2>&1 &
UNSHARE_PID=$!
source "$(dirname "${BASH_SOURCE[0]}")/await-systemd.sh"
