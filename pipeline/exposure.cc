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
  // A forward merge of the table and the sorted log's runs into spare_, which then becomes
  // the table. Upper bound on the keys: the table's and the log's.
  ReserveSpare(entries_.size() + log_.size());
  size_t i = 0;
  const size_t n = log_.size();
  for (size_t j = 0; j < n;) {
    const uint64_t key = log_[j].key_bits & kKeyMask;
    while (i < entries_.size() && entries_[i].key < key) spare_.push_back(std::move(entries_[i++]));
    if (i < entries_.size() && entries_[i].key == key) {
      spare_.push_back(std::move(entries_[i++]));
    } else {
      spare_.emplace_back().key = key;
    }
    Entry& e = spare_.back();
    for (; j < n && (log_[j].key_bits & kKeyMask) == key; ++j) {
      e.accepted += (log_[j].key_bits >> kAcceptedBit) & 1;
      e.rejected += log_[j].key_bits >> kRejectedBit;
      e.sources.Add(log_[j].source);
    }
  }
  while (i < entries_.size()) spare_.push_back(std::move(entries_[i++]));
  entries_.swap(spare_);
  spare_.clear();
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
