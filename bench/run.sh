#!/usr/bin/env bash
# Compares rtrace with bpftrace, side by side:
#   (a) wall time, CPU time and peak RSS of short runs (start-up and exit),
#       median of RUNS runs measured with /usr/bin/time;
#   (b) the added cost per traced event of `@[comm] = count()` on
#       tracepoint:raw_syscalls:sys_enter, from the run time of N getppid
#       calls with and without the tracer attached (hyperfine, median of
#       RUNS), and the floor of that cost: the same probe with a predicate
#       that is never true; and the cost of following kernel pointers
#       (`curtask->real_parent->comm`), at start-up and per event.
# Ends with a markdown table. Needs root. See bench/README.md.
set -euo pipefail

RUNS=${RUNS:-5}
N=${N:-5000000}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
target_dir=${CARGO_TARGET_DIR:-$repo/target}

say() { printf '== %s\n' "$*" >&2; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "tracing needs root: run as root"

# --- tools ------------------------------------------------------------------
missing=()
command -v bpftrace >/dev/null || missing+=(bpftrace)
command -v hyperfine >/dev/null || missing+=(hyperfine)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]} (Debian packages)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
BPFTRACE=${BPFTRACE:-$(command -v bpftrace)}

say "building rtrace-workload (release)"
(cd "$repo" && cargo build --release -p rtrace-workload) || die "rtrace-workload did not build"
if [ -z "${RTRACE:-}" ]; then
  say "building rtrace (release)"
  if ! (cd "$repo" && cargo build --release -p rtrace); then
    die "rtrace did not build (see cargo's errors above): nothing to measure"
  fi
  RTRACE=$target_dir/release/rtrace
fi
WORKLOAD=$target_dir/release/rtrace-workload
[ -x "$RTRACE" ] || die "no rtrace binary at $RTRACE"
[ -x "$WORKLOAD" ] || die "no rtrace-workload binary at $WORKLOAD"
if ! "$RTRACE" "$here/begin_exit.rt" >/dev/null 2>&1; then
  die "$RTRACE cannot run bench/begin_exit.rt yet: not ready to be measured"
fi

tmp=$(mktemp -d)
tracer_pid=
cleanup() {
  if [ -n "$tracer_pid" ]; then kill -INT "$tracer_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; }

# --- (a) short runs ---------------------------------------------------------
# Prints "wall_ms cpu_ms rss_mib", each the median over RUNS runs. Wall
# time is taken around the run with nanosecond clocks, since time(1) prints
# only hundredths of a second; CPU time and peak RSS come from time(1).
short_run() {
  local tool=$1 script=$2 i start end
  : > "$tmp/wall"; : > "$tmp/cpu"; : > "$tmp/rss"
  for ((i = 0; i < RUNS; i++)); do
    start=$(date +%s%N)
    /usr/bin/time -f '%U %S %M' -o "$tmp/time" "$tool" "$script" >/dev/null 2>"$tmp/err" ||
      die "$tool $script failed: $(tail -n 3 "$tmp/err")"
    end=$(date +%s%N)
    read -r user sys rss < <(tail -n 1 "$tmp/time")
    awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f\n", (b - a) / 1e6 }' >> "$tmp/wall"
    awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.0f\n", (u + s) * 1000 }' >> "$tmp/cpu"
    awk -v k="$rss" 'BEGIN { printf "%.1f\n", k / 1024 }' >> "$tmp/rss"
  done
  echo "$(median < "$tmp/wall") $(median < "$tmp/cpu") $(median < "$tmp/rss")"
}

declare -A result
for script in begin_exit two_tracepoints struct_begin_exit; do
  for tool in rtrace bpftrace; do
    bin=$RTRACE; [ "$tool" = bpftrace ] && bin=$BPFTRACE
    say "$tool: $script.rt x $RUNS"
    measured=$(short_run "$bin" "$here/$script.rt")
    read -r wall cpu rss <<< "$measured"
    result[$tool.$script.wall]=$wall
    result[$tool.$script.cpu]=$cpu
    result[$tool.$script.rss]=$rss
  done
done

# --- (b) cost per event -----------------------------------------------------
# Median seconds of `rtrace-workload getppid N` over RUNS runs.
loop_seconds() {
  hyperfine -N --style none --warmup 1 --runs "$RUNS" \
    --export-csv "$tmp/loop.csv" "$WORKLOAD getppid $N" >/dev/null 2>&1 ||
    die "hyperfine failed on the workload"
  # command,mean,stddev,median,user,system,min,max
  awk -F, 'NR == 2 { print $4 }' "$tmp/loop.csv"
}

# Runs the workload loop while `tool script` is attached and sets `ns` to
# the added nanoseconds per event. Runs in this shell, not a subshell, so
# that the EXIT trap can stop the tracer if anything fails.
per_event_ns() {
  local tool=$1 script=$2 base=$3 i traced
  # Standard error apart: with both in one file bpftrace's first stderr line
  # (a RLIMIT_MEMLOCK warning) has been seen to hold back its Attaching line.
  "$tool" "$script" > "$tmp/tracer.out" 2> "$tmp/tracer.err" &
  tracer_pid=$!
  for ((i = 0; i < 600; i++)); do
    grep -q '^Attaching [0-9]* probe' "$tmp/tracer.out" && break
    kill -0 "$tracer_pid" 2>/dev/null || die "$tool $script exited early: $(tail -n 3 "$tmp/tracer.err")"
    sleep 0.05
  done
  grep -q '^Attaching [0-9]* probe' "$tmp/tracer.out" || die "$tool $script never attached: $(tail -n 3 "$tmp/tracer.err")"
  # bpftrace prints the line just before attaching.
  sleep 1
  traced=$(loop_seconds)
  kill -INT "$tracer_pid"
  wait "$tracer_pid" || true
  tracer_pid=
  ns=$(awk -v t="$traced" -v b="$base" -v n="$N" 'BEGIN { printf "%.1f", (t - b) * 1e9 / n }')
}

say "baseline: getppid x $N, no tracer"
base=$(loop_seconds)
for tool in rtrace bpftrace; do
  bin=$RTRACE; [ "$tool" = bpftrace ] && bin=$BPFTRACE
  for script in count_by_comm floor parent_comm; do
    say "$tool: getppid x $N under $script.rt"
    per_event_ns "$bin" "$here/$script.rt" "$base"
    result[$tool.$script.ns]=$ns
  done
done

# --- report -----------------------------------------------------------------
row() {
  local label=$1 key=$2
  local r=${result[rtrace.$key]} b=${result[bpftrace.$key]}
  printf '| %s | %s | %s | %s |\n' "$label" "$r" "$b" "$(ratio "$r" "$b")"
}
echo
echo "rtrace: $RTRACE"
echo "bpftrace: $BPFTRACE ($("$BPFTRACE" --version 2>/dev/null | head -n 1))"
echo "kernel: $(uname -r), $(nproc) CPUs; medians of $RUNS runs; getppid loop of $N calls took $(awk -v b="$base" 'BEGIN { printf "%.3f", b }')s untraced"
echo
# The backquotes below are markdown, not command substitutions.
# shellcheck disable=SC2016
{
  echo '| measure | rtrace | bpftrace | rtrace/bpftrace |'
  echo '| --- | ---: | ---: | ---: |'
  row '`BEGIN { exit(); }` wall (ms)' begin_exit.wall
  row '`BEGIN { exit(); }` CPU (ms)' begin_exit.cpu
  row '`BEGIN { exit(); }` peak RSS (MiB)' begin_exit.rss
  row 'two tracepoints, exit at once: wall (ms)' two_tracepoints.wall
  row 'two tracepoints, exit at once: CPU (ms)' two_tracepoints.cpu
  row 'two tracepoints, exit at once: peak RSS (MiB)' two_tracepoints.rss
  row '`curtask->real_parent->comm` in BEGIN: wall (ms)' struct_begin_exit.wall
  row '`curtask->real_parent->comm` in BEGIN: peak RSS (MiB)' struct_begin_exit.rss
  row '`@[comm] = count()` per sys_enter (ns/event)' count_by_comm.ns
  row 'floor, `/pid == 1/` never true (ns/event)' floor.ns
  row '`@[curtask->real_parent->comm] = count()` (ns/event)' parent_comm.ns
}
