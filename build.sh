#!/usr/bin/env bash
# build.sh: the one script of echover: dependencies, static build, tests,
# vectors, fuzzing and benchmarks.
#
#   ./build.sh                  install missing deps (as root), build ./echover
#   ./build.sh test             build and run every test (plain, then ASan+UBSan)
#   ./build.sh vectors FILE...  run the matching known-answer runner over files
#   ./build.sh fuzz             list the fuzz harnesses
#   ./build.sh fuzz NAME [SECONDS] [--libfuzzer]   fuzz one harness
#   ./build.sh bench [NAME]     run benchmarks (tests/bench.list), e.g. bench crypto
#   ./build.sh clean            remove build/ and ./echover
#
# Sources are listed explicitly in the SOURCES file of each folder; tests,
# harnesses and benchmarks in the *.list files of tests/ and fuzz/.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)

VERSION=0.1.0
DEBIAN_PKGS="gcc libc6-dev libbearssl-dev libsodium-dev libsqlite3-dev"
TEST_PKGS="libjansson-dev clang libclang-rt-dev sslscan tmux"
FUZZ_PKGS="afl++ clang"
LIB_DIRS="crypto crypto/mls store net"
# Linked into every fuzz harness: the MLS group fixture two harnesses share.
FUZZ_SHARED="fuzz/mls_fixture.c"
JOBS=$(nproc 2>/dev/null || echo 2)

die() { echo "build.sh: $*" >&2; exit 1; }

# Installs the Debian packages that are missing (as root), or prints the
# command and stops.
need_pkgs() {
	local missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -eq 0 ]; then
		echo "build.sh: installing ${missing[*]}" >&2
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } >&2 ||
			die "apt-get install ${missing[*]} failed"
	else
		die "missing Debian packages; run: sudo apt-get install ${missing[*]}"
	fi
}

pkg_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo unknown; }

WARN="-std=c11 -Wall -Wextra -Werror -Wundef -Wshadow -Wstrict-prototypes -Wvla -Wformat=2"
DEFS="-D_DEFAULT_SOURCE -D_GNU_SOURCE"
HARDEN="-fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE -fstack-clash-protection -fcf-protection"
# Reproducible: no build paths, no timestamps in the binary.
REPRO="-ffile-prefix-map=$ROOT=. -fdebug-prefix-map=$ROOT=."
INCS="-I. -Ibuild/gen -Icrypto -Icrypto/mls -Istore -Inet -isystem /usr/include/bearssl"
LIBS="-lbearssl -lsodium -lsqlite3 -lpthread -lm"

lib_sources() {
	local d
	for d in $LIB_DIRS; do
		[ -f "$d/SOURCES" ] && grep -v '^\s*#' "$d/SOURCES" | sed '/^\s*$/d'
	done | awk '!seen[$0]++'
	return 0
}

list_entries() { # FILE... : the non-comment lines of list files that exist
	local f
	for f in "$@"; do [ -f "$f" ] && grep -v '^\s*#' "$f" | sed '/^\s*$/d'; done | awk '!seen[$0]++'
	return 0
}

# build/gen/buildinfo.h: what `echover version` reports. Rewritten only when
# it changes, so that it does not force rebuilds.
write_build_info() {
	mkdir -p build/gen
	local tmp=build/gen/buildinfo.h.new
	{
		echo "#define ECHOVER_VERSION \"$VERSION\""
		echo "#define ECHOVER_BEARSSL_VERSION \"$(pkg_version libbearssl-dev)\""
		echo "#define ECHOVER_BUILD_FLAGS \"-O2 $HARDEN, static-pie, -z relro -z now -z noexecstack\""
	} >"$tmp"
	cmp -s "$tmp" build/gen/buildinfo.h 2>/dev/null && rm -f "$tmp" || mv "$tmp" build/gen/buildinfo.h
}

# compile OUTDIR "CFLAGS" SOURCES... : one object per source, JOBS at a time;
# a source is rebuilt when it or a header it included (-MMD) is newer.
stale() { # OBJ SRC
	[ -f "$1" ] && [ -f "${1%.o}.d" ] || return 0
	local dep
	for dep in $(sed -e 's/^[^:]*://' -e 's/\\$//' "${1%.o}.d"); do
		[ "$dep" -nt "$1" ] && return 0
	done
	return 1
}
compile() {
	local out=$1 flags=$2; shift 2
	mkdir -p "$out"
	local s o running=0 failed=0 pids=()
	for s in "$@"; do
		o="$out/${s%.c}.o"
		mkdir -p "$(dirname "$o")"
		printf '%s\n' "$o"
		if [ "$flags" != "$(cat "$o.flags" 2>/dev/null)" ] || stale "$o" "$s"; then
			{ $CC $flags -MMD -c "$s" -o "$o" >&2 && printf '%s' "$flags" >"$o.flags"; } &
			pids+=($!)
			if [ ${#pids[@]} -ge "$JOBS" ]; then
				wait "${pids[0]}" || failed=1
				pids=("${pids[@]:1}")
			fi
		fi
	done
	for p in "${pids[@]}"; do wait "$p" || failed=1; done
	[ $failed -eq 0 ] || die "compile failed"
}

# The library of every module, as an archive (deterministic: ar D).
build_lib() { # OUTDIR CFLAGS
	local out=$1 flags=$2 objs
	mkdir -p "$out"
	compile "$out/obj" "$flags" $(lib_sources) >"$out/objs.txt"
	mapfile -t objs <"$out/objs.txt"
	rm -f "$out/libechover.a"
	ar rcsD "$out/libechover.a" "${objs[@]}"
}

CC=${CC:-gcc}
RELEASE_CFLAGS="$WARN $DEFS $HARDEN $REPRO -O2 $INCS"

build_release() {
	need_pkgs $DEBIAN_PKGS
	write_build_info
	build_lib build/release "$RELEASE_CFLAGS"
	$CC $RELEASE_CFLAGS -c echover.c -o build/release/echover.o
	# static-pie where the toolchain supports it, plain static otherwise.
	if ! $CC -static-pie -Wl,-z,relro,-z,now,-z,noexecstack -Wl,--build-id=none \
		-o echover build/release/echover.o build/release/libechover.a $LIBS 2>build/release/link.log; then
		$CC -static -Wl,-z,relro,-z,now,-z,noexecstack -Wl,--build-id=none \
			-o echover build/release/echover.o build/release/libechover.a $LIBS ||
			{ cat build/release/link.log >&2; die "link failed"; }
	fi
	echo "built ./echover ($(stat -c %s echover) bytes)"
}

# Test builds: the library plus the test framework, linked dynamically with
# the test-only JSON parser (never part of ./echover).
TEST_CFLAGS="$WARN $DEFS -O1 -g $INCS -Itests"
SAN_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"

build_tests() { # VARIANT CFLAGS
	local variant=$1 flags=$2 out=build/$1 t
	write_build_info
	build_lib "$out" "$flags"
	compile "$out/obj" "$flags" tests/t.c tests/mls_world.c tests/e2e_util.c tests/svr_world.c >"$out/fw.txt"
	mapfile -t fw <"$out/fw.txt"
	mkdir -p "$out/tests"
	for t in $(list_entries tests/*.tests); do
		[ -f "tests/$t.c" ] || die "tests list names missing tests/$t.c"
		$CC $flags -o "$out/tests/$t" "tests/$t.c" "${fw[@]}" "$out/libechover.a" -ljansson $LIBS || die "building $t failed"
	done
	local vsrc=()
	mapfile -t vsrc < <(list_entries tests/vectors.list)
	$CC $flags -o "$out/tests/vectors" tests/vec_main.c "${vsrc[@]/#/tests/}" "${fw[@]}" "$out/libechover.a" -ljansson $LIBS ||
		die "building the vector runner failed"
	local h hs=()
	mapfile -t hs < <(list_entries fuzz/*.list)
	for h in "${hs[@]}"; do
		$CC $flags -o "$out/fuzz_$h" "fuzz/$h.c" $FUZZ_SHARED fuzz/replay.c "$out/libechover.a" $LIBS || die "building fuzz/$h.c failed"
	done
}

TOTAL_P=0 TOTAL_F=0 TOTAL_S=0
# run_counted LABEL CMD... : runs a test program, adds its RESULT line.
run_counted() {
	local label=$1; shift
	local log
	log=$(mktemp)
	local rc=0
	"$@" >"$log" 2>&1 || rc=$?
	local res
	res=$(grep -E '^RESULT [0-9]+ [0-9]+ [0-9]+$' "$log" | tail -1 || true)
	grep -E '^(FAIL|  )' "$log" | head -40 || true
	if [ -z "$res" ]; then
		tail -20 "$log"
		echo "FAIL $label: exited $rc without a RESULT line"
		TOTAL_F=$((TOTAL_F + 1))
	else
		set -- $res
		TOTAL_P=$((TOTAL_P + $2)) TOTAL_F=$((TOTAL_F + $3)) TOTAL_S=$((TOTAL_S + $4))
		if [ "$rc" -ne 0 ] && [ "$3" -eq 0 ]; then
			tail -20 "$log"
			echo "FAIL $label: exited $rc"
			TOTAL_F=$((TOTAL_F + 1))
		fi
		printf '%-34s %5d passed %3d failed %4d skipped\n' "$label" "$2" "$3" "$4"
	fi
	rm -f "$log"
}

run_suite() { # VARIANT
	local variant=$1 out=build/$1 t h
	for t in $(list_entries tests/*.tests); do
		run_counted "$t [$variant]" "$out/tests/$t"
	done
	run_counted "vectors [$variant]" "$out/tests/vectors" --all
	for h in $(list_entries fuzz/*.list); do
		run_counted "fuzz replay $h [$variant]" "$out/fuzz_$h" "fuzz/corpus/$h"
	done
}

cmd_test() {
	need_pkgs $DEBIAN_PKGS $TEST_PKGS
	build_release
	build_tests plain "$TEST_CFLAGS"
	run_suite plain
	# End-to-end tests drive the release binary as a user would.
	local e
	for e in $(list_entries tests/e2e.list); do
		run_counted "$e" env ECHOVER_BIN="$ROOT/echover" bash "tests/$e"
	done
	if [ "${ECHOVER_NO_SAN:-}" != 1 ]; then
		CC=clang build_tests san "$TEST_CFLAGS $SAN_FLAGS"
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 run_suite san
	fi
	echo "$TOTAL_P passed, $TOTAL_F failed, $TOTAL_S skipped"
	[ "$TOTAL_F" -eq 0 ]
}

cmd_vectors() {
	[ $# -gt 0 ] || die "usage: ./build.sh vectors FILE..."
	need_pkgs $DEBIAN_PKGS $TEST_PKGS
	build_tests plain "$TEST_CFLAGS" >/dev/null
	build/plain/tests/vectors "$@"
}

cmd_fuzz() {
	local hs
	hs=$(list_entries fuzz/*.list)
	if [ $# -eq 0 ]; then
		echo "fuzz harnesses (./build.sh fuzz NAME [SECONDS] [--libfuzzer]):"
		for h in $hs; do printf '  %-24s %s\n' "$h" "$(sed -n 's/^ \* fuzz: //p' "fuzz/$h.c" | head -1)"; done
		return 0
	fi
	local name=$1 secs=60 mode=afl; shift
	for a in "$@"; do
		case $a in
		--libfuzzer) mode=libfuzzer ;;
		[0-9]*) secs=$a ;;
		*) die "unknown fuzz option $a" ;;
		esac
	done
	echo "$hs" | grep -qx "$name" || die "no harness named $name (./build.sh fuzz lists them)"
	local out=build/fuzz-$mode
	mkdir -p "$out/findings-$name"
	if [ $mode = libfuzzer ]; then
		need_pkgs $DEBIAN_PKGS clang libclang-rt-dev
		CC=clang build_lib "$out" "$TEST_CFLAGS -fsanitize=fuzzer-no-link,address,undefined"
		clang $TEST_CFLAGS -fsanitize=fuzzer,address,undefined -o "$out/$name" "fuzz/$name.c" $FUZZ_SHARED "$out/libechover.a" $LIBS
		mkdir -p "$out/corpus-$name"
		"$out/$name" -max_total_time="$secs" -artifact_prefix="$out/findings-$name/" "$out/corpus-$name" "fuzz/corpus/$name"
	else
		need_pkgs $DEBIAN_PKGS $FUZZ_PKGS
		CC=afl-clang-fast build_lib "$out" "$TEST_CFLAGS"
		afl-clang-fast $TEST_CFLAGS -fsanitize=fuzzer -o "$out/$name" "fuzz/$name.c" $FUZZ_SHARED "$out/libechover.a" $LIBS
		AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 \
			afl-fuzz -V "$secs" -i "fuzz/corpus/$name" -o "$out/findings-$name" -- "$out/$name"
		echo "stats: $out/findings-$name/default/fuzzer_stats"
		grep -E '^(execs_done|execs_per_sec|saved_crashes|saved_hangs|corpus_count)' "$out/findings-$name/default/fuzzer_stats" || true
	fi
}

cmd_bench() {
	need_pkgs $DEBIAN_PKGS $TEST_PKGS
	local flags="$WARN $DEFS $HARDEN -O2 -g $INCS -Itests"
	write_build_info
	build_lib build/bench "$flags"
	local b names
	names=$(list_entries tests/bench.list)
	[ $# -gt 0 ] && names=$(echo "$names" | grep -x "bench_$1") || true
	[ -n "$names" ] || die "no benchmark named ${1:-} (see tests/bench.list)"
	# bench_server drives the release binary as a child process, started
	# as the end-to-end tests start it (tests/e2e_util.c, on tests/t.c).
	if echo "$names" | grep -qx bench_server; then build_release; fi
	for b in $names; do
		$CC $flags -o "build/bench/$b" "tests/$b.c" tests/bench.c tests/e2e_util.c tests/t.c build/bench/libechover.a \
			$LIBS -ljansson
		"build/bench/$b"
	done
}

case ${1:-build} in
build) build_release ;;
test) shift; cmd_test "$@" ;;
vectors) shift; cmd_vectors "$@" ;;
fuzz) shift; cmd_fuzz "$@" ;;
bench) shift; cmd_bench "$@" ;;
clean) rm -rf build echover ;;
-h|--help|help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' ;;
*) die "unknown command '$1' (try ./build.sh --help)" ;;
esac
