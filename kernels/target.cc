// Reports the dispatch target: the same per-target compilation as the kernels, so the answer
// is the target their HWY_DYNAMIC_DISPATCH picks.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/target.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
// Must come after foreach_target.h.
#include "hwy/highway.h"
#include "kernels/target.h"

HWY_BEFORE_NAMESPACE();
namespace flowsift::kernels {
namespace HWY_NAMESPACE {

const char* TargetName() { return hwy::TargetName(HWY_TARGET); }

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace flowsift::kernels
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace flowsift::kernels {

HWY_EXPORT(TargetName);

const char* ActiveTargetName() { return HWY_DYNAMIC_DISPATCH(TargetName)(); }

std::string AvailableTargetNames() {
  std::string names;
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
    if (!names.empty()) names += ' ';
    names += hwy::TargetName(target);
  }
  return names;
}

}  // namespace flowsift::kernels
#endif  // HWY_ONCE
