// The detection thresholds: one table of keys, defaults and sources, read by --config, printed
// by --print-config, the manifest and the README.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "pipeline/allowlist.h"
#include "pipeline/detect.h"
#include "pipeline/edit_distance.h"

namespace flowsift {
namespace {

using U64 = uint64_t DetectOptions::*;
using F64 = double DetectOptions::*;
struct PortList {  // service_ports, brute_ports, reflection_ports
  std::vector<uint16_t> DetectOptions::*member;
};

struct Key {
  std::string_view name;
  std::variant<U64, F64, PortList> member;
  std::string_view unit;    // "s", "bytes", "" ...
  std::string_view source;  // where the default comes from
};

// Sources: ../shared/reference/detections.md. [J] marks a judgement, not a published default.
const Key kKeys[] = {
    {"probe.max_packets", &DetectOptions::probe_max_packets, "packets",
     "[J] a SYN and its retransmissions: an accepted TCP request this small is a failed attempt"},
    {"probe.max_bytes_per_packet", &DetectOptions::probe_max_bytes_per_packet, "bytes",
     "[J] a SYN with every option is 60-80 bytes (IPv6 adds 20)"},
    {"direction.service_ports", PortList{&DetectOptions::service_ports}, "ports",
     "IANA registered services and Kubernetes NodePorts [J]: without tcp-flags, the side on one "
     "of these is the server"},
    {"port_scan.window", &DetectOptions::scan_window, "s", "Zeek scan.zeek: 5 min"},
    {"port_scan.min_ports", &DetectOptions::scan_min_ports, "ports",
     "Zeek scan.zeek: 15 failed ports per (scanner, victim)"},
    {"port_sweep.window", &DetectOptions::sweep_window, "s", "Zeek scan.zeek: 5 min"},
    {"port_sweep.min_dsts", &DetectOptions::sweep_min_dsts, "hosts",
     "Zeek scan.zeek: 25 victims per (scanner, port)"},
    {"scan_trw.theta0", &DetectOptions::trw_theta0, "",
     "SiLK rwscan: P(success) of a benign source"},
    {"scan_trw.theta1", &DetectOptions::trw_theta1, "", "SiLK rwscan: P(success) of a scanner"},
    {"scan_trw.alpha", &DetectOptions::trw_alpha, "", "SiLK rwscan: false-positive bound"},
    {"scan_trw.beta", &DetectOptions::trw_beta, "", "SiLK rwscan: detection probability"},
    {"scan_trw.window", &DetectOptions::trw_window, "s",
     "[J] order of first contacts is known to this resolution"},
    {"brute_force.window", &DetectOptions::brute_window, "s", "Zeek detect-bruteforcing: 30 min"},
    {"brute_force.min_attempts", &DetectOptions::brute_min_attempts, "connections",
     "Zeek detect-bruteforcing: 30 failed logins"},
    {"brute_force.ports", PortList{&DetectOptions::brute_ports}, "ports",
     "GuardDuty SSH/RDP/WinRM brute force, plus telnet and VNC [J]"},
    {"brute_force.max_packets", &DetectOptions::brute_max_packets, "packets",
     "[J] CIC-IDS2017 SSH-Patator attempts are 20-50 packets"},
    {"brute_force.max_bytes", &DetectOptions::brute_max_bytes, "bytes",
     "[J] CIC-IDS2017 attempts are 2-5 KB"},
    {"exfiltration.window", &DetectOptions::exfil_window, "s", "Panther: hourly"},
    {"exfiltration.min_bytes", &DetectOptions::exfil_min_bytes, "bytes",
     "Panther cold start: 1 GiB per hour"},
    {"exfiltration.baseline_min_bytes", &DetectOptions::exfil_baseline_min_bytes, "bytes",
     "[J] below this no baseline finding"},
    {"exfiltration.baseline_z", &DetectOptions::exfil_baseline_z, "sigma",
     "Panther: z(bytes) > 3; [J] 4 without the diversity test"},
    {"exfiltration.baseline_ratio", &DetectOptions::exfil_baseline_ratio, "x mean",
     "[J] and at least this multiple of the mean"},
    {"exfiltration.baseline_windows", &DetectOptions::exfil_baseline_windows, "windows",
     "[J] fewer active windows = cold start: absolute threshold only"},
    {"reject_spike.window", &DetectOptions::reject_window, "s", "[J] 5 min"},
    {"reject_spike.min_flows", &DetectOptions::reject_min_flows, "flows", "[J] 100 rejected flows"},
    {"reject_spike.z", &DetectOptions::reject_z, "sigma", "Splunk: avg + 3 sigma; [J] 4"},
    {"reject_spike.ratio", &DetectOptions::reject_ratio, "x mean",
     "[J] and at least this multiple of the mean"},
    {"ddos_fan_in.window", &DetectOptions::fanin_window, "s", "[J] 5 min"},
    {"ddos_fan_in.min_sources", &DetectOptions::fanin_min_sources, "sources",
     "[J] Snort distributed-scan counts scaled to a flood"},
    {"ddos_fan_in.ratio", &DetectOptions::fanin_ratio, "x median",
     "[J] above the destination's median window"},
    {"ddos_fan_in.local_span", &DetectOptions::fanin_local_span, "s",
     "[J] and the median of the hour either side: office hours against office hours"},
    {"ddos_fan_in.local_ratio", &DetectOptions::fanin_local_ratio, "x median",
     "[J] above that local median: a flood more than doubles a busy hour"},
    {"ddos_fan_in.reflection_ports", PortList{&DetectOptions::reflection_ports}, "ports",
     "CISA TA14-017A UDP amplification services (DNS, NTP, SNMP, SSDP, CLDAP, memcached ...)"},
    {"ddos_fan_in.reflection_unsolicited_share", &DetectOptions::reflection_unsolicited_share,
     "share", "[J] most answering sources were never asked"},
};

std::string Trim(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  const size_t e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

// The shortest text that reads back as the same double (0.8, not 0.80000000000000004).
std::string FormatDouble(double v) {
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : std::to_string(v);
}

std::string ValueText(const DetectOptions& o, const Key& k) {
  if (const U64* m = std::get_if<U64>(&k.member)) return std::to_string(o.**m);
  if (const F64* f = std::get_if<F64>(&k.member)) return FormatDouble(o.**f);
  // Ascending ports; three or more in a row as a range (NodePorts 30000-32767).
  const std::vector<uint16_t>& ports = o.*std::get<PortList>(k.member).member;
  std::string s;
  for (size_t i = 0; i < ports.size();) {
    size_t j = i;
    while (j + 1 < ports.size() && ports[j + 1] == ports[j] + 1) ++j;
    s += (s.empty() ? "" : ",") + std::to_string(ports[i]);
    if (j >= i + 2) {
      s += "-" + std::to_string(ports[j]);
      i = j + 1;
    } else {
      ++i;
    }
  }
  return s;
}

// What a whole number may end in: sizes take K/M/G/T (powers of 1024, as --bytes in `gen`),
// windows s/m/h/d (as --window's 5m), counts and ports nothing. One rule for all of them had
// read `port_scan.window = 5M` as 60 days and `brute_force.ports = 22K` as port 22528.
enum class Suffixes { kNone, kSizes, kDurations };

bool ParseU64(std::string_view v, uint64_t* out, Suffixes suffixes = Suffixes::kNone) {
  uint64_t mult = 1;
  if (!v.empty() && suffixes != Suffixes::kNone) {
    const char c = v.back();
    if (suffixes == Suffixes::kSizes) {
      mult = c == 'K'   ? uint64_t{1} << 10
             : c == 'M' ? uint64_t{1} << 20
             : c == 'G' ? uint64_t{1} << 30
             : c == 'T' ? uint64_t{1} << 40
                        : 1;
    } else {
      mult = c == 's' ? 1 : c == 'm' ? 60 : c == 'h' ? 3600 : c == 'd' ? 86400 : 0;
    }
    if (mult == 0) {
      mult = 1;
    } else if (suffixes == Suffixes::kDurations || mult != 1) {
      v.remove_suffix(1);
    }
  }
  uint64_t x = 0;
  const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  if (ec != std::errc() || p != v.data() + v.size() || v.empty()) return false;
  if (x > UINT64_MAX / mult) return false;
  *out = x * mult;
  return true;
}

Suffixes SuffixesOf(const Key& k) {
  return k.unit == "bytes" ? Suffixes::kSizes
         : k.unit == "s"   ? Suffixes::kDurations
                           : Suffixes::kNone;
}

// The least value of a whole-number key, and why, as its message says it. Each takes any value
// from there to 2^64 - 1.
std::pair<uint64_t, std::string_view> LeastOf(std::string_view name) {
  // A baseline of no window, or of one, has no deviation: its z would be the excess itself.
  if (name == "exfiltration.baseline_windows") return {2, " (a deviation needs two windows)"};
  if (name.ends_with(".window")) return {1, " second"};
  // A count or size threshold of 0 makes every key a finding (152 port scans in benign
  // traffic with port_scan.min_ports = 0); only the baseline's floor may be 0 (no floor).
  if (name.find(".min_") != std::string_view::npos && name != "exfiltration.baseline_min_bytes") {
    return {1, " (0 would make every key a finding)"};
  }
  return {0, ""};
}

// The values a real-number key takes, as its messages say them, and whether x is one.
// scan_trw's are probabilities, checked with their order once the whole file is read.
struct RealRange {
  std::string_view text;
  bool (*holds)(double);
};
RealRange RangeOf(std::string_view name) {
  if (name.starts_with("scan_trw.")) return {"above 0 and below 1", [](double) { return true; }};
  // A share of 0 counts a host's answers from servers it asked; above 1 none can pass.
  if (name.ends_with("_share")) {
    return {"above 0 and at most 1", [](double x) { return x > 0 && x <= 1; }};
  }
  // A negative z-score or a ratio of 0 or less makes every window "above its baseline".
  if (name.ends_with("ratio")) return {"above 0", [](double x) { return x > 0; }};
  return {"0 or more", [](double x) { return x >= 0; }};  // the z-scores
}

// The key an unknown `name` most likely meant, for its message: the one key it is the last
// part of (`min_ports` without its section: none when two sections have it), else the one
// nearest within two edits (a typo: `port_scan.min_port`, `portscan.window`); "" for none.
std::string NearestKey(std::string_view name) {
  std::vector<std::string_view> names = {"detection.enabled"};
  for (const Key& k : kKeys) names.push_back(k.name);
  const std::vector<std::string> allow_keys = AllowKeys();
  for (const std::string& k : allow_keys) names.push_back(k);
  std::string_view suffixed;
  int suffixes = 0;
  for (const std::string_view n : names) {
    if (name.find('.') == std::string_view::npos && n.size() > name.size() + 1 &&
        n.ends_with(name) && n[n.size() - name.size() - 1] == '.') {
      suffixed = n, ++suffixes;
    }
  }
  if (suffixes == 1) return std::string(suffixed);
  std::string_view best;
  size_t best_distance = 3, ties = 0;
  for (const std::string_view n : names) {
    // At least the difference of their lengths: a long name (a line of megabytes) costs no
    // table.
    if (n.size() + 2 < name.size() || name.size() + 2 < n.size()) continue;
    if (const size_t d = EditDistance(name, n); d < best_distance) {
      best = n, best_distance = d, ties = 0;
    } else if (d == best_distance) {
      ++ties;
    }
  }
  return ties == 0 ? std::string(best) : std::string();
}

// An allow key's networks in one spelling (NetworkSet::Canonical: merge compares the parts'
// options as text, and a list that differs in order or nesting allows the same findings); ""
// when it has none.
std::string AllowText(const DetectOptions& o, const std::string& name) {
  const auto it = o.allow.find(name);
  return it == o.allow.end() ? std::string() : it->second.Canonical();
}

// What an allow key matches, for --print-config and the README (no "from ": a text without an
// origin marks no value so).
std::string AllowComment(const std::string& name) {
  if (name == "allow.sources") {
    return "every type whose src is in these networks: " + FindingTypeList(HavingAddress::kSource) +
           " (your vulnerability scanners)";
  }
  if (name == "allow.destinations") {
    return "every type whose dst is in these networks: " +
           FindingTypeList(HavingAddress::kDestination) +
           " (your backups' storage, a CDN's origin)";
  }
  const std::string type = name.substr(0, name.find('.'));
  if (name.ends_with("_sources")) return type + " findings whose src is in these networks";
  if (type == "exfiltration") {
    return "exfiltration findings whose dst is in these networks (to several hosts: when its "
           "top_dsts names them all, 5 at most)";
  }
  return type + " findings whose dst is in these networks";
}

bool ParseF64(std::string_view v, double* out) {
  std::string s(v);
  char* end = nullptr;
  const double x = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(x)) return false;
  *out = x;
  return true;
}

}  // namespace

bool ParseDetectConfig(std::string_view text, DetectOptions* options, std::string* error) {
  DetectOptions o = *options;
  // A byte-order mark, as Windows editors save UTF-8, is not part of the first key.
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  // UTF-16 (what PowerShell 5's `>` writes) read as bytes made `unknown key` messages of raw
  // bytes cut at the first NUL.
  if (text.starts_with("\xFF\xFE") || text.starts_with("\xFE\xFF") ||
      text.find('\0') != std::string_view::npos) {
    *error =
        "the file is UTF-16 or binary, not text: save it as UTF-8 (PowerShell: Out-File "
        "-Encoding utf8)";
    return false;
  }
  // Lines may end in \n, \r\n or a lone \r (old Mac editors): a lone \r had joined two lines
  // into one value, and put a carriage return into the message.
  std::string unified;
  if (text.find('\r') != std::string_view::npos) {
    unified.assign(text);
    for (size_t i = 0; i < unified.size(); ++i) {
      if (unified[i] == '\r' && (i + 1 == unified.size() || unified[i + 1] != '\n')) {
        unified[i] = '\n';
      }
    }
    text = unified;
  }
  size_t line_no = 0;
  std::map<std::string, size_t> given;  // key -> the line that set it
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string line = Trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (const size_t hash = line.find('#'); hash != std::string::npos)
      line = Trim(line.substr(0, hash));
    if (line.empty()) continue;
    const auto fail = [&](const std::string& why) {
      *error = "line " + std::to_string(line_no) + ": " + why;
      return false;
    };
    const size_t eq = line.find('=');
    if (eq == std::string::npos) return fail("expected `key = value`, got `" + line + "`");
    const std::string name = Trim(std::string_view(line).substr(0, eq));
    const std::string value = Trim(std::string_view(line).substr(eq + 1));
    // A key given twice is a mistake (a pasted block, a merge): which one was meant?
    if (const auto [it, fresh] = given.try_emplace(name, line_no); !fresh) {
      return fail(name + " is given twice (line " + std::to_string(it->second) + " too)");
    }
    if (name == "detection.enabled") {
      if (value != "true" && value != "false") return fail("detection.enabled is true or false");
      o.enabled = value == "true";
      continue;
    }
    if (const std::string why = WhyNotAllowKey(name); why.empty()) {
      // As --internal takes them; an empty value is no network (the key's default).
      std::string why_not;
      std::optional<NetworkSet> set = NetworkSet::Parse(value, &why_not);
      if (!set) {
        return fail(name +
                    " wants CIDR blocks (IPv4 or IPv6, e.g. 10.20.0.0/16,2001:db8::/32) "
                    "separated by commas: " +
                    why_not);
      }
      if (set->Canonical().empty()) {
        o.allow.erase(name);
      } else {
        o.allow.insert_or_assign(name, *std::move(set));
      }
      continue;
    } else if (why != "-") {
      return fail(name + ": " + why + " (flowsift run --print-config lists the allow keys)");
    }
    const Key* key = nullptr;
    for (const Key& k : kKeys) {
      if (k.name == name) key = &k;
    }
    if (key == nullptr) {
      const std::string near = NearestKey(name);
      return fail("unknown key `" + name + "`" +
                  (near.empty() ? "" : ": did you mean `" + near + "`?") +
                  " (flowsift run --print-config lists them)");
    }
    if (const U64* m = std::get_if<U64>(&key->member)) {
      uint64_t x = 0;
      const auto [least, why] = LeastOf(name);
      // Named with the range: "wants a whole number, got `-1`" (or `18446744073709551616`, a
      // whole number past the range) did not say which ones it takes.
      if (!ParseU64(value, &x, SuffixesOf(*key))) {
        const Suffixes kind = SuffixesOf(*key);
        return fail(name + " wants a whole number" +
                    (kind == Suffixes::kSizes       ? " of bytes (K, M, G, T allowed)"
                     : kind == Suffixes::kDurations ? " of seconds (or with s, m, h, d)"
                                                    : "") +
                    " from " + std::to_string(least) + " to " + std::to_string(UINT64_MAX) +
                    ", got `" + value + "`");
      }
      if (x < least) {
        return fail(name + " must be at least " + std::to_string(least) + std::string(why));
      }
      o.** m = x;
    } else if (const F64* f = std::get_if<F64>(&key->member)) {
      double x = 0;
      const RealRange range = RangeOf(name);
      if (!ParseF64(value, &x)) {
        return fail(name + " wants a finite number (" + std::string(range.text) + "), got `" +
                    value + "`");
      }
      if (!range.holds(x)) {
        return fail(name + " must be " + std::string(range.text) + ", got `" + value + "`");
      }
      o.** f = x;
    } else {
      // Ranges first, ports after: expanded as read, a list that repeats a range ("0-65535,"
      // 100,000 times, an 800 KB file) took 13 GB before its repeats were dropped.
      std::vector<std::pair<uint64_t, uint64_t>> ranges;
      std::string_view rest = value;
      // An empty value is no port (`brute_force.ports =` turns brute force off); an empty entry
      // in a list is an error: a trailing or doubled comma ("22,") had passed as the ports
      // around it.
      for (size_t entry = 1; !value.empty(); ++entry) {
        const size_t comma = rest.find(',');
        const std::string item = Trim(rest.substr(0, comma));
        if (item.empty()) {
          return fail(name + ": entry " + std::to_string(entry) + " of `" + value +
                      "` is empty (a comma too many?): give ports 0-65535 or ranges of them "
                      "(30000-32767) separated by single commas");
        }
        // A port, or a range of them: "30000-32767".
        const size_t dash = item.find('-');
        uint64_t p = 0, last = 0;
        if (!ParseU64(Trim(item.substr(0, dash)), &p) ||
            !ParseU64(dash == std::string::npos ? item : Trim(item.substr(dash + 1)), &last) ||
            last > 65535 || p > last) {
          return fail(name +
                      " wants ports 0-65535 or ranges of them (30000-32767) separated by commas, "
                      "got `" +
                      item + "`");
        }
        ranges.emplace_back(p, last);
        if (comma == std::string_view::npos) break;
        rest = rest.substr(comma + 1);
      }
      // A set: in one order, each port once, so that lists that differ only in order or
      // repeats are the same options (merge compares the parts' options as text). Ranges in
      // ascending order, each from the first port no earlier one took: at most 65,536 ports.
      std::sort(ranges.begin(), ranges.end());
      std::vector<uint16_t> ports;
      uint64_t next = 0;  // the lowest port not yet taken
      for (const auto& [first, last] : ranges) {
        for (uint64_t p = std::max(first, next); p <= last; ++p) {
          ports.push_back(static_cast<uint16_t>(p));
        }
        next = std::max(next, last + 1);
      }
      o.*std::get<PortList>(key->member).member = std::move(ports);
    }
  }
  const auto bad_probability = [](double x) { return !(x > 0 && x < 1); };
  if (bad_probability(o.trw_theta0) || bad_probability(o.trw_theta1) ||
      bad_probability(o.trw_alpha) || bad_probability(o.trw_beta) || o.trw_theta1 >= o.trw_theta0 ||
      o.trw_alpha >= o.trw_beta) {
    // Named by the lines that set them (a default alone is always in order).
    std::vector<size_t> lines;
    for (const auto& [name, line] : given) {
      if (name.starts_with("scan_trw.") && name != "scan_trw.window") lines.push_back(line);
    }
    std::sort(lines.begin(), lines.end());
    std::string where;
    for (size_t line : lines) where += (where.empty() ? "" : ", ") + std::to_string(line);
    *error = (lines.size() == 1 ? "line " : "lines ") + where +
             ": scan_trw needs 0 < theta1 < theta0 < 1 and 0 < alpha < beta < 1 (SiLK: 0.2, "
             "0.8, 0.01, 0.99)";
    return false;
  }
  *options = std::move(o);
  return true;
}

std::string DefaultDetectConfig() { return DetectConfigText(DetectOptions{}); }

std::string DetectConfigText(const DetectOptions& o, std::string_view origin,
                             std::string_view enabled_origin) {
  const DetectOptions defaults;
  if (enabled_origin.empty()) enabled_origin = origin;
  std::string s =
      "# flowsift detection thresholds (flowsift run --config FILE). Every key is optional;\n"
      "# a key left out keeps the default shown. Sizes take K/M/G/T (powers of 1024),\n"
      "# windows s/m/h/d (5m = 300 seconds).\n";
  if (!enabled_origin.empty()) {
    const std::string both = origin.empty() || origin == enabled_origin
                                 ? std::string(enabled_origin)
                                 : std::string(origin) + " and " + std::string(enabled_origin);
    s += "# The values in effect with " + both + "; a value that is not the default says so.\n";
  }
  s += "detection.enabled = " + std::string(o.enabled ? "true" : "false");
  if (!enabled_origin.empty() && o.enabled != defaults.enabled) {
    s += "  # from " + std::string(enabled_origin);
  }
  s += "\n";
  std::string_view section;
  for (const Key& k : kKeys) {
    const std::string_view sec = k.name.substr(0, k.name.find('.'));
    if (sec != section) {
      s += "\n";
      section = sec;
    }
    const std::string value = ValueText(o, k);
    s += std::string(k.name) + " = " + value + "  # ";
    if (!origin.empty()) {
      const std::string by_default = ValueText(defaults, k);
      if (value != by_default) {
        s += "from " + std::string(origin) + " (default " + by_default + "); ";
      }
    }
    s += std::string(k.source) + "\n";
  }
  s +=
      "\n# Allowlists: CIDR lists (IPv4 and IPv6, as --internal takes them). A finding whose src\n"
      "# (or dst) is in one is not written; manifest.json's findings_allowed counts them by type.\n"
      "# allow.* apply to every type that has the address, TYPE.allow_* to that type as well.\n"
      "# Empty (the default): nothing is allowed.\n";
  for (const std::string& name : AllowKeys()) {
    const std::string value = AllowText(o, name);
    s += name + (value.empty() ? " =" : " = " + value) + "  # ";
    if (!origin.empty() && !value.empty())
      s += "from " + std::string(origin) + " (default empty); ";
    s += AllowComment(name) + "\n";
  }
  return s;
}

std::string DetectConfigTable() {
  const DetectOptions o;
  std::string s = "| key | default | unit | source |\n|---|---|---|---|\n";
  s += "| `detection.enabled` | true |  | false: no detection, as `--no-detect` |\n";
  for (const Key& k : kKeys) {
    s += "| `" + std::string(k.name) + "` | " + ValueText(o, k) + " | " + std::string(k.unit) +
         " | " + std::string(k.source) + " |\n";
  }
  for (const std::string& name : AllowKeys()) {
    s += "| `" + name + "` | (empty) | CIDRs | " + AllowComment(name) + " |\n";
  }
  return s;
}

std::vector<uint16_t> DefaultServicePorts() {
  std::vector<uint16_t> v = {1080, 1433, 1521, 1883, 2049, 2181,  2375,  2376,  2379,  2380,
                             3000, 3128, 3306, 3389, 4443, 5000,  5432,  5601,  5671,  5672,
                             5900, 5984, 5985, 5986, 6379, 6443,  7000,  7001,  7443,  8000,
                             8008, 8080, 8081, 8088, 8443, 8883,  8888,  9000,  9042,  9090,
                             9092, 9093, 9200, 9300, 9418, 10250, 11211, 15672, 27017, 27018};
  for (uint32_t p = 30000; p <= 32767; ++p) v.push_back(static_cast<uint16_t>(p));
  return v;
}

nlohmann::ordered_json DetectOptionsJson(const DetectOptions& options) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  j["enabled"] = options.enabled;
  for (const Key& k : kKeys) {
    if (const U64* m = std::get_if<U64>(&k.member)) {
      j[std::string(k.name)] = options.**m;
    } else if (const F64* f = std::get_if<F64>(&k.member)) {
      j[std::string(k.name)] = options.**f;
    } else {
      // As the config file writes it ("22,23,3389,5900,5985-5986"): an array of the 2,818
      // service ports (NodePorts 30000-32767) was 37 KB and 2,800 lines of manifest.json.
      j[std::string(k.name)] = ValueText(options, k);
    }
  }
  for (const std::string& name : AllowKeys()) j[name] = AllowText(options, name);
  return j;
}

}  // namespace flowsift
