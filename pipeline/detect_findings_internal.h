// Helpers that write a finding's summary sentence and evidence, shared by the files that
// evaluate the detectors' state (pipeline/detect_internal.h): detect_findings.cc (port_scan,
// port_sweep, scan_trw, brute_force) and detect_volumes.cc (exfiltration, reject_spike,
// ddos_fan_in). Internal to those two files.
#ifndef FLOWSIFT_PIPELINE_DETECT_FINDINGS_INTERNAL_H_
#define FLOWSIFT_PIPELINE_DETECT_FINDINGS_INTERNAL_H_

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/detect.h"
#include "pipeline/detect_internal.h"

namespace flowsift {
namespace detect_internal {

// A number for a summary sentence as the evidence rounds it (Round3): "19", "18.5". A cast to
// an integer turned 0.95 / 0.05 (18.999... in binary) into "18" beside the evidence's 19.
inline std::string ShortNumber(double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", x);
  std::string s(buf);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

inline std::vector<std::string> IfaceNames(const InterfaceSet& set, const Names& names) {
  std::vector<std::string> out;
  for (uint32_t id : set.ids) out.push_back(names.names[id]);
  return out;
}

template <typename Ports>
nlohmann::ordered_json PortsJson(const Ports& ports) {
  nlohmann::ordered_json j = nlohmann::ordered_json::array();
  for (uint16_t p : ports) j.push_back(p);
  return j;
}

inline std::string Plural(uint64_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

inline std::string DurationText(uint64_t seconds) {
  if (seconds % 3600 == 0) return Plural(seconds / 3600, "hour", "hours");
  if (seconds % 60 == 0) return Plural(seconds / 60, "minute", "minutes");
  return Plural(seconds, "second", "seconds");
}

inline void SetActivity(Finding& f, const Activity& a, const Names& names) {
  f.flows = a.flows;
  f.packets = a.packets;
  f.bytes = a.bytes;
  f.first_seen = a.first == UINT64_MAX ? 0 : a.first;
  f.last_seen = a.last;
  f.interfaces = IfaceNames(a.ifaces, names);
}

}  // namespace detect_internal
}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_DETECT_FINDINGS_INTERNAL_H_
