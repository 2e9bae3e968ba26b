#!/usr/bin/env bash
# The VM kernel matrix: runs the runtime test cases (tests/runtime/*.test)
# inside QEMU on Debian's kernels, one VM per kernel, and reports the
# results per kernel. See tests/vm/README.md.
#
# usage: tests/vm/run.sh [SERIES...]     (default: 6.1 6.12)
#
# Environment:
#   RTRACE_VM_CACHE        where kernels are kept (default: target/vm-cache)
#   RTRACE_VM_LOGS         where each VM's console log is kept (default: target/vm-logs)
#   RTRACE_VM_KERNELS      exact package names instead of the newest of each series
#   RTRACE_VM_TIMEOUT      seconds one VM may run (default: 720)
#   RTRACE_VM_JOBS         VMs booted at once (default: the number of CPUs)
#   RTRACE_TEST_FILTER     only the cases whose topic::name contains this text
#   RTRACE_TEST_PENDING=1  run PENDING cases too
#   RTRACE_VM_COMMAND      a shell command to run in each VM instead of the cases
#                          (rtrace is /rtrace/rtrace there), to explore a kernel
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
cache=${RTRACE_VM_CACHE:-$repo/target/vm-cache}
logs=${RTRACE_VM_LOGS:-$repo/target/vm-logs}
timeout_s=${RTRACE_VM_TIMEOUT:-720}
jobs=${RTRACE_VM_JOBS:-$(nproc)}
series=("$@")
[ ${#series[@]} -gt 0 ] || series=(6.1 6.12)

say() { printf '== %s\n' "$*" >&2; }
die() { printf 'tests/vm/run.sh: %s\n' "$*" >&2; exit 2; }

for tool in qemu-system-x86_64 busybox cpio dpkg-deb apt-get ldd gzip xz; do
  command -v "$tool" >/dev/null ||
    die "$tool is missing (apt-get install qemu-system-x86 busybox-static cpio xz-utils)"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/rtrace-vm.XXXXXX")
# apt-get download runs as the _apt user, which must reach the download folder.
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
mkdir -p "$cache" "$logs"

# --- what goes into the VM -------------------------------------------------

# The executables cargo built, from cargo's JSON messages, one per line:
# KIND NAME TEST PATH. `rtrace` is both a binary and, with TEST true, the
# unit tests of src/main.rs: the kind and the test flag tell them apart.
executables() {
  sed -n 's/.*"target":{"kind":\["\([^"]*\)"\][^}]*"name":"\([^"]*\)".*"profile":{[^}]*"test":\([a-z]*\)}.*"executable":"\([^"]*\)".*/\1 \2 \3 \4/p'
}

build() {
  say "building rtrace, rtrace-workload and the runtime test runner (release)"
  # The same command as the host tests (`cargo test --workspace --release`)
  # reuses their build: `cargo build` or `-p rtrace` would compile rtrace
  # again, with other features.
  local build_ok=0
  (
    cd "$repo"
    cargo test --workspace --release --no-run --message-format=json
    cargo build --release --message-format=json -p rtrace-workload
  ) | executables > "$work/executables" || build_ok=$?
  if [ "$build_ok" -ne 0 ]; then
    # The JSON messages hide the compiler's errors: show them.
    (cd "$repo" && cargo test --workspace --release --no-run) >&2 || true
    die "the build failed"
  fi
  bin_rtrace=$(awk '$1 == "bin" && $2 == "rtrace" && $3 == "false" { print $4 }' "$work/executables" | tail -n 1)
  bin_workload=$(awk '$1 == "bin" && $2 == "rtrace-workload" && $3 == "false" { print $4 }' "$work/executables" | tail -n 1)
  bin_tests=$(awk '$1 == "test" && $2 == "runtime" { print $4 }' "$work/executables" | tail -n 1)
  [ -x "$bin_rtrace" ] && [ -x "$bin_workload" ] && [ -x "$bin_tests" ] ||
    die "cargo did not report the three executables (see $work/executables)"
}

# Copies an executable and the shared libraries it loads to the same paths
# under the root directory $1.
install_with_libs() {
  local root=$1 binary=$2 target=$3 lib
  install -D -m 755 "$binary" "$root$target"
  for lib in $(ldd "$binary" | grep -o '/[^ ]*'); do
    [ -e "$root$lib" ] || install -D -m 755 "$lib" "$root$lib"
  done
}

# The same initramfs serves every kernel; each finds its own modules under
# /lib/modules/$(uname -r).
make_initramfs() {
  say "building the initramfs"
  local root=$work/root
  mkdir -p "$root"/{bin,dev,proc,sys,tmp,etc,root,rtrace}
  install -m 755 "$(command -v busybox)" "$root/bin/busybox"
  install -m 755 "$repo/tests/vm/init" "$root/init"
  install_with_libs "$root" "$bin_rtrace" /rtrace/rtrace
  install_with_libs "$root" "$bin_workload" /rtrace/rtrace-workload
  install_with_libs "$root" "$bin_tests" /rtrace/runtime-tests
  if command -v bpftool >/dev/null; then
    install_with_libs "$root" "$(command -v bpftool)" /usr/sbin/bpftool
  fi
  # nm finds a function's address for the uprobe-at-an-address case.
  if command -v nm >/dev/null; then
    install_with_libs "$root" "$(command -v nm)" /usr/bin/nm
  fi
  # The linker cache, which resolves bare library names (uprobe:libc:...);
  # the libraries it names that the cases use (libc) are installed above at
  # the same paths as on the host.
  [ -e /etc/ld.so.cache ] && install -D -m 644 /etc/ld.so.cache "$root/etc/ld.so.cache"
  local package
  for package in "${packages[@]}"; do
    mkdir -p "$root/lib/modules"
    cp -r "$cache/$package.modules/." "$root/lib/modules/"
  done
  # The test runner finds its cases under the repository path it was
  # built in.
  mkdir -p "$root$repo/tests"
  cp -r "$repo/tests/runtime" "$root$repo/tests/"
  # The example tools, which cases run as scripts (PROG_FILE examples/...).
  cp -r "$repo/examples" "$root$repo/"
  # A user database, as every system has (username prints names from it).
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
  {
    echo "export RTRACE_BIN=/rtrace/rtrace"
    echo "export RTRACE_WORKLOAD=/rtrace/rtrace-workload"
    # Cases too slow for software emulation skip themselves on it.
    echo "export RTRACE_EMULATED_CPU=1"
    # Debian's kernels run fentry programs: the cases that need them must
    # run there, not skip (see tests/runtime/fentry.test).
    echo "export RTRACE_EXPECT_FENTRY=1"
    printf 'export RTRACE_TEST_FILTER=%q\n' "${RTRACE_TEST_FILTER:-}"
    printf 'export RTRACE_TEST_PENDING=%q\n' "${RTRACE_TEST_PENDING:-}"
    printf 'export RTRACE_VM_COMMAND=%q\n' "${RTRACE_VM_COMMAND:-}"
  } > "$root/etc/rtrace-vm.env"
  (cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 > "$work/initrd.gz"
  say "initramfs: $(du -h "$work/initrd.gz" | cut -f1)"
}

# --- kernels ---------------------------------------------------------------

# The newest linux-image package of a series (6.1 -> linux-image-6.1.0-N-amd64,
# 6.12 -> linux-image-6.12.N+debN-amd64).
newest_package() {
  local series=$1 pattern
  case $series in
    6.1) pattern='^linux-image-6\.1\.0-[0-9]+-amd64$' ;;
    *) pattern="^linux-image-${series//./\\.}\\.[0-9]+\\+deb[0-9]+-amd64\$" ;;
  esac
  apt-cache search --names-only "$pattern" | cut -d' ' -f1 | sort -V | tail -n 1
}

# Modules the cases load (their types come from module BTF), by their path
# under the kernel's modules directory, without the .ko suffix.
vm_modules=(drivers/net/tun)

# Prints the path of the cached vmlinuz of a package, downloading it once;
# the modules in vm_modules go to $cache/PACKAGE.modules/RELEASE/.
fetch_kernel() {
  local package=$1 vmlinuz=$cache/$1.vmlinuz modules=$cache/$1.modules
  if [ ! -s "$vmlinuz" ] || [ ! -d "$modules" ]; then
    say "downloading $package"
    local dl=$work/dl-$package module
    mkdir -p "$dl/x"
    # apt drops privileges to _apt for downloads: let it write here.
    chmod 777 "$dl"
    (cd "$dl" && apt-get download -q "$package" >&2)
    local patterns=('./boot/vmlinuz-*')
    for module in "${vm_modules[@]}"; do
      patterns+=("./lib/modules/*/kernel/$module.ko*")
    done
    dpkg-deb --fsys-tarfile "$dl"/*.deb | tar -x -C "$dl/x" --wildcards "${patterns[@]}"
    rm -rf "$modules.tmp"
    for module in $(find "$dl/x/lib/modules" -name '*.ko*'); do
      local release=${module#"$dl"/x/lib/modules/}
      release=${release%%/*}
      mkdir -p "$modules.tmp/$release"
      case $module in
        *.xz) xz -dc "$module" ;;
        *.zst) zstd -dc "$module" ;;
        *) cat "$module" ;;
      esac > "$modules.tmp/$release/$(basename "${module%.ko*}").ko"
    done
    mkdir -p "$modules.tmp"
    rm -rf "$modules" && mv "$modules.tmp" "$modules"
    cp "$dl"/x/boot/vmlinuz-* "$vmlinuz.tmp"
    mv "$vmlinuz.tmp" "$vmlinuz"
    rm -rf "$dl"
  fi
  echo "$vmlinuz"
}

kernels() {
  if [ -n "${RTRACE_VM_KERNELS:-}" ]; then
    printf '%s\n' $RTRACE_VM_KERNELS
    return
  fi
  local s package
  for s in "${series[@]}"; do
    package=$(newest_package "$s")
    if [ -z "$package" ]; then
      # Offline or no package lists: a cached kernel of the series still works.
      package=$(cd "$cache" && ls -- linux-image-"$s"[.-]*.vmlinuz 2>/dev/null | sort -V | tail -n 1)
      package=${package%.vmlinuz}
    fi
    [ -n "$package" ] || die "no linux-image package for $s (run apt-get update)"
    echo "$package"
  done
}

# --- running ---------------------------------------------------------------

boot() {
  local package=$1 vmlinuz=$2 log=$logs/$1.log
  local started=$SECONDS
  # One CPU: with two, attaching kprobes (which stops every emulated CPU)
  # is slow enough under emulation that workloads run before the probes
  # are in. The cases that need two CPUs say so and are skipped.
  timeout --kill-after=10 "$timeout_s" \
    qemu-system-x86_64 -accel tcg -cpu max -m 1024 -smp 1 \
      -kernel "$vmlinuz" -initrd "$work/initrd.gz" \
      -append "console=ttyS0 quiet panic=-1" \
      -nographic -no-reboot </dev/null >"$log" 2>&1 || echo "qemu exit status $?" >>"$log"
  echo "$((SECONDS - started))" > "$work/$package.seconds"
}

# The part of a VM's console between the markers, without carriage returns
# (the begin marker may follow the firmware's escape sequences).
results_of() {
  tr -d '\r' < "$logs/$1.log" | sed -n '/==== rtrace-vm: begin/,/^==== rtrace-vm: end/p'
}

report() {
  local package=$1 results status passed failed skipped
  results=$(results_of "$package")
  printf '\n== %s (%ss)\n' "$package" "$(cat "$work/$package.seconds")"
  if ! grep -q '^==== rtrace-vm: end' <<<"$results"; then
    echo "the VM did not finish its run; last lines of its console ($logs/$package.log):"
    tr -d '\r' < "$logs/$package.log" | tail -n 40
    summary+=("$package: did not finish (crash or timeout after ${timeout_s}s)")
    return 1
  fi
  sed '1d;$d' <<<"$results"
  status=$(sed -n 's/^==== rtrace-vm: end status=\([0-9]*\).*/\1/p' <<<"$results")
  read -r passed failed skipped < <(awk '/^test result:/ { p += $4; f += $6; i += $8 }
    END { print p + 0, f + 0, i + 0 }' <<<"$results")
  summary+=("$package: $passed passed, $failed failed, $skipped skipped")
  [ "$status" = 0 ]
}

build
mapfile -t packages < <(kernels)
declare -A vmlinuz
for package in "${packages[@]}"; do
  vmlinuz[$package]=$(fetch_kernel "$package")
done
make_initramfs

say "booting ${#packages[@]} kernel(s), $jobs at a time, ${timeout_s}s each at most"
for package in "${packages[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  boot "$package" "${vmlinuz[$package]}" &
done
wait

summary=()
status=0
for package in "${packages[@]}"; do
  report "$package" || status=1
done
printf '\n== kernel matrix\n'
printf '%s\n' "${summary[@]}"
echo "wall time: ${SECONDS}s (build, download and boots)"
exit "$status"
