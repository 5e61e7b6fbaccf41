// Byte counts as people read them, one spelling for everything flowsift prints: the findings'
// summaries, `show`, the progress bar, run's and gen's reports.
#ifndef FLOWSIFT_PIPELINE_HUMAN_BYTES_H_
#define FLOWSIFT_PIPELINE_HUMAN_BYTES_H_

#include <string>

namespace flowsift {

// "1.2 GiB": powers of 1024 with their IEC names (B ... EiB), one decimal, cut rather than
// rounded (10 GiB - 1 byte is "9.9 GiB", never "10.0 GiB" or "1024.0 KiB"); whole bytes below
// 1 KiB ("59 B"); negative values as 0.
std::string HumanBytes(double bytes);

// The inverse of the --bytes flags' sizes (K, M, G, T: powers of 1024) for advice: a size
// they read back as at least `bytes`, one decimal rounded up ("3.4M"), whole bytes below 1 KiB.
std::string SizeAtLeast(double bytes);

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_HUMAN_BYTES_H_
