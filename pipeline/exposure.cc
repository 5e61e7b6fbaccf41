// The exposure table: a log of updates folded into a sorted array. See exposure.h.
#include "pipeline/exposure.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <utility>

namespace flowsift {

void ExposureTable::SortLog() {
  const size_t n = log_.size();
  if (n < 2) return;
  uint64_t any = 0, all = ~uint64_t{0};
  for (const Update& u : log_) {
    any |= u.key_bits;
    all &= u.key_bits;
  }
  const uint64_t varying = (any ^ all) & kKeyMask;
  if (sort_buffer_.size() < n) sort_buffer_.resize(n);
  Update* from = log_.data();
  Update* to = sort_buffer_.data();
  for (unsigned shift = 0; shift < 56; shift += 8) {
    if (((varying >> shift) & 0xFF) == 0) continue;  // one value in every key: in order
    size_t start[256] = {};
    for (size_t i = 0; i < n; ++i) ++start[(from[i].key_bits >> shift) & 0xFF];
    size_t at = 0;
    for (size_t& c : start) at += std::exchange(c, at);
    for (size_t i = 0; i < n; ++i) to[start[(from[i].key_bits >> shift) & 0xFF]++] = from[i];
    std::swap(from, to);
  }
  if (from != log_.data()) std::memcpy(log_.data(), from, n * sizeof(Update));
}

void ExposureTable::ReserveSpare(size_t n) {
  spare_.clear();
  if (spare_.capacity() < n) spare_.reserve(std::max(n, 2 * spare_.capacity()));
}

void ExposureTable::Fold() {
  if (log_.empty()) return;
  SortLog();
  const size_t n = log_.size();
  const auto key_at = [&](size_t j) { return log_[j].key_bits & kKeyMask; };
  // The log's keys that the table lacks: a merge of the two key sequences, reading keys only.
  size_t added = 0;
  for (size_t i = 0, j = 0; j < n;) {
    const uint64_t key = key_at(j);
    while (i < entries_.size() && entries_[i].key < key) ++i;
    added += i == entries_.size() || entries_[i].key != key;
    while (j < n && key_at(j) == key) ++j;
  }
  // In place, from the back: the table grows by `added` entries (its pages move, nothing is
  // copied: table_array.h) and each entry moves up to its place before any entry below it is
  // read, so the table is first touched once over its final size, where a merge into a second
  // array touched both, each grown by copies (~3% of a two-thread run's CPU in the kernel's
  // page clearing; history, "Forty-fifth session").
  size_t i = entries_.size();
  entries_.resize(i + added);
  size_t w = entries_.size();
  for (size_t j = n; j > 0;) {
    const uint64_t key = key_at(j - 1);
    size_t first = j - 1;
    while (first > 0 && key_at(first - 1) == key) --first;
    for (; i > 0 && entries_[i - 1].key > key; --w, --i) {
      if (w != i) entries_[w - 1] = std::move(entries_[i - 1]);
    }
    Entry* e;
    if (i > 0 && entries_[i - 1].key == key) {
      --i, --w;
      if (w != i) entries_[w] = std::move(entries_[i]);
      e = &entries_[w];
    } else {
      e = &entries_[--w];
      *e = Entry();
      e->key = key;
    }
    // In log order (the sort is stable), as the forward merge added them.
    for (size_t u = first; u < j; ++u) {
      e->accepted += (log_[u].key_bits >> kAcceptedBit) & 1;
      e->rejected += log_[u].key_bits >> kRejectedBit;
      e->sources.Add(log_[u].source);
    }
    j = first;
  }
  // w == i now: the entries below every log key stayed where they were.
  log_.clear();
  // As many updates as the table has keys, rounded up to a power of two so that the log's
  // capacity (it grows by doubling) is reached exactly.
  log_limit_ = std::bit_ceil(std::max(kMinLog, entries_.size()));
}

void ExposureTable::Merge(std::vector<Entry> more) {
  Fold();
  std::sort(more.begin(), more.end(), [](const Entry& a, const Entry& b) { return a.key < b.key; });
  ReserveSpare(entries_.size() + more.size());
  size_t i = 0;
  for (size_t j = 0; j < more.size();) {
    const uint64_t key = more[j].key;
    while (i < entries_.size() && entries_[i].key < key) spare_.push_back(std::move(entries_[i++]));
    if (i < entries_.size() && entries_[i].key == key) {
      spare_.push_back(std::move(entries_[i++]));
    } else {
      spare_.push_back(std::move(more[j++]));
    }
    Entry& e = spare_.back();
    for (; j < more.size() && more[j].key == key; ++j) {
      e.accepted += more[j].accepted;
      e.rejected += more[j].rejected;
      e.sources.Merge(more[j].sources);
    }
  }
  while (i < entries_.size()) spare_.push_back(std::move(entries_[i++]));
  entries_.swap(spare_);
  spare_.clear();
  log_limit_ = std::bit_ceil(std::max(kMinLog, entries_.size()));
}

const ExposureTable::Array<ExposureTable::Entry>& ExposureTable::Entries(
    ExposureTable* spare) const {
  if (log_.empty()) return entries_;
  spare->entries_ = entries_;
  spare->log_ = log_;
  spare->Fold();
  return spare->entries_;
}

size_t ExposureTable::size() const {
  if (log_.empty()) return entries_.size();
  ExposureTable copy;
  return Entries(&copy).size();
}

}  // namespace flowsift
