#include "pipeline/allowlist.h"

#include <optional>

#include "kernels/addr.h"

namespace flowsift {
namespace {

constexpr std::string_view kSources = "allow_sources", kDestinations = "allow_destinations";

const FindingAddresses* AddressesOf(std::string_view type) {
  for (const FindingAddresses& t : kFindingAddresses) {
    if (t.type == type) return &t;
  }
  return nullptr;
}

std::optional<kernels::Addr128> AddrOf(std::string_view text) {
  kernels::Addr128 a;
  if (kernels::ParseAddrScalar(reinterpret_cast<const uint8_t*>(text.data()), text.size(), &a) !=
      kernels::FieldStatus::kOk) {
    return std::nullopt;
  }
  return a;
}

// Whether `a` is in the list of the key `name` (absent: empty) or in that of `global`.
bool InEither(const DetectOptions& o, const std::string& name, std::string_view global,
              const kernels::Addr128& a) {
  for (const std::string_view key : {std::string_view(name), global}) {
    const auto it = o.allow.find(key);
    if (it != o.allow.end() && it->second.Contains(a)) return true;
  }
  return false;
}

// Every destination of an exfiltration to several hosts, when its top_dsts names them all.
std::vector<kernels::Addr128> NamedDestinations(const Finding& f) {
  const auto top = f.evidence.find("top_dsts");
  if (top == f.evidence.end() || !top->is_array() || top->empty() ||
      top->size() != f.distinct_dsts) {
    return {};
  }
  std::vector<kernels::Addr128> out;
  for (const auto& d : *top) {
    const auto dst = d.find("dst");
    if (d.contains("estimated") || dst == d.end() || !dst->is_string()) return {};
    const std::optional<kernels::Addr128> a = AddrOf(dst->get_ref<const std::string&>());
    if (!a) return {};
    out.push_back(*a);
  }
  return out;
}

}  // namespace

std::string FindingTypeList(HavingAddress having) {
  std::string list;
  for (const FindingAddresses& t : kFindingAddresses) {
    if ((having == HavingAddress::kSource && !t.src) ||
        (having == HavingAddress::kDestination && !t.dst)) {
      continue;
    }
    list += (list.empty() ? "" : ", ") + std::string(t.type);
  }
  return list;
}

std::vector<std::string> AllowKeys() {
  std::vector<std::string> keys = {"allow.sources", "allow.destinations"};
  for (const FindingAddresses& t : kFindingAddresses) {
    if (t.src) keys.push_back(std::string(t.type) + "." + std::string(kSources));
    if (t.dst) keys.push_back(std::string(t.type) + "." + std::string(kDestinations));
  }
  return keys;
}

std::string WhyNotAllowKey(std::string_view name) {
  if (name == "allow.sources" || name == "allow.destinations") return "";
  if (name.starts_with("allow.")) {
    return "the allow section has allow.sources and allow.destinations";
  }
  const size_t dot = name.find('.');
  if (dot == std::string_view::npos) return "-";
  const std::string_view type = name.substr(0, dot), field = name.substr(dot + 1);
  const bool sources = field == kSources;
  if (!sources && field != kDestinations) return "-";
  const FindingAddresses* t = AddressesOf(type);
  if (t == nullptr) {
    return "no finding type `" + std::string(type) + "` (" + FindingTypeList(HavingAddress::kAny) +
           ")";
  }
  if (sources ? t->src : t->dst) return "";
  const std::string what = sources ? "source" : "destination";
  return "a " + std::string(type) + " finding has no single " + what + " (its " +
         (sources ? "src" : "dst") + " is null: " +
         (type == "reject_spike"  ? "an interface's rejected flows, from many sources to many hosts"
          : type == "ddos_fan_in" ? "many sources to one host"
                                  : "one source to many hosts") +
         "), so no " + what + " can allow it" +
         (t->src || t->dst ? std::string("; ") + std::string(type) + "." +
                                 std::string(sources ? kDestinations : kSources) + " can"
                           : std::string("; raise its thresholds instead"));
}

bool IsAllowed(const DetectOptions& o, const Finding& f) {
  if (o.allow.empty()) return false;
  const std::string type(f.type);
  if (f.src) {
    const std::optional<kernels::Addr128> a = AddrOf(*f.src);
    if (a && InEither(o, type + "." + std::string(kSources), "allow.sources", *a)) return true;
  }
  const std::string dst_key = type + "." + std::string(kDestinations);
  if (f.dst) {
    const std::optional<kernels::Addr128> a = AddrOf(*f.dst);
    return a && InEither(o, dst_key, "allow.destinations", *a);
  }
  if (f.type != "exfiltration") return false;
  const std::vector<kernels::Addr128> named = NamedDestinations(f);
  if (named.empty()) return false;
  for (const kernels::Addr128& a : named) {
    if (!InEither(o, dst_key, "allow.destinations", a)) return false;
  }
  return true;
}

void DropAllowed(const DetectOptions& o, std::vector<Finding>& findings, FindingCounts* allowed) {
  if (o.allow.empty()) return;
  size_t kept = 0;
  for (size_t i = 0; i < findings.size(); ++i) {
    if (IsAllowed(o, findings[i])) {
      if (allowed != nullptr) ++(*allowed)[findings[i].type];
      continue;
    }
    if (kept != i) findings[kept] = std::move(findings[i]);
    ++kept;
  }
  findings.resize(kept);
}

std::string AllowedNote(const FindingCounts& allowed) {
  uint64_t total = 0;
  std::string by_type;
  for (const auto& [type, n] : allowed) {
    total += n;
    by_type += (by_type.empty() ? "" : ", ") + std::to_string(n) + " " + type;
  }
  if (total == 0) return "";
  return std::to_string(total) + (total == 1 ? " finding" : " findings") +
         " matched the allowlist (not written: " + by_type + ")";
}

}  // namespace flowsift
