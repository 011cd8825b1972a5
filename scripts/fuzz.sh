#!/usr/bin/env bash
# fuzz.sh [SECONDS]: builds the libFuzzer targets (the `fuzz` preset: clang,
# ASan+UBSan, build-fuzz/) and runs each one for SECONDS (default 60) on a copy
# of its seed corpus in fuzz/corpus/. Prints, per target, the inputs tried and
# the coverage reached; exits non-zero if any target found a crash, a leak or a
# timeout, and prints where libFuzzer left the reproducer.
#   Reproduce:  build-fuzz/bin/fuzz/TARGET path/to/crash-...
#   Needs:      clang and libclang-rt-14-dev (Debian).
# fuzz.sh --write-corpus: rewrites fuzz/corpus/ from the encoders (fuzz_write_corpus).
set -euo pipefail
cd "$(dirname "$0")/.."

targets=(fuzz_frame_decoder fuzz_request_handler)
bin=build-fuzz/bin/fuzz
seconds=${1:-60}
if [[ $seconds != --write-corpus && ! $seconds =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 [SECONDS per target] | --write-corpus" >&2
  exit 2
fi

cmake --preset fuzz > /dev/null
cmake --build --preset fuzz

if [[ $seconds == --write-corpus ]]; then
  rm -rf fuzz/corpus
  "$bin/fuzz_write_corpus" fuzz/corpus
  exit 0
fi

# Every run starts from the committed seeds; what libFuzzer adds stays in the
# copy, so the repository never fills with generated inputs.
run_dir=build-fuzz/fuzz-run
rm -rf "$run_dir"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

failed=0
for target in "${targets[@]}"; do
  work=$run_dir/$target
  mkdir -p "$work"
  cp -r "fuzz/corpus/$target" "$work/corpus"
  log=$work/fuzz.log
  echo "=== $target: ${seconds} s ==="
  # -timeout: an input running 5 s is a hang; -rss_limit_mb: a leak or a
  # runaway allocation fails instead of swapping; -artifact_prefix: where the
  # reproducer goes; TMPDIR: the request handler's data dir, left here if it crashes.
  if TMPDIR="$work" "$bin/$target" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 \
       -print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" > "$log" 2>&1; then
    verdict=clean
  else
    verdict=FAILED
    failed=1
  fi
  execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
  coverage=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  echo "$target: $verdict, ${execs:-?} inputs tried in ${seconds} s, coverage ${coverage:-?} edges," \
       "corpus $(ls "$work/corpus" | wc -l) inputs"
  if [[ $verdict == FAILED ]]; then
    grep -E 'ERROR|SUMMARY|invariant broken' "$log" | head -5 || true
    for artifact in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
      if [[ -e $artifact ]]; then echo "reproducer: $artifact  (run: $bin/$target $artifact)"; fi
    done
    echo "full log: $log"
  fi
done
exit "$failed"
