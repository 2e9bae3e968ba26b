#!/bin/sh
# Runs `tail /dev/zero` (which reads without end into one growing line) in
# a memory cgroup of its own limited to 32 MiB, so the memcg OOM killer
# kills it; then removes the cgroup. cgroup v1 or v2.
limit=33554432
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
	cg=/sys/fs/cgroup/rtrace_example_oom_$$
	mkdir "$cg" || exit 1
	echo $limit > "$cg/memory.max"
	echo 0 > "$cg/memory.swap.max" 2>/dev/null
else
	cg=/sys/fs/cgroup/memory/rtrace_example_oom_$$
	mkdir "$cg" || exit 1
	echo $limit > "$cg/memory.limit_in_bytes"
fi
sh -c "echo \$\$ > $cg/cgroup.procs; exec tail /dev/zero" 2>/dev/null
rmdir "$cg"
exit 0
