// The shape of a file's lines as FileReader sees it before handing chunks out: blank lines
// before a header, the byte order mark (FindOtherHeader finds it at a line's start inside a
// file), lines that end in CR alone. Per file or per chunk, never per row: pure functions on
// pointers and sizes.
#ifndef FLOWSIFT_PIPELINE_LINE_SHAPE_H_
#define FLOWSIFT_PIPELINE_LINE_SHAPE_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace flowsift {

// The UTF-8 byte order mark (Notepad's, PowerShell's Out-File -Encoding utf8).
inline constexpr char kUtf8Bom[] = "\xEF\xBB\xBF";
inline constexpr size_t kUtf8BomBytes = 3;

// The bytes of the blank lines (spaces, tabs and a '\r' before the '\n' alone) that start
// p[0, n), at most `limit` bytes of them; *lines gets how many. Only whole lines (with their
// '\n') count: a last line without one is not known to be blank.
inline size_t BlankLinesPrefix(const uint8_t* p, size_t n, size_t limit, uint32_t* lines) {
  size_t done = 0;
  *lines = 0;
  for (size_t i = 0; i < n && i < limit; ++i) {
    const uint8_t c = p[i];
    if (c == '\n') {
      done = i + 1;
      ++*lines;
    } else if (c != ' ' && c != '\t' && c != '\r') {
      break;
    }
  }
  return done;
}

// True when p[0, n) is text whose lines end in CR alone (classic Mac OS line ends, written by
// some Windows and Mac tools): no '\n' in its first `probe` bytes (or in all of it, when `whole`
// says nothing follows p[n - 1] and n < probe), a '\r' there with more after it, and nothing
// but printable ASCII, tabs and '\r' before the probe's end, so binary data is not taken
// for it. Undecided (false) when fewer than `probe` bytes are known and more may follow.
inline bool LinesEndInCrAlone(const uint8_t* p, size_t n, bool whole, size_t probe) {
  if (n < probe && !whole) return false;
  const size_t m = n < probe ? n : probe;
  if (std::memchr(p, '\n', m) != nullptr) return false;
  const void* cr = std::memchr(p, '\r', m);
  if (cr == nullptr || static_cast<const uint8_t*>(cr) + 1 == p + n) return false;
  for (size_t i = 0; i < m; ++i) {
    const uint8_t c = p[i];
    if ((c < 0x20 || c >= 0x7F) && c != '\r' && c != '\t') return false;
  }
  return true;
}

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_LINE_SHAPE_H_
