#!/usr/bin/env bash
# Installs seqbus from this unpacked archive where systemd and operators expect it.
#   sudo ./install.sh                      # into /
#   DESTDIR=/tmp/root ./install.sh         # into a staging root (packaging, tests)
# Then: systemd-sysusers; systemctl daemon-reload; systemctl enable --now seqbus.socket
set -euo pipefail
src="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
root="${DESTDIR:-}"
prefix="${PREFIX:-/usr}"
home="$prefix/lib/seqbus"

install -d "$root$home/bin" "$root$home/lib" "$root$prefix/bin" \
  "$root$prefix/lib/systemd/system" "$root$prefix/lib/sysusers.d" "$root/etc/seqbus"
# Replace the jars as a set: a jar left from an older version would join the class path.
rm -f "$root$home/lib/"*.jar
install -m 0644 "$src"/lib/*.jar "$root$home/lib/"
install -m 0755 "$src/bin/seqbus" "$root$home/bin/seqbus"
[[ -f "$src/README.md" ]] && install -m 0644 "$src/README.md" "$root$home/README.md"
# Relative, so the link also resolves inside DESTDIR; the launcher follows it to ../lib.
ln -sfn "../lib/seqbus/bin/seqbus" "$root$prefix/bin/seqbus"
install -m 0644 "$src/systemd/seqbus.service" "$src/systemd/seqbus.socket" "$src/systemd/seqbus-metrics.socket" \
  "$root$prefix/lib/systemd/system/"
install -m 0644 "$src/systemd/seqbus.sysusers" "$root$prefix/lib/sysusers.d/seqbus.conf"
if [[ -f "$src/systemd/seqbus.tmpfiles" ]]; then
  install -d "$root$prefix/lib/tmpfiles.d"
  install -m 0644 "$src/systemd/seqbus.tmpfiles" "$root$prefix/lib/tmpfiles.d/seqbus.conf"
fi
# The operator's configuration is theirs: never overwritten.
for example in "$src"/systemd/*.conf.example; do
  [[ -f "$example" ]] || continue
  conf="$root/etc/seqbus/$(basename "$example" .example)"
  if [[ -e "$conf" ]]; then
    echo "install.sh: keeping existing ${conf#"$root"}" >&2
  else
    install -m 0644 "$example" "$conf"
  fi
done
echo "seqbus installed into ${root:-/}"
if [[ -z "$root" ]]; then
  echo "next: systemd-sysusers && systemctl daemon-reload && systemctl enable --now seqbus.socket"
fi
