"""A stand-in for the two pieces of PySpark that scripts/engines/spark_pipe.py uses, so that a
test can run the script end to end without a JVM (tests/docs/engines_test.cc).

It keeps the documented contract of pyspark.RDD.pipe(command: str, env=None, checkCode=False):
`command` is one string, split with shlex.split; `env` is the child's whole environment (an empty
one when None); each partition's elements go to the command's stdin a line each, and its stdout
lines are the new RDD's elements; with checkCode a non-zero exit fails the job. Partitions run one
after another here, each in a working directory of its own, as on a cluster's executors (not the
driver's: a relative path there names another file).
"""
import shlex
import subprocess
import tempfile


class RDD:
    def __init__(self, partitions):
        self._partitions = partitions

    def pipe(self, command, env=None, checkCode=False):
        if not isinstance(command, str):
            raise TypeError("RDD.pipe takes the command as one string, not %r" % type(command))
        out = []
        for partition in self._partitions:
            text = "".join(str(x).rstrip("\n") + "\n" for x in partition)
            with tempfile.TemporaryDirectory(prefix="executor-") as cwd:
                done = subprocess.run(shlex.split(command), input=text.encode(), env=env or {},
                                      stdout=subprocess.PIPE, cwd=cwd)
            if checkCode and done.returncode != 0:
                raise RuntimeError("Pipe function `%s' exited with error code %d"
                                   % (command, done.returncode))
            out.append(done.stdout.decode().splitlines())
        return RDD(out)

    def collect(self):
        return [x for partition in self._partitions for x in partition]


class SparkContext:
    def __init__(self, appName=None):
        self.appName = appName

    def parallelize(self, data, numSlices):
        data = list(data)
        return RDD([data[i::numSlices] for i in range(numSlices)])

    def stop(self):
        pass
