#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang, AddressSanitizer and UndefinedBehaviorSanitizer
# and runs each for SECONDS (default 60), starting from the committed seeds in corpus/<target>.
# New inputs go to build/fuzz/corpus (not the repository); a crash leaves its input in
# build/fuzz/artifacts and fails the script. Usage: native/fuzz/run.sh [SECONDS] [TARGET...]
# FUZZ_SEED=N fixes libFuzzer's mutation seed (CI does, so its short run repeats); default random.
set -euo pipefail
seconds="${1:-60}"
shift || true
here="$(cd "$(dirname "$0")" && pwd)"
build="$here/../../build/fuzz"
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(fuzz_probe fuzz_preprocess fuzz_blur fuzz_pdq fuzz_pdq_match fuzz_hash_list)

configure=(-S "$here/.." -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNUDEGUARD_FUZZ=ON)
configure+=(-DNUDEGUARD_SANITIZE=address,undefined)
CC=clang CXX=clang++ cmake "${configure[@]}" > /dev/null
cmake --build "$build" -j2 --target "${targets[@]}"

mkdir -p "$build/artifacts"
for target in "${targets[@]}"; do
    mkdir -p "$build/corpus/$target"
    echo "== $target: ${seconds}s"
    # -timeout: any single input over 10 s is reported as a hang.
    status=0
    options=(-seed="${FUZZ_SEED:-0}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192)
    options+=(-print_final_stats=1 -artifact_prefix="$build/artifacts/$target-")
    "$build/fuzz/$target" "${options[@]}" "$build/corpus/$target" "$here/corpus/$target" > "$build/$target.log" 2>&1 || status=$?
    summary="^stat::(number_of_executed_units|peak_rss_mb)|ERROR|INVARIANT|SUMMARY|Test unit written"
    grep -E "$summary" "$build/$target.log" || true
    [ "$status" -eq 0 ] || { tail -n 40 "$build/$target.log" >&2; echo "$target failed" >&2; exit 1; }
done
