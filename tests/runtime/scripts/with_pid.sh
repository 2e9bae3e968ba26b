#!/bin/sh
# usage: with_pid.sh RTRACE WORKLOAD 'TARGET CMD' 'OTHER CMD|-' RTRACE-ARGS...
#
# Runs `RTRACE -p PID RTRACE-ARGS...` where PID is a workload that runs
# TARGET CMD (and, beside it, an untraced workload running OTHER CMD) only
# once rtrace has attached, whatever the speed of the machine: the
# workloads wait for a file that is created after rtrace's "Attaching"
# line (and a moment for the attach that follows it). Prints rtrace's
# output and exits with its status.
rtrace=$1 workload=$2 target=$3 other=$4
shift 4
go=$(mktemp -u) out=$(mktemp)
# shellcheck disable=SC2086 # the commands are words on purpose
"$workload" wait-for "$go" $target & pid=$!
[ "$other" = - ] || "$workload" wait-for "$go" $other &
# The status file says the tracer ended (kill -0 would still see it until
# it is waited for).
( "$rtrace" -p "$pid" "$@" > "$out"; echo $? > "$out.status" ) & tracer=$!
until grep -q '^Attaching' "$out" || [ -e "$out.status" ]; do
  sleep 0.05
done
sleep "${RTRACE_ATTACH_WAIT:-0.5}"
touch "$go"
wait "$tracer"
status=$(cat "$out.status")
cat "$out"
rm -f "$go" "$out" "$out.status"
wait
exit $status
