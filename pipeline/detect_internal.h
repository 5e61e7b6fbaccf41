// The detectors' state (pipeline/detect.h): keys, per-key values and the bounded sets they use.
// Internal to detect.cc (adding rows, merging), detect_partial.cc (saving and loading),
// detect_findings.cc and detect_volumes.cc (evaluation).
#ifndef FLOWSIFT_PIPELINE_DETECT_INTERNAL_H_
#define FLOWSIFT_PIPELINE_DETECT_INTERNAL_H_

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <numeric>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "kernels/addr.h"
#include "pipeline/detect.h"
#include "pipeline/distinct.h"
#include "pipeline/flat_map.h"
#include "pipeline/name_index.h"
#include "pipeline/saturating.h"
#include "pipeline/serial.h"

namespace flowsift {
namespace detect_internal {

using kernels::Addr128;

inline bool AddrLess(const Addr128& a, const Addr128& b) {
  return a.hi != b.hi ? a.hi < b.hi : a.lo < b.lo;
}
inline std::string Text(const Addr128& a) { return kernels::FormatAddr(a); }

inline constexpr uint8_t kTcp = 6;
inline constexpr uint8_t kSyn = 2, kSynAck = 18;
// A client's ephemeral ports start at this (Linux 32768-60999, Windows 49152-65535); the ports
// below are services (well-known, and registered ones such as 8443 or 5432): a REJECT from a
// service port to an ephemeral one is a reply (Detector::AddRows).
inline constexpr uint16_t kEphemeralPorts = 32768;
// TRW contacts kept per source: the walk decides after 5.4 contacts on average (Wald's
// expectation with SiLK's constants, detections.md section 3); 32 leave room for mixed walks.
inline constexpr size_t kTrwContacts = 32;
// Sample values kept as evidence: the smallest ones, so that merges agree.
inline constexpr size_t kSamples = 10;
// Exfiltration destinations tracked exactly per (source, window, interface); past this many
// the per-destination bytes are dropped for a HeavyDsts sketch (whether that happens depends on
// the set alone). A list of 1,024 was measured: its binary search over 24 KiB missed the cache
// for most rows of the sides with many destinations, likely NAT gateways' (the 1 GiB
// benchmark's detection CPU +0.15 s, 5 rounds).
inline constexpr size_t kExfilDsts = 64;
// The sketch past the list takes records of at least this many bytes: a bulk transfer's. The
// smallest upload exfiltration reports, baseline_min_bytes' 100 MiB in an hour, is ~1.7 MB a
// minute, so its records (60 s at least) pass; the small records of browsing and API calls,
// most of a NAT gateway's, stay off it. Each Add touches ~7 lines of a bucket: one on every row
// of such sides cost the 1 GiB benchmark ~0.06 s of detection CPU, with 64 KiB here +0.03 and
// +0.18 s in two sets of 5 rounds, with 1 MiB nothing measurable (callgrind counts no misses).
// A per-record rule keeps the sketch a function of the records alone.
inline constexpr uint64_t kHeavyRecordBytes = uint64_t{1} << 20;
// Destinations an exfiltration finding names (evidence top_dsts).
inline constexpr size_t kTopDsts = 5;

// Up to N values in place (no heap): the bounded samples and interface sets of every key,
// of which a million-source scan creates millions.
template <typename T, size_t N>
class Bounded {
 public:
  T* begin() { return v_; }
  T* end() { return v_ + n_; }
  const T* begin() const { return v_; }
  const T* end() const { return v_ + n_; }
  size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  const T& operator[](size_t i) const { return v_[i]; }
  const T& front() const { return v_[0]; }
  static constexpr size_t capacity() { return N; }
  // Inserts before `pos`; when full, the last value falls off.
  void insert(T* pos, const T& x) {
    const size_t i = static_cast<size_t>(pos - v_);
    if (i >= N) return;
    const size_t last = n_ < N ? n_ : N - 1;
    for (size_t j = last; j > i; --j) v_[j] = v_[j - 1];
    v_[i] = x;
    if (n_ < N) ++n_;
  }
  void clear() { n_ = 0; }

 private:
  T v_[N] = {};
  uint32_t n_ = 0;
};

// A vector whose elements never move: blocks of 1,024, found through one small array of block
// pointers. A std::deque of 128-byte elements holds four per block, and its block map (a
// pointer per four elements) was one more cache miss on the way to each TRW state.
template <typename T>
class BlockVector {
 public:
  static constexpr size_t kBlock = 1024;
  T& emplace_back() {
    if (size_ % kBlock == 0) blocks_.push_back(std::make_unique<T[]>(kBlock));
    const size_t i = size_++;
    return blocks_[i / kBlock][i % kBlock];
  }
  T& operator[](size_t i) { return blocks_[i / kBlock][i % kBlock]; }
  const T& operator[](size_t i) const { return blocks_[i / kBlock][i % kBlock]; }
  size_t size() const { return size_; }

 private:
  std::vector<std::unique_ptr<T[]>> blocks_;
  size_t size_ = 0;
};

// Interned interface names; ids are per Detector and remapped by Merge. The index is the
// aggregator's (NameIndex): a std::unordered_map of strings here (a node, std::hash's bytes and
// a compare per lookup) was 2.3% of a one-thread run over 10,000 interfaces.
struct Names {
  std::vector<std::string> names;
  NameIndex index;

  uint32_t Id(std::string_view name) { return Id(name, NameKey::Of(name)); }
  uint32_t Id(std::string_view name, const NameKey& key) {
    const auto count = static_cast<uint32_t>(names.size());
    const uint32_t id =
        index.FindOrAdd(key, name, count, [&](uint32_t k) -> std::string_view { return names[k]; });
    if (id == count) names.emplace_back(name);
    return id;
  }
};

// The kMaxInterfaces bytewise-smallest interface names seen, as ids sorted by name.
struct InterfaceSet {
  Bounded<uint32_t, kMaxInterfaces> ids;
  // Almost always present already, and nearly every state update calls this: the integer
  // compares inline in the row loops, the insertion by name (string compares) out of line.
  [[gnu::always_inline]] void Add(uint32_t id, const Names& n) {
    if (std::find(ids.begin(), ids.end(), id) != ids.end()) return;
    if (ids.empty()) {  // a new state's first update
      ids.insert(ids.begin(), id);
      return;
    }
    Insert(id, n);
  }
  [[gnu::noinline]] void Insert(uint32_t id, const Names& n) {
    const std::string& name = n.names[id];
    auto it = std::lower_bound(ids.begin(), ids.end(), name,
                               [&](uint32_t x, const std::string& v) { return n.names[x] < v; });
    if (it != ids.end() && *it == id) return;
    if (ids.size() == kMaxInterfaces && it == ids.end()) return;
    ids.insert(it, id);
  }
};

// Flows, packets, bytes and times of the records behind one piece of state.
struct Activity {
  uint64_t flows = 0, packets = 0, bytes = 0;
  uint64_t first = UINT64_MAX, last = 0;
  InterfaceSet ifaces;
  void Add(uint64_t p, uint64_t b, uint64_t start, uint64_t end, uint32_t iface, const Names& n) {
    ++flows;
    AddSaturating(packets, p);
    AddSaturating(bytes, b);
    first = std::min(first, start);
    last = std::max(last, std::max(end, start));
    ifaces.Add(iface, n);
  }
  void Merge(const Activity& o, const std::vector<uint32_t>& remap, const Names& n) {
    flows += o.flows;
    AddSaturating(packets, o.packets);
    AddSaturating(bytes, o.bytes);
    first = std::min(first, o.first);
    last = std::max(last, o.last);
    for (uint32_t id : o.ifaces.ids) ifaces.Add(remap[id], n);
  }
};

// The k smallest values of a total order.
template <typename T, typename Less>
void AddSmallest(std::vector<T>& v, const T& x, size_t k, Less less) {
  auto it = std::lower_bound(v.begin(), v.end(), x, less);
  if (it != v.end() && !less(x, *it)) return;  // equal: present
  if (v.size() == k && it == v.end()) return;
  // A full list drops its largest value before the insert, not after: inserting first grew
  // its storage to twice k for one value more than it keeps.
  const auto at = it - v.begin();
  if (v.size() == k) v.pop_back();
  v.insert(v.begin() + at, x);
}
template <typename T, size_t N, typename Less>
[[gnu::noinline]] void InsertSmallest(Bounded<T, N>& v, const T& x, Less less) {
  T* it = std::lower_bound(v.begin(), v.end(), x, less);
  if (it != v.end() && !less(x, *it)) return;
  v.insert(it, x);
}
// Called for most state updates, where x is usually the largest value kept already, or not
// below it in a full sample: those two checks inline, the search out of line.
template <typename T, size_t N, typename Less>
[[gnu::always_inline]] inline void AddSmallest(Bounded<T, N>& v, const T& x, size_t /*k: N*/,
                                               Less less) {
  if (v.empty()) {  // a new state's first update
    v.insert(v.begin(), x);
    return;
  }
  if (!less(x, v[v.size() - 1]) && (v.size() == N || !less(v[v.size() - 1], x))) return;
  InsertSmallest(v, x, less);
}
using PortSample = Bounded<uint16_t, kSamples>;

// An exact set of ports: a sorted list, then a 65,536-bit map.
class PortSet {
 public:
  void Add(uint16_t p) {
    if (bits_) {
      uint64_t& w = bits_[p >> 6];
      const uint64_t bit = uint64_t{1} << (p & 63);
      count_ += (w & bit) == 0;
      w |= bit;
      return;
    }
    auto it = std::lower_bound(small_.begin(), small_.end(), p);
    if (it != small_.end() && *it == p) return;
    small_.insert(it, p);
    ++count_;
    if (small_.size() > 64) {
      bits_ = std::make_unique<uint64_t[]>(1024);
      std::fill(bits_.get(), bits_.get() + 1024, 0);
      for (uint16_t x : small_) bits_[x >> 6] |= uint64_t{1} << (x & 63);
      small_ = {};
    }
  }
  bool Contains(uint16_t p) const {
    if (bits_) return (bits_[p >> 6] >> (p & 63)) & 1;
    return std::binary_search(small_.begin(), small_.end(), p);
  }
  template <typename F>
  void ForEach(F&& f) const {
    if (!bits_) {
      for (uint16_t p : small_) f(p);
      return;
    }
    for (uint32_t w = 0; w < 1024; ++w) {
      for (uint64_t b = bits_[w]; b != 0; b &= b - 1) {
        f(static_cast<uint16_t>(w * 64 + static_cast<uint32_t>(__builtin_ctzll(b))));
      }
    }
  }
  void Merge(const PortSet& o) {
    o.ForEach([&](uint16_t p) { Add(p); });
  }
  uint64_t size() const { return count_; }

 private:
  std::vector<uint16_t> small_;
  std::unique_ptr<uint64_t[]> bits_;
  uint64_t count_ = 0;
};

// Protocol numbers seen: the finding names one when there was one.
struct Protocols {
  uint16_t lo = 256, hi = 0;
  void Add(uint8_t p) {
    lo = std::min<uint16_t>(lo, p);
    hi = std::max<uint16_t>(hi, p);
  }
  void Merge(const Protocols& o) {
    lo = std::min(lo, o.lo);
    hi = std::max(hi, o.hi);
  }
  std::optional<uint32_t> Single() const {
    return lo == hi ? std::optional<uint32_t>(lo) : std::nullopt;
  }
};

// A set of bucket numbers, one bit each (an OR a row) in a bitmap of 4,096 around the first
// one (two weeks of 5-minute buckets), a list for the rest (a damaged record's start decades
// off). A list of pushes with a cache of the last bucket cost ~0.07 s a GiB: a log's start times
// jitter over two or three buckets, row to row.
class ActiveTimes {
 public:
  void Add(uint64_t bucket) {
    const uint64_t off = bucket - base_;
    if (off < kBits) [[likely]] {
      bits_[off >> 6] |= uint64_t{1} << (off & 63);
      return;
    }
    AddOther(bucket);
  }
  void Merge(const ActiveTimes& o) {
    for (uint64_t b : o.Buckets()) Add(b);
  }
  // Ascending, each once.
  std::vector<uint64_t> Buckets() const {
    std::vector<uint64_t> v = other_;
    for (uint64_t w = 0; w < kBits / 64; ++w) {
      for (uint64_t x = bits_[w]; x != 0; x &= x - 1) {
        v.push_back(base_ + w * 64 + static_cast<uint64_t>(std::countr_zero(x)));
      }
    }
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
  }

 private:
  static constexpr uint64_t kBits = 4096;
  [[gnu::noinline]] void AddOther(uint64_t bucket) {
    if (!placed_) {        // the first bucket outside: the bitmap moves around it, once
      other_ = Buckets();  // those below 4,096 (1970) before it
      std::fill(std::begin(bits_), std::end(bits_), 0);
      placed_ = true;
      base_ = bucket >= kBits / 2 ? bucket - kBits / 2 : 0;
      Add(bucket);
      return;
    }
    if (!other_.empty() && other_.back() == bucket) return;
    other_.push_back(bucket);
    if (other_.size() >= 2 * compacted_ + 1024) {
      std::sort(other_.begin(), other_.end());
      other_.erase(std::unique(other_.begin(), other_.end()), other_.end());
      compacted_ = other_.size();
    }
  }
  bool placed_ = false;  // base_ chosen around a bucket (before: 0)
  uint64_t base_ = 0;
  uint64_t bits_[kBits / 64] = {};
  std::vector<uint64_t> other_;
  size_t compacted_ = 0;
};

// --- State keys ----------------------------------------------------------------------------------

struct PairKey {  // port_scan: (src, dst, window)
  Addr128 src, dst;
  uint64_t window;
  bool operator==(const PairKey&) const = default;
};
struct BruteKey {  // brute_force: (src, dst, port, window)
  Addr128 src, dst;
  uint64_t window;
  uint32_t port;
  bool operator==(const BruteKey&) const = default;
};
struct SweepKey {  // port_sweep: (src, port, protocol, window)
  Addr128 src;
  uint64_t window;
  uint32_t port_proto;  // port << 8 | protocol
  bool operator==(const SweepKey&) const = default;
};
struct HostKey {  // exfiltration (src) and fan-in (dst): (host, window)
  Addr128 host;
  uint64_t window;
  bool operator==(const HostKey&) const = default;
};
struct RelayKey {  // exfiltration: (host, window, interface id, destination port)
  Addr128 host;
  uint64_t window;
  uint32_t iface;
  uint32_t port;
  bool operator==(const RelayKey&) const = default;
};
struct IfaceKey {  // reject_spike: (interface id, window)
  uint32_t iface;
  uint64_t window;
  bool operator==(const IfaceKey&) const = default;
};

struct KeyHash {
  size_t operator()(const PairKey& k) const {
    return Mix64(HashAddr(k.src) ^ std::rotl(HashAddr(k.dst), 17) ^ k.window);
  }
  size_t operator()(const BruteKey& k) const {
    return Mix64(HashAddr(k.src) ^ std::rotl(HashAddr(k.dst), 17) ^ k.window ^
                 (uint64_t{k.port} << 48));
  }
  size_t operator()(const SweepKey& k) const {
    return Mix64(HashAddr(k.src) ^ k.window ^ (uint64_t{k.port_proto} << 40));
  }
  uint64_t operator()(const HostKey& k) const { return Mix64(HashAddr(k.host) ^ k.window); }
  uint64_t operator()(const RelayKey& k) const {
    return Mix64(HashAddr(k.host) ^ k.window ^ (uint64_t{k.iface} << 40) ^
                 (uint64_t{k.port} << 20));
  }
  uint64_t operator()(const Addr128& a) const { return HashAddr(a); }
  uint64_t operator()(const IfaceKey& k) const {
    return Mix64(k.window ^ (uint64_t{k.iface} << 40));
  }
};

// --- State values --------------------------------------------------------------------------------

struct ScanState {
  PortSet failed, answered;
  uint64_t rejected = 0;
  Protocols protocols;
  Activity activity;
};

struct SweepState {
  DistinctCounter dsts;
  Bounded<Addr128, kSamples> sample;  // smallest failed destinations
  uint64_t rejected = 0;
  Activity activity;
};

struct BruteState {
  DistinctCounter attempts;  // distinct source ports: one per connection
  uint64_t rejected = 0, probes = 0;
  Activity activity;
};

struct Contact {
  uint64_t window;
  Addr128 dst;
  bool success;
};
inline bool ContactLess(const Contact& a, const Contact& b) {
  return a.window != b.window ? a.window < b.window : AddrLess(a.dst, b.dst);
}

// Aligned to a cache line: two lines a state. BlockVector's blocks come from new[], whose
// array cookie put every state 8 bytes past a line, across three lines: one more miss for
// each of the ~850k external requests of the 1 GiB benchmark (cachegrind: LL misses -0.4%).
struct alignas(64) TrwState {
  std::vector<Contact> contacts;  // the kTrwContacts first, by (window, dst)
  PortSample ports;               // smallest destination ports
  Activity activity;

  void See(uint64_t window, const Addr128& dst, bool success) {
    // Full, and not before the last kept contact in (window, dst) order: it is that contact
    // again (the same destination in the same window), or it neither enters the list nor
    // moves a kept contact earlier (every kept contact of its destination is from an earlier
    // window). Time moves forward and a busy source's first contacts fill the list early, so
    // this is most rows of a busy source: no scan of the list.
    if (contacts.size() == kTrwContacts) {
      Contact& last = contacts.back();
      if (!ContactLess(Contact{window, dst, success}, last)) {
        if (last.window == window && last.dst == dst) last.success |= success;
        return;
      }
    }
    for (Contact& c : contacts) {
      if (c.dst == dst) {
        if (window < c.window) {
          c.window = window;
          c.success = success;
          std::sort(contacts.begin(), contacts.end(), ContactLess);
        } else if (window == c.window) {
          c.success |= success;
        }
        return;
      }
    }
    // Room for 4 at once: the 1 GiB benchmark's 174k sources keep 3.7 contacts on average, and
    // growing 1 -> 2 -> 4 was two reallocations each (mimalloc's new/delete under See were 1.7%
    // of a one-thread run). Detection CPU 0.714 -> 0.669 and 0.734 -> 0.689 s, peak RSS +6 MB
    // (two runs of stages.py, 5 alternating rounds each, one thread).
    if (contacts.capacity() == 0) contacts.reserve(4);
    AddSmallest(contacts, Contact{window, dst, success}, kTrwContacts, ContactLess);
  }
};

// The heaviest destinations of an upload to more than kExfilDsts of them, named without a list
// from their records of kHeavyRecordBytes or more:
// a bit-sum sketch (Cormode and Muthukrishnan's group testing for heavy hitters). A destination's
// hash picks one of kBuckets buckets; its bytes are added to the bucket's total and to the sum of
// each bit that is 1 in its address and in kCheckBits bits of its hash. A destination with more
// than half of its bucket's bytes spells itself there: each of its bits is on the side of that
// bit's sum that holds more than half the total. Top names such a majority when the address it
// spells hashes to that bucket and to the check bits spelled beside it, so a mixture of other
// addresses passes for one with a chance of 2^-20 a bucket. Sums commute and merge by addition:
// the sketch is a function of the (destination, bytes) pairs alone, in any order and any split.
// 16 buckets of 146 sums are 18 KiB, half a side's distinct counter past 2,048 values (an
// internal host sweeping the internet has one of each per window); a heavy destination needs
// more bytes than the rest of its bucket, about a sixteenth of the others'.
class HeavyDsts {
 public:
  static constexpr size_t kBuckets = 16, kAddrBits = 128, kCheckBits = 16;
  // Per bucket: the total, the bytes of IPv4 destinations (whose ::ffff:0:0/96 prefix bits are
  // not added one by one: an IPv4 address adds 1 + its own set bits, ~16, not ~32), the address
  // bits (lo's 0-63, hi's 64-127), the check bits (the hash's top kCheckBits).
  static constexpr size_t kStride = 2 + kAddrBits + kCheckBits;

  bool empty() const { return sums_.empty(); }
  void Add(const Addr128& dst, uint64_t bytes) {
    if (sums_.empty()) sums_.assign(kBuckets * kStride, 0);
    const uint64_t hash = HashAddr(dst);
    uint64_t* s = &sums_[hash % kBuckets * kStride];
    if (s[0] > kMaxSum - bytes) return AddSaturated(s, dst, hash, bytes);
    // Every sum is at most the total, which does not pass kMaxSum: plain additions.
    s[0] += bytes;
    uint64_t lo = dst.lo, hi = dst.hi;
    if (IsV4(dst)) {
      s[1] += bytes;
      lo &= 0xFFFFFFFF;
    }
    for (; lo != 0; lo &= lo - 1) s[2 + std::countr_zero(lo)] += bytes;
    for (; hi != 0; hi &= hi - 1) s[2 + 64 + std::countr_zero(hi)] += bytes;
    for (uint64_t c = Check(hash); c != 0; c &= c - 1) {
      s[2 + kAddrBits + std::countr_zero(c)] += bytes;
    }
  }
  void Merge(const HeavyDsts& other) {
    if (other.empty()) return;
    if (empty()) {
      sums_ = other.sums_;
      return;
    }
    for (size_t i = 0; i < sums_.size(); ++i) AddSaturating(sums_[i], other.sums_[i]);
  }
  // Up to n destinations that are the majority of their bucket, heaviest first (ties by
  // address), each with an upper bound of its bytes: the bucket's total less the largest sum of
  // a bit on the side the address is not (bytes that cannot be its own). Exact when the bucket
  // holds it and one other destination; never below its true bytes.
  std::vector<std::pair<Addr128, uint64_t>> Top(size_t n) const {
    std::vector<std::pair<Addr128, uint64_t>> top;
    for (size_t b = 0; b < kBuckets && !empty(); ++b) {
      const uint64_t* s = &sums_[b * kStride];
      if (s[0] == 0) continue;  // no bytes: nothing to name
      Addr128 a{0, 0};
      uint64_t check = 0;
      for (size_t bit = 0; bit < kAddrBits + kCheckBits; ++bit) {
        const uint64_t set = BitSum(s, bit);
        if (set <= s[0] - set) continue;  // 0 at a tie, where nothing has more than half
        if (bit >= kAddrBits) {
          check |= uint64_t{1} << (bit - kAddrBits);
        } else {
          (bit < 64 ? a.lo : a.hi) |= uint64_t{1} << (bit % 64);
        }
      }
      const uint64_t hash = HashAddr(a);
      if (hash % kBuckets != b || Check(hash) != check) continue;
      uint64_t elsewhere = 0;
      for (size_t bit = 0; bit < kAddrBits + kCheckBits; ++bit) {
        const bool mine = bit < kAddrBits ? ((bit < 64 ? a.lo : a.hi) >> (bit % 64)) & 1
                                          : (check >> (bit - kAddrBits)) & 1;
        const uint64_t set = BitSum(s, bit);
        elsewhere = std::max(elsewhere, mine ? s[0] - set : set);
      }
      top.push_back({a, s[0] - elsewhere});
    }
    std::sort(top.begin(), top.end(), [](const auto& x, const auto& y) {
      return x.second != y.second ? x.second > y.second : AddrLess(x.first, y.first);
    });
    if (top.size() > n) top.resize(n);
    return top;
  }
  // docs/partial.md: byte 0 when empty, else byte 1 and the sums.
  void Save(ByteWriter& w) const {
    w.U8(empty() ? 0 : 1);
    for (const uint64_t v : sums_) w.U64(v);
  }
  // Merges what Save wrote. False on malformed bytes: an unknown form, a sum above its bucket's
  // total.
  [[nodiscard]] bool Load(ByteReader& r) {
    const uint8_t form = r.U8();
    if (form == 0) return !r.failed();
    const size_t n = kBuckets * kStride;
    if (form != 1 || !r.Expect(n, 8)) return false;
    HeavyDsts loaded;
    loaded.sums_.resize(n);
    for (uint64_t& v : loaded.sums_) v = ClampToSum(r.U64());
    for (size_t i = 0; i < n; i += kStride) {
      for (size_t j = 1; j < kStride; ++j) {
        if (loaded.sums_[i + j] > loaded.sums_[i]) return false;
      }
    }
    Merge(loaded);
    return true;
  }

 private:
  static bool IsV4(const Addr128& a) {
    return a.hi == kernels::kIPv4MappedHi && (a.lo >> 32) == (kernels::kIPv4MappedLoPrefix >> 32);
  }
  static uint64_t Check(uint64_t hash) { return hash >> (64 - kCheckBits); }
  // The bytes of the bucket's destinations with `bit` set (address bits, then check bits):
  // the IPv4 prefix's bits 32-47 hold every IPv4 destination's bytes besides their own sums.
  // At most the total (both parts are bytes of other destinations, unless saturated).
  static uint64_t BitSum(const uint64_t* s, size_t bit) {
    const uint64_t v4 = bit >= 32 && bit < 48 ? s[1] : 0;
    return std::min(s[2 + bit] + v4, s[0]);
  }
  // Add near kMaxSum: every sum saturates (an archive's 8 EiB to one host's destinations).
  void AddSaturated(uint64_t* s, const Addr128& dst, uint64_t hash, uint64_t bytes) {
    AddSaturating(s[0], bytes);
    const bool v4 = IsV4(dst);
    if (v4) AddSaturating(s[1], bytes);
    for (size_t bit = 0; bit < kAddrBits; ++bit) {
      const bool prefix = v4 && bit >= 32;
      if (!prefix && ((bit < 64 ? dst.lo : dst.hi) >> (bit % 64)) & 1) {
        AddSaturating(s[2 + bit], bytes);
      }
    }
    for (size_t bit = 0; bit < kCheckBits; ++bit) {
      if ((Check(hash) >> bit) & 1) AddSaturating(s[2 + kAddrBits + bit], bytes);
    }
  }

  std::vector<uint64_t> sums_;  // kBuckets x kStride, empty until the first Add
};

// A destination of an exfiltration side's list: the bytes sent to it, and those of them in
// records of kHeavyRecordBytes (1 MiB) or more (what the sketch takes if the list is dropped).
// Trivially copyable, so that an insertion into the sorted list moves its tail by memmove (a
// std::pair, whose assignment is user-provided, moved element by element).
struct DstBytes {
  Addr128 dst;
  uint64_t bytes, bulk;
};
static_assert(std::is_trivially_copyable_v<DstBytes>);

// Bytes an internal host sent to external destinations, and relayed for other internal hosts,
// as seen on one interface in one window.
struct ExfilSide {
  uint32_t iface = 0;
  uint64_t flows = 0, packets = 0;
  std::vector<DstBytes> dsts;  // sorted by address; empty when too many
  bool too_many = false;
  HeavyDsts heavy;  // once too_many: every bulk record's bytes (empty until the first)
  DistinctCounter distinct;
  PortSample ports;  // smallest
  Protocols protocols;
  // Bytes out per destination port, sorted by port: a relay is subtracted port by port, so a
  // database that receives heavy queries on 5432 and uploads on 443 is not taken for a NAT.
  std::vector<std::pair<uint16_t, uint64_t>> port_bytes;
  uint64_t Out() const {  // bytes out, all ports
    uint64_t sum = 0;
    for (const auto& e : port_bytes) AddSaturating(sum, e.second);
    return sum;
  }
  void AddPortBytes(uint16_t port, uint64_t bytes) {
    auto it = std::lower_bound(port_bytes.begin(), port_bytes.end(), port,
                               [](const auto& e, uint16_t p) { return e.first < p; });
    if (it != port_bytes.end() && it->first == port) {
      AddSaturating(it->second, bytes);
    } else {
      port_bytes.insert(it, {port, bytes});
    }
  }
};

// Exfiltration: what an internal host sent out in one window, by interface. Its own type, not
// one beside the fan-in state's fields: each table's slots hold only what it uses (a slot of the
// one state for both was 216 bytes; 555,000 fan-in states of a day of 10,000 interfaces).
struct ExfilHost {
  std::vector<ExfilSide> sides;  // by interface id
  uint64_t first = UINT64_MAX, last = 0;

  ExfilSide& Side(uint32_t iface) {
    for (ExfilSide& s : sides) {
      if (s.iface == iface) return s;
    }
    sides.push_back({});
    sides.back().iface = iface;
    return sides.back();
  }
};

// Fan-in: external sources sending requests to one host in one window.
struct FaninState {
  DistinctCounter sources;
  uint64_t in_flows = 0, in_packets = 0, in_bytes = 0;
  uint64_t in_first = UINT64_MAX, in_last = 0;
  InterfaceSet in_ifaces;
  Protocols in_protocols;
  uint32_t port_lo = 65536, port_hi = 0;
  DistinctCounter in_ports;
};

// Reflection: UDP answers from amplifier ports (DNS 53, NTP 123 ...) that external sources sent
// to one internal host in one fan-in window; an answer from a host it never asked (State::asked)
// is what a reflection flood is made of.
struct ReflectState {
  DistinctCounter answered;               // sources of the answers
  PortSample ports;                       // the answers' source ports, smallest
  uint32_t port_lo = 65536, port_hi = 0;  // the answers' destination ports
  DistinctCounter dst_ports;              // and how many
  Activity activity;                      // of the answers
};

struct RejectState {
  uint64_t flows = 0, packets = 0, bytes = 0;
  uint64_t first = UINT64_MAX, last = 0;
  DistinctCounter sources, ports, dsts;
  PortSample sample_ports;
  Protocols protocols;
};

// Leaves the exact list for the sketch, with every destination's bulk bytes so far.
inline void DropDstList(ExfilSide& s) {
  if (s.too_many) return;
  for (const DstBytes& d : s.dsts) {
    if (d.bulk != 0) s.heavy.Add(d.dst, d.bulk);
  }
  s.dsts = {};
  s.too_many = true;
}

// `bytes` to dst, of which `bulk` in records of kHeavyRecordBytes or more: a row's bytes and
// BulkOf them, or a list entry's sums (a merge).
inline uint64_t BulkOf(uint64_t record_bytes) {
  return record_bytes >= kHeavyRecordBytes ? record_bytes : 0;
}
inline void AddDst(ExfilSide& s, const Addr128& dst, uint64_t bytes, uint64_t bulk) {
  if (s.too_many) {
    s.distinct.Add(HashAddr(dst));
    if (bulk != 0) s.heavy.Add(dst, bulk);
    return;
  }
  // The first entry not below dst, by a branchless binary search.
  const auto key = [](const Addr128& a) {
    return (static_cast<unsigned __int128>(a.hi) << 64) | a.lo;
  };
  const unsigned __int128 want = key(dst);
  auto it = s.dsts.begin();
  for (size_t n = s.dsts.size(); n > 0;) {
    const size_t half = n / 2;
    const bool below = key(it[half].dst) < want;
    it += below ? half + 1 : 0;
    n = below ? n - half - 1 : half;
  }
  if (it != s.dsts.end() && it->dst == dst) {
    // Counted in `distinct` when it entered the list: most rows of a host go to destinations
    // it has sent to already, and the counter's probe was most of this function.
    AddSaturating(it->bytes, bytes);
    AddSaturating(it->bulk, bulk);
    return;
  }
  s.distinct.Add(HashAddr(dst));
  s.dsts.insert(it, {dst, bytes, bulk});
  if (s.dsts.size() > kExfilDsts) DropDstList(s);
}

inline double Round3(double x) { return std::round(x * 1000) / 1000; }

}  // namespace detect_internal

using namespace detect_internal;  // NOLINT: this header serves the detector's own files only

// A failed attempt as the port-scan and sweep states need it.
struct Attempt {
  Addr128 dst;
  uint64_t start = 0, end = 0, packets = 0, bytes = 0;
  uint32_t iface = 0;
  uint16_t port = 0;
  uint8_t proto = 0;
  bool rejected = false, has_proto = false;
};
// A source's failed attempts in one scan window, kept as a list until there are more than
// kAttemptLog of them, then "promoted": applied to the port-scan and sweep tables, which take
// the source's later attempts directly. An internet-wide scan's million sources each make a few
// attempts, at random ports of random hosts: one small list per source instead of a scan key
// and a sweep key per attempt. Whether a key is promoted changes where its attempts are kept,
// never the findings: evaluation reads both (detect_findings.cc). 64, not 16: a list is 64
// bytes an attempt, a promoted attempt a port-scan and a sweep state of ~500 bytes with their
// slots, and the background internet scanners of the 1 GiB benchmark make 17-64 attempts in
// most 5-minute windows: promoted at 16, they held 40 MB of states, and the run's detection
// CPU was 11% higher (docs/performance-history.md, "Twenty-sixth session").
inline constexpr size_t kAttemptLog = 64;
struct AttemptLog {
  std::vector<Attempt> attempts;
  bool promoted = false;
};

// One row on its way from classification to the state updates (Detector::AddRows).
inline constexpr uint16_t kWantReject = 1, kWantScan = 2, kWantBrute = 4, kWantTrw = 8,
                          kWantExfil = 16, kWantRelay = 32, kWantFanIn = 64, kWantAnswer = 128,
                          kWantReflected = 256, kWantAsked = 512;
inline constexpr uint8_t kUdp = 17;
// How late a record's start may be: AWS logs it "up to 60 seconds after the packet was
// transmitted or received" (flowlogs.md), so a question and its answer may fall in two windows.
inline constexpr uint64_t kRecordLagSeconds = 60;
inline constexpr uint8_t kIcmp = 1, kIcmp6 = 58;
struct PendingRow {
  const Addr128* from = nullptr;
  const Addr128* to = nullptr;
  uint64_t packets = 0, bytes = 0, start = 0, end = 0;
  uint64_t h_trw = 0, h_fanin = 0, h_host = 0;  // table hashes of its keys
  TrwState* trw_state = nullptr;                // looked up ahead of the update
  FaninState* fanin_state = nullptr;
  uint32_t id = 0;  // interface
  uint16_t sport = 0, dport = 0, want = 0;
  uint8_t proto = 0;
  bool rejected = false, failed = false, has_ports = false, has_proto = false;
};

// What internal hosts sent one host on one interface and port in one exfiltration window (the
// relay table's value). The flows tell a gateway's copy of a sweep or brute force (a relayed
// flow for each attempt) from a host an admin's session went into with as many bytes as its
// attempts (one flow; DropRelayedDuplicates).
struct Relayed {
  uint64_t bytes = 0, flows = 0;
  void Add(uint64_t b, uint64_t f) {
    AddSaturating(bytes, b);
    AddSaturating(flows, f);
  }
};

// A relay update on its way from classification to the relay table (Detector::AddRows): the
// rows of internal-to-internal requests without pkt-dstaddr are most of the rows a detector
// classifies (65% on the generated data), and a relay is only an addition to one key.
struct RelayRow {
  RelayKey key;
  uint64_t hash, bytes;
};

struct Detector::State {
  DetectOptions o;
  Names names;
  DenseMap<PairKey, ScanState, KeyHash> scans;
  DenseMap<SweepKey, SweepState, KeyHash> sweeps;
  FlatMap<BruteKey, BruteState, KeyHash> brutes;
  // TRW sources: the table maps a source to 1 + its index in trw_states, so that its slots stay
  // small (24 bytes) and a million-source scan does not keep half-empty 150-byte slots.
  FlatMap<Addr128, uint32_t, KeyHash> trw;
  BlockVector<TrwState> trw_states;
  TrwState& Trw(const Addr128& src, uint64_t hash) {
    uint32_t& index = trw.FindOrInsert(src, hash);
    if (index == 0) {
      trw_states.emplace_back();
      index = static_cast<uint32_t>(trw_states.size());
    }
    return trw_states[index - 1];
  }
  TrwState& Trw(const Addr128& src) { return Trw(src, KeyHash{}(src)); }
  FlatMap<HostKey, ExfilHost, KeyHash> hosts;  // window = exfil window
  // Bytes and flows internal hosts sent to `host` (as dstaddr) on an interface: what a NAT
  // gateway or proxy relays, subtracted from its bytes out there.
  FlatMap<RelayKey, Relayed, KeyHash> relay;
  FlatMap<HostKey, FaninState, KeyHash> fanin;  // window = fan-in window
  FlatMap<IfaceKey, RejectState, KeyHash> rejects;
  FlatMap<HostKey, ReflectState, KeyHash> reflect;  // window = fan-in window
  // The external hosts an internal host sent UDP requests to at an amplifier port, by fan-in
  // window: a table of its own, since most hosts that ask (a public resolver, an NTP pool) are
  // never answered by a flood, and each of their windows is one small counter here.
  FlatMap<HostKey, DistinctCounter, KeyHash> asked;
  std::vector<bool> service_port;     // 65,536 flags (read only for ports of 1024 and above)
  std::vector<bool> brute_port;       // 65,536 flags
  std::vector<bool> reflection_port;  // 65,536 flags
  std::vector<PendingRow> pending;    // AddRows' scratch
  std::vector<uint32_t> inbound;      // AddRows' scratch: indices of the inbound pending rows
  std::vector<RelayRow> relay_rows;   // AddRows' scratch
  LocalIdMap local_ids;               // AddRows' scratch: the batch's interface ids -> names
  // Key: (source, scan window). Used when the scan and sweep windows are equal (the default);
  // otherwise attempts go to the tables directly.
  FlatMap<HostKey, AttemptLog, KeyHash> attempts;

  // The times with records in them (any row this detector was given, any interface), as
  // bucket numbers (start / ActiveStep()): the step is the gcd of the baseline windows
  // (reject spikes, fan-in, exfiltration), so each bucket lies in one window of each. Findings
  // counts a key's silent windows as zero in its baseline only where these have records: the
  // windows table's spans (the old source) are --window wide, and a -w 3600 run counted the
  // empty 5-minute windows after an hour's last record as quiet ones.
  ActiveTimes active;
  uint64_t ActiveStep() const {
    return std::max<uint64_t>(1,
                              std::gcd(std::gcd(o.reject_window, o.fanin_window), o.exfil_window));
  }

  bool LogAttempts() const { return o.scan_window == o.sweep_window; }
  // Adds one failed attempt of `src` to the port-scan and sweep tables.
  void ApplyAttempt(const Addr128& src, const Attempt& a) {
    ScanState& st = scans[PairKey{src, a.dst, WindowOf(a.start, o.scan_window)}];
    st.failed.Add(a.port);
    st.rejected += a.rejected;
    if (a.has_proto) st.protocols.Add(a.proto);
    st.activity.Add(a.packets, a.bytes, a.start, a.end, a.iface, names);
    SweepState& sw =
        sweeps[SweepKey{src, WindowOf(a.start, o.sweep_window), (uint32_t{a.port} << 8) | a.proto}];
    sw.dsts.Add(HashAddr(a.dst));
    AddSmallest(sw.sample, a.dst, kSamples, AddrLess);
    sw.rejected += a.rejected;
    sw.activity.Add(a.packets, a.bytes, a.start, a.end, a.iface, names);
  }
  void Promote(const Addr128& src, AttemptLog& log) {
    for (const Attempt& a : log.attempts) ApplyAttempt(src, a);
    std::vector<Attempt>().swap(log.attempts);
    log.promoted = true;
  }

  // Adds `other`. With `drain` == &other, each of other's tables is freed as soon as it is
  // merged, so that merging two big detectors does not hold both whole until the end.
  void MergeFrom(const State& other, State* drain = nullptr);
  void Save(ByteWriter& out) const;
  [[nodiscard]] bool Load(ByteReader& in);

  // States taken over by Detector::Absorb: their keys are disjoint from this state's and from
  // each other's (Aggregator::Route gives every key one owner), so each makes its findings
  // alone. Empty except in a run's result.
  std::vector<std::unique_ptr<State>> shards;
  // Folds the shards into this state's tables, freeing each as it goes.
  void Collapse() {
    if (shards.empty()) return;  // empty except after Absorb; AddRows calls this per block
    std::vector<std::unique_ptr<State>> taken = std::move(shards);
    shards.clear();
    for (auto& shard : taken) {
      MergeFrom(*shard, shard.get());
      shard.reset();
    }
  }
  // Bytes every internal host sent to external destinations, by (exfiltration window,
  // destination port), over all partitions: whether the hosts a gateway relayed for are seen
  // uploading themselves (AppendVolumeFindings). Added to by each partition's AddUploads.
  using UploadTotals = std::map<std::pair<uint64_t, uint16_t>, uint64_t>;
  void AddUploads(UploadTotals& totals) const;
  // Appends the findings of this state's own tables (not its shards'), without ids, unsorted:
  // the attempt detectors' (port_scan, port_sweep, scan_trw, brute_force; detect_findings.cc),
  // then the volume detectors' (exfiltration, reject_spike, ddos_fan_in; detect_volumes.cc).
  void AppendFindings(const std::vector<TimeSpan>& spans, const InterfaceLives* lives,
                      const UploadTotals& uploads, std::vector<Finding>& out) const;
  void AppendAttemptFindings(std::vector<Finding>& out) const;
  void AppendVolumeFindings(const std::vector<TimeSpan>& spans, const InterfaceLives* lives,
                            const UploadTotals& uploads, std::vector<Finding>& out) const;
};

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_DETECT_INTERNAL_H_
