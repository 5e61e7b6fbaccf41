// Synthetic flow-log text: the background traffic of a realistic VPC (or Transit Gateway), for
// kernel benchmarks, the demo and `flowsift gen` (SPEC section 4).
//
// The generator models a network once (subnets, ENIs with roles, accounts, a Transit Gateway's
// attachments), then walks the aggregation intervals in time order and, in each, draws
// connections from a weighted set of scenarios (internet clients to web servers, app to
// database, NAT egress, DNS, health checks, backups, ICMP, rejected probes). A connection is
// written as one record per direction on every logged interface it crosses, as AWS does.
// Attack injection, file splitting (S3 layouts) and compression are left to callers: they
// consume Append()'s whole lines.
#ifndef FLOWSIFT_PIPELINE_GENERATE_H_
#define FLOWSIFT_PIPELINE_GENERATE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "pipeline/format.h"

namespace flowsift {

struct GenOptions {
  uint64_t seed = 1;
  uint64_t records = 100000;          // data records to emit (header not counted)
  Format format = Format::Default();  // any field list, incl. the "v5" and "tgw" presets
  uint64_t start = 1700000000;        // epoch seconds of the first aggregation interval
  double hours = 1.0;                 // records spread over [start, start + hours*3600)
  uint32_t interfaces = 200;          // number of ENIs (or TGW attachments)
  uint32_t interval = 600;            // AWS aggregation interval: 60 or 600 (TGW: always 60)
  double ipv6_share = 0.05;           // share of flows over IPv6
  bool header = true;                 // first line = format.HeaderLine()
};

// Streams realistic flow-log text for `options`, deterministic for a seed: the same options give
// the same bytes on every machine (own PRNG and integer arithmetic only; no std:: distributions
// or libm, whose results differ between standard libraries).
//
// Shape of the output: record start times ascend interval by interval (records of one interval
// together, as in AWS files); every record has start <= end, end - start < interval, start in
// [options.start, options.start + hours*3600) and end < that + interval. About 2% of records
// are NODATA and 0.5% SKIPDATA. The last connection may be cut short by `records`. A format
// holding tgw-attachment-id but not interface-id (Format::IsTransitGateway) gets Transit
// Gateway traffic with 60 s intervals; any other gets VPC traffic. Fields a record has no
// value for, and names flowsift does not know, are "-". Works with any interfaces >= 1, but
// the scenarios need about 10 interfaces to all appear.
class FlowGenerator {
 public:
  explicit FlowGenerator(const GenOptions& options);
  ~FlowGenerator();
  FlowGenerator(FlowGenerator&&) noexcept;
  FlowGenerator& operator=(FlowGenerator&&) noexcept;

  // Appends whole lines to `out` until it holds at least `min_bytes` more bytes or the records
  // run out; returns false once every record has been emitted. The header, when asked for, is
  // the first line of the first call.
  bool Append(std::string& out, size_t min_bytes);
  // Data records appended so far (the header is not a record).
  uint64_t records_emitted() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// All of it at once (tests, small benchmarks).
std::string GenerateText(const GenOptions& options);

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_GENERATE_H_
