#include "pipeline/networks.h"

#include <algorithm>
#include <charconv>
#include <tuple>

#include "kernels/addr.h"

namespace flowsift {
namespace {

kernels::Addr128 MaskOf(unsigned prefix) {  // prefix in 0..128
  kernels::Addr128 m{0, 0};
  if (prefix >= 64) {
    m.hi = ~0ull;
    m.lo = prefix == 64 ? 0 : ~0ull << (128 - prefix);
  } else if (prefix > 0) {
    m.hi = ~0ull << (64 - prefix);
  }
  return m;
}

}  // namespace

std::optional<NetworkSet> NetworkSet::Parse(std::string_view list, std::string* error) {
  NetworkSet set;
  // A list of blanks alone is no network; in a list, an empty entry is an error: a trailing or
  // doubled comma ("10.0.0.0/8,", "$A,$B" with B unset) had passed as the entries around it.
  if (list.find_first_not_of(' ') == std::string_view::npos) return set;
  size_t pos = 0;
  for (size_t entry = 1; pos <= list.size(); ++entry) {
    size_t comma = list.find(',', pos);
    if (comma == std::string_view::npos) comma = list.size();
    std::string_view item = list.substr(pos, comma - pos);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    pos = comma + 1;
    if (item.empty()) {
      *error = "entry " + std::to_string(entry) + " of '" + std::string(list) +
               "' is empty (a comma too many?): give CIDR blocks separated by single commas";
      return std::nullopt;
    }
    const size_t slash = item.find('/');
    const std::string_view addr_text = item.substr(0, slash);
    kernels::Addr128 addr;
    if (kernels::ParseAddrScalar(reinterpret_cast<const uint8_t*>(addr_text.data()),
                                 addr_text.size(), &addr) != kernels::FieldStatus::kOk) {
      *error = "'" + std::string(item) + "' is not an address or CIDR block (e.g. 10.0.0.0/8)";
      return std::nullopt;
    }
    const bool v4 = addr_text.find(':') == std::string_view::npos;
    const unsigned max_prefix = v4 ? 32 : 128;
    unsigned prefix = max_prefix;
    if (slash != std::string_view::npos) {
      const std::string_view p = item.substr(slash + 1);
      const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
      if (ec != std::errc() || end != p.data() + p.size() || prefix > max_prefix) {
        *error =
            "'" + std::string(item) + "': prefix length must be 0.." + std::to_string(max_prefix);
        return std::nullopt;
      }
    }
    // IPv4 lives in ::ffff:0:0/96, so an IPv4 /n is a /(96 + n) there.
    const unsigned prefix128 = v4 ? 96 + prefix : prefix;
    const kernels::Addr128 mask = MaskOf(prefix128);
    set.blocks_.push_back({{addr.hi & mask.hi, addr.lo & mask.lo}, mask, prefix128});
  }
  return set;
}

NetworkSet NetworkSet::DefaultInternal() {
  std::string error;
  return *Parse(kDefaultInternal, &error);
}

std::string NetworkSet::ToString() const {
  std::string s;
  for (const Block& b : blocks_) {
    if (!s.empty()) s += ',';
    const bool v4 = kernels::IsIPv4(b.base) && b.prefix >= 96;
    s += kernels::FormatAddr(b.base) + "/" + std::to_string(v4 ? b.prefix - 96 : b.prefix);
  }
  return s;
}

std::string NetworkSet::Canonical() const {
  // Widest first, so that a block inside another meets it after it.
  std::vector<Block> blocks = blocks_;
  std::sort(blocks.begin(), blocks.end(), [](const Block& a, const Block& b) {
    return std::tie(a.prefix, a.base.hi, a.base.lo) < std::tie(b.prefix, b.base.hi, b.base.lo);
  });
  NetworkSet kept;
  for (const Block& b : blocks) {
    if (!kept.Contains(b.base)) kept.blocks_.push_back(b);
  }
  // Two halves of a block are that block: siblings (one prefix, bases that differ in the last
  // bit of it alone) are joined, pass after pass, so that "10.0.0.0/9,10.128.0.0/9" is
  // "10.0.0.0/8" (merge refused parts of those two spellings as different --internal). Sorted by
  // prefix and base, a block's sibling is the one after it (aligned blocks of one size are
  // consecutive); a pass is a sort and a scan, and passes are at most 128, so a list of
  // thousands of hosts stays quick. Nothing a parent holds was kept apart: a block inside it was
  // inside a half.
  std::vector<Block>& v = kept.blocks_;
  for (bool joined = true; joined;) {
    joined = false;
    std::sort(v.begin(), v.end(), [](const Block& a, const Block& b) {
      return std::tie(a.prefix, a.base.hi, a.base.lo) < std::tie(b.prefix, b.base.hi, b.base.lo);
    });
    std::vector<Block> next;
    for (size_t i = 0; i < v.size(); ++i) {
      const unsigned p = v[i].prefix;
      if (p != 0 && i + 1 < v.size() && v[i + 1].prefix == p) {
        const kernels::Addr128 last = p <= 64 ? kernels::Addr128{1ull << (64 - p), 0}
                                              : kernels::Addr128{0, 1ull << (128 - p)};
        if ((v[i].base.hi ^ v[i + 1].base.hi) == last.hi &&
            (v[i].base.lo ^ v[i + 1].base.lo) == last.lo) {
          const kernels::Addr128 mask = MaskOf(p - 1);
          next.push_back({{v[i].base.hi & mask.hi, v[i].base.lo & mask.lo}, mask, p - 1});
          ++i;
          joined = true;
          continue;
        }
      }
      next.push_back(v[i]);
    }
    v.swap(next);
  }
  std::sort(kept.blocks_.begin(), kept.blocks_.end(), [](const Block& a, const Block& b) {
    return std::tie(a.base.hi, a.base.lo, a.prefix) < std::tie(b.base.hi, b.base.lo, b.prefix);
  });
  return kept.ToString();
}

}  // namespace flowsift
