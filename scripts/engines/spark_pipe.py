"""A distributed flowsift run on Spark with RDD.pipe: one partition per shard.

Each partition holds one element, "I N"; the piped command reads it from stdin, runs shard I/N
of the inputs into /shared/parts/I and prints that directory, which the driver collects and
merges. /shared and the inputs must be on a file system every executor mounts.

    spark-submit scripts/engines/spark_pipe.py /shared/AWSLogs /shared/out 16
"""
import os
import shlex
import subprocess
import sys

from pyspark import SparkContext

# flowsift's exit 1 means "some inputs failed, the part is written and names them": the task
# succeeds and the merge reports them. Anything else fails the task (checkCode=True).
SHARD = (
    'read i n; '
    '"${FLOWSIFT:-flowsift}" run "$FLOWSIFT_INPUT" --shard "$i/$n" --partial --force --no-progress '
    '-o "$FLOWSIFT_PARTS/$i" >&2; s=$?; '
    '[ $s -eq 1 ] && [ -f "$FLOWSIFT_PARTS/$i/state.bin.zst" ] && s=0; '
    '[ $s -eq 0 ] && echo "$FLOWSIFT_PARTS/$i"; exit $s'
)


def main(argv):
    if len(argv) != 4 or not argv[3].isdigit() or int(argv[3]) < 1:
        print("usage: spark_pipe.py INPUT OUT N   (N shards, 1 or more; paths on a file system "
              "every executor mounts)", file=sys.stderr)
        return 2
    # Absolute: the piped command runs in each executor's own working directory.
    inputs, out, shards = os.path.abspath(argv[1]), os.path.abspath(argv[2]), int(argv[3])
    parts_dir = out.rstrip("/") + ".parts"
    sc = SparkContext(appName="flowsift")
    # RDD.pipe's env is the command's whole environment (it becomes Popen's env), so PATH goes
    # with it: the executors are assumed to have flowsift where the driver does (or $FLOWSIFT).
    env = {"FLOWSIFT_INPUT": inputs, "FLOWSIFT_PARTS": parts_dir,
           "PATH": os.environ.get("PATH", os.defpath)}
    for name in ("FLOWSIFT", "HOME", "TMPDIR"):
        if name in os.environ:
            env[name] = os.environ[name]
    # A FLOWSIFT given as a path relative to the driver (./build/release/tools/flowsift) is the
    # driver's file, not one in each executor's working directory; a bare name stays a PATH lookup.
    if "/" in env.get("FLOWSIFT", ""):
        env["FLOWSIFT"] = os.path.abspath(env["FLOWSIFT"])
    shards_rdd = sc.parallelize([f"{i} {shards}" for i in range(shards)], shards)
    # The command is one string, which RDD.pipe splits with shlex.split.
    command = shlex.join(["sh", "-c", SHARD])
    parts = shards_rdd.pipe(command, env=env, checkCode=True).collect()
    sc.stop()
    flowsift = env.get("FLOWSIFT", "flowsift")
    merge = subprocess.run([flowsift, "merge", *sorted(parts), "-o", out, "--force"])
    return merge.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv))
