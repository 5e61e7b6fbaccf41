// A part's state file (docs/partial.md): the sections' encodings (DistinctCounter's and
// Aggregator's Save and Load, the state fuzzer's seeds) and the container that PartialBuilder
// writes and ReadPartial checks (versions, sections, the zstd frame, its bounds).
#include "pipeline/partial.h"

#include <gtest/gtest.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "pipeline/aggregate.h"
#include "pipeline/detect.h"
#include "pipeline/distinct.h"
#include "pipeline/generate.h"
#include "pipeline/run.h"
#include "pipeline/serial.h"
#include "pipeline/tables.h"
#include "tests/test_util.h"

namespace flowsift {
namespace {

namespace fs = std::filesystem;
using flowsift::testing::ReadFile;
using flowsift::testing::TempDir;
using flowsift::testing::WriteFile;

DistinctCounter CounterOf(uint64_t first, uint64_t n) {
  DistinctCounter c;
  for (uint64_t i = first; i < first + n; ++i) c.Add(Mix64(i));
  return c;
}

std::string SaveCounter(const DistinctCounter& c) {
  std::string bytes;
  ByteWriter w(bytes);
  c.Save(w);
  return bytes;
}

TEST(DistinctSerial, LoadGivesTheSameCountsAndMerges) {
  // Every form: empty, inline, table, the last exact size, sketches.
  for (uint64_t n : {0, 1, 3, 4, 100, 2048, 2049, 30000}) {
    const DistinctCounter c = CounterOf(0, n);
    const std::string bytes = SaveCounter(c);
    DistinctCounter loaded;
    ByteReader r(bytes);
    ASSERT_TRUE(loaded.Load(r)) << n;
    EXPECT_EQ(r.Left(), 0u);
    EXPECT_EQ(loaded.Count(), c.Count()) << n;
    EXPECT_EQ(loaded.exact(), c.exact()) << n;
    // Merging with an overlapping counter: the loaded copy behaves as the original.
    for (uint64_t m : {1, 1500, 40000}) {
      DistinctCounter a = CounterOf(n / 2, m), b = CounterOf(n / 2, m);
      a.Merge(c);
      b.Merge(loaded);
      EXPECT_EQ(a.Count(), b.Count()) << n << " " << m;
      EXPECT_EQ(a.exact(), b.exact()) << n << " " << m;
    }
    // Every shorter prefix fails to load.
    for (size_t cut = 0; cut < bytes.size(); cut += 1 + bytes.size() / 50) {
      DistinctCounter x;
      ByteReader rr(bytes.data(), cut);
      EXPECT_FALSE(x.Load(rr)) << n << " cut " << cut;
    }
  }
}

TEST(DistinctSerial, RejectsMalformedBytes) {
  std::string sketch = SaveCounter(CounterOf(0, 5000));
  sketch[100] = 60;  // above the maximum rank 64 - 15 + 1
  DistinctCounter a;
  ByteReader r1(sketch);
  EXPECT_FALSE(a.Load(r1));

  std::string exact;
  ByteWriter w(exact);
  w.U8(0);
  w.U32(2);
  w.U64(5);
  w.U64(0);  // zero marks an empty slot: never a stored hash
  DistinctCounter b;
  ByteReader r2(exact);
  EXPECT_FALSE(b.Load(r2));

  std::string big;
  ByteWriter wb(big);
  wb.U8(0);
  wb.U32(DistinctCounter::kExactLimit + 1);
  for (uint32_t i = 0; i <= DistinctCounter::kExactLimit; ++i) wb.U64(i + 1);
  DistinctCounter c;
  ByteReader r3(big);
  EXPECT_FALSE(c.Load(r3));

  std::string form;
  ByteWriter wf(form);
  wf.U8(7);
  DistinctCounter d;
  ByteReader r4(form);
  EXPECT_FALSE(d.Load(r4));
}

// An aggregator fed generated text (two formats so both address kinds and NAT fields occur).
Aggregator Aggregated(uint64_t seed, uint64_t records, std::string* keep) {
  GenOptions g;
  g.seed = seed;
  g.records = records;
  g.interfaces = 40;
  g.header = false;
  *keep = GenerateText(g);
  const size_t size = keep->size();
  keep->append(kernels::kPadding, '\0');
  ParseScratch scratch;
  const ParsedBatch b = ParseChunk(reinterpret_cast<const uint8_t*>(keep->data()), size,
                                   Format::Default(), Aggregator::NeededFields(), scratch);
  Aggregator a(AggregateOptions{});
  a.Add(b, reinterpret_cast<const uint8_t*>(keep->data()), seed);
  return a;
}

// The state fuzzer's seeds (tests/fuzz/corpus/state) are sections of real states: each must
// load whole with this build's encoding, or the fuzzer mutates bytes that its loaders refuse at
// the first changed field and reaches none of what follows.
TEST(StateSeeds, EverySeedLoadsWithThisEncoding) {
  size_t seeds = 0;
  for (const auto& e :
       fs::directory_iterator(fs::path(FLOWSIFT_SOURCE_DIR) / "tests/fuzz/corpus/state")) {
    const std::string bytes = ReadFile(e.path());
    ASSERT_FALSE(bytes.empty()) << e.path();
    ByteReader r(std::string_view(bytes).substr(1));
    std::string error;
    const bool loaded = (bytes[0] & 1) != 0 ? Detector(DetectOptions{}).Load(r, &error)
                                            : Aggregator(AggregateOptions{}).Load(r, &error);
    EXPECT_TRUE(loaded)
        << e.path() << ": " << error
        << " (after a change to Save: tests/fuzz/make-state-seeds build/ci/tools/flowsift)";
    ++seeds;
  }
  EXPECT_GE(seeds, 10u);
}

TEST(AggregateSerial, SaveLoadKeepsEveryTableAndMergesAlike) {
  std::string t1, t2;
  const Aggregator a = Aggregated(3, 60000, &t1);
  const Aggregator b = Aggregated(4, 30000, &t2);
  std::string bytes;
  ByteWriter w(bytes);
  a.Save(w);
  Aggregator loaded(AggregateOptions{});
  ByteReader r(bytes);
  std::string error;
  ASSERT_TRUE(loaded.Load(r, &error)) << error;
  EXPECT_EQ(r.Left(), 0u);
  EXPECT_EQ(loaded.Windows(), a.Windows());
  EXPECT_EQ(loaded.Talkers(), a.Talkers());
  EXPECT_EQ(loaded.Exposure(), a.Exposure());
  EXPECT_EQ(loaded.records(), a.records());
  ASSERT_FALSE(a.Windows().empty());

  Aggregator in_memory(AggregateOptions{});
  in_memory.Merge(b);
  in_memory.Merge(a);
  Aggregator from_bytes(AggregateOptions{});
  from_bytes.Merge(b);
  ByteReader again(bytes);
  ASSERT_TRUE(from_bytes.Load(again, &error)) << error;
  EXPECT_EQ(from_bytes.Windows(), in_memory.Windows());
  EXPECT_EQ(from_bytes.Talkers(), in_memory.Talkers());
  EXPECT_EQ(from_bytes.Exposure(), in_memory.Exposure());

  for (size_t cut = 0; cut < bytes.size(); cut += 1 + bytes.size() / 40) {
    Aggregator x(AggregateOptions{});
    ByteReader rr(bytes.data(), cut);
    std::string e;
    EXPECT_FALSE(x.Load(rr, &e)) << "cut " << cut;
    EXPECT_NE(e, "");
  }
}

// Accounts() names each interface once over every state an output walks (this one and those
// Absorb took), and SetAccounts sets the account in all of them: the windows of an absorbed
// state's interfaces carry the account set too.
TEST(AggregateAccounts, SetAccountsReachesEveryStateTheOutputsWalk) {
  std::string t1, t2;
  Aggregator a = Aggregated(3, 20000, &t1);
  Aggregator b = Aggregated(4, 20000, &t2);
  a.Absorb(std::move(b));
  const std::vector<Aggregator::SeenAccount> seen = a.Accounts();
  std::set<std::string> names;
  for (const WindowRow& row : a.Windows()) names.insert(row.interface_id);
  ASSERT_EQ(seen.size(), names.size());
  std::unordered_map<std::string, std::string> accounts;
  for (const Aggregator::SeenAccount& s : seen) {
    EXPECT_TRUE(names.count(s.name)) << s.name;
    EXPECT_NE(s.order, UINT64_MAX) << s.name;  // every generated record has an account
    accounts[s.name] = "acct-" + s.name;
  }
  a.SetAccounts(accounts);
  const std::vector<WindowRow> rows = a.Windows();
  ASSERT_FALSE(rows.empty());
  for (const WindowRow& row : rows) EXPECT_EQ(row.account_id, "acct-" + row.interface_id);
  for (const Aggregator::SeenAccount& s : a.Accounts()) EXPECT_EQ(s.account, "acct-" + s.name);
}

TEST(Partial, RefusesOtherVersionsUnknownSectionsAndGarbage) {
  TempDir tmp;
  std::string error;
  PartialHeader h;
  h.output_format_version = kOutputFormatVersion;
  h.window = 600;
  h.internal = "10.0.0.0/8";
  Aggregator empty(AggregateOptions{});
  std::string state;
  ByteWriter w(state);
  empty.Save(w);
  std::string detect_state;
  ByteWriter dw(detect_state);
  Detector(DetectOptions{}).Save(dw);

  const auto write = [&](const PartialHeader& header, uint32_t extra, const std::string& name) {
    PartialBuilder b(header);
    b.AddSection(static_cast<uint32_t>(PartialSection::kRun), "{}");
    b.AddSection(static_cast<uint32_t>(PartialSection::kAggregate), state);
    b.AddSection(static_cast<uint32_t>(PartialSection::kDetection), detect_state);
    if (extra != 0) b.AddSection(extra, "x");
    EXPECT_TRUE(b.Write(tmp / name, 1, &error)) << error;
    return tmp / name;
  };
  PartialFile f;
  EXPECT_EQ(ReadPartial(write(h, 0, "ok"), &f, &error), PartialStatus::kOk) << error;
  EXPECT_EQ(f.header.window, 600u);
  EXPECT_EQ(f.header.internal, "10.0.0.0/8");
  // An optional section this version does not know is skipped.
  EXPECT_EQ(ReadPartial(write(h, kOptionalSection | 77, "opt"), &f, &error), PartialStatus::kOk)
      << error;
  EXPECT_EQ(ReadPartial(write(h, 77, "req"), &f, &error), PartialStatus::kVersion);
  EXPECT_NE(error.find("section 77"), std::string::npos) << error;
  PartialHeader next = h;
  next.format_version = kPartialFormatVersion + 1;
  EXPECT_EQ(ReadPartial(write(next, 0, "next"), &f, &error), PartialStatus::kVersion);
  EXPECT_NE(error.find("version " + std::to_string(kPartialFormatVersion + 1)), std::string::npos)
      << error;
  PartialHeader out2 = h;
  out2.output_format_version = kOutputFormatVersion + 1;
  EXPECT_EQ(ReadPartial(write(out2, 0, "out2"), &f, &error), PartialStatus::kVersion);
  PartialHeader flags = h;
  flags.flags = 4;
  EXPECT_EQ(ReadPartial(write(flags, 0, "flags"), &f, &error), PartialStatus::kVersion);
  // A section twice is corrupt (the first was taken, the second ignored), and so are bytes
  // after the aggregate state (sixteen zeros were merged, exit 0).
  {
    PartialBuilder b(h);
    b.AddSection(static_cast<uint32_t>(PartialSection::kRun), "{}");
    b.AddSection(static_cast<uint32_t>(PartialSection::kAggregate), state);
    b.AddSection(static_cast<uint32_t>(PartialSection::kDetection), detect_state);
    b.AddSection(static_cast<uint32_t>(PartialSection::kDetection), detect_state);
    ASSERT_TRUE(b.Write(tmp / "twice", 1, &error)) << error;
    EXPECT_EQ(ReadPartial(tmp / "twice", &f, &error), PartialStatus::kCorrupt);
    EXPECT_NE(error.find("corrupt (section 3 is there twice)"), std::string::npos) << error;
  }
  {
    Aggregator loaded(AggregateOptions{});
    const std::string padded = state + std::string(16, '\0');
    ByteReader r(padded);
    EXPECT_FALSE(loaded.Load(r, &error));
    EXPECT_EQ(error, "malformed aggregate state: bytes after its end");
    ByteReader whole(state);
    EXPECT_TRUE(loaded.Load(whole, &error)) << error;
  }
  // A window run never takes is corrupt: 601 made windows 601 s long under a manifest of 600.
  for (const uint32_t window : {0u, 1u, 601u, 86400u}) {
    PartialHeader odd = h;
    odd.window = window;
    EXPECT_EQ(ReadPartial(write(odd, 0, "window"), &f, &error), PartialStatus::kCorrupt) << window;
    EXPECT_NE(error.find("corrupt (window " + std::to_string(window) + " s in the header"),
              std::string::npos)
        << error;
  }

  WriteFile(tmp.path() / "text", "hello");
  EXPECT_EQ(ReadPartial(tmp / "text", &f, &error), PartialStatus::kCorrupt);
  EXPECT_EQ(ReadPartial(tmp / "missing", &f, &error), PartialStatus::kUnreadable);
  EXPECT_NE(error.find("missing"), std::string::npos);
  // Every truncation of a valid file is detected.
  const std::string whole = ReadFile(tmp.path() / "ok");
  for (size_t cut = 0; cut < whole.size(); ++cut) {
    WriteFile(tmp.path() / "cut", whole.substr(0, cut));
    const PartialStatus s = ReadPartial(tmp / "cut", &f, &error);
    EXPECT_TRUE(s == PartialStatus::kTruncated || s == PartialStatus::kCorrupt) << cut;
  }
}

// --- The container's checks the tests above did not reach (docs/partial.md, "Container") --------

// The smallest valid part state: a header and the three required sections' payloads (an empty
// aggregator's and detector's states).
struct StatePieces {
  PartialHeader header;
  std::string run = "{}";
  std::string aggregate;
  std::string detection;
};

StatePieces SmallState() {
  StatePieces s;
  s.header.output_format_version = kOutputFormatVersion;
  s.header.window = 600;
  s.header.internal = "10.0.0.0/8";
  ByteWriter aw(s.aggregate);
  Aggregator(AggregateOptions{}).Save(aw);
  ByteWriter dw(s.detection);
  Detector(DetectOptions{}).Save(dw);
  return s;
}

// Writes `s` to `path` as PartialBuilder does, with the sections `ids` in that order (1 run,
// 2 aggregate, 3 detection, any other id a one-byte payload), and returns `path`.
std::string WriteState(const StatePieces& s, const std::string& path,
                       const std::vector<uint32_t>& ids = {1, 2, 3}) {
  PartialBuilder b(s.header);
  for (const uint32_t id : ids) {
    b.AddSection(id, id == 1 ? s.run : id == 2 ? s.aggregate : id == 3 ? s.detection : "x");
  }
  std::string error;
  EXPECT_TRUE(b.Write(path, 1, &error)) << error;
  return path;
}

// Reads `path` and returns its status, the message in *error.
PartialStatus Read(const std::string& path, std::string* error) {
  PartialFile f;
  return ReadPartial(path, &f, error);
}

// Versions other than this one are refused both ways: an older part (made by the flowsift
// before a section's encoding changed) would be decoded with the new encoding.
TEST(Partial, RefusesOlderFormatVersionsToo) {
  TempDir tmp;
  std::string error;
  StatePieces s = SmallState();
  s.header.format_version = kPartialFormatVersion - 1;
  EXPECT_EQ(Read(WriteState(s, tmp / "older"), &error), PartialStatus::kVersion);
  EXPECT_NE(error.find("partial format version " + std::to_string(kPartialFormatVersion - 1)),
            std::string::npos)
      << error;
  s = SmallState();
  s.header.output_format_version = kOutputFormatVersion - 1;
  EXPECT_EQ(Read(WriteState(s, tmp / "older-output"), &error), PartialStatus::kVersion);
  EXPECT_NE(error.find("output format version " + std::to_string(kOutputFormatVersion - 1)),
            std::string::npos)
      << error;
  // What to do, as for the partial format's version.
  EXPECT_NE(error.find(": make all parts with the same flowsift version as the merge"),
            std::string::npos)
      << error;
}

// An id with bit 31 set is an optional section, skipped when this version does not know it,
// whatever its low bits: 0x80000002 is not the aggregate state (docs/partial.md). It had been
// read as section 2: beside a real one, "section 2 is there twice"; in its place, its payload
// decoded as an aggregate state.
TEST(Partial, AnOptionalSectionIsNeverAKnownOne) {
  TempDir tmp;
  std::string error;
  const StatePieces s = SmallState();
  const uint32_t optional_aggregate =
      kOptionalSection | static_cast<uint32_t>(PartialSection::kAggregate);
  PartialFile f;
  EXPECT_EQ(ReadPartial(WriteState(s, tmp / "beside", {1, 2, optional_aggregate, 3}), &f, &error),
            PartialStatus::kOk)
      << error;
  ASSERT_NE(f.Find(PartialSection::kAggregate), nullptr);
  EXPECT_EQ(*f.Find(PartialSection::kAggregate), s.aggregate);
  EXPECT_EQ(f.sections.size(), 3u);
  // In place of the aggregate section: the part has none, which is corrupt.
  EXPECT_EQ(Read(WriteState(s, tmp / "instead", {1, optional_aggregate, 3}), &error),
            PartialStatus::kCorrupt);
  EXPECT_NE(error.find("no run, aggregate or detection section"), std::string::npos) << error;
  // An optional id whose low bits are the end section's is skipped too, not taken as the end.
  EXPECT_EQ(Read(WriteState(s, tmp / "end", {1, 2, kOptionalSection, 3}), &error),
            PartialStatus::kOk)
      << error;
}

// Every --window a run takes is a part's window (the refusals of others are above).
TEST(Partial, ReadsEveryWindowARunTakes) {
  TempDir tmp;
  for (const uint32_t window : {60u, 300u, 600u, 3600u}) {
    StatePieces s = SmallState();
    s.header.window = window;
    PartialFile f;
    std::string error;
    EXPECT_EQ(ReadPartial(WriteState(s, tmp / "w"), &f, &error), PartialStatus::kOk) << error;
    EXPECT_EQ(f.header.window, window);
  }
}

// The frame carries zstd's content checksum (a flipped byte is found by every zstd decoder)
// and the content size, as docs/partial.md says.
TEST(Partial, TheFrameCarriesAChecksumAndTheContentSize) {
  TempDir tmp;
  const std::string packed = ReadFile(WriteState(SmallState(), tmp / "s"));
  ASSERT_GT(packed.size(), 5u);
  // Frame_Header_Descriptor (the byte after the 4-byte magic): bit 2 is Content_Checksum_flag.
  EXPECT_EQ((static_cast<uint8_t>(packed[4]) >> 2) & 1, 1);
  EXPECT_EQ(ZSTD_getFrameContentSize(packed.data(), packed.size()),
            testing::DecodeZstd(packed).size());
}

// A valid frame followed by anything (a second state appended, one stray byte) is corrupt, not
// the first frame's state.
TEST(Partial, BytesAfterTheFrameAreCorrupt) {
  TempDir tmp;
  std::string error;
  const std::string packed = ReadFile(WriteState(SmallState(), tmp / "s"));
  ASSERT_EQ(Read(tmp / "s", &error), PartialStatus::kOk) << error;
  for (const std::string& after : {std::string(1, '\0'), packed}) {
    WriteFile(tmp.path() / "after", packed + after);
    EXPECT_EQ(Read(tmp / "after", &error), PartialStatus::kCorrupt) << after.size();
    EXPECT_NE(error.find(tmp / "after" + ": corrupt (bytes after the end of the zstd frame)"),
              std::string::npos)
        << error;
  }
}

// A file that is not zstd at all (a note or a log that `merge parts/*` took) is named as no part
// and told what to give, not reported as a part with damaged data ("Unknown frame descriptor").
TEST(Partial, AFileThatIsNotZstdIsNamedAsNoPart) {
  TempDir tmp;
  std::string error;
  WriteFile(tmp.path() / "notes.txt", "parts of the 28th\n");
  EXPECT_EQ(Read(tmp / "notes.txt", &error), PartialStatus::kCorrupt);
  EXPECT_NE(error.find(tmp / "notes.txt" + ": corrupt (not a flowsift part: not zstd data; give " +
                       "the parts' directories"),
            std::string::npos)
      << error;
  // Shorter than zstd's four-byte magic: judged by the bytes there are. A three-byte note was
  // "corrupt (Unknown frame descriptor)"; the magic's first bytes are a part cut short.
  WriteFile(tmp.path() / "hi.txt", "hi\n");
  EXPECT_EQ(Read(tmp / "hi.txt", &error), PartialStatus::kCorrupt);
  EXPECT_NE(error.find(tmp / "hi.txt" + ": corrupt (not a flowsift part: not zstd data"),
            std::string::npos)
      << error;
  WriteFile(tmp.path() / "start", std::string("\x28\xb5", 2));
  EXPECT_EQ(Read(tmp / "start", &error), PartialStatus::kTruncated) << error;
  // zstd that is damaged is still corrupt data, in zstd's words.
  const std::string packed = ReadFile(WriteState(SmallState(), tmp / "s"));
  WriteFile(tmp.path() / "cut", packed.substr(0, 4) + std::string(64, '\xff'));
  EXPECT_EQ(Read(tmp / "cut", &error), PartialStatus::kCorrupt);
  EXPECT_EQ(error.find("not a flowsift part"), std::string::npos) << error;
}

// A part's own state file whose first bytes are damaged (the part's directory was given, as
// the message for a stray file asks) is a damaged part, not "not a flowsift part ... give the
// parts' directories".
TEST(Partial, AStateFileWithoutTheZstdMagicIsADamagedPart) {
  TempDir tmp;
  std::string error;
  std::string packed = ReadFile(WriteState(SmallState(), tmp / "s"));
  packed[0] = '\x29';
  WriteFile(tmp.path() / "part" / kStateFile, packed);
  const std::string state = (tmp.path() / "part" / kStateFile).string();
  EXPECT_EQ(Read(state, &error), PartialStatus::kCorrupt);
  EXPECT_NE(error.find(state + ": corrupt (not zstd data: its first bytes are damaged"),
            std::string::npos)
      << error;
  EXPECT_EQ(error.find("not a flowsift part"), std::string::npos) << error;
}

// The content inside a whole, valid zstd frame is checked on its own: a header cut short is
// truncated (not a window of 0), content without the magic is no state, and a file without one
// of the three sections, or whose run section is no JSON object, is corrupt.
TEST(Partial, AWholeFrameWithABadHeaderOrAMissingSectionIsRefused) {
  TempDir tmp;
  std::string error;
  const std::string content = testing::ReadZstd(WriteState(SmallState(), tmp / "s"));
  // The magic and the format version only.
  testing::WriteZstd(tmp.path() / "short", content.substr(0, kPartialMagic.size() + 4));
  EXPECT_EQ(Read(tmp / "short", &error), PartialStatus::kTruncated);
  EXPECT_EQ(error, tmp / "short" + ": truncated header");
  // Another zstd file in the state's place (a table), or the magic with one letter changed.
  std::string other = content;
  other[0] = 'F';
  for (const std::string& text : {std::string(WindowsHeader()) + "\n", other}) {
    testing::WriteZstd(tmp.path() / "other", text);
    EXPECT_EQ(Read(tmp / "other", &error), PartialStatus::kCorrupt);
    EXPECT_EQ(error, tmp / "other" + ": not a flowsift partial state (bad magic)");
  }

  for (const std::vector<uint32_t>& ids :
       {std::vector<uint32_t>{1, 2}, std::vector<uint32_t>{1, 3}, std::vector<uint32_t>{2, 3}}) {
    EXPECT_EQ(Read(WriteState(SmallState(), tmp / "missing", ids), &error), PartialStatus::kCorrupt)
        << ids[0] << ids[1];
    EXPECT_NE(error.find("corrupt (no run, aggregate or detection section)"), std::string::npos)
        << error;
  }
  for (const char* run : {"[1, 2]", "{", "17"}) {
    StatePieces s = SmallState();
    s.run = run;
    EXPECT_EQ(Read(WriteState(s, tmp / "run"), &error), PartialStatus::kCorrupt) << run;
    EXPECT_NE(error.find("corrupt (run section is not a JSON object)"), std::string::npos) << error;
  }
}

// The end section ties the file to what was written (docs/partial.md): a count or an offset
// other than the sections', bytes after it, or no end section at all (a content cut at a
// section boundary) is refused, in a frame whose checksum is right.
TEST(Partial, AnEndSectionThatDoesNotMatchTheSectionsIsRefused) {
  TempDir tmp;
  std::string error;
  const std::string content = testing::ReadZstd(WriteState(SmallState(), tmp / "s"));
  // The end section: u32 0, u64 12, u32 count, u64 offset of the end section.
  const size_t end = content.size() - 24;
  ASSERT_EQ(content.substr(end, 12), std::string("\0\0\0\0\x0c\0\0\0\0\0\0\0", 12));
  const auto packed = [&](const std::string& text) {
    testing::WriteZstd(tmp.path() / "edited", text);
    return tmp / "edited";
  };
  // Packed again as it is: read as it was.
  ASSERT_EQ(Read(packed(content), &error), PartialStatus::kOk) << error;

  const auto with_u32 = [&](size_t at, uint32_t v) {
    std::string c = content;
    memcpy(c.data() + at, &v, 4);
    return c;
  };
  const auto with_u64 = [&](size_t at, uint64_t v) {
    std::string c = content;
    memcpy(c.data() + at, &v, 8);
    return c;
  };
  uint32_t count;
  memcpy(&count, content.data() + end + 12, 4);
  ASSERT_EQ(count, 3u);
  const std::string bad[] = {
      with_u32(end + 12, count + 1),   // a section more than there are
      with_u32(end + 12, count - 1),   // one fewer
      with_u64(end + 16, end - 1),     // the end section said to start earlier
      with_u64(end + 16, end + 1),     // or later
      content + std::string(1, '\0'),  // a byte after the end section
  };
  for (size_t i = 0; i < std::size(bad); ++i) {
    EXPECT_EQ(Read(packed(bad[i]), &error), PartialStatus::kCorrupt) << i;
    EXPECT_NE(error.find("corrupt (end section does not match the sections)"), std::string::npos)
        << i << ": " << error;
  }
  EXPECT_EQ(Read(packed(content.substr(0, end)), &error), PartialStatus::kTruncated);
  EXPECT_NE(error.find("truncated (section at byte " + std::to_string(end) + ")"),
            std::string::npos)
      << error;
}

// The end section is 12 bytes (u32 count, u64 offset): one declared longer, its count and
// offset right and 8 bytes of anything after them, was accepted, the only bytes of the content
// no check looked at.
TEST(Partial, AnEndSectionLongerThanItsTwelveBytesIsRefused) {
  TempDir tmp;
  std::string error;
  const std::string content = testing::ReadZstd(WriteState(SmallState(), tmp / "s"));
  const size_t end = content.size() - 24;  // u32 0, u64 12, u32 count, u64 offset
  std::string longer = content;
  const uint64_t length = 20;
  memcpy(longer.data() + end + 4, &length, 8);
  longer += std::string(8, '\x5a');
  testing::WriteZstd(tmp.path() / "longer", longer);
  EXPECT_EQ(Read(tmp / "longer", &error), PartialStatus::kCorrupt);
  EXPECT_NE(error.find(tmp / "longer" + ": corrupt (end section does not match the sections)"),
            std::string::npos)
      << error;
}

// A state that cannot be written whole (a full disk: /dev/full takes the open and fails every
// write) is an error naming the file, whether the bytes fail in fwrite (a state larger than
// stdio's buffer) or only when fclose flushes them (a small one).
TEST(Partial, AFailedWriteIsAnErrorNamingTheFile) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  std::mt19937_64 rng(3);
  std::string noise(size_t{256} << 10, '\0');  // does not compress: 256 KB written
  for (char& c : noise) c = static_cast<char>(rng());
  for (const bool large : {false, true}) {
    const StatePieces s = SmallState();
    PartialBuilder b(s.header);
    b.AddSection(static_cast<uint32_t>(PartialSection::kRun), s.run);
    if (large) b.AddSection(kOptionalSection | 77, noise);
    std::string error;
    EXPECT_FALSE(b.Write("/dev/full", 1, &error)) << large;
    EXPECT_NE(error.find("cannot write /dev/full: "), std::string::npos) << error;
  }
}

// The bound on what a state may decompress to is 64 MiB and 256 times the file's size
// (docs/partial.md): under 64 MiB a state is never refused, however well it compresses (a part
// of few, sparse records can be mostly zeros); past it, one that decompresses to 150 times its
// size is a state and one of 400 times is refused while decompressing. The states are 64 KB that
// do not compress and an optional section of zeros, whose zstd blocks take a few bytes each.
TEST(Partial, TheBoundOnWhatAStateDecompressesToIs64MiBAnd256TimesItsSize) {
  TempDir tmp;
  std::mt19937_64 rng(5);
  std::string noise(size_t{64} << 10, '\0');
  for (char& c : noise) c = static_cast<char>(rng());
  constexpr uint64_t kFloor = uint64_t{64} << 20;
  // Writes a state of `zeros` bytes of zeros (and the noise, when `noisy`) and returns its
  // path, its decompressed size in *content and its file size in *packed.
  const auto write = [&](size_t zeros, bool noisy, uint64_t* content, uint64_t* packed) {
    const StatePieces s = SmallState();
    PartialBuilder b(s.header);
    b.AddSection(static_cast<uint32_t>(PartialSection::kRun), s.run);
    b.AddSection(static_cast<uint32_t>(PartialSection::kAggregate), s.aggregate);
    b.AddSection(static_cast<uint32_t>(PartialSection::kDetection), s.detection);
    if (noisy) b.AddSection(kOptionalSection | 78, noise);
    b.AddSection(kOptionalSection | 77, std::string(zeros, '\0'));
    std::string error;
    EXPECT_TRUE(b.Write(tmp / "state", 1, &error)) << error;
    *packed = fs::file_size(tmp.path() / "state");
    *content = testing::ReadZstd(tmp.path() / "state").size();
    return tmp / "state";
  };
  uint64_t content = 0, packed = 0;
  std::string error;
  // 60 MiB in a few KB: thousands of times its size.
  const std::string sparse = write(size_t{60} << 20, false, &content, &packed);
  ASSERT_GT(content, 1000 * packed);
  EXPECT_EQ(Read(sparse, &error), PartialStatus::kOk) << error;
  // Past the floor, 150 and 400 times the 64 KB of noise (the file a little larger than it).
  for (const uint64_t times : {150u, 400u}) {
    const std::string path =
        write(kFloor + times * noise.size() - noise.size(), true, &content, &packed);
    ASSERT_GT(content, kFloor);
    const uint64_t ratio = (content - kFloor) / packed;
    ASSERT_TRUE(times == 150 ? ratio > 100 && ratio < 200 : ratio > 300) << ratio;
    const PartialStatus status = Read(path, &error);
    if (times == 150) {
      EXPECT_EQ(status, PartialStatus::kOk) << error;
    } else {
      EXPECT_EQ(status, PartialStatus::kCorrupt);
      EXPECT_NE(error.find(path + ": corrupt (it decompresses to more than " +
                           std::to_string(kFloor + 256 * packed) + " bytes, 256 times"),
                std::string::npos)
          << error;
    }
  }
}

// The window counters are written in docs/partial.md's order, which parts of other builds of
// this format version are read in: a state's first window, read by that layout, holds its
// row's numbers column for column (Save and Load going through one list in another order had
// agreed with each other, and parts of another build would have had their external bytes in
// and out swapped).
TEST(AggregateSerial, WindowCountersAreInTheDocumentedOrder) {
  std::string text;
  const Aggregator a = Aggregated(3, 60000, &text);
  std::string bytes;
  ByteWriter w(bytes);
  a.Save(w);
  ByteReader r(bytes);
  r.U64();  // records
  std::vector<std::string> names(r.U32());
  for (std::string& name : names) {
    name = std::string(r.Str());
    r.Str();  // account
    r.U64();  // order
    r.U64();  // row
  }
  ASSERT_GE(r.U64(), 1u);  // windows
  const uint32_t iface = r.U32();
  const uint64_t start = r.U64();
  uint64_t counters[10];
  for (uint64_t& c : counters) c = r.U64();
  ASSERT_FALSE(r.failed());
  ASSERT_LT(iface, names.size());
  const std::vector<WindowRow> rows = a.Windows();
  const auto row = std::find_if(rows.begin(), rows.end(), [&](const WindowRow& x) {
    return x.interface_id == names[iface] && x.window_start == start;
  });
  ASSERT_NE(row, rows.end());
  ASSERT_NE(row->bytes_out_external, row->bytes_in_external);
  const uint64_t want[10] = {row->records,
                             row->nodata,
                             row->skipdata,
                             row->accepted,
                             row->rejected,
                             row->packets,
                             row->bytes,
                             row->rejected_bytes,
                             row->bytes_out_external,
                             row->bytes_in_external};
  for (size_t k = 0; k < 10; ++k) EXPECT_EQ(counters[k], want[k]) << k;
}
}  // namespace
}  // namespace flowsift
