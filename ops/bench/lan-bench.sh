#!/usr/bin/env bash
# The LAN bridge benchmark: two hosts as network namespaces, a broker on each bridged over Aeron
# multicast; prints delivered msgs/s flat out and one-hop latency at a steady rate, on a clean
# link and with 5% loss, 1% duplication and 10% reordering (io.seqbus.ops.lan.LanBench).
#
#   ops/bench/lan-bench.sh [THROUGHPUT_COUNT (200000)] [LATENCY_COUNT (20000)] [LATENCY_RATE (5000)] [WARMUP_SECONDS (20)]
#
# Needs root (network namespaces), iproute2 and nftables. Builds this checkout first: -am builds
# the modules ops depends on from here too (without it Maven looks for them in ~/.m2, where a
# fresh clone has none); the brokers run through ./seqbus, so ops is packaged: its jar and lib/, without the
# man pages, tarball, .deb and source jars, which the benchmark does not use (half the build's time).
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
if [[ $(id -u) -ne 0 ]]; then
  echo "lan-bench.sh: needs root, to make network namespaces" >&2
  exit 2
fi
for tool in ip nft; do
  command -v "$tool" >/dev/null || { echo "lan-bench.sh: needs $tool (apt-get install iproute2 nftables)" >&2; exit 2; }
done
cd "$root"
mvn -B -q -pl ops -am package -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true \
    -Dasciidoctor.skip=true -Dmaven.antrun.skip=true -Dassembly.skipAssembly=true -Djdeb.skip=true \
    dependency:build-classpath -Dmdep.outputFile=target/lan-bench.classpath ${MAVEN_ARGS:-}
cd ops
exec java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED \
    -cp "target/test-classes:target/classes:$(cat target/lan-bench.classpath)" io.seqbus.ops.lan.LanBench "$@"
