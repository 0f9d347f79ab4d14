#!/usr/bin/env bash
# Runs `cargo memleak test` on the test suites of well-known crates, unchanged: each is
# copied from the registry's source cache into a scratch directory (fetched first if the
# cache lacks it), built once both ways, then timed against plain `cargo test`
# (alternating runs, median of 3; `cargo test --lib --bins --tests`, the test binaries
# `cargo memleak test` runs: doctests are rustdoc's, not test binaries). Prints one table
# row per crate and keeps each copy and each run's output in the scratch directory (a
# copy already there is reused, builds and all). No source change is made to any crate: cargo memleak
# finds no tracker in them and runs them under the preloaded interposer.
#
#   scripts/trial-crates.sh [SCRATCH_DIR] [NAME-VERSION...]
#
# Default crates: semver-1.0.28 smallvec-1.16.6 indexmap-2.14.2.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
scratch=${1:-$(mktemp -d)}
shift || true
crates=("$@")
if [ ${#crates[@]} -eq 0 ]; then
    crates=(semver-1.0.28 smallvec-1.16.6 indexmap-2.14.2)
fi
mkdir -p "$scratch"

cargo build --quiet --manifest-path "$repo/Cargo.toml" -p cargo-memleak
memleak="$repo/target/debug/cargo-memleak"

# The crate's source in the registry cache, fetched through a throwaway project if absent.
source_of() {
    local crate=$1 name=${1%-*} version=${1##*-}
    local found
    found=$(ls -d "$HOME"/.cargo/registry/src/*/"$crate" 2>/dev/null | head -n 1 || true)
    if [ -z "$found" ]; then
        local fetcher="$scratch/fetch-$crate"
        mkdir -p "$fetcher/src"
        printf '[package]\nname = "fetcher"\nversion = "0.0.0"\nedition = "2021"\n[dependencies]\n%s = "=%s"\n' \
            "$name" "$version" >"$fetcher/Cargo.toml"
        touch "$fetcher/src/lib.rs"
        cargo fetch --quiet --manifest-path "$fetcher/Cargo.toml"
        found=$(ls -d "$HOME"/.cargo/registry/src/*/"$crate" | head -n 1)
    fi
    echo "$found"
}

# Seconds taken by the command, its output appended to $log.
timed() {
    local start end
    start=$(date +%s.%N)
    "$@" >>"$log" 2>&1 || true
    end=$(date +%s.%N)
    echo "$end - $start" | bc
}

median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }

printf '| crate | cargo test --lib --bins --tests | cargo memleak test | ratio | exit code | report |\n'
printf '|---|---|---|---|---|---|\n'
for crate in "${crates[@]}"; do
    dir="$scratch/$crate"
    if [ ! -d "$dir" ]; then
        cp -r "$(source_of "$crate")" "$dir"
        chmod -R u+w "$dir"
    fi
    log="$scratch/$crate.log"
    : >"$log"
    # Build both ways once (cargo memleak builds into target/memleak).
    (cd "$dir" && cargo test --quiet --lib --bins --tests >>"$log" 2>&1) || true
    (cd "$dir" && "$memleak" memleak test -q >>"$log" 2>&1) || true
    plain=() tracked=()
    for _ in 1 2 3; do
        plain+=("$(cd "$dir" && timed cargo test --quiet --lib --bins --tests)")
        tracked+=("$(cd "$dir" && timed "$memleak" memleak test -q)")
    done
    code=0
    (cd "$dir" && "$memleak" memleak test -q >"$scratch/$crate.memleak.txt" 2>&1) || code=$?
    p=$(median "${plain[@]}")
    t=$(median "${tracked[@]}")
    ratio=$(echo "scale=2; $t / $p" | bc)
    summary=$(grep -hE '^(no leaks|definitely lost|live at exit)' "$scratch/$crate.memleak.txt" |
        sort | uniq -c | sed 's/^ *//' | paste -sd ';' -)
    printf '| %s | %.2f s | %.2f s | %sx | %s | %s |\n' "$crate" "$p" "$t" "$ratio" "$code" "$summary"
done
echo
echo "outputs: $scratch"
