#!/usr/bin/env bash
# What the CI job costs with and without a warm DVC cache, on the default study (docs/how-to/ci.md).
# Works in temporary clones of this repository (DVC locks a whole repo: never in your checkout):
#   clone a: `dvc repro` from scratch, commit, `dvc push` to a local remote;
#   clone b: restore (`dvc pull`, `python -m tunelab.dvc touch`), then `dvc repro` after a change.
#
#   benchmarks/ci_cache.sh [WORKDIR]      # default /tmp/tunelab-ci-cache; times in WORKDIR/times.txt
set -uo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
M="${1:-/tmp/tunelab-ci-cache}"
rm -rf "$M" && mkdir -p "$M/remote"
export DVC_NO_ANALYTICS=1 TUNELAB_MONTH="${TUNELAB_MONTH:-2026-11}"
t() { local s; s=$(date +%s.%N); "$@"; local rc=$?
      echo "TIME $(echo "$(date +%s.%N) - $s" | bc) rc=$rc :: $*" | tee -a "$M/times.txt"; return $rc; }
jobs() { echo "$1: $(grep -c "^\(local\)\?rule train:" "$M/$1.log" || true) training jobs" >> "$M/times.txt"; }
setup() {  # $1 = clone directory
    cd "$M/$1" && git config user.email bench@tunelab.invalid && git config user.name bench
    dvc remote modify --local local url "$M/remote"
    export PYTHONPATH="$M/$1/workflow"
}
echo "start $(date -u) load $(cut -d' ' -f1-3 /proc/loadavg)" >> "$M/times.txt"
git clone -q "$REPO" "$M/a" && setup a
t dvc repro > "$M/scratch.log" 2>&1; jobs scratch
git add -A && git commit -qm "dvc repro" && t dvc push -q
git clone -q "$M/a" "$M/b" && setup b
t dvc pull -q
t python -m tunelab.dvc touch > "$M/touch.log" 2>&1
t dvc repro > "$M/warm_nochange.log" 2>&1; jobs warm_nochange
sed -i 's/^  budget: 6 /  budget: 7 /' params/default.yaml
t dvc repro > "$M/warm_budget.log" 2>&1; jobs warm_budget
echo "end $(date -u) load $(cut -d' ' -f1-3 /proc/loadavg)" >> "$M/times.txt"
