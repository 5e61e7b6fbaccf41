// The engine examples of docs/distributed.md (scripts/engines/, scripts/slurm/) parse and hold
// what a distributed run needs: a shard index from the engine, --partial, a merge of every part.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "tests/test_util.h"

namespace flowsift {
namespace {

using flowsift::testing::ReadFile;
using flowsift::testing::RunCommand;
using nlohmann::json;

const std::string kEngines = std::string(FLOWSIFT_SOURCE_DIR) + "/scripts/engines/";

json ReadJson(const std::string& name) {
  const std::string text = ReadFile(kEngines + name);
  EXPECT_FALSE(text.empty()) << name;
  return json::parse(text);  // throws (and fails the test) on invalid JSON
}

std::string Joined(const json& command) {
  std::string s;
  for (const json& part : command) s += part.get<std::string>() + " ";
  return s;
}

TEST(Engines, AwsBatchArrayJobAndDependentMerge) {
  const json def = ReadJson("aws-batch-job-definition.json");
  EXPECT_EQ(def["type"], "container");
  const std::string map = Joined(def["containerProperties"]["command"]);
  EXPECT_NE(map.find("flowsift run"), std::string::npos);
  EXPECT_NE(map.find("--partial"), std::string::npos);
  // The part directory is named by the child's index (flowsift reads the index and size from
  // AWS_BATCH_JOB_ARRAY_INDEX / AWS_BATCH_JOB_ARRAY_SIZE itself).
  EXPECT_NE(map.find("/shared/parts/$AWS_BATCH_JOB_ARRAY_INDEX"), std::string::npos);

  const json submit = ReadJson("aws-batch-submit-map.json");
  EXPECT_EQ(submit["jobDefinition"], def["jobDefinitionName"]);
  const int size = submit["arrayProperties"]["size"];
  EXPECT_GE(size, 2);  // AWS Batch: array size 2..10,000
  EXPECT_LE(size, 10000);

  const json merge = ReadJson("aws-batch-submit-merge.json");
  ASSERT_EQ(merge["dependsOn"].size(), 1u);
  EXPECT_TRUE(merge["dependsOn"][0].contains("jobId"));
  const std::string cmd = Joined(merge["containerOverrides"]["command"]);
  // Every part 0 .. size-1.
  EXPECT_NE(
      cmd.find("flowsift merge $(seq -f /shared/parts/%g 0 " + std::to_string(size - 1) + ")"),
      std::string::npos)
      << cmd;
}

// The YAML documents as JSON, by python3-yaml when it is installed; empty otherwise.
std::string YamlAsJson(const std::string& path) {
  if (RunCommand("python3 -c 'import yaml' 2>/dev/null").code != 0) return "";
  const auto r = RunCommand(
      "python3 -c 'import json, sys, yaml; "
      "print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1])))))' " +
      path);
  EXPECT_EQ(r.code, 0) << path << " is not valid YAML";
  return r.out;
}

TEST(Engines, KubernetesIndexedJobAndMerge) {
  const std::string path = kEngines + "k8s-indexed-job.yaml";
  const std::string text = ReadFile(path);
  ASSERT_FALSE(text.empty());
  const std::string as_json = YamlAsJson(path);
  if (as_json.empty()) {
    // No YAML parser: the structure by text. Two documents, an Indexed Job, the index used.
    EXPECT_NE(text.find("\n---\n"), std::string::npos);
    EXPECT_NE(text.find("completionMode: Indexed"), std::string::npos);
    EXPECT_NE(text.find("$JOB_COMPLETION_INDEX"), std::string::npos);
    EXPECT_EQ(text.find('\t'), std::string::npos) << "YAML forbids tabs for indentation";
    GTEST_SKIP() << "python3-yaml not installed: checked the structure only";
  }
  const json docs = json::parse(as_json);
  ASSERT_EQ(docs.size(), 2u);
  const json& map = docs[0];
  EXPECT_EQ(map["kind"], "Job");
  EXPECT_EQ(map["spec"]["completionMode"], "Indexed");
  const int completions = map["spec"]["completions"];
  const json& container = map["spec"]["template"]["spec"]["containers"][0];
  std::string count;
  for (const json& e : container["env"]) {
    if (e["name"] == "FLOWSIFT_SHARD_COUNT") count = e["value"];
  }
  // flowsift's shard count must equal the Job's completions, or shards are lost or repeated.
  EXPECT_EQ(count, std::to_string(completions));
  const std::string args = Joined(container["args"]);
  EXPECT_NE(args.find("--partial"), std::string::npos);
  EXPECT_NE(args.find("/shared/parts/$JOB_COMPLETION_INDEX"), std::string::npos);

  const json& merge = docs[1];
  EXPECT_EQ(merge["kind"], "Job");
  const std::string merge_args = Joined(merge["spec"]["template"]["spec"]["containers"][0]["args"]);
  EXPECT_NE(merge_args.find("flowsift merge $(seq -f /shared/parts/%g 0 " +
                            std::to_string(completions - 1) + ")"),
            std::string::npos)
      << merge_args;
}

TEST(Engines, SparkPipeScriptCompiles) {
  const std::string path = kEngines + "spark_pipe.py";
  const std::string text = ReadFile(path);
  EXPECT_NE(text.find(".pipe("), std::string::npos);
  EXPECT_NE(text.find("checkCode=True"), std::string::npos);
  EXPECT_NE(text.find("--shard \"$i/$n\" --partial"), std::string::npos);
  // Syntax only: pyspark is not needed to compile.
  const auto r = RunCommand("python3 -c 'import ast, sys; ast.parse(open(sys.argv[1]).read())' " +
                            path + " 2>&1");
  EXPECT_EQ(r.code, 0) << r.out;
}

// The Spark example end to end, with a stand-in for PySpark's RDD.pipe (its documented contract:
// one command string, env as the whole environment; tests/docs/pyspark_standin): four shards,
// then the merge, equal to one run. It passed a list to pipe (an AttributeError in shlex.split on
// every partition) and an env without PATH (flowsift not found, exit 127).
TEST(Engines, SparkPipeScriptRunsTheShardsAndMerges) {
  const std::string dir =
      std::string(::testing::TempDir()) + "/flowsift-spark-" + std::to_string(::getpid());
  const std::string bin = FLOWSIFT_BINARY;
  const std::string bin_dir = bin.substr(0, bin.rfind('/'));
  const auto r = RunCommand(
      "rm -rf '" + dir + "' && mkdir -p '" + dir + "' && cd '" + dir + "' && '" + bin +
      "' gen -o data --records 20000 --files 4 >/dev/null 2>&1 && '" + bin +
      "' run data -o one --no-progress 2>/dev/null && env -u FLOWSIFT PATH='" + bin_dir +
      "':\"$PATH\" PYTHONPATH='" + FLOWSIFT_SOURCE_DIR + "/tests/docs/pyspark_standin' python3 '" +
      kEngines +
      "spark_pipe.py' \"$PWD/data\" \"$PWD/out\" 4 2>&1 && ls out.parts && cmp one/windows.csv.zst "
      "out/windows.csv.zst && cmp one/findings.jsonl.zst out/findings.jsonl.zst && echo same");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("0\n1\n2\n3\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("same"), std::string::npos) << r.out;
  RunCommand("rm -rf '" + dir + "'");
}

// The Spark example with relative paths (the stand-in runs each partition in a directory of its
// own, as executors do): they are the driver's, made absolute (the shards wrote their parts in
// the executors' directories and the merge found none); and its arguments are checked (no N
// was a traceback).
TEST(Engines, SparkPipeScriptTakesRelativePathsAndChecksItsArguments) {
  const std::string dir =
      std::string(::testing::TempDir()) + "/flowsift-spark-rel-" + std::to_string(::getpid());
  const std::string bin = FLOWSIFT_BINARY;
  const std::string bin_dir = bin.substr(0, bin.rfind('/'));
  const std::string spark = "env -u FLOWSIFT PATH='" + bin_dir + "':\"$PATH\" PYTHONPATH='" +
                            FLOWSIFT_SOURCE_DIR + "/tests/docs/pyspark_standin' python3 '" +
                            kEngines + "spark_pipe.py'";
  auto r =
      RunCommand("rm -rf '" + dir + "' && mkdir -p '" + dir + "' && cd '" + dir + "' && '" + bin +
                 "' gen -o data --records 20000 --files 4 >/dev/null 2>&1 && '" + bin +
                 "' run data -o one --no-progress 2>/dev/null && " + spark +
                 " data out 2 2>&1 && cmp one/windows.csv.zst out/windows.csv.zst && echo same");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("same"), std::string::npos) << r.out;
  // A relative FLOWSIFT is the driver's file too (executors run in directories of their own).
  const std::string relative =
      "FLOWSIFT=bin/flowsift PYTHONPATH='" + std::string(FLOWSIFT_SOURCE_DIR) +
      "/tests/docs/pyspark_standin' python3 '" + kEngines + "spark_pipe.py'";
  r = RunCommand(
      "cd '" + dir + "' && mkdir -p bin && ln -sf '" + bin + "' bin/flowsift && " + relative +
      " data out2 2 2>&1 && cmp one/windows.csv.zst out2/windows.csv.zst && " + "echo same");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("same"), std::string::npos) << r.out;
  for (const char* args : {"", " data out", " data out 0", " data out x"}) {
    r = RunCommand("cd '" + dir + "' && " + spark + args + " 2>&1");
    EXPECT_EQ(r.code, 2) << args << ": " << r.out;
    EXPECT_NE(r.out.find("usage: spark_pipe.py INPUT OUT N"), std::string::npos) << r.out;
  }
  RunCommand("rm -rf '" + dir + "'");
}

// map.sbatch and merge.sbatch run as Slurm would run them (its variables faked): a 4-task array
// with -j among the run options (it added its own --threads: "At Most 1"), then shard 2 rerun
// alone with FLOWSIFT_SHARD (sbatch --array=2 made it shard 0/1 and replaced part 0 with every
// input), then the merge: the tables of one run. --shard among the options and a bad N are
// usage errors; --strict fails the task of a shard with a bad line (it passed, saying "some
// inputs failed").
TEST(Engines, SlurmMapTasksRerunOneShardAndMerge) {
  const std::string dir =
      std::string(::testing::TempDir()) + "/flowsift-slurm-" + std::to_string(::getpid());
  const std::string slurm = std::string(FLOWSIFT_SOURCE_DIR) + "/scripts/slurm/";
  const std::string setup = "rm -rf '" + dir + "' && mkdir -p '" + dir + "' && cd '" + dir +
                            "' && export FLOWSIFT='" + FLOWSIFT_BINARY + "' && ";
  const std::string task = "SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_COUNT=4 bash '" + slurm +
                           "map.sbatch' parts data -j 1 >/dev/null 2>&1";
  auto r = RunCommand(
      setup +
      "\"$FLOWSIFT\" gen -o data --records 20000 --files 4 >/dev/null 2>&1 && \"$FLOWSIFT\" run "
      "data -o one --no-progress 2>/dev/null && for i in 0 1 2 3; do SLURM_ARRAY_TASK_ID=$i " +
      task + " || exit 9; done && rm -rf parts/2 && FLOWSIFT_SHARD=02/4 bash '" + slurm +
      "map.sbatch' parts data >/dev/null 2>&1 && bash '" + slurm +
      "merge.sbatch' parts 4 out 2>/dev/null && cmp one/windows.csv.zst out/windows.csv.zst && cmp "
      "one/findings.jsonl.zst out/findings.jsonl.zst && echo same");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("same"), std::string::npos) << r.out;
  r = RunCommand("cd '" + dir + "' && SLURM_ARRAY_TASK_ID=0 SLURM_ARRAY_TASK_MIN=0 " +
                 "SLURM_ARRAY_TASK_COUNT=4 FLOWSIFT='" + FLOWSIFT_BINARY + "' bash '" + slurm +
                 "map.sbatch' p2 data --shard 1/4 2>&1");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("FLOWSIFT_SHARD=I/N, not --shard"), std::string::npos) << r.out;
  r = RunCommand("cd '" + dir + "' && bash '" + slurm + "merge.sbatch' parts x out2 2>&1");
  EXPECT_EQ(r.code, 2) << r.out;
  // FLOWSIFT_SHARD left in the environment of an array: refused, not every task on one shard.
  r = RunCommand("cd '" + dir + "' && FLOWSIFT_SHARD=1/4 SLURM_ARRAY_TASK_ID=0 " +
                 "SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_COUNT=4 bash '" + slurm +
                 "map.sbatch' p3 data 2>&1");
  EXPECT_EQ(r.code, 2) << r.out;
  // A bad line under --strict fails its task (exit 1) and only its task.
  r = RunCommand(
      "cd '" + dir +
      "' && printf '2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 x 40 1700000000 1700000060 "
      "ACCEPT OK\\n' > data/flows-00003.log && for i in 0 1 2 3; do SLURM_ARRAY_TASK_ID=$i "
      "SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_COUNT=4 FLOWSIFT='" +
      std::string(FLOWSIFT_BINARY) + "' bash '" + slurm +
      "map.sbatch' ps data --strict >/dev/null 2>&1; echo \"task $i $?\"; done");
  EXPECT_EQ(r.out, "task 0 0\ntask 1 0\ntask 2 0\ntask 3 1\n");
  RunCommand("rm -rf '" + dir + "'");
}

// submit without a controller (none started, or SLURM_CONF not exported in this shell): sbatch
// says only "Could not establish a configuration source" or "Unable to contact slurm
// controller"; submit adds what to do, and warns when the binary the jobs run is not found (every
// task would fail with 127). sbatch and scontrol are stand-ins that fail as Slurm's do.
TEST(Engines, SlurmSubmitSaysWhenNoControllerAnswers) {
  const std::string dir =
      std::string(::testing::TempDir()) + "/flowsift-slurm-down-" + std::to_string(::getpid());
  const std::string submit = std::string(FLOWSIFT_SOURCE_DIR) + "/scripts/slurm/submit";
  // Stand-ins on PATH: sbatch fails as with no slurm.conf, scontrol ping as with no controller.
  const std::string stubs =
      R"(mkdir -p bin && printf '#!/bin/sh\necho "sbatch: fatal: Could not establish a )"
      R"(configuration source" >&2; exit 1\n' > bin/sbatch && )"
      R"(printf '#!/bin/sh\nexit 1\n' > bin/scontrol && chmod +x bin/sbatch bin/scontrol && )";
  auto r = RunCommand("rm -rf '" + dir + "' && mkdir -p '" + dir + "' && cd '" + dir + "' && " +
                      stubs + "PATH=\"$PWD/bin:$PATH\" FLOWSIFT='" + FLOWSIFT_BINARY + "' bash '" +
                      submit + "' 2 parts out data 2>&1");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("Could not establish a configuration source"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("submit: no Slurm controller answers"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("local-cluster start"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("warning"), std::string::npos) << r.out;
  // A binary that is not there is said before anything is queued.
  r = RunCommand("cd '" + dir +
                 "' && PATH=\"$PWD/bin:$PATH\" FLOWSIFT=/nonexistent/flowsift bash '" + submit +
                 "' 2 parts out data 2>&1");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("submit: warning: /nonexistent/flowsift is not found here"),
            std::string::npos)
      << r.out;
  RunCommand("rm -rf '" + dir + "'");
}

TEST(Engines, SlurmScriptsAreValidBash) {
  for (const char* name : {"map.sbatch", "merge.sbatch", "submit", "local-cluster"}) {
    const std::string path = std::string(FLOWSIFT_SOURCE_DIR) + "/scripts/slurm/" + name;
    const auto r = RunCommand("bash -n " + path + " 2>&1");
    EXPECT_EQ(r.code, 0) << name << ": " << r.out;
  }
  // The map script runs its shard with --partial and the array's own index and count.
  const std::string map = ReadFile(std::string(FLOWSIFT_SOURCE_DIR) + "/scripts/slurm/map.sbatch");
  EXPECT_NE(map.find("--shard \"$index/$count\" --partial"), std::string::npos);
  EXPECT_NE(map.find("SLURM_ARRAY_TASK_COUNT"), std::string::npos);
}

}  // namespace
}  // namespace flowsift
