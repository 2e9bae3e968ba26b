#!/bin/sh
# leftovers.sh RTRACE SIGNAL PROGRAM
#
# Runs `RTRACE -e PROGRAM`, waits until it holds BPF links, notes the ids of
# the programs and links it holds (from /proc/PID/fdinfo), sends it SIGNAL,
# and checks that none of them outlives it and that no uprobe or kprobe
# event was left in tracefs. Prints one summary line.
set -u
rtrace=$1 signal=$2 program=$3
tracefs=/sys/kernel/tracing
events_before=$(cat "$tracefs/uprobe_events" "$tracefs/kprobe_events" 2>/dev/null | wc -l)

"$rtrace" -e "$program" >/dev/null 2>&1 &
pid=$!

ids() { # ids KIND FIELD: the ids of the process's descriptors of one kind
    for fd in /proc/"$pid"/fd/*; do
        [ "$(readlink "$fd" 2>/dev/null)" = "anon_inode:$1" ] || continue
        awk -v field="$2:" '$1 == field { print $2 }' /proc/"$pid"/fdinfo/"${fd##*/}"
    done
}

tries=0
while [ -z "$(ids bpf_link link_id)" ]; do
    tries=$((tries + 1))
    if [ $tries -gt 100 ] || ! kill -0 "$pid" 2>/dev/null; then
        echo "rtrace never attached"
        exit 1
    fi
    sleep 0.05
done
# The first link is there; give the others time to follow.
sleep 0.5
progs=$(ids bpf-prog prog_id)
links=$(ids bpf_link link_id)

kill -"$signal" "$pid"
wait "$pid"

# The kernel frees programs after an RCU grace period: give it a moment.
left=""
for attempt in 1 2 3 4 5 6 7 8 9 10; do
    left=""
    for id in $progs; do
        bpftool prog show id "$id" >/dev/null 2>&1 && left="$left program $id"
    done
    for id in $links; do
        bpftool link show id "$id" >/dev/null 2>&1 && left="$left link $id"
    done
    [ -z "$left" ] && break
    sleep 0.2
done
events_after=$(cat "$tracefs/uprobe_events" "$tracefs/kprobe_events" 2>/dev/null | wc -l)
[ "$events_after" -gt "$events_before" ] && left="$left tracefs-events"

if [ -n "$left" ]; then
    echo "left behind after SIG$signal:$left"
    exit 1
fi
echo "clean after SIG$signal: $(echo $progs | wc -w) programs and $(echo $links | wc -w) links released"
