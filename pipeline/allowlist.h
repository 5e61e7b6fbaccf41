// Allowlists of detection findings: networks whose findings are counted, not written (a security
// team's own vulnerability scanner, a nightly backup's destination, a CDN's origin pulls), as
// GuardDuty's trusted IP lists and suppression rules do. Keys of the detection config file
// (detect_config.cc reads and prints them, DetectOptions::allow holds them); applied by
// Detector::Findings to the finished list, so `run` and `merge` drop the same findings.
#ifndef FLOWSIFT_PIPELINE_ALLOWLIST_H_
#define FLOWSIFT_PIPELINE_ALLOWLIST_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/detect.h"

namespace flowsift {

// Which addresses a finding type has (docs/outputs.md): the allow keys it can be matched by.
// reject_spike has neither (an interface's rejects from many sources to many hosts); port_sweep
// and scan_trw have a source and many destinations; ddos_fan_in many sources and a destination.
struct FindingAddresses {
  std::string_view type;
  bool src, dst;
};
inline constexpr FindingAddresses kFindingAddresses[] = {
    {"port_scan", true, true},   {"port_sweep", true, false},  {"scan_trw", true, false},
    {"brute_force", true, true}, {"exfiltration", true, true}, {"reject_spike", false, false},
    {"ddos_fan_in", false, true}};

// The types of kFindingAddresses in its order, comma-separated ("port_scan, port_sweep, ..."):
// every one, or those that have a source (a destination), which allow.sources
// (allow.destinations) applies to.
enum class HavingAddress : uint8_t { kAny, kSource, kDestination };
std::string FindingTypeList(HavingAddress having);

// The allow keys, in the order --print-config prints them: allow.sources and allow.destinations
// (every type), then `TYPE.allow_sources` / `TYPE.allow_destinations` for each type that has
// that address.
std::vector<std::string> AllowKeys();
// What an allow key `name` is: "" when it is one of AllowKeys(); else, for a key in the form
// of one (`*.allow_sources`, `*.allow_destinations`, `allow.*`) that is not, why not, as the
// config error says it (reject_spike has no source: nothing to allow by it); for any other
// key, "-".
std::string WhyNotAllowKey(std::string_view name);

// Whether `f` is allowed by `o.allow`: its src in allow.sources or its type's allow_sources,
// or its dst in allow.destinations or its type's allow_destinations. An exfiltration to several
// hosts (dst null) is allowed by destinations when its evidence's top_dsts names every one of
// them (at most 5, none estimated) and each is allowed.
bool IsAllowed(const DetectOptions& o, const Finding& f);
// Removes the allowed findings from `findings` (the others keep their order), adding each to
// (*allowed)[type] when `allowed` is not null.
void DropAllowed(const DetectOptions& o, std::vector<Finding>& findings, FindingCounts* allowed);
// What `allowed` left out, for run's and merge's stderr: "128 findings matched the allowlist
// (not written: 100 port_scan, 28 port_sweep)"; "" when none did.
std::string AllowedNote(const FindingCounts& allowed);

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_ALLOWLIST_H_
