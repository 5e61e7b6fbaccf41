// Preloaded under valgrind by scripts/bench: replaces Highway's timer calibration.
//
// libhwy.so (1.0.3) calibrates its timer in a static initializer, with RDTSCP, whenever it is
// loaded. valgrind 3.19 decodes RDTSCP only when the CPU's CPUID lists it, and some VMs hide it
// (the Zen 5 guest of the thirty-ninth session: docs/performance-history.md), so every program
// linked to libhwy died of SIGILL under callgrind before main. libhwy calls the function through
// its PLT, so a preloaded definition takes its place. flowsift never reads the timer; the value
// only has to be positive.
namespace hwy::platform {

double TimerResolution() { return 1.0; }

}  // namespace hwy::platform
