// An array for the aggregation's big sequential tables (the exposure table and its log): a
// std::vector whose storage comes from AllocateTable and grows by GrowTable, so growing it
// moves pages instead of copying elements into fresh memory.
#ifndef FLOWSIFT_PIPELINE_TABLE_ARRAY_H_
#define FLOWSIFT_PIPELINE_TABLE_ARRAY_H_

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

#include "pipeline/huge_pages.h"
#include "pipeline/temporaries.h"

namespace flowsift {

// The subset of std::vector the tables use. Elements are relocated by their bytes when the
// array grows (GrowTable), so T must be relocatable that way: no pointers into itself and a
// move that is a copy of the bytes. Trivially copyable types are; so is a type whose members
// are those and DistinctCounters (its move copies its bytes and empties the source, which then
// frees nothing). Trivially constructible elements are left uninitialised by resize, as
// ColumnVector's are. Unlike std::vector's, push_back's argument must not be an element of the
// same array (growing moves it first).
template <typename T>
class TableArray {
 public:
  TableArray() = default;
  ~TableArray() { Release(); }
  TableArray(const TableArray& o) { *this = o; }
  TableArray& operator=(const TableArray& o) {
    if (this == &o) return *this;
    Clear();
    reserve(o.size_);
    std::uninitialized_copy(o.data_, o.data_ + o.size_, data_);
    size_ = o.size_;
    return *this;
  }
  TableArray(TableArray&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)),
        size_(std::exchange(o.size_, 0)),
        capacity_(std::exchange(o.capacity_, 0)) {}
  TableArray& operator=(TableArray&& o) noexcept {
    if (this != &o) {
      Release();
      data_ = std::exchange(o.data_, nullptr);
      size_ = std::exchange(o.size_, 0);
      capacity_ = std::exchange(o.capacity_, 0);
    }
    return *this;
  }
  void swap(TableArray& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    std::swap(capacity_, o.capacity_);
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t capacity() const { return capacity_; }
  T* data() { return data_; }
  const T* data() const { return data_; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  T& back() { return data_[size_ - 1]; }
  T* begin() { return data_; }
  T* end() { return data_ + size_; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }
  std::reverse_iterator<const T*> rbegin() const { return std::reverse_iterator(end()); }
  std::reverse_iterator<const T*> rend() const { return std::reverse_iterator(begin()); }

  void push_back(T&& x) {
    new (EndWithRoom()) T(std::move(x));
    ++size_;
  }
  T& emplace_back() {
    T* e = new (EndWithRoom()) T();
    ++size_;
    return *e;
  }
  // Destroys the elements; the memory stays for the next ones.
  void clear() { Clear(); }
  // Makes room for n elements without moving them again (a no-op when there is room).
  void reserve(size_t n) {
    if (n > capacity_) Reserve(n);
  }
  // n elements: new ones value-initialised unless T is trivially constructible (then left as
  // the memory holds them), extra ones destroyed.
  void resize(size_t n) {
    reserve(n);
    if constexpr (!std::is_trivially_default_constructible_v<T>) {
      for (size_t i = size_; i < n; ++i) new (data_ + i) T();
    }
    if constexpr (!std::is_trivially_destructible_v<T>) {
      for (size_t i = n; i < size_; ++i) data_[i].~T();
    }
    size_ = n;
  }

 private:
  // end(), with room for one more element there: the capacity doubles when full.
  T* EndWithRoom() {
    if (size_ == capacity_) [[unlikely]]
      Reserve(std::max<size_t>(16, 2 * capacity_));
    return data_ + size_;
  }
  void Reserve(size_t n) {
    void* p = GrowTable(data_, capacity_ * sizeof(T), n * sizeof(T));
    if (p == nullptr) ExitOutOfMemory();
    data_ = static_cast<T*>(p);
    capacity_ = n;
  }
  void Clear() {
    if constexpr (!std::is_trivially_destructible_v<T>) {
      for (size_t i = 0; i < size_; ++i) data_[i].~T();
    }
    size_ = 0;
  }
  void Release() {
    Clear();
    FreeTable(data_, capacity_ * sizeof(T));
    data_ = nullptr;
    capacity_ = 0;
  }

  T* data_ = nullptr;
  size_t size_ = 0, capacity_ = 0;
};

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_TABLE_ARRAY_H_
