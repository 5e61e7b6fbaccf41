// Flow-log text parsed into a batch for the detector's and other stages' tests.
#ifndef FLOWSIFT_TESTS_PIPELINE_PARSE_TEXT_H_
#define FLOWSIFT_TESTS_PIPELINE_PARSE_TEXT_H_

#include <string>

#include "kernels/types.h"
#include "pipeline/detect.h"
#include "pipeline/parse_chunk.h"

namespace flowsift::testing {

// `text` parsed as `format` with the columns `wanted`, after the zero bytes the kernels may read
// past its end. The batch's spans are offsets into `padded`.
struct ParsedText {
  std::string padded;
  ParsedBatch batch;
  const uint8_t* base() const { return reinterpret_cast<const uint8_t*>(padded.data()); }
};

inline ParsedText ParseText(const std::string& text, const Format& format,
                            const FieldSet& wanted = Detector::NeededFields()) {
  ParsedText p;
  p.padded = text;
  p.padded.append(kernels::kPadding, '\0');
  ParseScratch scratch;
  p.batch = ParseChunk(p.base(), text.size(), format, wanted, scratch);
  return p;
}

}  // namespace flowsift::testing

#endif  // FLOWSIFT_TESTS_PIPELINE_PARSE_TEXT_H_
