// How many CPUs this process may use: the default of `-j/--threads`.
#ifndef FLOWSIFT_PIPELINE_CPUS_H_
#define FLOWSIFT_PIPELINE_CPUS_H_

#include <string>

namespace flowsift {

// The CPUs this process may run on, at least 1: the CPUs of its affinity mask (`taskset`, a
// Slurm job's cpuset, `docker --cpuset-cpus`), and no more than its cgroup's CPU quota rounded
// up (`docker --cpus 2`, a Kubernetes CPU limit). std::thread::hardware_concurrency counts the
// machine's CPUs instead: a Slurm task given 4 of a node's 128 ran 128 threads, 64 partitions
// and 512 chunks in flight (2 GiB of buffers) on its 4 CPUs.
unsigned UsableCpus();

// The CPU quota of the cgroup this process is in, and of its ancestors (the smallest), as a
// whole number of CPUs rounded up; 0 when none is set or none can be read. cgroup v2 (`cpu.max`:
// "max 100000" or "150000 100000") and v1 (`cpu.cfs_quota_us`, -1 for none, over
// `cpu.cfs_period_us`). `root` prefixes /proc and /sys, for tests.
unsigned CgroupCpuLimit(const std::string& root = "");

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_CPUS_H_
