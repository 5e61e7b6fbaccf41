// libFuzzer: the detection config parser (`flowsift run --config FILE`; `flowsift merge` reads
// each part's options back through it too) on any text. It refuses the text with a message that
// names where (a line, or the file's encoding), or accepts it; accepted options print
// (DetectConfigText) as a file that reads back to the same options, and prints the same again,
// since merge compares the parts' options as that text. No crash, hang or runaway memory: a
// port list is at most 65,536 ports whatever its ranges repeat.
//
// Input: the config file's bytes. Seeds: tests/fuzz/corpus/config.
#include <cstdint>
#include <string>
#include <string_view>

#include "pipeline/detect.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  flowsift::DetectOptions options;
  std::string error;
  if (!flowsift::ParseDetectConfig(text, &options, &error)) {
    if (!error.starts_with("line") && !error.starts_with("the file is UTF-16")) __builtin_trap();
    return 0;
  }
  for (const auto* ports :
       {&options.service_ports, &options.brute_ports, &options.reflection_ports}) {
    for (size_t i = 1; i < ports->size(); ++i) {
      if ((*ports)[i - 1] >= (*ports)[i]) __builtin_trap();  // ascending, each port once
    }
  }
  const std::string printed = flowsift::DetectConfigText(options);
  flowsift::DetectOptions again;
  if (!flowsift::ParseDetectConfig(printed, &again, &error)) __builtin_trap();
  if (flowsift::DetectConfigText(again) != printed) __builtin_trap();
  if (flowsift::DetectOptionsJson(again) != flowsift::DetectOptionsJson(options)) __builtin_trap();
  return 0;
}
