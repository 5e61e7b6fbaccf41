// The machine's limits that `scripts/bench` compares flowsift with, measured in the same run:
//
//   flowsift_limits memread BYTES REPS            one core summing u64 over a buffer in DRAM
//   flowsift_limits mmap FILE REPS                one core: mmap a file in the page cache, first
//                                                 touch (page faults) and sum u64, munmap
//   flowsift_limits inflate THREADS REPS FILE...  ISA-L inflate of gzip files to a 256 KiB
//                                                 buffer, files shared among THREADS threads
//   flowsift_limits chase REPS KIB...             one core: dependent loads of random 64-byte
//                                                 lines of a KIB-sized block, one size per line
//
// Each prints one JSON line: {"name", "threads", "bytes", "seconds": [one per repetition]}, with
// bytes the uncompressed bytes one repetition reads; chase prints {"name", "threads", "bytes"
// (the block's size), "ns": [nanoseconds a load, one per repetition]}. The buffers are touched
// before timing; the mmap and inflate inputs should be in the page cache (the script warms them
// up).
#include <fcntl.h>
#include <isa-l/igzip_lib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "kernels/prefetch.h"

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "flowsift_limits: %s\n", message.c_str());
  std::exit(1);
}

// Eight independent accumulators, so the loop is bound by loads, not by one add chain; the
// compiler vectorises it with the baseline ISA (no -march=native, like the kernels). Each line
// is prefetched 4 KiB ahead, as stage 1 prefetches its text (kernels/split.cc): the hardware's
// stream prefetchers stop at every 4 KiB page, and without this one core read 10.1-10.7 GB/s
// from DRAM on the Emerald Rapids Xeon against 12.0-15.2 with it (docs/performance-history.md,
// "Thirty-first session").
uint64_t SumWords(const uint64_t* p, size_t n) {
  uint64_t acc[8] = {};
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    flowsift::PrefetchLineAhead(p + i, 4096);
    for (int k = 0; k < 8; ++k) acc[k] += p[i + k];
  }
  for (; i < n; ++i) acc[0] += p[i];
  uint64_t sum = 0;
  for (const uint64_t a : acc) sum += a;
  return sum;
}

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

void Print(const char* name, unsigned threads, uint64_t bytes, const std::vector<double>& secs,
           uint64_t checksum) {
  std::printf("{\"name\": \"%s\", \"threads\": %u, \"bytes\": %llu, \"seconds\": [", name, threads,
              static_cast<unsigned long long>(bytes));
  for (size_t i = 0; i < secs.size(); ++i) std::printf("%s%.6f", i ? ", " : "", secs[i]);
  // The checksum keeps the sums observable, so the compiler cannot drop the loops.
  std::printf("], \"checksum\": %llu}\n", static_cast<unsigned long long>(checksum % 1000));
}

void MemRead(uint64_t bytes, int reps) {
  const size_t n = bytes / 8;
  std::vector<uint64_t> buf(n);
  for (size_t i = 0; i < n; ++i) buf[i] = i * 0x9E3779B97F4A7C15ull;
  std::vector<double> secs;
  uint64_t sum = 0;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = Clock::now();
    sum += SumWords(buf.data(), n);
    secs.push_back(Seconds(t0));
  }
  Print("memread", 1, n * 8, secs, sum);
}

void MmapRead(const char* path, int reps) {
  std::vector<double> secs;
  uint64_t sum = 0, size = 0;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = Clock::now();
    const int fd = open(path, O_RDONLY);
    if (fd < 0) Die(std::string("cannot open ") + path);
    struct stat st {};
    fstat(fd, &st);
    size = static_cast<uint64_t>(st.st_size);
    void* map = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) Die(std::string("cannot map ") + path);
    madvise(map, size, MADV_SEQUENTIAL);
    sum += SumWords(static_cast<const uint64_t*>(map), size / 8);
    munmap(map, size);
    close(fd);
    secs.push_back(Seconds(t0));
  }
  Print("mmap", 1, size, secs, sum);
}

// Inflates one gzip file (every member) from its mapping; returns the uncompressed size.
uint64_t InflateFile(const char* path, std::vector<uint8_t>& out) {
  const int fd = open(path, O_RDONLY);
  if (fd < 0) Die(std::string("cannot open ") + path);
  struct stat st {};
  fstat(fd, &st);
  const size_t size = static_cast<size_t>(st.st_size);
  void* map = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (map == MAP_FAILED) Die(std::string("cannot map ") + path);
  const uint8_t* in = static_cast<const uint8_t*>(map);
  size_t pos = 0;
  uint64_t total = 0;
  inflate_state state;
  while (pos + 2 <= size && in[pos] == 0x1f && in[pos + 1] == 0x8b) {
    isal_inflate_init(&state);
    state.crc_flag = ISAL_GZIP;
    state.next_in = const_cast<uint8_t*>(in + pos);
    state.avail_in = static_cast<uint32_t>(size - pos);  // generated files are < 4 GiB
    do {
      state.next_out = out.data();
      state.avail_out = static_cast<uint32_t>(out.size());
      if (isal_inflate(&state) < 0) Die(std::string("corrupt gzip data in ") + path);
      total += out.size() - state.avail_out;
    } while (state.block_state != ISAL_BLOCK_FINISH && state.avail_out == 0);
    if (state.block_state != ISAL_BLOCK_FINISH) Die(std::string("truncated gzip in ") + path);
    pos = static_cast<size_t>(state.next_in - in);
  }
  munmap(map, size);
  close(fd);
  return total;
}

void Inflate(unsigned threads, int reps, const std::vector<const char*>& files) {
  std::vector<double> secs;
  uint64_t bytes = 0;
  for (int r = 0; r < reps; ++r) {
    std::atomic<size_t> next{0};
    std::atomic<uint64_t> total{0};
    const auto t0 = Clock::now();
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t) {
      pool.emplace_back([&] {
        std::vector<uint8_t> out(256 << 10);  // the run's streaming buffer size
        for (size_t i; (i = next.fetch_add(1)) < files.size();) {
          total += InflateFile(files[i], out);
        }
      });
    }
    for (auto& t : pool) t.join();
    secs.push_back(Seconds(t0));
    bytes = total;
  }
  Print("inflate", threads, bytes, secs, bytes);
}

// A pointer chase: every load's address is the value the previous load returned, through one
// random cycle over all the 64-byte lines of `bytes`, so the time per load is the latency of
// the level of the memory hierarchy that holds a block of that size, with no overlap. The
// aggregation and detection tables are probed at random like this (though their loads overlap,
// prefetched): this curve says which of them the cache can hold. The block is advised onto
// 2 MiB pages where the kernel allows, so TLB misses do not stand in for cache misses.
void Chase(int reps, const std::vector<uint64_t>& kib) {
  for (const uint64_t size_kib : kib) {
    const size_t bytes = static_cast<size_t>(size_kib) << 10;
    const size_t lines = bytes / 64;
    void* block = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (bytes < 64 || block == MAP_FAILED) Die("cannot map " + std::to_string(size_kib) + " KiB");
    madvise(block, bytes, MADV_HUGEPAGE);
    auto* next = static_cast<uint64_t*>(block);  // line i's first word: the next line's index
    std::vector<uint32_t> order(lines);
    for (size_t i = 0; i < lines; ++i) order[i] = static_cast<uint32_t>(i);
    uint64_t rng = 0x9E3779B97F4A7C15ull;
    for (size_t i = lines - 1; i > 0; --i) {  // Fisher-Yates with a xorshift generator
      rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
      std::swap(order[i], order[rng % (i + 1)]);
    }
    for (size_t i = 0; i < lines; ++i) next[order[i] * 8] = order[(i + 1) % lines];
    uint64_t at = order[0];
    for (size_t i = 0; i < lines; ++i) at = next[at * 8];  // once around: the block is in place
    const size_t loads = std::max<size_t>(lines, 4'000'000);
    std::vector<double> ns;
    for (int r = 0; r < reps; ++r) {
      const auto t0 = Clock::now();
      for (size_t i = 0; i < loads; ++i) at = next[at * 8];
      ns.push_back(Seconds(t0) * 1e9 / static_cast<double>(loads));
    }
    munmap(block, bytes);
    std::printf("{\"name\": \"chase\", \"threads\": 1, \"bytes\": %zu, \"ns\": [", bytes);
    for (size_t i = 0; i < ns.size(); ++i) std::printf("%s%.2f", i ? ", " : "", ns[i]);
    std::printf("], \"checksum\": %llu}\n", static_cast<unsigned long long>(at % 1000));
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "memread" && argc == 4) {
    MemRead(std::strtoull(argv[2], nullptr, 10), std::atoi(argv[3]));
  } else if (cmd == "mmap" && argc == 4) {
    MmapRead(argv[2], std::atoi(argv[3]));
  } else if (cmd == "inflate" && argc >= 5) {
    Inflate(static_cast<unsigned>(std::atoi(argv[2])), std::atoi(argv[3]),
            std::vector<const char*>(argv + 4, argv + argc));
  } else if (cmd == "chase" && argc >= 4) {
    std::vector<uint64_t> kib;
    for (int i = 3; i < argc; ++i) kib.push_back(std::strtoull(argv[i], nullptr, 10));
    Chase(std::atoi(argv[2]), kib);
  } else {
    std::fprintf(stderr,
                 "usage: flowsift_limits memread BYTES REPS | mmap FILE REPS |"
                 " inflate THREADS REPS FILE... | chase REPS KIB...\n");
    return 2;
  }
  return 0;
}
