#!/usr/bin/env bash
# Measures seqbus against what the kernel itself does on this machine, in the same run:
# ../shared/bench/limit's ideal C relay (batched, one thread, epoll) and `seqbus bench`, back
# to back, a few rounds, and prints each pair with its ratio (one-hop latency at 10k msgs/s for 1
# subscriber and for 16 subscriber processes, `seqbus bench --sub-procs`, with the CPU each seqbus process
# used beside it); then the same over shared memory:
# the limit's shm_relay (copy mode, N subscriber processes) beside `seqbus bench --transport shm`. Machines here are shared and
# noisy: compare ratios, never absolute figures from different runs.
#
# usage: ops/bench/compare-with-limit.sh [ROUNDS] [SECONDS]     (after mvn -B -q package -DskipTests)
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
rounds="${1:-3}"
secs="${2:-5}"
limit_src="${SEQBUS_LIMIT_DIR:-$here/../shared/bench/limit}"
[[ -f "$limit_src/relay_fanout.c" ]] || { echo "no relay_fanout.c in $limit_src (set SEQBUS_LIMIT_DIR)" >&2; exit 2; }
for tool in make cc jq; do
  command -v "$tool" >/dev/null || { echo "compare-with-limit.sh: needs $tool" >&2; exit 2; }
done
[[ -f "$here/ops/target/seqbus-ops.jar" ]] || { echo "compare-with-limit.sh: build first: mvn -B -q package -DskipTests" >&2; exit 2; }

work="$(mktemp -d)"
trap 'kill "$broker" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
cp -r "$limit_src" "$work/limit" && make -s -C "$work/limit" >/dev/null
relay="$work/limit/relay_fanout"
shm_relay="$work/limit/shm_relay"
sock="$work/bench.sock"
"$here/seqbus" broker --socket "$sock" --metrics off --shm true 2>"$work/broker.log" &
broker=$!
for _ in $(seq 50); do [[ -S "$sock" ]] && break; sleep 0.1; done

c_tput() { "$relay" -m batched -n "$1" -d "$secs" 2>/dev/null | awk -F'|' '/^\| batched/ {split($4, a, " "); print a[1]}'; }
# The relay prints the median of its 3 runs of each latency figure ("median (min–max)"); seqbus's
# latency runs 3 times too, and its median is taken the same way. Its batched row: p50 p99 p99.9.
c_lat() { "$relay" -m latency -n "$1" -r 10000 -l "$secs" 2>/dev/null | awk -F'|' '/^\| batched/ {
  split($4, a, " "); split($5, b, " "); split($6, c, " "); print a[1], b[1], c[1]}'; }
# The shm relay's copy mode (every record copied into each subscriber's ring, the copy a broker makes) with N
# subscriber processes; its latency rows: spinning readers, and readers that sleep on a futex.
c_shm_tput() { { "$shm_relay" -m copy -n "$1" -d "$secs" 2>/dev/null || true; } | awk -F'|' '/^\| copy \| N processes/ {
  split($5, a, " "); print a[1]; found = 1} END {if (!found) print "n/a"}'; }
# (One run prints both rows; a row it did not print, e.g. when it crashed, shows as n/a.)
c_shm_lat() { awk -F'|' -v w="$1" '$2 ~ w {split($4, a, " "); split($5, b, " "); print a[1], b[1]; found = 1}
  END {if (!found) print "n/a n/a"}' <<<"$2"; }
transport="socket"
# A failed run says why (its last lines, and the broker's) instead of ending the table silently.
bench() { env -u SEQBUS_SHARED_MEMORY "$here/seqbus" bench --transport "$transport" --socket "$sock" --seconds "$secs" \
  --json "$@" 2>"$work/bench.err" || { echo "seqbus bench $* failed:" >&2; tail -3 "$work/bench.err" "$work/broker.log" >&2
  return 1; }; }
s_tput() { bench --subs "$1"; }
s_lat() { bench --subs 1 --rate 10000 "$@"; }
# 16 subscribers as 16 processes, as the relay's are; one line: p50 p99 p99.9, then CPU (% of a core) of the
# broker, the subscriber processes (mean, max) and the bench (the publisher). After 10 s of warm-up: the 16 are
# fresh JVMs, and for their first 10-20 s C1 and C2 take 17-42% of each one's CPU, 16 compilers at once on 2 cores
# (perf record of one subscriber); a service that has run a minute is past that.
s_lat16() { bench --subs 16 --sub-procs --rate 10000 --warmup 10 | jq -r '[.latency_us.p50, .latency_us.p99, .latency_us.p999,
  .cpu_pct.broker, .cpu_pct.subscribers.mean, .cpu_pct.subscribers.max, .cpu_pct.bench] | map(. // "n/a") | join(" ")'; }
# The median of three runs' column $1, then "median (min–max)".
med3() { awk "{print \$$1}" <<<"$lat" | sort -g | paste -sd' ' | awk '{printf "%s %s (%s–%s)\n", $2, $2, $1, $3}'; }

printf '| round | what | C relay | seqbus | seqbus / C |\n|---|---|---:|---:|---:|\n'
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
for r in $(seq "$rounds"); do
  for n in 16 1; do
    c=$(c_tput "$n"); j=$(s_tput "$n"); s=$(jq -r '.delivered_per_sec | floor' <<<"$j")
    printf '| %d | delivered msgs/s, %d subscriber(s) | %s | %s | %s |\n' "$r" "$n" "$c" "$s" "$(ratio "$s" "$c")"
    printf '| %d | broker bytes allocated per message, %d sub(s) | | %s | |\n' "$r" "$n" "$(jq -r .broker_alloc_bytes_per_msg <<<"$j")"
    printf '| %d | datagrams per delivery, %d sub(s) | | %s | |\n' "$r" "$n" "$(jq -r .datagrams_per_delivery <<<"$j")"
  done
  read -r cp50 cp99 cp999 < <(c_lat 1)
  lat=$(for _ in 1 2 3; do s_lat | jq -r '"\(.latency_us.p50) \(.latency_us.p99) \(.latency_us.p999)"'; done)
  read -r sp50 sp50s < <(med3 1); read -r sp99 sp99s < <(med3 2); read -r sp999 sp999s < <(med3 3)
  printf '| %d | one-hop latency p50 µs at 10k/s | %s | %s | %s |\n' "$r" "$cp50" "$sp50s" "$(ratio "$sp50" "$cp50")"
  printf '| %d | one-hop latency p99 µs at 10k/s | %s | %s | %s |\n' "$r" "$cp99" "$sp99s" "$(ratio "$sp99" "$cp99")"
  printf '| %d | one-hop latency p99.9 µs at 10k/s | %s | %s | %s |\n' "$r" "$cp999" "$sp999s" "$(ratio "$sp999" "$cp999")"
  # The same after 10 s of warm-up, as the 16-process rows below: for its first seconds a JVM's JIT compilers
  # take CPU in bursts of ms, and a message that waits behind one is in the tail; a service that has run a minute
  # is past that. The C relay has no JIT: its figures are the ones above.
  lat=$(for _ in 1 2 3; do s_lat --warmup 10 | jq -r '"\(.latency_us.p50) \(.latency_us.p99) \(.latency_us.p999)"'; done)
  read -r sp50 sp50s < <(med3 1); read -r sp99 sp99s < <(med3 2); read -r sp999 sp999s < <(med3 3)
  printf '| %d | ... after 10 s warm-up: p50 µs | %s | %s | %s |\n' "$r" "$cp50" "$sp50s" "$(ratio "$sp50" "$cp50")"
  printf '| %d | ... after 10 s warm-up: p99 µs | %s | %s | %s |\n' "$r" "$cp99" "$sp99s" "$(ratio "$sp99" "$cp99")"
  printf '| %d | ... after 10 s warm-up: p99.9 µs | %s | %s | %s |\n' "$r" "$cp999" "$sp999s" "$(ratio "$sp999" "$cp999")"
  # 16 subscriber processes on both sides, 10k msgs/s in all.
  read -r cp50 cp99 cp999 < <(c_lat 16)
  lat=$(for _ in 1 2 3; do s_lat16; done)
  read -r sp50 sp50s < <(med3 1); read -r sp99 sp99s < <(med3 2); read -r sp999 sp999s < <(med3 3)
  printf '| %d | one-hop latency p50 µs at 10k/s, 16 subscriber processes | %s | %s | %s |\n' "$r" "$cp50" "$sp50s" "$(ratio "$sp50" "$cp50")"
  printf '| %d | one-hop latency p99 µs at 10k/s, 16 subscriber processes | %s | %s | %s |\n' "$r" "$cp99" "$sp99s" "$(ratio "$sp99" "$cp99")"
  printf '| %d | one-hop latency p99.9 µs at 10k/s, 16 subscriber processes | %s | %s | %s |\n' "$r" "$cp999" "$sp999s" "$(ratio "$sp999" "$cp999")"
  printf '| %d | CPU %% of a core at 10k/s, 16 sub procs: broker; each sub mean (max); publisher | | %s; %s (%s); %s | |\n' \
    "$r" "$(med3 4 | cut -d' ' -f1)" "$(med3 5 | cut -d' ' -f1)" "$(med3 6 | cut -d' ' -f1)" "$(med3 7 | cut -d' ' -f1)"
done

# Shared memory: the same rows, the C figures from shm_relay.
transport="shm"
for r in $(seq "$rounds"); do
  for n in 16 1; do
    c=$(c_shm_tput "$n"); j=$(s_tput "$n"); s=$(jq -r '.delivered_per_sec | floor' <<<"$j")
    printf '| %d | shm: delivered msgs/s, %d subscriber(s) | %s | %s | %s |\n' "$r" "$n" "$c" "$s" "$(ratio "$s" "$c")"
    printf '| %d | shm: broker bytes allocated per message, %d sub(s) | | %s | |\n' "$r" "$n" "$(jq -r .broker_alloc_bytes_per_msg <<<"$j")"
  done
  lat=$(for _ in 1 2 3; do s_lat | jq -r '"\(.latency_us.p50) \(.latency_us.p99)"'; done)
  read -r sp50 sp50s < <(med3 1); read -r sp99 sp99s < <(med3 2)
  c_lat_rows=$("$shm_relay" -m latency -n 1 -r 10000 -l "$secs" 2>/dev/null || true)
  for wake in spin futex; do
    read -r cp50 cp99 < <(c_shm_lat "$wake" "$c_lat_rows")
    printf '| %d | shm: one-hop latency p50 µs at 10k/s (C readers: %s) | %s | %s | %s |\n' "$r" "$wake" "$cp50" "$sp50s" "$(ratio "$sp50" "$cp50")"
    printf '| %d | shm: one-hop latency p99 µs at 10k/s (C readers: %s) | %s | %s | %s |\n' "$r" "$wake" "$cp99" "$sp99s" "$(ratio "$sp99" "$cp99")"
  done
done
