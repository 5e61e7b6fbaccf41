// Stage 1 of parsing: index the delimiters of a block of flow-log text (the simdjson idea).
#ifndef FLOWSIFT_KERNELS_SPLIT_H_
#define FLOWSIFT_KERNELS_SPLIT_H_

#include <cstddef>
#include <cstdint>

#include "kernels/types.h"

namespace flowsift::kernels {

struct DelimiterCounts {
  size_t delimiters;  // entries written to `delims`
  size_t lines;       // entries written to `line_ends` (= number of '\n')
  size_t oddities;    // entries written to `oddities`
};

// Indexes in[0, size) for the record parser, without a branch per delimiter:
// - delims:    offset of every ' ' and '\n', ascending.
// - line_ends: for every '\n', its index in `delims` (so line r has
//              line_ends[r] - line_ends[r-1] delimiters, its last one the newline).
// - oddities:  offset of every byte that puts its line on the slow path: a delimiter directly
//              after another delimiter or at offset 0 (runs of spaces, empty fields, trailing
//              space, blank lines), a control byte other than '\n' ('\r', '\t', NUL, ...),
//              and any byte >= 0x80 (UTF-8 text or binary garbage).
// A line without oddities is "simple": single spaces between non-empty fields of bytes 0x21 to
// 0x7f (DEL is no oddity, as in the parser's slow path, which refuses bytes under 0x20 only).
// `in` must be readable up to size + kPadding (types.h); size < 2^31. Each output array must
// hold size + 64 entries (the flattening writes up to 64 entries past the count).
DelimiterCounts IndexDelimiters(const uint8_t* in, size_t size, uint32_t* delims,
                                uint32_t* line_ends, uint32_t* oddities);

// Scalar reference: a byte loop with identical outputs. The definition of correct.
DelimiterCounts IndexDelimitersScalar(const uint8_t* in, size_t size, uint32_t* delims,
                                      uint32_t* line_ends, uint32_t* oddities);

// The first byte of the UTF-8 byte order mark (EF BB BF); no byte of ASCII text.
inline constexpr uint8_t kBomFirstByte = 0xEF;

// The reader's search for header lines inside a file (a concatenation such as `cat a.log
// b.log` of files with different field orders) and for UTF-8 byte order marks at a line's start
// (b.log saved by Notepad): the smallest i in [1, size) such that in[i - 1] is '\n' and in[i] is
// a lowercase ASCII letter (a field name's first byte) or kBomFirstByte, or size if there is
// none. Offset 0 is never returned (the caller looks at its first line itself). One pass of
// whole-vector compares; a data line that starts with a digit or '-' (every AWS preset: the
// version first) is never a candidate. `in` must be readable up to size + kPadding.
size_t FindHeaderLineStart(const uint8_t* in, size_t size);

// Scalar reference: a byte loop.
size_t FindHeaderLineStartScalar(const uint8_t* in, size_t size);

}  // namespace flowsift::kernels

#endif  // FLOWSIFT_KERNELS_SPLIT_H_
