#include "pipeline/aggregate.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <deque>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "kernels/addr.h"
#include "kernels/enums.h"
#include "kernels/prefetch.h"
#include "pipeline/aggregate_internal.h"
#include "pipeline/distinct.h"
#include "pipeline/exposure.h"
#include "pipeline/flat_map.h"
#include "pipeline/name_index.h"
#include "pipeline/saturating.h"
#include "pipeline/serial.h"

namespace flowsift {

size_t InterfaceOwner(std::string_view name, size_t parts) {
  return OwnerOfHash(HashName(name), parts);
}

Aggregator::Aggregator(const AggregateOptions& options) : state_(std::make_unique<State>()) {
  state_->options = options;
}
Aggregator::~Aggregator() = default;
Aggregator::Aggregator(Aggregator&&) noexcept = default;
Aggregator& Aggregator::operator=(Aggregator&&) noexcept = default;

FieldSet Aggregator::NeededFields() {
  FieldSet f;
  for (Field x :
       {Field::kAccountId, Field::kInterfaceId, Field::kTgwAttachmentId, Field::kSrcAddr,
        Field::kDstAddr, Field::kPktSrcAddr, Field::kPktDstAddr, Field::kDstPort, Field::kProtocol,
        Field::kPackets, Field::kBytes, Field::kStart, Field::kAction, Field::kLogStatus}) {
    f.set(static_cast<size_t>(x));
  }
  return f;
}

uint64_t Aggregator::records() const {
  uint64_t n = 0;
  state_->ForEach([&](const State& s) { n += s.records; });
  return n;
}

void Aggregator::Add(const ParsedBatch& b, const uint8_t* bytes, uint64_t order) {
  AddRows(b, bytes, order, nullptr, nullptr, b.rows);
}

void Aggregator::AddRows(const ParsedBatch& b, const uint8_t* bytes, uint64_t order,
                         const uint32_t* rows, size_t n) {
  AddRows(b, bytes, order, rows, nullptr, n);
}

void Aggregator::AddRows(const ParsedBatch& b, const uint8_t* bytes, uint64_t order,
                         const uint32_t* rows, const uint8_t* tables, size_t n, uint8_t mask) {
  State& s = *state_;
  if (!s.shards.empty()) s.Collapse();
  const Column* iface = b.FindInterface();
  const Column* account = b.Find(Field::kAccountId);
  const Column* src = b.Find(Field::kSrcAddr);
  const Column* dst = b.Find(Field::kDstAddr);
  const Column* pkt_src = b.Find(Field::kPktSrcAddr);
  const Column* pkt_dst = b.Find(Field::kPktDstAddr);
  const Column* dstport = b.Find(Field::kDstPort);
  const Column* protocol = b.Find(Field::kProtocol);
  const Column* packets = b.Find(Field::kPackets);
  const Column* bytes_col = b.Find(Field::kBytes);
  const Column* start = b.Find(Field::kStart);
  const Column* action = b.Find(Field::kAction);
  const Column* status = b.Find(Field::kLogStatus);

  // Interfaces come as chunk-local ids (ParseChunk interns them): one array load per row
  // maps them to this state's ids. Rows of different interfaces interleave, so a two-way cache
  // of windows by interface id skips most of the window table probes (two ways: near a
  // window's end an interface's rows alternate between it and the next). Remembering the last
  // row's interface and window too, to skip those two loads, was a branch that went either
  // way at random (consecutive rows share their interface about half the time): callgrind's
  // branch simulation, 64 MB of v2, 6.53 -> 6.45 M mispredicts without it, and 4.8 M fewer
  // instructions.
  uint32_t last_id = 0;
  s.local_ids.Reset(b, iface);
  const ColumnView v_iface(iface);
  const auto interface_of = [&](size_t r) {
    const uint32_t local = v_iface.exists() ? v_iface.ids[r] : 0;
    return s.local_ids.Get(iface, local, bytes, [&](std::string_view text, const NameKey& key) {
      const uint32_t id = s.InterfaceId(text, key);
      // The batch's first row of this interface (local_ids resolves each once per batch):
      // `order` is the batch's and its rows come in ascending blocks, so no later row of
      // the batch can be the interface's earliest in SeeAccount's order.
      s.SeeAccount(id, TextOf(account, r, bytes), {order, r});
      return id;
    });
  };

  if (mask == kExposureTable) {
    // The exposure table alone (a run's second aggregator beside one that keeps windows and
    // talkers, graph.cc): an external source's row appends one update to the table's log,
    // which needs no prefetch, so none of the staged loop below. Through that loop this
    // aggregator repeated every row's window, counters and destination work for nothing
    // (callgrind, 64 MB of v2, two threads without detection: ~130 M instructions more than
    // one thread's single aggregator).
    const ColumnView v_src(src), v_pkt_src(pkt_src), v_port(dstport), v_protocol(protocol),
        v_action(action);
    if (!v_port.exists() || !v_protocol.exists()) return;
    for (size_t i = 0; i < n; ++i) {
      if (tables != nullptr && (tables[i] & kExposureTable) == 0) continue;
      const size_t r = rows != nullptr ? rows[i] : i;
      // The interface first, for every row the table is asked about, as the staged loop
      // does: SeeAccount then sees the same rows.
      const uint32_t id = interface_of(r);
      const Addr128* from = EffectiveAddr(v_pkt_src, v_src, r);
      if (from == nullptr || !v_port.present(r) || !v_protocol.present(r)) continue;
      // Only a record from an external source updates the exposure table (SPEC 3.3).
      if (s.options.internal.Contains(*from)) continue;
      const auto act = v_action.exists() ? static_cast<kernels::Action>(v_action.code[r])
                                         : kernels::Action::kMissing;
      s.exposure.Add(PackExposure(id, static_cast<uint16_t>(v_port.u64[r]),
                                  static_cast<uint8_t>(v_protocol.u64[r])),
                     HashAddr(*from), act == kernels::Action::kAccept,
                     act == kernels::Action::kReject);
    }
    return;
  }

  // Room for every interface this batch may add (at most its distinct names), so the row loop
  // indexes a pointer it keeps: a size check and the vector's pointers reloaded each row
  // were ~38 instructions a record (callgrind, 64 MB of v2).
  s.window_cache.resize(s.interfaces.size() + (iface != nullptr ? iface->dict.size() : 1));
  LastTwo<WindowKey, WindowAgg>* const window_cache = s.window_cache.data();
  const auto window_of = [&](const WindowKey& key) {
    return window_cache[key.iface].Get(key, [&] { return &s.Window(key); });
  };
  WindowDivider window(s.options.window);       // window starts by a multiply
  LastTwo<uint64_t, TalkerTable> talker_cache;  // by window start
  const auto talkers_of = [&](uint64_t window_start) {
    return talker_cache.Get(window_start, [&] { return &s.Talkers(window_start, true); });
  };

  const ColumnView v_src(src), v_dst(dst), v_pkt_src(pkt_src), v_pkt_dst(pkt_dst),
      v_dstport(dstport), v_protocol(protocol), v_packets(packets), v_bytes(bytes_col),
      v_start(start), v_action(action), v_status(status);
  auto row_of = [rows](size_t i) -> size_t { return rows != nullptr ? rows[i] : i; };

  // Two stages kDepth rows apart. The first resolves a row's keys and hashes and prefetches
  // every table slot the row will update (distinct counters, talkers, the text kDepth rows
  // further on); the second updates them. With ~1,400 windows of up to 32 KiB counters nearly
  // every update is a cache miss: this overlaps them. Exposure updates are appended to the
  // table's log (exposure.h), which needs no prefetch.
  constexpr size_t kDepth = 16;
  struct Staged {
    size_t r;
    uint8_t tables;
    uint32_t id;
    WindowAgg* agg;
    const Addr128* from;
    TalkerTable* talkers;
    uint64_t window_start, from_hash, to_hash;
    ExposureKey exposure_key;
    uint64_t n_bytes, n_packets;
    bool has_to, rejected, accepted, exposed, has_port;
    uint16_t port;
  };
  Staged ring[kDepth];

  // Talker updates alone need no interface.
  constexpr uint8_t kNeedsInterface = kWindowTable | kExposureTable;
  auto stage = [&](size_t i, Staged& st) {
    const size_t r = row_of(i);
    st.tables = (tables != nullptr ? tables[i] : kAllTables) & mask;
    if (st.tables & kNeedsInterface) {
      // One load from an L1-resident array. Skipping it when the row's interface is the last
      // row's was a branch taken for about half the rows at random (callgrind: 205 k
      // mispredicts on 64 MB of v2).
      last_id = interface_of(r);
    }
    st.r = r;
    st.id = last_id;
    const uint64_t t = v_start.U64Or0(r);
    st.window_start = window.Of(t);
    st.agg = nullptr;
    if (st.tables & kWindowTable) st.agg = window_of(WindowKey{st.id, st.window_start});

    st.rejected = v_action.exists() &&
                  static_cast<kernels::Action>(v_action.code[r]) == kernels::Action::kReject;
    st.accepted = v_action.exists() &&
                  static_cast<kernels::Action>(v_action.code[r]) == kernels::Action::kAccept;
    st.n_packets = v_packets.U64Or0(r);
    st.n_bytes = v_bytes.U64Or0(r);
    st.has_port = v_dstport.exists() && v_dstport.present(r);
    st.port = st.has_port ? static_cast<uint16_t>(v_dstport.u64[r]) : 0;
    if (st.agg != nullptr && st.has_port) st.agg->ports.Prefetch(st.port);

    st.from = EffectiveAddr(v_pkt_src, v_src, r);
    const Addr128* to = EffectiveAddr(v_pkt_dst, v_dst, r);
    st.has_to = to != nullptr;
    st.exposed = false;
    const bool need_from_internal =
        st.from != nullptr && (st.agg != nullptr || (st.tables & kExposureTable));
    const bool from_internal = need_from_internal && s.options.internal.Contains(*st.from);
    if (st.agg != nullptr) {
      if (st.from != nullptr && to != nullptr) {
        const bool to_internal = s.options.internal.Contains(*to);
        if (from_internal && !to_internal) AddSaturating(st.agg->out_external, st.n_bytes);
        if (!from_internal && to_internal) AddSaturating(st.agg->in_external, st.n_bytes);
      }
      if (to != nullptr) {
        st.to_hash = HashAddr(*to);
        st.agg->dst.Prefetch(st.to_hash);
      }
    }
    if (st.from != nullptr) {
      st.from_hash = HashAddr(*st.from);
      if (st.agg != nullptr) st.agg->src.Prefetch(st.from_hash);
      if (st.tables & kTalkerTable) {
        st.talkers = talkers_of(st.window_start);
        st.talkers->Prefetch(st.from_hash);
      }
      if ((st.tables & kExposureTable) && !from_internal && st.has_port && v_protocol.exists() &&
          v_protocol.present(r)) {
        st.exposed = true;
        st.exposure_key = PackExposure(st.id, st.port, static_cast<uint8_t>(v_protocol.u64[r]));
      }
    }
  };

  auto apply = [&](const Staged& st) {
    if (st.agg != nullptr) {
      WindowAgg& agg = *st.agg;
      const size_t r = st.r;
      ++agg.records;
      if (v_status.exists()) {
        const auto code = static_cast<kernels::LogStatus>(v_status.code[r]);
        agg.nodata += code == kernels::LogStatus::kNoData;
        agg.skipdata += code == kernels::LogStatus::kSkipData;
      }
      agg.accepted += st.accepted;
      agg.rejected += st.rejected;
      AddSaturating(agg.packets, st.n_packets);
      AddSaturating(agg.bytes, st.n_bytes);
      if (st.rejected) AddSaturating(agg.rejected_bytes, st.n_bytes);
      if (st.has_to) agg.dst.Add(st.to_hash);
      if (st.has_port) agg.ports.Add(st.port);
      if (st.from != nullptr) agg.src.Add(st.from_hash);
    }
    if (st.from != nullptr && (st.tables & kTalkerTable)) {
      TalkerAgg& talker = st.talkers->FindOrInsert(*st.from, st.from_hash);
      AddSaturating(talker.bytes, st.n_bytes);
      AddSaturating(talker.packets, st.n_packets);
      ++talker.flows;
    }
    if (st.exposed) s.exposure.Add(st.exposure_key, st.from_hash, st.accepted, st.rejected);
  };

  for (size_t i = 0; i < n + kDepth; ++i) {
    if (i >= kDepth) apply(ring[(i - kDepth) % kDepth]);
    if (i < n) stage(i, ring[i % kDepth]);
  }
  // A record counts once, in the partition that owns its window.
  if ((mask & kWindowTable) == 0) return;
  if (tables == nullptr) {
    s.records += n;
  } else {
    for (size_t i = 0; i < n; ++i) s.records += (tables[i] & kWindowTable) != 0;
  }
}

void Aggregator::State::MergeFrom(const State& o) {
  State& s = *this;
  std::vector<uint32_t> remap(o.interfaces.size());
  for (size_t i = 0; i < o.interfaces.size(); ++i) {
    remap[i] = s.InterfaceId(o.interfaces[i].name);
    s.SeeAccount(remap[i], o.interfaces[i].account, o.interfaces[i].account_seen);
  }
  for (const auto& [key, agg] : o.window_aggs) s.Window({remap[key.iface], key.start}).Merge(agg);
  for (const TalkerWindow& w : o.talker_windows) {
    TalkerTable& table = s.Talkers(w.start);
    table.Reserve(table.size() + w.sources.size());
    for (const auto& [src, agg] : w.sources) {
      TalkerAgg& t = table.FindOrInsert(src, HashAddr(src));
      AddSaturating(t.bytes, agg.bytes);
      AddSaturating(t.packets, agg.packets);
      t.flows += agg.flows;
    }
  }
  ExposureTable spare;
  const ExposureTable::Array<ExposureTable::Entry>& theirs = o.exposure.Entries(&spare);
  std::vector<ExposureTable::Entry> more;
  more.reserve(theirs.size());
  for (const ExposureTable::Entry& e : theirs) {
    more.push_back(e);
    more.back().key = PackExposure(remap[e.key >> 24], static_cast<uint16_t>(e.key >> 8),
                                   static_cast<uint8_t>(e.key));
  }
  s.exposure.Merge(std::move(more));
  s.records += o.records;
  for (const auto& shard : o.shards) MergeFrom(*shard);
}

void Aggregator::State::Collapse() {
  std::vector<std::unique_ptr<State>> taken = std::move(shards);
  shards.clear();
  for (const auto& shard : taken) MergeFrom(*shard);
}

void Aggregator::Merge(const Aggregator& other) {
  state_->Collapse();
  state_->MergeFrom(*other.state_);
}

void Aggregator::Absorb(Aggregator&& other) {
  std::vector<std::unique_ptr<State>> more = std::move(other.state_->shards);
  other.state_->shards.clear();
  state_->shards.push_back(std::move(other.state_));
  for (auto& shard : more) state_->shards.push_back(std::move(shard));
  other.state_ = std::make_unique<State>();
  other.state_->options = state_->options;
}

void Aggregator::AbsorbPartition(Aggregator&& other) {
  State& o = *other.state_;
  // Its windows go through a state of their own (with its interface ids) into MergeFrom; what
  // is left, its talkers and exposure, is disjoint from every other partition's.
  State shared;
  shared.options = o.options;
  shared.interfaces = o.interfaces;
  shared.account_seen = o.account_seen;
  shared.window_aggs = std::move(o.window_aggs);
  o.window_aggs.clear();
  o.windows = {};
  o.latest_windows.clear();
  o.window_cache.clear();
  // Absorbed shards hold no windows, so this state's stay unique without a Collapse.
  state_->MergeFrom(shared);
  Absorb(std::move(other));
}

void Aggregator::RenumberFiles(uint32_t index, uint32_t count) {
  if (count <= 1) return;
  const auto renumber = [&](State& s) {
    for (size_t k = 0; k < s.interfaces.size(); ++k) {
      SeenOrder& seen = s.interfaces[k].account_seen;
      if (seen.first == UINT64_MAX) continue;  // never seen: stays last
      const uint64_t file = (seen.first >> 32) * count + index;
      seen.first = (file << 32) | (seen.first & 0xFFFFFFFF);
      s.account_seen[k] = seen;
    }
  };
  renumber(*state_);
  for (auto& shard : state_->shards) renumber(*shard);
}

// Section layout (docs/partial.md): u64 records; u32 interfaces {str name, str account, u64
// order, u64 row}; u64 windows {u32 interface, u64 start, 10 x u64 counters, src, dst, ports};
// u64 talkers {u64 window_start, u64 hi, u64 lo, u64 bytes, packets, flows}; u64 exposure
// {u32 interface, u16 port, u8 protocol, u64 accepted, rejected, sources}. Interfaces are
// numbered once over all the states an output walks (this one and Absorb's shards).
void Aggregator::Save(ByteWriter& out) const {
  const State& top = *state_;
  std::unordered_map<std::string_view, uint32_t> ids;
  std::vector<const Interface*> interfaces;
  top.ForEach([&](const State& s) {
    for (const Interface& i : s.interfaces) {
      auto [it, inserted] = ids.emplace(i.name, static_cast<uint32_t>(interfaces.size()));
      if (inserted) {
        interfaces.push_back(&i);
      } else if (EarlierSeen(i.account_seen, i.account, *interfaces[it->second])) {
        interfaces[it->second] = &i;
      }
    }
  });
  out.U64(records());
  out.U32(static_cast<uint32_t>(interfaces.size()));
  for (const Interface* i : interfaces) {
    out.Str(i->name);
    out.Str(i->account);
    out.U64(i->account_seen.first);
    out.U64(i->account_seen.second);
  }
  uint64_t windows = 0, talkers = 0, exposure = 0;
  // Each state's exposure entries, folded once (a copy only for a table with a log, which a
  // run never leaves): counted here, written below.
  std::vector<ExposureTable> spares;
  spares.reserve(1 + top.shards.size());
  std::vector<const ExposureTable::Array<ExposureTable::Entry>*> exposure_tables;
  top.ForEach([&](const State& s) {
    windows += s.window_aggs.size();
    talkers += s.TalkerCount();
    exposure_tables.push_back(&s.exposure.Entries(&spares.emplace_back()));
    exposure += exposure_tables.back()->size();
  });
  const auto global_ids = [&](const State& s) {
    std::vector<uint32_t> id(s.interfaces.size());
    for (size_t i = 0; i < id.size(); ++i) id[i] = ids.at(s.interfaces[i].name);
    return id;
  };
  out.U64(windows);
  top.ForEach([&](const State& s) {
    const std::vector<uint32_t> id = global_ids(s);
    for (const auto& [key, a] : s.window_aggs) {
      out.U32(id[key.iface]);
      out.U64(key.start);
      for (const uint64_t* v : WindowAgg::Counters(a)) out.U64(*v);
      a.src.Save(out);
      a.dst.Save(out);
      a.ports.Save(out);
    }
  });
  out.U64(talkers);
  top.ForEach([&](const State& s) {
    for (const TalkerWindow& w : s.talker_windows) {
      for (const auto& [src, t] : w.sources) {
        for (uint64_t v : {w.start, src.hi, src.lo, t.bytes, t.packets, t.flows}) out.U64(v);
      }
    }
  });
  out.U64(exposure);
  size_t state = 0;
  top.ForEach([&](const State& s) {
    const std::vector<uint32_t> id = global_ids(s);
    for (const ExposureTable::Entry& e : *exposure_tables[state++]) {
      out.U32(id[e.key >> 24]);
      out.U16(static_cast<uint16_t>(e.key >> 8));
      out.U8(static_cast<uint8_t>(e.key));
      out.U64(e.accepted);
      out.U64(e.rejected);
      e.sources.Save(out);
    }
  });
}

bool Aggregator::Load(ByteReader& in, std::string* error) {
  State& s = *state_;
  s.Collapse();
  const auto fail = [&](const char* what) {
    in.Fail();
    *error = std::string("malformed aggregate state: ") + what;
    return false;
  };
  const uint64_t records = in.U64();
  const uint32_t n_interfaces = in.U32();
  // Each entry takes at least 24 bytes: two empty strings' lengths and the order.
  if (!in.Expect(n_interfaces, 24)) return fail("interface count");
  std::vector<uint32_t> remap(n_interfaces);
  for (uint32_t k = 0; k < n_interfaces; ++k) {
    const std::string_view name = in.Str();
    const std::string_view account = in.Str();
    const uint64_t order = in.U64();
    const uint64_t row = in.U64();
    if (in.failed()) return fail("interfaces");
    remap[k] = s.InterfaceId(name);
    s.SeeAccount(remap[k], account, {order, row});
  }
  const uint64_t n_windows = in.U64();
  // The key (interface 4 bytes, start 8), the ten counters, two distinct counters (5 bytes each
  // when empty) and the ports (3 bytes when empty).
  if (!in.Expect(n_windows, 4 + 8 + 10 * 8 + 13)) return fail("window count");
  for (uint64_t k = 0; k < n_windows; ++k) {
    const uint32_t iface = in.U32();
    const uint64_t start = in.U64();
    if (in.failed() || iface >= n_interfaces) return fail("window key");
    WindowAgg& a = s.Window({remap[iface], start});
    for (uint64_t* v : WindowAgg::Counters(a)) AddSaturating(*v, ClampToSum(in.U64()));
    if (!a.src.Load(in) || !a.dst.Load(in) || !a.ports.Load(in)) return fail("window counters");
  }
  const uint64_t n_talkers = in.U64();
  if (!in.Expect(n_talkers, 6 * 8)) return fail("talker count");
  for (uint64_t k = 0; k < n_talkers; ++k) {
    const uint64_t window_start = in.U64();
    Addr128 src;
    src.hi = in.U64();
    src.lo = in.U64();
    TalkerAgg& t = s.Talkers(window_start)[src];
    AddSaturating(t.bytes, ClampToSum(in.U64()));
    AddSaturating(t.packets, ClampToSum(in.U64()));
    t.flows += in.U64();
  }
  const uint64_t n_exposure = in.U64();
  if (!in.Expect(n_exposure, 4 + 2 + 1 + 16 + 5)) return fail("exposure count");
  std::vector<ExposureTable::Entry> exposure(n_exposure);
  for (ExposureTable::Entry& e : exposure) {
    const uint32_t iface = in.U32();
    const uint16_t port = in.U16();
    const uint8_t protocol = in.U8();
    if (in.failed() || iface >= n_interfaces) return fail("exposure key");
    e.key = PackExposure(remap[iface], port, protocol);
    e.accepted = in.U64();
    e.rejected = in.U64();
    if (!e.sources.Load(in)) return fail("exposure sources");
  }
  if (in.failed()) return fail("truncated");
  // Bytes after the state are a damage the counts did not catch (the detection state refused
  // them already; sixteen zeros after this one were merged, exit 0).
  if (in.Left() != 0) return fail("bytes after its end");
  s.exposure.Merge(std::move(exposure));
  s.records += records;
  return true;
}

void Aggregator::Route(const ParsedBatch& b, const uint8_t* bytes, const uint32_t* rows, size_t n,
                       const NetworkSet& internal, std::vector<PartitionRows>& out) {
  const size_t parts = out.size();
  const Column* iface = b.FindInterface();
  const Column* src = b.Find(Field::kSrcAddr);
  const Column* pkt_src = b.Find(Field::kPktSrcAddr);
  // Up to n rows each, trimmed at the end. Plain stores into sized arrays: this loop runs for
  // every record on the parse threads.
  struct Out {
    uint32_t* rows;
    uint8_t* tables;
    size_t n;
  };
  std::vector<Out> outs(parts);
  for (size_t k = 0; k < parts; ++k) {
    out[k].rows.resize(n);
    out[k].tables.resize(n);
    outs[k] = {out[k].rows.data(), out[k].tables.data(), 0};
  }
  const ColumnView v_src(src), v_pkt_src(pkt_src);
  std::vector<uint32_t> by_interface(iface != nullptr ? iface->dict.size() : 1);
  for (uint32_t local = 0; local < by_interface.size(); ++local) {
    by_interface[local] =
        static_cast<uint32_t>(InterfaceOwner(LocalText(iface, local, bytes), parts));
  }
  // What a row's source partition updates: everything but the exposure table.
  constexpr uint8_t kBySource = kWindowTable | kTalkerTable;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t r = rows[i];
    const auto put = [&](size_t k, uint8_t tables) {
      Out& o = outs[k];
      o.rows[o.n] = r;
      o.tables[o.n++] = tables;
    };
    const Addr128* from = EffectiveAddr(v_pkt_src, v_src, r);
    if (from == nullptr) {  // NODATA, SKIPDATA: a window count and nothing else
      put(by_interface[LocalId(iface, r)], kBySource);
      continue;
    }
    const size_t by_source = AddrOwner(*from, parts);
    // Only a record from an external source updates the exposure table (SPEC 3.3).
    if (internal.Contains(*from)) {
      put(by_source, kBySource);
      continue;
    }
    const size_t by_iface = by_interface[LocalId(iface, r)];
    if (by_iface == by_source) {
      put(by_source, kAllTables);
    } else {
      put(by_source, kBySource);
      put(by_iface, kExposureTable);
    }
  }
  for (size_t k = 0; k < parts; ++k) {
    out[k].rows.resize(outs[k].n);
    out[k].tables.resize(outs[k].n);
  }
}

void Aggregator::Flush() {
  state_->exposure.Fold();
  for (auto& shard : state_->shards) shard->exposure.Fold();
}

}  // namespace flowsift
