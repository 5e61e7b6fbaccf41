// Address ranges (CIDR blocks) such as --internal's, for "is this address internal?".
#ifndef FLOWSIFT_PIPELINE_NETWORKS_H_
#define FLOWSIFT_PIPELINE_NETWORKS_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/types.h"

namespace flowsift {

class NetworkSet {
 public:
  // SPEC 2.1's default --internal: RFC 1918, RFC 6598 shared space, RFC 4193 unique local.
  static constexpr std::string_view kDefaultInternal =
      "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,100.64.0.0/10,fc00::/7";

  // Parses "CIDR,CIDR,..." (IPv4 a.b.c.d/n with n <= 32, IPv6 text/n with n <= 128; a bare
  // address is a /32 or /128; blanks around an entry are ignored). Host bits below the prefix
  // are ignored. An empty list (or blanks alone) = no network; an empty entry in a list ("a,",
  // "a,,b") is an error. On error returns nullopt and sets *error to a message naming the bad
  // entry.
  static std::optional<NetworkSet> Parse(std::string_view list, std::string* error);
  static NetworkSet DefaultInternal();

  // Inline: the aggregation and every detector ask it for most records.
  bool Contains(const kernels::Addr128& a) const {
    for (const Block& b : blocks_) {
      if ((a.hi & b.mask.hi) == b.base.hi && (a.lo & b.mask.lo) == b.base.lo) return true;
    }
    return false;
  }
  // The list as given, normalised ("10.0.0.0/8,fc00::/7"), for the manifest.
  std::string ToString() const;
  // The same addresses in one spelling whatever the list: blocks inside another dropped, two
  // halves of a block joined into it, the rest by address ("192.168.0.0/16,10.0.0.0/8,
  // 10.1.0.0/16" and "10.0.0.0/9,10.128.0.0/9,192.168.0.0/16" are both
  // "10.0.0.0/8,192.168.0.0/16"). For comparing sets.
  std::string Canonical() const;

 private:
  struct Block {
    kernels::Addr128 base;  // host bits cleared
    kernels::Addr128 mask;
    unsigned prefix;  // in the 128-bit (IPv4-mapped) space
  };
  std::vector<Block> blocks_;
};

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_NETWORKS_H_
