#!/usr/bin/env bash
# Builds moat's libFuzzer targets (tests/fuzz/*_fuzz.cc) with clang, ASan and
# UBSan in build-fuzz/, then runs each for a bounded time from a copy of its
# seed corpus. Exits 1 if any target crashes, leaks, times out or breaks an
# invariant; the input that did it is kept and named. tests/fuzz/README.md
# says how to run them long and what to do with a finding.
#
#   bash scripts/fuzz.sh                  # every target, 25 s each
#   bash scripts/fuzz.sh -t 600 json bbolt
#   bash scripts/fuzz.sh -t 0 config     # until stopped (Ctrl-C)
#
# Options: -t SECONDS per target (0: no limit), -b BUILD_DIR (default
# build-fuzz), -w WORK_DIR for the growing corpora and crash inputs (default
# BUILD_DIR/fuzz-work; kept between runs, so long runs resume), -j N parallel
# fuzzing jobs per target (libFuzzer -jobs/-workers, default 1).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds=25
build="build-fuzz"
work=""
jobs=1
while getopts 't:b:w:j:h' opt; do
  case "$opt" in
    t) seconds="$OPTARG" ;;
    b) build="$OPTARG" ;;
    w) work="$OPTARG" ;;
    j) jobs="$OPTARG" ;;
    *) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "fuzz: -t wants seconds" >&2; exit 2; }
work="${work:-$build/fuzz-work}"

targets=("$@")
if ((${#targets[@]} == 0)); then
  for f in tests/fuzz/*_fuzz.cc; do
    t="$(basename "$f" .cc)"
    targets+=("${t%_fuzz}")
  done
fi
for t in "${targets[@]}"; do
  [[ -f "tests/fuzz/${t}_fuzz.cc" ]] || { echo "fuzz: no target tests/fuzz/${t}_fuzz.cc" >&2; exit 2; }
done

echo "== build ($build: clang, libFuzzer, ASan+UBSan)"
cmake -S . -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DMOAT_FUZZ=ON -DMOAT_WERROR=ON \
  -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" >/dev/null
cmake --build "$build" -j"$(nproc)" --target "${targets[@]/%/_fuzz}"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
failed=()
for t in "${targets[@]}"; do
  dir="$work/$t"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  cp -n tests/fuzz/corpus/"$t"/* "$dir/corpus/" 2>/dev/null || true
  echo "== $t (${seconds}s; corpus $dir/corpus)"
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024
        -print_final_stats=1 -artifact_prefix="$dir/artifacts/")
  ((jobs > 1)) && args+=(-jobs="$jobs" -workers="$jobs")
  if "$build/tests/fuzz/${t}_fuzz" "${args[@]}" "$dir/corpus" >"$dir/log" 2>&1; then
    grep -E '^(stat::number_of_executed_units|stat::new_units_added|#[0-9]+ *DONE)' "$dir/log" | tr '\n' ' '
    echo
  else
    echo "FAIL: $t: see $dir/log" >&2
    grep -E 'ERROR|invariant broken|SUMMARY|Test unit written' "$dir/log" | head -n 8 >&2 || tail -n 20 "$dir/log" >&2
    failed+=("$t")
  fi
done
if ((${#failed[@]} > 0)); then
  echo "fuzz: findings in: ${failed[*]}" >&2
  echo "fuzz: reproduce with $build/tests/fuzz/<target>_fuzz <input>; add the input to" \
    "tests/fuzz/corpus/<target>/ with the fix" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} targets clean"
