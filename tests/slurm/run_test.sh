#!/usr/bin/env bash
# The Slurm scripts end to end on a one-node Slurm (scripts/slurm/local-cluster):
#   1. an S3-layout data set as a 4-task map array plus an afterok merge job gives the bytes of
#      one `flowsift run` over all inputs;
#   2. a corrupt input in one shard: the task succeeds (its part names the input), the merge
#      runs, exits 1, names the input, and its tables equal one run's over the same inputs;
#   3. the same with FLOWSIFT_MAP_STRICT=1: the task fails, the merge job is cancelled, OUT is
#      never written.
# Everything lives under a directory whose name has a space (the cluster's slurm.conf, spool and
# logs, the jobs' working directory, the parts): unquoted in slurm.conf, it ended the paths there
# and slurmctld never started.
#   run_test.sh FLOWSIFT_BINARY
# Exit 77 (ctest: skipped) without root or Slurm; scripts/test installs Slurm first.
set -euo pipefail

flowsift=$(realpath "$1")
root=$(cd "$(dirname "$0")/../.." && pwd)
slurm=$root/scripts/slurm
if [[ $(id -u) -ne 0 ]] || ! command -v sbatch >/dev/null || [[ ! -x /usr/sbin/slurmctld ]]; then
  echo "skipped: needs root and Slurm (scripts/install-deps --slurm)"
  exit 77
fi

work=$(mktemp -d "/tmp/flowsift slurm-test.XXXXXX")
export FLOWSIFT_SLURM_DIR=$work/cluster
export FLOWSIFT=$flowsift
cleanup() {
  "$slurm/local-cluster" stop || true
  rm -rf "$work"
}
trap cleanup EXIT
# Its output first: in `eval "$(... start)"` a failed start was status 0, SLURM_CONF unset, and
# sbatch then failed far from the cause.
cluster_env=$("$slurm/local-cluster" start) || { echo "FAIL: local-cluster start" >&2; exit 1; }
eval "$cluster_env"
cd "$work"

# A job still queued when the cluster stops is gone at the next start (it ran then, and would
# have written its parts and OUT again).
sbatch --hold -o /dev/null --wrap 'touch ghost' >/dev/null
"$slurm/local-cluster" stop
cluster_env=$("$slurm/local-cluster" start) || { echo "FAIL: local-cluster restart" >&2; exit 1; }
[[ -z $(squeue -h) ]] || { echo "FAIL: a restart kept the jobs of before: $(squeue -h)" >&2; exit 1; }
# A directory slurm.conf cannot spell (a '"' in it) is refused by name before anything starts
# (slurmctld's "Parse error" otherwise, after munged and slurmd were started).
if quoted=$(FLOWSIFT_SLURM_DIR="$work/a\"b" "$slurm/local-cluster" start 2>&1) ||
   [[ $quoted != *'slurm.conf cannot hold a path with " or a newline'* ]] ||
   [[ -e "$work/a\"b" ]]; then
  echo "FAIL: local-cluster start in a directory with '\"': $quoted" >&2
  exit 1
fi

fail() {
  echo "FAIL: $*" >&2
  for f in "$work"/flowsift-*.out; do [[ -f $f ]] && { echo "--- $f"; cat "$f"; } >&2; done
  exit 1
}
same_tables() {  # $1 $2: windows, talkers, exposure and findings byte for byte
  for t in windows.csv.zst talkers.csv.zst exposure.csv.zst findings.jsonl.zst; do
    cmp -s "$1/$t" "$2/$t" || fail "$2/$t differs from $1/$t"
  done
}

opts=(--window 5m)
"$flowsift" gen -o data --layout s3 --records 120000 --hours 2 --interfaces 40 \
  --attacks port_scan,exfiltration >/dev/null 2>&1
"$flowsift" run data -o single "${opts[@]}" --no-progress 2>/dev/null

# 1. Four map tasks and the merge.
"$slurm/submit" --wait 4 "map parts" out data "${opts[@]}" || fail "submit exited $?"
same_tables single out
python3 - out/manifest.json <<'EOF' || fail "merged manifest"
import json, sys
m = json.load(open(sys.argv[1]))
assert len(m["merged_from"]) == 4, m["merged_from"]
assert all(p["status"] == "ok" for p in m["merged_from"])
single = json.load(open("single/manifest.json"))
assert [i["path"] for i in m["inputs"]] == [i["path"] for i in single["inputs"]]
EOF

# 2. A corrupt input: the merge runs and exits 1, naming it.
cp -r data bad
corrupt=$(find bad -name '*.log.gz' | sort | sed -n 5p)
printf '\x1f\x8b\x08\x00garbage, not deflate' > "$corrupt"
status=0
"$flowsift" run bad -o single-bad "${opts[@]}" --no-progress 2>/dev/null || status=$?
[[ $status -eq 1 ]] || fail "one run over a corrupt input exited $status, not 1"
status=0
"$slurm/submit" --wait 4 parts-bad out-bad bad "${opts[@]}" || status=$?
[[ $status -eq 1 ]] || fail "merge with a corrupt input exited $status, not 1"
same_tables single-bad out-bad
grep -q "$corrupt" flowsift-merge-*.out || fail "the merge job's log does not name $corrupt"
python3 - out-bad/manifest.json "$corrupt" <<'EOF' || fail "manifest of the failed input"
import json, sys
m = json.load(open(sys.argv[1]))
bad = [i for i in m["inputs"] if i["path"] == sys.argv[2]]
assert len(bad) == 1 and bad[0]["status"] in ("corrupt", "truncated"), bad
assert m["totals"]["failed_inputs"] == 1, m["totals"]
EOF

# 3. Strict map tasks: the shard with the corrupt input fails, the merge never runs.
status=0
FLOWSIFT_MAP_STRICT=1 "$slurm/submit" --wait 4 parts-strict out-strict bad "${opts[@]}" ||
  status=$?
[[ $status -ne 0 ]] || fail "strict: submit --wait succeeded although a map task failed"
[[ ! -e out-strict ]] || fail "strict: the merge wrote out-strict although a map task failed"
echo "ok: slurm map + merge"
