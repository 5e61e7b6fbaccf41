// Fixed-width little-endian encoding of aggregation state for partial outputs (docs/partial.md).
// The writer appends to a string; the reader checks every length against what is left, so a
// damaged or hostile buffer makes it fail (sticky), never read out of bounds or allocate more
// than the buffer could describe.
#ifndef FLOWSIFT_PIPELINE_SERIAL_H_
#define FLOWSIFT_PIPELINE_SERIAL_H_

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace flowsift {

// Little-endian hosts only (x86-64, aarch64): integers are copied as they lie in memory.
static_assert(std::endian::native == std::endian::little, "partial files are little-endian");

class ByteWriter {
 public:
  explicit ByteWriter(std::string& out) : out_(out) {}
  void U8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void U16(uint16_t v) { Raw(&v, 2); }
  void U32(uint32_t v) { Raw(&v, 4); }
  void U64(uint64_t v) { Raw(&v, 8); }
  void Raw(const void* p, size_t n) { out_.append(static_cast<const char*>(p), n); }
  // u32 length, then the bytes.
  void Str(std::string_view s) {
    U32(static_cast<uint32_t>(s.size()));
    Raw(s.data(), s.size());
  }
  size_t size() const { return out_.size(); }
  std::string& out() { return out_; }

 private:
  std::string& out_;
};

class ByteReader {
 public:
  ByteReader(const char* data, size_t size) : p_(data), end_(data + size) {}
  explicit ByteReader(std::string_view s) : ByteReader(s.data(), s.size()) {}

  // Each getter returns 0 / empty and sets failed() when fewer bytes are left than it needs.
  uint8_t U8() { return Get<uint8_t>(); }
  uint16_t U16() { return Get<uint16_t>(); }
  uint32_t U32() { return Get<uint32_t>(); }
  uint64_t U64() { return Get<uint64_t>(); }
  std::string_view Str() { return Bytes(U32()); }
  // The next n bytes, or an empty view (and failed()) when fewer are left.
  std::string_view Bytes(uint64_t n) {
    if (failed_ || n > Left()) return Fail(), std::string_view();
    const std::string_view s(p_, n);
    p_ += n;
    return s;
  }
  // False (and failed()) unless at least count * bytes_each bytes are left: lets a loader
  // check an element count before it reserves memory for it.
  bool Expect(uint64_t count, uint64_t bytes_each) {
    if (failed_ || (bytes_each != 0 && count > Left() / bytes_each)) return Fail(), false;
    return true;
  }
  size_t Left() const { return static_cast<size_t>(end_ - p_); }
  bool failed() const { return failed_; }
  void Fail() { failed_ = true; }

 private:
  template <typename T>
  T Get() {
    T v{};
    if (failed_ || Left() < sizeof(T)) return Fail(), v;
    memcpy(&v, p_, sizeof(T));
    p_ += sizeof(T);
    return v;
  }
  const char* p_;
  const char* end_;
  bool failed_ = false;
};

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_SERIAL_H_
