// The engine examples of docs/distributed.md (scripts/engines/, scripts/slurm/) parse and hold
// what a distributed run needs: a shard index from the engine, --partial, a merge of every part.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <set>
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

  // Retries: no rerun mends a usage error (exit 2), nor the merge's exit 1 (a part unreadable
  // or missing, OUT written). AWS Batch retries an exit that no evaluateOnExit rule matches.
  const auto exits_on = [](const json& strategy) {
    std::set<std::string> codes;
    for (const json& rule : strategy["evaluateOnExit"]) {
      if (rule["action"] == "EXIT") codes.insert(rule["onExitCode"].get<std::string>());
    }
    return codes;
  };
  EXPECT_EQ(exits_on(def["retryStrategy"]), (std::set<std::string>{"2"}));
  EXPECT_GE(def["retryStrategy"]["attempts"], 2);
  EXPECT_EQ(exits_on(merge["retryStrategy"]), (std::set<std::string>{"1", "2"}));
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

  // A pod failure policy (it needs restartPolicy Never) fails each Job at once on the exit
  // codes no rerun mends, naming the container that runs flowsift.
  const auto fails_job_on = [](const json& job) {
    const json& pod = job["spec"]["template"]["spec"];
    EXPECT_EQ(pod["restartPolicy"], "Never");
    std::set<int> codes;
    for (const json& rule : job["spec"]["podFailurePolicy"]["rules"]) {
      if (rule["action"] != "FailJob") continue;
      EXPECT_EQ(rule["onExitCodes"]["containerName"], pod["containers"][0]["name"]);
      EXPECT_EQ(rule["onExitCodes"]["operator"], "In");
      for (const json& c : rule["onExitCodes"]["values"]) codes.insert(c.get<int>());
    }
    return codes;
  };
  EXPECT_EQ(fails_job_on(map), (std::set<int>{2}));

  const json& merge = docs[1];
  EXPECT_EQ(merge["kind"], "Job");
  EXPECT_EQ(fails_job_on(merge), (std::set<int>{1, 2}));
  const std::string merge_args = Joined(merge["spec"]["template"]["spec"]["containers"][0]["args"]);
  EXPECT_NE(merge_args.find("flowsift merge $(seq -f /shared/parts/%g 0 " +
                            std::to_string(completions - 1) + ")"),
            std::string::npos)
      << merge_args;
}

std::string ShellQuoted(const std::string& s) {
  std::string q = "'";
  for (const char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// An engine's command with its volumes (/data/AWSLogs, /shared/) moved under dir.
std::string UnderDir(std::string script, const std::string& dir) {
  const std::pair<std::string, std::string> moves[] = {{"/data/AWSLogs", dir + "/data"},
                                                       {"/shared/", dir + "/shared/"}};
  for (const auto& [from, to] : moves) {
    for (size_t at = 0; (at = script.find(from, at)) != std::string::npos; at += to.size()) {
      script.replace(at, from.size(), to);
    }
  }
  return script;
}

// Runs an engine's map command (`sh -c MAP`) once per index, with `index_env` (which names the
// index as $i) as the engine sets it, then its merge command, in dir (data/ there, flowsift on
// PATH); returns their exit codes, "map 0 0 ... merge 0".
std::string RunEngine(const std::string& dir, const std::string& map, const std::string& merge,
                      int count, const std::string& index_env) {
  const auto r = RunCommand(
      "cd '" + dir + "' && export PATH=\"$PWD/bin:$PATH\" && codes= && for i in $(seq 0 " +
      std::to_string(count - 1) + "); do env " + index_env + " sh -c " +
      ShellQuoted(UnderDir(map, dir)) + " >/dev/null 2>&1; codes=\"$codes $?\"; done; sh -c " +
      ShellQuoted(UnderDir(merge, dir)) + " >/dev/null 2>&1; echo \"map$codes merge $?\"");
  return r.out;
}

std::string Codes(int count, int map_code, int merge_code) {
  std::string s = "map";
  for (int i = 0; i < count; ++i) s += " " + std::to_string(map_code);
  return s + " merge " + std::to_string(merge_code) + "\n";
}

// The AWS Batch and Kubernetes commands as the engines run them (the index from the engine, the
// paths of their volumes moved into a directory): the merge equals one run; a retried child
// (the part there) succeeds; a child whose inputs include a corrupt file succeeds, its merge
// exits 1 as one run does; a child that cannot write its part fails. Only the JSON and YAML's
// text was checked: an `-eq 2` for `-eq 1`, a dropped --force or `exit 0` for `exit $s` passed.
void CheckEngineRuns(const std::string& name, const std::string& map, const std::string& merge,
                     int count, const std::string& index_env) {
  SCOPED_TRACE(name);
  const std::string dir = std::string(::testing::TempDir()) + "/flowsift-engine-" + name + "-" +
                          std::to_string(::getpid());
  const std::string bin = FLOWSIFT_BINARY;
  auto r = RunCommand("rm -rf '" + dir + "' && mkdir -p '" + dir + "/bin' && cd '" + dir +
                      "' && ln -s '" + bin + "' bin/flowsift && '" + bin +
                      "' gen -o data --records 20000 --files 20 >/dev/null 2>&1 && '" + bin +
                      "' run data -o one --no-progress 2>/dev/null && echo ok");
  ASSERT_EQ(r.out, "ok\n");
  EXPECT_EQ(RunEngine(dir, map, merge, count, index_env), Codes(count, 0, 0));
  r = RunCommand("cd '" + dir +
                 "' && for t in windows.csv talkers.csv exposure.csv findings.jsonl;" +
                 " do cmp one/$t.zst shared/out/$t.zst || exit 1; done && echo same");
  EXPECT_EQ(r.out, "same\n");
  // Retried: every part is there already.
  EXPECT_EQ(RunEngine(dir, map, merge, count, index_env), Codes(count, 0, 0));
  // A corrupt input: its child succeeds (its part names it), the merge exits 1.
  r = RunCommand("cd '" + dir + "' && printf '\\037\\213\\010\\000garbage' > data/zz.log.gz && '" +
                 bin + "' run data -o one-bad --no-progress >/dev/null 2>&1; echo $?");
  ASSERT_EQ(r.out, "1\n");
  EXPECT_EQ(RunEngine(dir, map, merge, count, index_env), Codes(count, 0, 1));
  r = RunCommand("cd '" + dir + "' && cmp one-bad/windows.csv.zst shared/out/windows.csv.zst &&" +
                 " cmp one-bad/findings.jsonl.zst shared/out/findings.jsonl.zst && echo same");
  EXPECT_EQ(r.out, "same\n");
  // A part that cannot be written (a file where its directory goes) fails that child.
  r = RunCommand("cd '" + dir + "' && rm -rf shared/parts/1 && touch shared/parts/1 && echo ok");
  const std::string codes = RunEngine(dir, map, merge, count, index_env);
  EXPECT_EQ(codes.substr(0, 6), "map 0 ") << codes;
  EXPECT_NE(codes.substr(6, 2), "0 ") << codes;  // flowsift's 2: a file, not an output directory
  RunCommand("rm -rf '" + dir + "'");
}

TEST(Engines, AwsBatchAndKubernetesCommandsRunTheShardsAndMerge) {
  const json def = ReadJson("aws-batch-job-definition.json");
  const json& map_command = def["containerProperties"]["command"];
  ASSERT_EQ(map_command.size(), 3u);
  ASSERT_EQ(map_command[0], "sh");
  const json merge = ReadJson("aws-batch-submit-merge.json");
  const json& merge_command = merge["containerOverrides"]["command"];
  ASSERT_EQ(merge_command.size(), 3u);
  const int size = ReadJson("aws-batch-submit-map.json")["arrayProperties"]["size"];
  CheckEngineRuns("batch", map_command[2], merge_command[2], size,
                  "AWS_BATCH_JOB_ARRAY_INDEX=$i AWS_BATCH_JOB_ARRAY_SIZE=" + std::to_string(size));

  const std::string as_json = YamlAsJson(kEngines + "k8s-indexed-job.yaml");
  if (as_json.empty())
    GTEST_SKIP() << "python3-yaml not installed: ran the AWS Batch commands only";
  const json docs = json::parse(as_json);
  const json& k8s_map = docs[0]["spec"]["template"]["spec"]["containers"][0];
  const json& k8s_merge = docs[1]["spec"]["template"]["spec"]["containers"][0];
  ASSERT_EQ(k8s_map["args"].size(), 1u);
  ASSERT_EQ(k8s_merge["args"].size(), 1u);
  std::string env;
  for (const json& e : k8s_map["env"]) {
    env += " " + e["name"].get<std::string>() + "=" + e["value"].get<std::string>();
  }
  CheckEngineRuns("k8s", k8s_map["args"][0], k8s_merge["args"][0], docs[0]["spec"]["completions"],
                  "JOB_COMPLETION_INDEX=$i" + env);
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
  // map.sbatch as task 0 of a 4-task array into p2, with `options` among its run options.
  const auto first_task = [&](const std::string& options) {
    return RunCommand("cd '" + dir + "' && SLURM_ARRAY_TASK_ID=0 SLURM_ARRAY_TASK_MIN=0 " +
                      "SLURM_ARRAY_TASK_COUNT=4 FLOWSIFT='" + FLOWSIFT_BINARY + "' bash '" + slurm +
                      "map.sbatch' p2 data " + options + " 2>&1");
  };
  r = first_task("--shard 1/4");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("FLOWSIFT_SHARD=I/N, not --shard"), std::string::npos) << r.out;
  // -o among the run options (submit N PARTS OUT INPUT... -o OUT): named, not CLI11's "At Most 1".
  r = first_task("--out=out");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("the part's directory is PARTS/I (the first argument), not --out=out"),
            std::string::npos)
      << r.out;
  // -o OUT, as a run takes it, is refused as --out=OUT is.
  r = first_task("-o out");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("the part's directory is PARTS/I (the first argument), not -o"),
            std::string::npos)
      << r.out;
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
  const std::string stand_ins =
      R"(mkdir -p bin && printf '#!/bin/sh\necho "sbatch: fatal: Could not establish a )"
      R"(configuration source" >&2; exit 1\n' > bin/sbatch && )"
      R"(printf '#!/bin/sh\nexit 1\n' > bin/scontrol && chmod +x bin/sbatch bin/scontrol && )";
  auto r = RunCommand("rm -rf '" + dir + "' && mkdir -p '" + dir + "' && cd '" + dir + "' && " +
                      stand_ins + "PATH=\"$PWD/bin:$PATH\" FLOWSIFT='" + FLOWSIFT_BINARY +
                      "' bash '" + submit + "' 2 parts out data 2>&1");
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
