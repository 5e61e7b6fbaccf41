// IndexDelimiters and FindHeaderLineStart (every Highway target) against their scalar
// references; the column kernels reading spans from the delimiter index.
#include "kernels/split.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <random>
#include <string>
#include <vector>

#include "kernels/addr.h"
#include "kernels/enums.h"
#include "kernels/integers.h"
#include "tests/kernels/target_util.h"

namespace flowsift::kernels {
namespace {

using flowsift::testing::ForEachTarget;
using flowsift::testing::PaddedBuffer;

struct Index {
  std::vector<uint32_t> delims, line_ends, oddities;
  friend bool operator==(const Index&, const Index&) = default;
};

template <class Fn>
Index IndexOf(Fn fn, const uint8_t* in, size_t size) {
  Index ix;
  ix.delims.resize(size + 64);
  ix.line_ends.resize(size + 64);
  ix.oddities.resize(size + 64);
  const DelimiterCounts c = fn(in, size, ix.delims.data(), ix.line_ends.data(), ix.oddities.data());
  ix.delims.resize(c.delimiters);
  ix.line_ends.resize(c.lines);
  ix.oddities.resize(c.oddities);
  return ix;
}

// Text that looks like flow logs but with every oddity the slow path must see: runs of
// spaces, '\r', tabs, NUL, UTF-8 and stray high bytes, at random, non-periodic places.
std::string RandomText(std::mt19937_64& rng, size_t size) {
  static const char kAlphabet[] = "0123456789abcdef.-:ACEPTROKNDS";
  std::string s;
  s.reserve(size);
  while (s.size() < size) {
    const uint64_t r = rng();
    switch (r % 23) {
      case 0:
      case 1:
      case 2:
        s += ' ';
        break;
      case 3:
        s += '\n';
        break;
      case 4:
        s += (r >> 8) % 7 == 0 ? '\r' : ((r >> 8) % 7 == 1 ? '\t' : ' ');
        break;
      case 5:
        s += static_cast<char>(0x80 + (r >> 16) % 128);
        break;
      case 6:
        s += (r >> 8) % 3 == 0 ? std::string("\0", 1) : std::string("  ");
        break;
      default:
        s += kAlphabet[(r >> 8) % (sizeof(kAlphabet) - 1)];
    }
  }
  s.resize(size);
  return s;
}

TEST(IndexDelimiters, HandWrittenLines) {
  const std::string text = "2 123 eni-a OK\n 2  x\r\nend";
  const PaddedBuffer buf(text, 0);
  const Index ix = IndexOf(IndexDelimitersScalar, buf.data(), buf.size());
  EXPECT_EQ(ix.delims, (std::vector<uint32_t>{1, 5, 11, 14, 15, 17, 18, 21}));
  EXPECT_EQ(ix.line_ends, (std::vector<uint32_t>{3, 7}));
  // 15: leading space after a newline; 18: second space of a run; 20: '\r'.
  EXPECT_EQ(ix.oddities, (std::vector<uint32_t>{15, 18, 20}));
  ForEachTarget(
      [&](const char*) { EXPECT_EQ(IndexOf(IndexDelimiters, buf.data(), buf.size()), ix); });
}

TEST(IndexDelimiters, OffsetZeroDelimiterAndHighBytesAreOdd) {
  const std::string text = " a\xC3\xA9\n\n";
  const PaddedBuffer buf(text, 3);
  const Index ix = IndexOf(IndexDelimitersScalar, buf.data(), buf.size());
  EXPECT_EQ(ix.oddities, (std::vector<uint32_t>{0, 2, 3, 5}));
  ForEachTarget(
      [&](const char*) { EXPECT_EQ(IndexOf(IndexDelimiters, buf.data(), buf.size()), ix); });
}

// Every byte value, each between two letters: ' ' and '\n' are delimiters, every other byte
// below 0x20 and every byte from 0x80 up is an oddity, and the rest (0x21..0x7F: DEL is a field
// byte, as in the parser's own control-byte check) is neither. The boundaries 0x1F / 0x20 and
// 0x7F / 0x80 are where a compare that is off by one differs. Scalar and every target.
TEST(IndexDelimiters, EveryByteValueIsClassified) {
  std::string text = "x";
  Index want;
  for (int b = 0; b < 256; ++b) {
    const uint32_t at = static_cast<uint32_t>(text.size());
    text += static_cast<char>(b);
    text += 'x';
    if (b == '\n') want.line_ends.push_back(static_cast<uint32_t>(want.delims.size()));
    if (b == ' ' || b == '\n') want.delims.push_back(at);
    if ((b < 0x20 && b != '\n') || b >= 0x80) want.oddities.push_back(at);
  }
  ASSERT_EQ(want.oddities.size(), 31u + 128u);
  for (size_t misalign = 0; misalign < 64; ++misalign) {
    const PaddedBuffer buf(text, misalign);
    ASSERT_EQ(IndexOf(IndexDelimitersScalar, buf.data(), buf.size()), want);
    ForEachTarget([&](const char*) {
      ASSERT_EQ(IndexOf(IndexDelimiters, buf.data(), buf.size()), want) << "misalign " << misalign;
    });
  }
}

TEST(IndexDelimiters, PaddingIsNeverData) {
  // The padding of PaddedBuffer is 0xA5 (a high byte): any read of it as data is an oddity.
  const std::string text(64 * 3 + 5, ' ');
  ForEachTarget([&](const char*) {
    for (size_t len = 0; len <= text.size(); ++len) {
      const PaddedBuffer buf(text.substr(0, len), len % 64);
      const Index ix = IndexOf(IndexDelimiters, buf.data(), buf.size());
      ASSERT_EQ(ix.delims.size(), len);
      ASSERT_EQ(ix.oddities.size(), len);  // every space follows a delimiter
      ASSERT_TRUE(ix.line_ends.empty());
    }
  });
}

TEST(IndexDelimiters, EveryLengthAndMisalignmentMatchesScalar) {
  std::mt19937_64 rng(12345);
  ForEachTarget([&](const char*) {
    for (size_t len = 0; len <= 4 * 64 + 1; ++len) {
      const std::string text = RandomText(rng, len);
      for (size_t misalign = 0; misalign < 64; misalign += (len < 70 ? 1 : 7)) {
        const PaddedBuffer buf(text, misalign);
        const Index want = IndexOf(IndexDelimitersScalar, buf.data(), buf.size());
        const Index got = IndexOf(IndexDelimiters, buf.data(), buf.size());
        ASSERT_EQ(got, want) << "len " << len << " misalign " << misalign;
      }
    }
  });
}

TEST(IndexDelimiters, DenseDelimitersUseTheLongFlattenPath) {
  // More than 16 delimiters per 64-byte block (the portable targets' flatten loop) and more
  // than one newline (the line-end loop).
  std::mt19937_64 rng(7);
  std::string text;
  for (size_t i = 0; i < 100000; ++i) text += (rng() % 3 == 0) ? 'x' : ((rng() % 9) ? ' ' : '\n');
  const PaddedBuffer buf(text, 5);
  const Index want = IndexOf(IndexDelimitersScalar, buf.data(), buf.size());
  ForEachTarget(
      [&](const char*) { EXPECT_EQ(IndexOf(IndexDelimiters, buf.data(), buf.size()), want); });
}

TEST(IndexDelimiters, LargeRandomTextMatchesScalar) {
  std::mt19937_64 rng(99);
  const std::string text = RandomText(rng, 1 << 20);
  const PaddedBuffer buf(text, 17);
  const Index want = IndexOf(IndexDelimitersScalar, buf.data(), buf.size());
  ForEachTarget(
      [&](const char*) { EXPECT_EQ(IndexOf(IndexDelimiters, buf.data(), buf.size()), want); });
}

TEST(IndexDelimiters, TextRightBeforeAnInaccessiblePage) {
  // The kernel prefetches 4 KiB past where it reads, past the text's end too: a prefetch never
  // faults, a load would. The text and its padding end where a PROT_NONE page begins, and the
  // address space after that page is whatever the process has there (or nothing).
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t pages = 3;
  void* map =
      mmap(nullptr, pages * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(map, MAP_FAILED);
  uint8_t* base = static_cast<uint8_t*>(map);
  ASSERT_EQ(mprotect(base + (pages - 1) * page, page, PROT_NONE), 0);
  std::mt19937_64 rng(2024);
  for (const size_t len : {size_t{0}, size_t{1}, size_t{63}, size_t{64}, size_t{100}, size_t{4000},
                           page, (pages - 1) * page - kPadding}) {
    const std::string text = RandomText(rng, len);
    uint8_t* in = base + (pages - 1) * page - kPadding - len;
    std::copy(text.begin(), text.end(), in);
    std::fill(in + len, in + len + kPadding, 0xA5);
    const Index want = IndexOf(IndexDelimitersScalar, in, len);
    ForEachTarget(
        [&](const char*) { EXPECT_EQ(IndexOf(IndexDelimiters, in, len), want) << "len " << len; });
  }
  munmap(map, pages * page);
}

// Every offset FindHeaderLineStart reports, walking from each report to the next as the
// reader does.
template <class Fn>
std::vector<size_t> LineStartsOf(Fn fn, const uint8_t* in, size_t size) {
  std::vector<size_t> starts;
  for (size_t i = 0;;) {
    const size_t j = fn(in + i, size - i);
    if (j == size - i) return starts;
    i += j;
    starts.push_back(i);
  }
}

TEST(FindHeaderLineStart, HandWrittenLines) {
  // Offset 0 is the caller's; '-', digits, capitals, bytes >= 0x80 and '{' / '`' (the
  // neighbours of the range) start no candidate; a blank line's newline does not either.
  // A UTF-8 byte order mark's first byte (EF) starts one; other bytes >= 0x80 do not.
  const std::string text =
      "version\n2 a\nsrcaddr x\n\nb\nZ\n-\n{\n`\n\xE2\x80\x8B\n\xEF\xBB\xBF"
      "2\nz";
  const PaddedBuffer buf(text, 1);
  const std::vector<size_t> want{12, 23, 37, 42};
  EXPECT_EQ(LineStartsOf(FindHeaderLineStartScalar, buf.data(), buf.size()), want);
  ForEachTarget([&](const char*) {
    EXPECT_EQ(LineStartsOf(FindHeaderLineStart, buf.data(), buf.size()), want);
  });
}

TEST(FindHeaderLineStart, ALetterPastTheEndIsNotALineStart) {
  // The text ends with a newline and its padding is lowercase: nothing is reported, at any
  // length and alignment (a newline as the last byte of a 64-byte block included).
  ForEachTarget([&](const char*) {
    for (size_t len = 1; len <= 3 * 64 + 1; ++len) {
      std::string text(len - 1, 'x');
      text += '\n';
      std::vector<uint8_t> storage(len + 2 * kPadding + 64, 'a');
      uint8_t* in = storage.data() + len % 64;
      std::copy(text.begin(), text.end(), in);
      ASSERT_EQ(FindHeaderLineStart(in, len), len) << "len " << len;
      // The same text one byte longer: the letter after the newline is data.
      in[len] = 'a';
      ASSERT_EQ(FindHeaderLineStart(in, len + 1), len) << "len " << len;
    }
  });
}

// The padding is not data whatever it holds, line starts included: a newline and a letter
// after the text are never reported, at any length and alignment.
TEST(FindHeaderLineStart, ALineStartInThePaddingIsNotReported) {
  ForEachTarget([&](const char*) {
    for (size_t len = 0; len <= 3 * 64 + 1; ++len) {
      std::vector<uint8_t> storage(len + kPadding + 64);
      uint8_t* in = storage.data() + len % 64;
      std::fill(in, in + len, 'x');
      for (size_t k = 0; k < kPadding; ++k) in[len + k] = k % 2 == 0 ? '\n' : 'a';
      ASSERT_EQ(FindHeaderLineStartScalar(in, len), len) << "len " << len;
      ASSERT_EQ(FindHeaderLineStart(in, len), len) << "len " << len;
    }
  });
}

TEST(FindHeaderLineStart, EveryLengthAndMisalignmentMatchesScalar) {
  std::mt19937_64 rng(4242);
  static constexpr char kBytes[] = "\n\n\naz2-A \x80{`\xEF";
  ForEachTarget([&](const char*) {
    for (size_t len = 0; len <= 4 * 64 + 1; ++len) {
      std::string text(len, ' ');
      for (char& c : text) c = kBytes[rng() % (sizeof(kBytes) - 1)];
      for (size_t misalign = 0; misalign < 64; misalign += (len < 70 ? 1 : 7)) {
        const PaddedBuffer buf(text, misalign);
        ASSERT_EQ(LineStartsOf(FindHeaderLineStart, buf.data(), buf.size()),
                  LineStartsOf(FindHeaderLineStartScalar, buf.data(), buf.size()))
            << "len " << len << " misalign " << misalign;
      }
    }
  });
}

// The parser hands the column kernels a run of simple lines as a strided view of the
// delimiter index (SpanView{delims + prev + field, nf, 1}, slot 0 the virtual UINT32_MAX whose
// +1 wraps to offset 0). On every target, each kernel reading a field through that view gives
// what it gives on the same spans as a FieldSpan array: for runs of every length up to a few
// vectors (the tails) and a long one, from the block's first line and from a later one, with
// fields of every kind's good and bad spellings.
TEST(SpanView, KernelsReadTheDelimiterIndexAsTheyReadSpanArrays) {
  static const char* const kValues[] = {"0",
                                        "7",
                                        "65535",
                                        "18446744073709551615",
                                        "18446744073709551616",
                                        "-",
                                        "ACCEPT",
                                        "REJECT",
                                        "OK",
                                        "NODATA",
                                        "egress",
                                        "IPv4",
                                        "10.0.0.1",
                                        "255.255.255.255",
                                        "256.1.1.1",
                                        "2001:db8::1",
                                        "x9",
                                        "00000000000000000000042"};
  std::mt19937_64 rng(2026);
  std::vector<size_t> counts;
  for (size_t n = 0; n <= 40; ++n) counts.push_back(n);
  for (size_t n : {63, 64, 65, 2000}) counts.push_back(n);
  for (const size_t nf : {size_t{1}, size_t{3}, size_t{14}}) {
    for (const size_t rows : counts) {
      const size_t skip = rows % 2 == 0 ? 0 : 1 + rng() % 5;  // lines before the run
      std::string text;
      for (size_t r = 0; r < skip + rows; ++r) {
        for (size_t i = 0; i < nf; ++i) {
          text += kValues[rng() % std::size(kValues)];
          text += i + 1 < nf ? ' ' : '\n';
        }
      }
      const PaddedBuffer buf(text, rng() % 64);
      std::vector<uint32_t> delims(text.size() + 65), line_ends(text.size() + 64),
          oddities(text.size() + 64);
      delims[0] = UINT32_MAX;
      const DelimiterCounts c = IndexDelimiters(buf.data(), buf.size(), delims.data() + 1,
                                                line_ends.data(), oddities.data());
      ASSERT_EQ(c.delimiters, (skip + rows) * nf);
      const size_t prev = skip * nf;  // the slot of the run's first line's previous newline
      for (size_t field = 0; field < nf; ++field) {
        const SpanView view{delims.data() + prev + field, nf, 1};
        std::vector<FieldSpan> spans(rows);
        for (size_t r = 0; r < rows; ++r) {
          const size_t p = prev + r * nf + field;
          spans[r] = {delims[p] + 1, delims[p + 1]};
          ASSERT_EQ(view[r].begin, spans[r].begin);
          ASSERT_EQ(view[r].end, spans[r].end);
        }
        if (rows > 0 && prev + field == 0) {
          ASSERT_EQ(spans[0].begin, 0u);  // the virtual delimiter's UINT32_MAX + 1 wrapped
        }
        ForEachTarget([&](const char*) {
          std::vector<uint64_t> u_want(rows), u_got(rows);
          std::vector<Addr128> a_want(rows), a_got(rows);
          std::vector<uint8_t> e_want(rows), e_got(rows);
          std::vector<FieldStatus> s_want(rows), s_got(rows);
          const auto same = [&](const char* what) {
            for (size_t r = 0; r < rows; ++r) {
              ASSERT_EQ(s_got[r], s_want[r]) << what << " rows " << rows << " row " << r;
            }
          };
          ParseUintColumn(buf.data(), spans.data(), rows, 65535, u_want.data(), s_want.data());
          ParseUintColumn(buf.data(), view, rows, 65535, u_got.data(), s_got.data());
          same("uint");
          EXPECT_EQ(u_got, u_want);
          ParseAddrColumn(buf.data(), spans.data(), rows, a_want.data(), s_want.data());
          ParseAddrColumn(buf.data(), view, rows, a_got.data(), s_got.data());
          same("addr");
          EXPECT_EQ(a_got, a_want);
          for (const EnumKind kind : {EnumKind::kAction, EnumKind::kLogStatus}) {
            ParseEnumColumn(kind, buf.data(), spans.data(), rows, e_want.data(), s_want.data());
            ParseEnumColumn(kind, buf.data(), view, rows, e_got.data(), s_got.data());
            same("enum");
            EXPECT_EQ(e_got, e_want);
          }
        });
      }
    }
  }
}

}  // namespace
}  // namespace flowsift::kernels
