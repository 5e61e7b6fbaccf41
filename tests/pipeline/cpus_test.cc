// The default thread count: the affinity mask, and cgroup CPU quotas on made-up /proc and /sys
// trees.
#include "pipeline/cpus.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>

#include <filesystem>
#include <limits>
#include <thread>

#include "tests/test_util.h"

namespace flowsift {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::WriteFile;

TEST(CgroupCpuLimit, V2QuotaRoundsUpAndTheSmallestAncestorWins) {
  TempDir root;
  const fs::path cg = root.path() / "sys/fs/cgroup";
  WriteFile(root.path() / "proc/self/cgroup", "0::/system.slice/job.scope\n");
  WriteFile(cg / "system.slice/job.scope/cpu.max", "max 100000\n");
  EXPECT_EQ(CgroupCpuLimit(root.path().string()), 0u);  // no quota anywhere
  WriteFile(cg / "system.slice/job.scope/cpu.max", "150000 100000\n");
  EXPECT_EQ(CgroupCpuLimit(root.path().string()), 2u);  // 1.5 CPUs: two threads
  WriteFile(cg / "system.slice/job.scope/cpu.max", "50000 100000\n");
  EXPECT_EQ(CgroupCpuLimit(root.path().string()), 1u);  // half a CPU is still one thread
  WriteFile(cg / "system.slice/job.scope/cpu.max", "800000 100000\n");
  WriteFile(cg / "system.slice/cpu.max", "300000 100000\n");
  EXPECT_EQ(CgroupCpuLimit(root.path().string()), 3u);  // the parent's is smaller
  WriteFile(cg / "cpu.max", "200000 100000\n");
  EXPECT_EQ(CgroupCpuLimit(root.path().string()), 2u);  // and the root's smaller still
}

TEST(CgroupCpuLimit, AContainersOwnCgroupIsTheMount) {
  // In a cgroup namespace /proc/self/cgroup says "/", or a host path the container cannot see.
  TempDir root;
  WriteFile(root.path() / "sys/fs/cgroup/cpu.max", "400000 100000\n");
  WriteFile(root.path() / "proc/self/cgroup", "0::/\n");
  EXPECT_EQ(CgroupCpuLimit(root.path().string()), 4u);
  WriteFile(root.path() / "proc/self/cgroup", "0::/kubepods/burstable/pod1/abc\n");
  EXPECT_EQ(CgroupCpuLimit(root.path().string()), 4u);
  WriteFile(root.path() / "proc/self/cgroup", "0::/../../etc\n");  // never above the mount
  EXPECT_EQ(CgroupCpuLimit(root.path().string()), 4u);
}

TEST(CgroupCpuLimit, V1CpuController) {
  TempDir root;
  const fs::path cpu = root.path() / "sys/fs/cgroup/cpu,cpuacct";
  WriteFile(root.path() / "proc/self/cgroup",
            "12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n0::/\n");
  WriteFile(cpu / "docker/abc/cpu.cfs_quota_us", "-1\n");
  WriteFile(cpu / "docker/abc/cpu.cfs_period_us", "100000\n");
  EXPECT_EQ(CgroupCpuLimit(root.path().string()), 0u);
  WriteFile(cpu / "docker/abc/cpu.cfs_quota_us", "250000\n");
  EXPECT_EQ(CgroupCpuLimit(root.path().string()), 3u);
  // "cpuacct" alone is not the cpu controller.
  WriteFile(root.path() / "proc/self/cgroup", "4:cpuacct:/docker/abc\n");
  EXPECT_EQ(CgroupCpuLimit(root.path().string()), 0u);
}

TEST(CgroupCpuLimit, NothingReadableIsNoLimit) {
  TempDir root;
  EXPECT_EQ(CgroupCpuLimit(root.path().string()), 0u);  // no /proc at all
  WriteFile(root.path() / "proc/self/cgroup", "garbage\n::\n0::/a\n");
  WriteFile(root.path() / "sys/fs/cgroup/a/cpu.max", "lots 100000\n");
  EXPECT_EQ(CgroupCpuLimit(root.path().string()), 0u);
  WriteFile(root.path() / "sys/fs/cgroup/a/cpu.max", "100000 0\n");
  EXPECT_EQ(CgroupCpuLimit(root.path().string()), 0u);
}

// A quota file that is not what the kernel writes is no limit, whole, not the digits it starts
// with: "150000abc 100000" was 2 CPUs and "1.5e5 100000" one, where "lots 100000" was none.
TEST(CgroupCpuLimit, AMalformedQuotaIsNoLimit) {
  TempDir root;
  WriteFile(root.path() / "proc/self/cgroup", "0::/\n");
  for (const char* max : {"150000\n", "150000abc 100000\n", "1.5e5 100000\n", "150000 100000x\n",
                          "150000 1e5\n", " \n", "+150000 100000\n"}) {
    WriteFile(root.path() / "sys/fs/cgroup/cpu.max", max);
    EXPECT_EQ(CgroupCpuLimit(root.path().string()), 0u) << max;
  }
  WriteFile(root.path() / "sys/fs/cgroup/cpu.max", "150000 100000\n");
  EXPECT_EQ(CgroupCpuLimit(root.path().string()), 2u);  // the same files, well formed
}

TEST(CgroupCpuLimit, V1MalformedOrPartialQuotaIsNoLimit) {
  TempDir root;
  const fs::path cpu = root.path() / "sys/fs/cgroup/cpu";
  WriteFile(root.path() / "proc/self/cgroup", "3:cpu:/job\n");
  WriteFile(cpu / "job/cpu.cfs_quota_us", "150000\n");
  EXPECT_EQ(CgroupCpuLimit(root.path().string()), 0u);  // no period file
  WriteFile(cpu / "job/cpu.cfs_period_us", "100000\n");
  EXPECT_EQ(CgroupCpuLimit(root.path().string()), 2u);  // 1.5 CPUs: two threads
  WriteFile(cpu / "job/cpu.cfs_quota_us", "20000\n");
  EXPECT_EQ(CgroupCpuLimit(root.path().string()), 1u);  // a fifth of a CPU is still one thread
  for (const char* quota : {"lots\n", "150000x\n", "1.5\n", "\n", "99999999999999999999\n"}) {
    WriteFile(cpu / "job/cpu.cfs_quota_us", quota);
    EXPECT_EQ(CgroupCpuLimit(root.path().string()), 0u) << quota;
  }
  WriteFile(cpu / "job/cpu.cfs_quota_us", "150000\n");
  WriteFile(cpu / "job/cpu.cfs_period_us", "100000us\n");
  EXPECT_EQ(CgroupCpuLimit(root.path().string()), 0u);
}

// Only the cgroup and its ancestors up to the hierarchy's mount are read: a path above the
// mount (what /proc/self/cgroup says, in a cgroup namespace, of a cgroup outside it: "/../x")
// is the mount's own, even when the made-up tree has a directory there, and no cpu.max above
// the mount counts.
TEST(CgroupCpuLimit, NeverReadsAboveTheMount) {
  TempDir root;
  WriteFile(root.path() / "sys/fs/cgroup/cpu.max", "400000 100000\n");
  WriteFile(root.path() / "sys/fs/x/cpu.max", "100000 100000\n");  // outside the mount
  WriteFile(root.path() / "proc/self/cgroup", "0::/../x\n");
  EXPECT_EQ(CgroupCpuLimit(root.path().string()), 4u);
  WriteFile(root.path() / "sys/fs/cgroup/a/cpu.max", "max 100000\n");
  WriteFile(root.path() / "sys/fs/cpu.max", "100000 100000\n");  // the mount's parent
  WriteFile(root.path() / "proc/self/cgroup", "0::/a\n");
  EXPECT_EQ(CgroupCpuLimit(root.path().string()), 4u);
}

// A quota of more CPUs than an unsigned holds (the kernel takes quotas up to 2^44 - 1 us and
// periods from 1,000 us; one near INT64_MAX is only the file's text) is no limit smaller than the
// machine: it was cut to 32 bits, "4294967297000 1000" to 1 CPU, and INT64_MAX overflowed to 1.
TEST(CgroupCpuLimit, AHugeQuotaIsNoSmallLimit) {
  TempDir root;
  WriteFile(root.path() / "proc/self/cgroup", "0::/\n");
  for (const char* max : {"4294967297000 1000\n", "9223372036854775807 100000\n"}) {
    WriteFile(root.path() / "sys/fs/cgroup/cpu.max", max);
    EXPECT_EQ(CgroupCpuLimit(root.path().string()), std::numeric_limits<unsigned>::max()) << max;
  }
  // Just over one CPU is two, at the top of the range too (quota + period - 1 overflowed there).
  WriteFile(root.path() / "sys/fs/cgroup/cpu.max", "9223372036854775807 9223372036854775806\n");
  EXPECT_EQ(CgroupCpuLimit(root.path().string()), 2u);
}

TEST(UsableCpus, FollowsTheAffinityMask) {
  const unsigned all = UsableCpus();
  EXPECT_GE(all, 1u);
  EXPECT_LE(all, std::max(1u, std::thread::hardware_concurrency()));
  // A thread pinned to one CPU (as `taskset -c 0` pins a process) may use one.
  unsigned pinned = 0;
  std::thread t([&pinned] {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(sched_getcpu(), &set);
    ASSERT_EQ(pthread_setaffinity_np(pthread_self(), sizeof(set), &set), 0);
    pinned = UsableCpus();
  });
  t.join();
  EXPECT_EQ(pinned, 1u);
}

}  // namespace
}  // namespace flowsift
