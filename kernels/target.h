// Which Highway SIMD target the kernels dispatch to on this machine.
#ifndef FLOWSIFT_KERNELS_TARGET_H_
#define FLOWSIFT_KERNELS_TARGET_H_

#include <string>

namespace flowsift::kernels {

// Name of the target HWY_DYNAMIC_DISPATCH chooses now, e.g. "AVX3_DL", "AVX2", "SCALAR".
const char* ActiveTargetName();

// Every target compiled into the kernels and supported by this CPU, best first, space separated.
std::string AvailableTargetNames();

}  // namespace flowsift::kernels

#endif  // FLOWSIFT_KERNELS_TARGET_H_
