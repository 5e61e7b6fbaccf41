// Saving and loading the detectors' state (partial state files, docs/partial.md section
// "detection"): Detector::Save and Detector::Load, and the state's own Save and Load.
//
// Fixed-width little-endian fields in this order: interface names, then each table as a count
// and its entries. Map iteration order is not fixed, so two saves of equal state may differ in
// bytes; a load followed by Merge gives the same findings either way.
#include <algorithm>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/detect.h"
#include "pipeline/detect_internal.h"

namespace flowsift {

namespace {

void SaveAddr(ByteWriter& w, const Addr128& a) {
  w.U64(a.hi);
  w.U64(a.lo);
}
Addr128 LoadAddr(ByteReader& r) {
  Addr128 a;
  a.hi = r.U64();
  a.lo = r.U64();
  return a;
}

// A (host, window) key: the exfiltration, fan-in, reflection, asked and attempt-log tables'.
void SaveHostKey(ByteWriter& w, const HostKey& k) {
  SaveAddr(w, k.host);
  w.U64(k.window);
}
HostKey LoadHostKey(ByteReader& r) {
  HostKey k{LoadAddr(r), 0};
  k.window = r.U64();
  return k;
}
void SavePorts(ByteWriter& w, const PortSample& v) {
  w.U32(static_cast<uint32_t>(v.size()));
  for (uint16_t p : v) w.U16(p);
}
bool LoadPorts(ByteReader& r, PortSample& v, size_t max) {
  const uint32_t n = r.U32();
  if (n > max || !r.Expect(n, 2)) return false;
  v.clear();
  for (uint32_t i = 0; i < n; ++i) AddSmallest(v, r.U16(), max, std::less<uint16_t>());
  return !r.failed();
}
void SavePortSet(ByteWriter& w, const PortSet& s) {
  w.U32(static_cast<uint32_t>(s.size()));
  s.ForEach([&](uint16_t p) { w.U16(p); });
}
bool LoadPortSet(ByteReader& r, PortSet& s) {
  const uint32_t n = r.U32();
  if (n > 65536 || !r.Expect(n, 2)) return false;
  for (uint32_t i = 0; i < n; ++i) s.Add(r.U16());
  return !r.failed();
}
void SaveIfaces(ByteWriter& w, const InterfaceSet& s) {
  w.U32(static_cast<uint32_t>(s.ids.size()));
  for (uint32_t id : s.ids) w.U32(id);
}
bool LoadIfaces(ByteReader& r, InterfaceSet& s, const Names& names) {
  const uint32_t n = r.U32();
  if (n > kMaxInterfaces || !r.Expect(n, 4)) return false;
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t id = r.U32();
    if (id >= names.names.size()) return false;
    s.Add(id, names);
  }
  return !r.failed();
}
void SaveActivity(ByteWriter& w, const Activity& a) {
  w.U64(a.flows);
  w.U64(a.packets);
  w.U64(a.bytes);
  w.U64(a.first);
  w.U64(a.last);
  SaveIfaces(w, a.ifaces);
}
bool LoadActivity(ByteReader& r, Activity& a, const Names& names) {
  a.flows = r.U64();
  a.packets = ClampToSum(r.U64());
  a.bytes = ClampToSum(r.U64());
  a.first = r.U64();
  a.last = r.U64();
  return LoadIfaces(r, a.ifaces, names);
}
void SaveProtocols(ByteWriter& w, const Protocols& p) {
  w.U16(p.lo);
  w.U16(p.hi);
}
void LoadProtocols(ByteReader& r, Protocols& p) {
  p.lo = r.U16();
  p.hi = r.U16();
}
// Reads a table's entry count; each entry takes at least `min_bytes`.
bool Count(ByteReader& r, uint64_t min_bytes, uint64_t* n) {
  *n = r.U64();
  return r.Expect(*n, min_bytes);
}

}  // namespace

void Detector::State::Save(ByteWriter& w) const {
  w.U32(static_cast<uint32_t>(names.names.size()));
  for (const std::string& n : names.names) w.Str(n);
  w.U64(scans.size());
  for (const auto& [k, v] : scans) {
    SaveAddr(w, k.src);
    SaveAddr(w, k.dst);
    w.U64(k.window);
    SavePortSet(w, v.failed);
    SavePortSet(w, v.answered);
    w.U64(v.rejected);
    SaveProtocols(w, v.protocols);
    SaveActivity(w, v.activity);
  }
  w.U64(sweeps.size());
  for (const auto& [k, v] : sweeps) {
    SaveAddr(w, k.src);
    w.U64(k.window);
    w.U32(k.port_proto);
    v.dsts.Save(w);
    w.U32(static_cast<uint32_t>(v.sample.size()));
    for (const Addr128& a : v.sample) SaveAddr(w, a);
    w.U64(v.rejected);
    SaveActivity(w, v.activity);
  }
  w.U64(brutes.size());
  for (const auto& [k, v] : brutes) {
    SaveAddr(w, k.src);
    SaveAddr(w, k.dst);
    w.U64(k.window);
    w.U32(k.port);
    v.attempts.Save(w);
    w.U64(v.rejected);
    w.U64(v.probes);
    SaveActivity(w, v.activity);
  }
  w.U64(trw.size());
  for (const auto& [src, index] : trw) {
    const TrwState& v = trw_states[index - 1];
    SaveAddr(w, src);
    w.U32(static_cast<uint32_t>(v.contacts.size()));
    for (const Contact& c : v.contacts) {
      w.U64(c.window);
      SaveAddr(w, c.dst);
      w.U8(c.success);
    }
    SavePorts(w, v.ports);
    SaveActivity(w, v.activity);
  }
  w.U64(hosts.size());
  for (const auto& [k, h] : hosts) {
    SaveHostKey(w, k);
    w.U64(h.first);
    w.U64(h.last);
    w.U32(static_cast<uint32_t>(h.sides.size()));
    for (const ExfilSide& side : h.sides) {
      w.U32(side.iface);
      w.U64(side.flows);
      w.U64(side.packets);
      w.U8(side.too_many);
      w.U32(static_cast<uint32_t>(side.dsts.size()));
      for (const DstBytes& d : side.dsts) {
        SaveAddr(w, d.dst);
        w.U64(d.bytes);
        w.U64(d.bulk);
      }
      side.heavy.Save(w);
      side.distinct.Save(w);
      SavePorts(w, side.ports);
      SaveProtocols(w, side.protocols);
      w.U32(static_cast<uint32_t>(side.port_bytes.size()));
      for (const auto& [port, b] : side.port_bytes) {
        w.U16(port);
        w.U64(b);
      }
    }
  }
  w.U64(relay.size());
  for (const auto& [k, v] : relay) {
    SaveAddr(w, k.host);
    w.U64(k.window);
    w.U32(k.iface);
    w.U16(static_cast<uint16_t>(k.port));
    w.U64(v.bytes);
    w.U64(v.flows);
  }
  w.U64(fanin.size());
  for (const auto& [k, h] : fanin) {
    SaveHostKey(w, k);
    h.sources.Save(w);
    w.U64(h.in_flows);
    w.U64(h.in_packets);
    w.U64(h.in_bytes);
    w.U64(h.in_first);
    w.U64(h.in_last);
    SaveIfaces(w, h.in_ifaces);
    SaveProtocols(w, h.in_protocols);
    w.U32(h.port_lo);
    w.U32(h.port_hi);
    h.in_ports.Save(w);
  }
  w.U64(reflect.size());
  for (const auto& [k, v] : reflect) {
    SaveHostKey(w, k);
    v.answered.Save(w);
    SavePorts(w, v.ports);
    w.U32(v.port_lo);
    w.U32(v.port_hi);
    v.dst_ports.Save(w);
    SaveActivity(w, v.activity);
  }
  w.U64(asked.size());
  for (const auto& [k, v] : asked) {
    SaveHostKey(w, k);
    v.Save(w);
  }
  w.U64(rejects.size());
  for (const auto& [k, v] : rejects) {
    w.U32(k.iface);
    w.U64(k.window);
    w.U64(v.flows);
    w.U64(v.packets);
    w.U64(v.bytes);
    w.U64(v.first);
    w.U64(v.last);
    v.sources.Save(w);
    v.ports.Save(w);
    v.dsts.Save(w);
    SavePorts(w, v.sample_ports);
    SaveProtocols(w, v.protocols);
  }
  w.U64(attempts.size());
  for (const auto& [k, log] : attempts) {
    SaveHostKey(w, k);
    w.U8(log.promoted);
    w.U32(static_cast<uint32_t>(log.attempts.size()));
    for (const Attempt& a : log.attempts) {
      SaveAddr(w, a.dst);
      w.U64(a.start);
      w.U64(a.end);
      w.U64(a.packets);
      w.U64(a.bytes);
      w.U32(a.iface);
      w.U16(a.port);
      w.U8(a.proto);
      w.U8(static_cast<uint8_t>(a.rejected | (a.has_proto << 1)));
    }
  }
  const std::vector<uint64_t> buckets = active.Buckets();
  const uint64_t step = ActiveStep();
  w.U64(buckets.size());
  for (uint64_t b : buckets) w.U64(b * step);
}

bool Detector::State::Load(ByteReader& r) {
  const uint32_t n_names = r.U32();
  if (!r.Expect(n_names, 4)) return false;
  for (uint32_t i = 0; i < n_names; ++i) {
    const std::string_view name = r.Str();
    if (r.failed() || names.Id(name) != i) return false;  // duplicates are malformed
  }
  const auto iface_ok = [&](uint32_t id) { return id < names.names.size(); };
  uint64_t n = 0;
  if (!Count(r, 48, &n)) return false;
  for (uint64_t i = 0; i < n && !r.failed(); ++i) {
    PairKey k{LoadAddr(r), LoadAddr(r), 0};
    k.window = r.U64();
    ScanState& v = scans[k];
    if (!LoadPortSet(r, v.failed) || !LoadPortSet(r, v.answered)) return false;
    v.rejected = r.U64();
    LoadProtocols(r, v.protocols);
    if (!LoadActivity(r, v.activity, names)) return false;
  }
  if (!Count(r, 28, &n)) return false;
  for (uint64_t i = 0; i < n && !r.failed(); ++i) {
    SweepKey k{LoadAddr(r), 0, 0};
    k.window = r.U64();
    k.port_proto = r.U32();
    SweepState& v = sweeps[k];
    if (!v.dsts.Load(r)) return false;
    const uint32_t samples = r.U32();
    if (samples > kSamples || !r.Expect(samples, 16)) return false;
    for (uint32_t j = 0; j < samples; ++j) AddSmallest(v.sample, LoadAddr(r), kSamples, AddrLess);
    v.rejected = r.U64();
    if (!LoadActivity(r, v.activity, names)) return false;
  }
  if (!Count(r, 44, &n)) return false;
  // Each hash table is sized before it is filled: entries come in the saving table's slot
  // order, which piles them into long runs of a smaller table as it grows (merging one part
  // with 1.15 M asked sets took 41 s instead of 1.3).
  brutes.Reserve(brutes.size() + n);
  for (uint64_t i = 0; i < n && !r.failed(); ++i) {
    BruteKey k{LoadAddr(r), LoadAddr(r), 0, 0};
    k.window = r.U64();
    k.port = r.U32();
    BruteState& v = brutes[k];
    if (!v.attempts.Load(r)) return false;
    v.rejected = r.U64();
    v.probes = r.U64();
    if (!LoadActivity(r, v.activity, names)) return false;
  }
  if (!Count(r, 20, &n)) return false;
  trw.Reserve(trw.size() + n);
  for (uint64_t i = 0; i < n && !r.failed(); ++i) {
    TrwState& v = Trw(LoadAddr(r));
    const uint32_t contacts = r.U32();
    if (contacts > kTrwContacts || !r.Expect(contacts, 25)) return false;
    for (uint32_t j = 0; j < contacts; ++j) {
      const uint64_t window = r.U64();
      const Addr128 dst = LoadAddr(r);
      const uint8_t success = r.U8();
      if (success > 1) return false;
      v.See(window, dst, success != 0);
    }
    if (!LoadPorts(r, v.ports, kSamples) || !LoadActivity(r, v.activity, names)) {
      return false;
    }
  }
  if (!Count(r, 44, &n)) return false;
  hosts.Reserve(hosts.size() + n);
  for (uint64_t i = 0; i < n && !r.failed(); ++i) {
    const HostKey k = LoadHostKey(r);
    ExfilHost& h = hosts[k];
    h.first = r.U64();
    h.last = r.U64();
    const uint32_t sides = r.U32();
    if (!r.Expect(sides, 33)) return false;
    for (uint32_t j = 0; j < sides; ++j) {
      const uint32_t iface = r.U32();
      if (!iface_ok(iface)) return false;
      ExfilSide& side = h.Side(iface);
      side.flows = r.U64();
      side.packets = ClampToSum(r.U64());
      side.too_many = r.U8() != 0;
      const uint32_t dsts = r.U32();
      if (dsts > kExfilDsts || !r.Expect(dsts, 32)) return false;
      for (uint32_t d = 0; d < dsts; ++d) {
        const Addr128 a = LoadAddr(r);
        const uint64_t bytes = ClampToSum(r.U64()), bulk = r.U64();
        if (bulk > bytes) return false;  // bulk bytes are some of its bytes
        side.dsts.push_back({a, bytes, bulk});
      }
      if (!std::is_sorted(side.dsts.begin(), side.dsts.end(),
                          [](const auto& x, const auto& y) { return AddrLess(x.dst, y.dst); })) {
        return false;
      }
      if (!side.heavy.Load(r) || (!side.too_many && !side.heavy.empty()) ||
          (side.too_many && !side.dsts.empty())) {
        return false;
      }
      if (!side.distinct.Load(r) || !LoadPorts(r, side.ports, kSamples)) return false;
      LoadProtocols(r, side.protocols);
      const uint32_t ports = r.U32();
      if (ports > 65536 || !r.Expect(ports, 10)) return false;
      for (uint32_t q = 0; q < ports; ++q) {
        const uint16_t port = r.U16();
        side.AddPortBytes(port, ClampToSum(r.U64()));
      }
    }
  }
  if (!Count(r, 46, &n)) return false;
  relay.Reserve(relay.size() + n);
  for (uint64_t i = 0; i < n && !r.failed(); ++i) {
    RelayKey k{LoadAddr(r), 0, 0, 0};
    k.window = r.U64();
    k.iface = r.U32();
    k.port = r.U16();
    if (!iface_ok(k.iface)) return false;
    const uint64_t bytes = ClampToSum(r.U64());
    relay[k].Add(bytes, ClampToSum(r.U64()));
  }
  if (!Count(r, 60, &n)) return false;
  fanin.Reserve(fanin.size() + n);
  for (uint64_t i = 0; i < n && !r.failed(); ++i) {
    const HostKey k = LoadHostKey(r);
    FaninState& h = fanin[k];
    if (!h.sources.Load(r)) return false;
    h.in_flows = r.U64();
    h.in_packets = ClampToSum(r.U64());
    h.in_bytes = ClampToSum(r.U64());
    h.in_first = r.U64();
    h.in_last = r.U64();
    if (!LoadIfaces(r, h.in_ifaces, names)) return false;
    LoadProtocols(r, h.in_protocols);
    h.port_lo = r.U32();
    h.port_hi = r.U32();
    if (!h.in_ports.Load(r)) return false;
  }
  if (!Count(r, 90, &n)) return false;
  reflect.Reserve(reflect.size() + n);
  for (uint64_t i = 0; i < n && !r.failed(); ++i) {
    const HostKey k = LoadHostKey(r);
    ReflectState& v = reflect[k];
    if (!v.answered.Load(r) || !LoadPorts(r, v.ports, kSamples)) return false;
    v.port_lo = r.U32();
    v.port_hi = r.U32();
    if (!v.dst_ports.Load(r) || !LoadActivity(r, v.activity, names)) return false;
  }
  if (!Count(r, 29, &n)) return false;
  asked.Reserve(asked.size() + n);
  for (uint64_t i = 0; i < n && !r.failed(); ++i) {
    const HostKey k = LoadHostKey(r);
    if (!asked[k].Load(r)) return false;
  }
  if (!Count(r, 56, &n)) return false;
  rejects.Reserve(rejects.size() + n);
  for (uint64_t i = 0; i < n && !r.failed(); ++i) {
    IfaceKey k{r.U32(), 0};
    k.window = r.U64();
    if (!iface_ok(k.iface)) return false;
    RejectState& v = rejects[k];
    v.flows = r.U64();
    v.packets = ClampToSum(r.U64());
    v.bytes = ClampToSum(r.U64());
    v.first = r.U64();
    v.last = r.U64();
    if (!v.sources.Load(r) || !v.ports.Load(r) || !v.dsts.Load(r) ||
        !LoadPorts(r, v.sample_ports, kSamples)) {
      return false;
    }
    LoadProtocols(r, v.protocols);
  }
  if (!Count(r, 29, &n)) return false;
  attempts.Reserve(attempts.size() + n);
  for (uint64_t i = 0; i < n && !r.failed(); ++i) {
    const HostKey k = LoadHostKey(r);
    AttemptLog& log = attempts[k];
    const uint8_t promoted = r.U8();
    const uint32_t count = r.U32();
    if (promoted > 1 || (promoted && count != 0) || count > kAttemptLog || !r.Expect(count, 56)) {
      return false;
    }
    log.promoted = promoted != 0;
    for (uint32_t j = 0; j < count; ++j) {
      Attempt a;
      a.dst = LoadAddr(r);
      a.start = r.U64();
      a.end = r.U64();
      a.packets = r.U64();
      a.bytes = r.U64();
      a.iface = r.U32();
      a.port = r.U16();
      a.proto = r.U8();
      const uint8_t bits = r.U8();
      if (!iface_ok(a.iface) || bits > 3) return false;
      a.rejected = bits & 1;
      a.has_proto = (bits >> 1) & 1;
      log.attempts.push_back(a);
    }
  }
  if (!Count(r, 8, &n)) return false;
  const uint64_t step = ActiveStep();
  for (uint64_t i = 0; i < n && !r.failed(); ++i) {
    const uint64_t b = r.U64();
    if (b % step != 0) return false;  // a bucket of other windows than these options'
    active.Add(b / step);
  }
  return !r.failed() && r.Left() == 0;
}

void Detector::Save(ByteWriter& out) const {
  if (state_->shards.empty()) return state_->Save(out);
  // Absorbed partitions are saved as one state, as their merge (Consolidate avoids the copy).
  State merged;
  merged.o = state_->o;
  merged.MergeFrom(*state_);
  merged.Save(out);
}

bool Detector::Load(ByteReader& in, std::string* error) {
  State loaded;
  loaded.o = state_->o;
  if (!loaded.Load(in)) {
    *error = "malformed detection state";
    return false;
  }
  state_->Collapse();
  state_->MergeFrom(loaded, &loaded);
  return true;
}

}  // namespace flowsift
