// libFuzzer: the sections of a partial state (`flowsift run --partial`), which `flowsift merge`
// reads from other machines. ReadPartial rejects damaged files by their zstd checksum before any
// section is parsed, so what reaches Aggregator::Load and Detector::Load is either good or
// written wrong with a valid checksum (another build, a bug, a hand-made file): Load must refuse
// it or accept it without crashing, and whatever it accepts must merge and give outputs as
// `flowsift merge` asks of it, without crashing, hanging or exhausting memory.
//
// Input: byte 0 picks the section (even: aggregate, odd: detection); the rest is its payload.
// Seeds: tests/fuzz/corpus/state, sections of real states (made by the test that checks them).
#include <cstdint>
#include <string>
#include <string_view>

#include "pipeline/aggregate.h"
#include "pipeline/detect.h"
#include "pipeline/serial.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool detection = (data[0] & 1) != 0;
  const std::string_view payload(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string error;
  if (!detection) {
    flowsift::Aggregator part(flowsift::AggregateOptions{});
    flowsift::ByteReader reader(payload);
    if (!part.Load(reader, &error)) return 0;
    flowsift::Aggregator merged(flowsift::AggregateOptions{});
    merged.Merge(part);
    merged.Merge(part);  // a key in both: the counters' merge paths
    (void)merged.Windows();
    (void)merged.Talkers();
    (void)merged.Exposure();
    // The state absorbed beside a copy of itself (Absorb's "no key in both" broken on purpose):
    // the outputs walk both states, the exposure rows of interfaces in both included.
    flowsift::Aggregator copy(flowsift::AggregateOptions{});
    copy.Merge(part);
    flowsift::Aggregator both(flowsift::AggregateOptions{});
    both.Merge(part);
    both.Absorb(std::move(copy));
    (void)both.Exposure();
    std::string saved;  // what a merge of merges saves
    flowsift::ByteWriter again(saved);
    merged.Save(again);
  } else {
    flowsift::Detector part(flowsift::DetectOptions{});
    flowsift::ByteReader reader(payload);
    if (!part.Load(reader, &error)) return 0;
    flowsift::Detector merged(flowsift::DetectOptions{});
    merged.Merge(part);
    merged.Merge(part);
    (void)merged.Findings();  // over the state's own active times, as run and merge make them
    std::string saved;
    flowsift::ByteWriter again(saved);
    merged.Save(again);
  }
  return 0;
}
