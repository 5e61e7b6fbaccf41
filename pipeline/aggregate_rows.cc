// The aggregator's outputs in their order (pipeline/aggregate.h): the interfaces' accounts, the
// windows table by (interface, start), each window's top talkers, and the exposure table by
// interface. Walks the states Aggregator::State holds (pipeline/aggregate_internal.h) once
// adding is done; nothing here runs per record.
#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "kernels/addr.h"
#include "pipeline/aggregate.h"
#include "pipeline/aggregate_internal.h"
#include "pipeline/exposure.h"

namespace flowsift {
namespace {

// Each interface name's first-seen interface (its account) over all the states an output
// walks, and the name's rank in byte order (the map's order).
struct FirstSeen {
  const Interface* first;
  uint32_t rank;
};
std::map<std::string_view, FirstSeen> FirstSeenByName(
    const std::vector<const std::vector<Interface>*>& all) {
  std::map<std::string_view, FirstSeen> first;
  for (const auto* interfaces : all) {
    for (const Interface& i : *interfaces) {
      auto [it, inserted] = first.emplace(i.name, FirstSeen{&i, 0});
      if (!inserted && EarlierSeen(i.account_seen, i.account, *it->second.first)) {
        it->second.first = &i;
      }
    }
  }
  uint32_t rank = 0;
  for (auto& [name, seen] : first) seen.rank = rank++;
  return first;
}

}  // namespace

std::vector<Aggregator::SeenAccount> Aggregator::Accounts() const {
  std::vector<const std::vector<Interface>*> all;
  state_->ForEach([&](const State& s) { all.push_back(&s.interfaces); });
  std::vector<SeenAccount> out;
  for (const auto& [name, seen] : FirstSeenByName(all)) {
    const Interface& i = *seen.first;
    out.push_back({i.name, i.account, i.account_seen.first, i.account_seen.second});
  }
  return out;
}

void Aggregator::SetAccounts(const std::unordered_map<std::string, std::string>& accounts) {
  const auto set = [&](State& s) {
    for (Interface& i : s.interfaces) {
      if (const auto it = accounts.find(i.name); it != accounts.end()) i.account = it->second;
    }
  };
  set(*state_);
  for (auto& shard : state_->shards) set(*shard);
}

std::vector<WindowRow> WindowRows::ToVector() const {
  std::vector<WindowRow> rows;
  rows.reserve(size());
  ForEach(0, size(), [&](const WindowRow& r) { rows.push_back(r); });
  return rows;
}

static_assert(sizeof(WindowAgg) <= WindowRows::kWindowBytes);

void WindowRows::Fill(const Entry& e, WindowRow& row) const {
  const auto& a = *static_cast<const WindowAgg*>(e.window);
  const Name& n = names_[e.rank];
  row.interface_id.assign(*n.name);
  row.account_id.assign(*n.account);
  row.window_start = e.start;
  row.window_end = e.start + width_;
  row.records = a.records, row.nodata = a.nodata, row.skipdata = a.skipdata;
  row.accepted = a.accepted, row.rejected = a.rejected;
  row.packets = a.packets, row.bytes = a.bytes, row.rejected_bytes = a.rejected_bytes;
  row.bytes_out_external = a.out_external, row.bytes_in_external = a.in_external;
  // A sketch's estimate (past 2,048 values) is off by up to ~1%, either way: never more
  // distinct values than records (an exposure row's records are not counted, so its sources
  // are not capped: docs/outputs.md).
  row.distinct_srcaddr = std::min(a.src.Count(), a.records);
  row.distinct_dstaddr = std::min(a.dst.Count(), a.records);
  row.distinct_dstport = std::min(a.ports.Count(), a.records);
}

std::vector<WindowRow> Aggregator::Windows() const { return WindowsInOrder().ToVector(); }

WindowRows Aggregator::WindowsInOrder() const {
  const State& top = *state_;
  std::vector<const std::vector<Interface>*> all;
  size_t count = 0;
  top.ForEach([&](const State& s) {
    all.push_back(&s.interfaces);
    count += s.window_aggs.size();
  });
  const auto first = FirstSeenByName(all);
  // Each name looked up once per interface of a state: the windows then sort as (name rank,
  // start) integers. Sorting the rows by name compared the names for every pair (most pairs
  // have one name) and moved their strings.
  WindowRows out;
  out.width_ = top.options.window;
  out.entries_.reserve(count);
  out.names_.resize(first.size());
  for (const auto& [name, f] : first) out.names_[f.rank] = {&f.first->name, &f.first->account};
  top.ForEach([&](const State& s) {
    std::vector<uint32_t> rank(s.interfaces.size());
    for (size_t i = 0; i < rank.size(); ++i) rank[i] = first.at(s.interfaces[i].name).rank;
    for (const auto& [key, agg] : s.window_aggs) {
      out.entries_.push_back({key.start, &agg, rank[key.iface]});
    }
  });
  std::sort(out.entries_.begin(), out.entries_.end(),
            [](const WindowRows::Entry& a, const WindowRows::Entry& b) {
              return a.rank != b.rank ? a.rank < b.rank : a.start < b.start;
            });
  return out;
}

std::vector<TalkerRow> Aggregator::Talkers() const {
  // Every state's talker windows by start (a source is in one state's table of a window, so
  // the windows of one start are only concatenated). Sorting the windows, not a map of them:
  // a run of millions of sparse windows (years of logs in 1-minute windows) spent most of its
  // output phase making and probing a hash map entry and a vector per window.
  std::vector<std::pair<uint64_t, const TalkerWindow*>> windows;
  state_->ForEach([&](const State& s) {
    for (const TalkerWindow& w : s.talker_windows) windows.push_back({w.start, &w});
  });
  std::sort(windows.begin(), windows.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<TalkerRow> rows;
  std::vector<std::pair<const Addr128*, const TalkerAgg*>> v;
  for (size_t first = 0, end = 0; first < windows.size(); first = end) {
    const uint64_t w = windows[first].first;
    v.clear();
    for (end = first; end < windows.size() && windows[end].first == w; ++end) {
      for (const auto& [src, agg] : windows[end].second->sources) v.push_back({&src, &agg});
    }
    // Only sources tied with the 20th by bytes need their text for the tie-break; the rest
    // need not be ordered at all.
    const auto more_bytes = [](const auto& a, const auto& b) {
      return a.second->bytes > b.second->bytes;
    };
    size_t n = std::min(v.size(), kTopTalkers);
    if (n < v.size()) {
      std::nth_element(v.begin(), v.begin() + (n - 1), v.end(), more_bytes);
      const uint64_t cut = v[n - 1].second->bytes;
      // Everything at or above the 20th's bytes, ties included, to the front.
      n = std::partition(v.begin(), v.end(),
                         [cut](const auto& x) { return x.second->bytes >= cut; }) -
          v.begin();
    }
    std::vector<TalkerRow> candidates;
    for (size_t i = 0; i < n; ++i) {
      candidates.push_back({w, 0, kernels::FormatAddr(*v[i].first), v[i].second->bytes,
                            v[i].second->packets, v[i].second->flows});
    }
    // Only the first 20 in order: with many ties at the cut (a scan's million one-packet
    // probes) the candidates are millions, and a full sort of their text was most of the time.
    const size_t top = std::min(candidates.size(), kTopTalkers);
    std::partial_sort(candidates.begin(), candidates.begin() + top, candidates.end(),
                      [](const TalkerRow& a, const TalkerRow& b) {
                        return a.bytes != b.bytes ? a.bytes > b.bytes : a.srcaddr < b.srcaddr;
                      });
    candidates.resize(top);
    for (size_t i = 0; i < candidates.size(); ++i) {
      candidates[i].rank = static_cast<uint32_t>(i + 1);
      rows.push_back(std::move(candidates[i]));
    }
  }
  return rows;
}

std::vector<ExposureRow> ExposureRows::ToVector() const {
  std::vector<ExposureRow> rows;
  rows.reserve(size_);
  ForEach(0, size_, [&](const ExposureRow& r) { rows.push_back(r); });
  return rows;
}

std::vector<ExposureRow> Aggregator::Exposure() const { return ExposureInOrder().ToVector(); }

ExposureRows Aggregator::ExposureInOrder() const {
  // A table's entries are in (interface id, port, protocol) order, so each interface's are a
  // run of them, already in the output's order within it: the output is those runs in the
  // order of their interfaces' names. Exposure keys have one owner each (Route), so an
  // interface's keys are normally in one table; when they are in several (Absorb of states
  // that split them), its rows are made and sorted here.
  const State& top = *state_;
  ExposureRows out;
  struct Piece {
    std::string_view name;
    const ExposureTable::Entry* entries;
    size_t count;
  };
  std::vector<Piece> pieces;
  top.ForEach([&](const State& s) {
    const ExposureTable::Array<ExposureTable::Entry>& entries =
        s.exposure.Entries(out.spares_.emplace_back(std::make_unique<ExposureTable>()).get());
    for (size_t i = 0; i < entries.size();) {
      const uint64_t id = entries[i].key >> 24;
      size_t j = i + 1;
      while (j < entries.size() && entries[j].key >> 24 == id) ++j;
      pieces.push_back({s.interfaces[id].name, &entries[i], j - i});
      i = j;
    }
  });
  // Stable: pieces of one name keep the order of their states, as rows with equal keys did.
  std::stable_sort(pieces.begin(), pieces.end(),
                   [](const Piece& a, const Piece& b) { return a.name < b.name; });
  for (size_t i = 0; i < pieces.size();) {
    size_t j = i + 1;
    while (j < pieces.size() && pieces[j].name == pieces[i].name) ++j;
    ExposureRows::Run run;
    run.name = pieces[i].name;
    run.first_row = out.size_;
    if (j == i + 1) {
      run.entries = pieces[i].entries;
      run.count = pieces[i].count;
    } else {
      std::vector<ExposureRow>& rows = out.made_.emplace_back();
      for (size_t k = i; k < j; ++k) {
        for (size_t e = 0; e < pieces[k].count; ++e) {
          rows.push_back(ExposureRows::RowOf(pieces[k].name, pieces[k].entries[e]));
        }
      }
      std::stable_sort(rows.begin(), rows.end(), [](const ExposureRow& a, const ExposureRow& b) {
        return a.dst_port != b.dst_port ? a.dst_port < b.dst_port : a.protocol < b.protocol;
      });
      run.rows = rows.data();
      run.count = rows.size();
    }
    out.size_ += run.count;
    out.runs_.push_back(run);
    i = j;
  }
  return out;
}

}  // namespace flowsift
