// Runs a test body once per Highway target compiled into the kernels and supported by this CPU,
// so every SIMD path is compared with its scalar reference on one machine.
#ifndef FLOWSIFT_TESTS_KERNELS_TARGET_UTIL_H_
#define FLOWSIFT_TESTS_KERNELS_TARGET_UTIL_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "hwy/targets.h"

namespace flowsift::testing {

// Calls body(target_name) for every target; failures name the target through SCOPED_TRACE.
template <class Body>
void ForEachTarget(const Body& body) {
  const std::vector<int64_t> targets = hwy::SupportedAndGeneratedTargets();
  ASSERT_FALSE(targets.empty());
  for (int64_t target : targets) {
    hwy::SetSupportedTargetsForTest(target);
    hwy::GetChosenTarget().Update(hwy::SupportedTargets());
    SCOPED_TRACE(hwy::TargetName(target));
    body(hwy::TargetName(target));
  }
  hwy::SetSupportedTargetsForTest(0);
  hwy::GetChosenTarget().Update(hwy::SupportedTargets());
}

// A buffer with `kPadding`-style slack after the data and a chosen misalignment of the start,
// so kernels are tested at every alignment. The slack is filled with junk to catch kernels that
// treat padding as data.
class PaddedBuffer {
 public:
  PaddedBuffer(const std::string& data, size_t misalign, size_t padding = 64)
      : storage_(data.size() + padding + 128, '\xA5') {
    uintptr_t p = reinterpret_cast<uintptr_t>(storage_.data());
    size_t skip = (64 - p % 64) % 64 + misalign;
    data_ = reinterpret_cast<uint8_t*>(storage_.data()) + skip;
    std::copy(data.begin(), data.end(), data_);
    size_ = data.size();
  }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  std::vector<char> storage_;
  uint8_t* data_;
  size_t size_;
};

}  // namespace flowsift::testing

#endif  // FLOWSIFT_TESTS_KERNELS_TARGET_UTIL_H_
