#include "pipeline/networks.h"

#include <gtest/gtest.h>

#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "kernels/addr.h"

namespace flowsift {
namespace {

kernels::Addr128 A(const std::string& s) {
  kernels::Addr128 a{};
  EXPECT_EQ(kernels::ParseAddrScalar(reinterpret_cast<const uint8_t*>(s.data()), s.size(), &a),
            kernels::FieldStatus::kOk)
      << s;
  return a;
}

TEST(NetworkSet, DefaultInternalRanges) {
  const NetworkSet n = NetworkSet::DefaultInternal();
  for (const char* in : {"10.0.0.0", "10.255.255.255", "172.16.0.1", "172.31.255.255",
                         "192.168.1.1", "100.64.0.1", "100.127.255.255", "fc00::1", "fd12::9"}) {
    EXPECT_TRUE(n.Contains(A(in))) << in;
  }
  for (const char* out :
       {"9.255.255.255", "11.0.0.0", "172.15.255.255", "172.32.0.0", "192.169.0.0",
        "100.63.255.255", "100.128.0.0", "8.8.8.8", "fe00::1", "2001:db8::1", "::ffff:8.8.8.8"}) {
    EXPECT_FALSE(n.Contains(A(out))) << out;
  }
  EXPECT_EQ(n.ToString(), "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,100.64.0.0/10,fc00::/7");
}

TEST(NetworkSet, ParsesListsAndRejectsBadEntries) {
  std::string error;
  auto n = NetworkSet::Parse(" 203.0.113.7 , 2001:db8::/32,198.51.100.9/24 ", &error);
  ASSERT_TRUE(n) << error;
  EXPECT_TRUE(n->Contains(A("203.0.113.7")));
  EXPECT_FALSE(n->Contains(A("203.0.113.8")));
  EXPECT_TRUE(n->Contains(A("2001:db8:ffff::1")));
  EXPECT_TRUE(n->Contains(A("198.51.100.200")));  // host bits of the entry are ignored
  EXPECT_EQ(n->ToString(), "203.0.113.7/32,2001:db8::/32,198.51.100.0/24");
  EXPECT_TRUE(NetworkSet::Parse("", &error));
  EXPECT_TRUE(NetworkSet::Parse("0.0.0.0/0", &error)->Contains(A("1.2.3.4")));
  EXPECT_FALSE(NetworkSet::Parse("0.0.0.0/0", &error)->Contains(A("2001:db8::1")));
  for (const char* bad :
       {"10.0.0.0/33", "fc00::/129", "10.0.0/8", "10.0.0.0/x", "host/8", "10.0.0.0/"}) {
    error.clear();
    EXPECT_FALSE(NetworkSet::Parse(bad, &error)) << bad;
    EXPECT_NE(error.find(bad), std::string::npos) << error;
  }
  // An empty entry (a trailing or doubled comma, a variable unset) is named, not skipped.
  EXPECT_TRUE(NetworkSet::Parse("  ", &error));
  for (const auto& [bad, entry] : std::vector<std::pair<const char*, const char*>>{
           {"10.0.0.0/8,", "entry 2 of '10.0.0.0/8,' is empty"},
           {"10.0.0.0/8, ,fd00::/8", "entry 2 of '10.0.0.0/8, ,fd00::/8' is empty"},
           {",10.0.0.0/8", "entry 1 of ',10.0.0.0/8' is empty"},
           {",", "entry 1 of ',' is empty"}}) {
    error.clear();
    EXPECT_FALSE(NetworkSet::Parse(bad, &error)) << bad;
    EXPECT_NE(error.find(entry), std::string::npos) << error;
  }
}

// The canonical spelling of a list that parses.
std::string Canonical(const char* list) {
  std::string error;
  const std::optional<NetworkSet> set = NetworkSet::Parse(list, &error);
  EXPECT_TRUE(set) << list << ": " << error;
  return set ? set->Canonical() : "";
}

// One spelling for one set of addresses: order, repeats and blocks inside others do not
// change it; different sets stay different.
TEST(NetworkSet, CanonicalIsTheSameForTheSameAddresses) {
  EXPECT_EQ(Canonical("192.168.0.0/16,10.0.0.0/8"), "10.0.0.0/8,192.168.0.0/16");
  EXPECT_EQ(Canonical("10.1.0.0/16, 10.0.0.0/8 ,192.168.0.0/16,10.0.0.0/8,192.168.1.7"),
            "10.0.0.0/8,192.168.0.0/16");
  EXPECT_EQ(Canonical("fc00::/7,10.0.0.0/8"), Canonical("10.0.0.0/8,fc00::/7"));
  EXPECT_EQ(Canonical("10.0.0.0/9,0.0.0.0/0"), "0.0.0.0/0");
  EXPECT_NE(Canonical("10.0.0.0/8"), Canonical("10.0.0.0/9"));
  EXPECT_EQ(Canonical(""), "");
}

// Membership computed apart from NetworkSet: 128-bit integers and the CIDR text's own prefix.
struct Cidr {
  unsigned __int128 base;
  unsigned prefix;  // 0..128
};
unsigned __int128 Wide(const kernels::Addr128& a) {
  return (static_cast<unsigned __int128>(a.hi) << 64) | a.lo;
}
bool InCidr(const kernels::Addr128& a, const Cidr& c) {
  if (c.prefix == 0) return true;
  return (Wide(a) >> (128 - c.prefix)) == (c.base >> (128 - c.prefix));
}

TEST(NetworkSet, ContainsAgreesWithPlainCidrMathsOnEveryKindOfList) {
  // (text, prefix in the 128-bit space): blocks inside one IPv4 /16, covering many, IPv6
  // blocks that hold the IPv4-mapped space or part of it, and ones that hold none of it.
  const std::vector<std::vector<std::pair<std::string, unsigned>>> lists = {
      {{"10.1.2.0", 96 + 24}, {"10.1.3.7", 128}, {"192.168.0.0", 96 + 16}},
      {{"0.0.0.0", 96}},
      {{"::ffff:0:0", 96}},
      {{"::ffff:10.0.0.0", 120}, {"2001:db8::", 32}, {"172.16.0.0", 96 + 12}},
      {{"::", 0}},
      {{"::ffff:0:0", 104}, {"100.64.0.0", 96 + 10}, {"100.64.9.0", 96 + 31}},
      {{"10.2.128.0", 96 + 17},
       {"10.4.0.0", 96 + 15},
       {"10.4.3.0", 96 + 24},
       {"::ffff:10.2.0.0", 113}},
      {{"10.0.0.0", 96 + 8}, {"::ffff:10.2.3.4", 128}, {"::ffff:0:0", 95}},
      // More IPv4 blocks than one group of four holds, with IPv6 ones between them.
      {{"10.1.0.0", 96 + 16},
       {"2001:db8::", 32},
       {"10.2.0.0", 96 + 17},
       {"10.3.0.0", 96 + 24},
       {"192.168.0.0", 96 + 16},
       {"fc00::", 7},
       {"10.4.0.0", 96 + 15},
       {"172.16.0.0", 96 + 12},
       {"10.6.7.8", 128},
       {"100.64.0.0", 96 + 10}},
      {{"10.0.0.0", 96 + 8},
       {"172.16.0.0", 96 + 12},
       {"192.168.0.0", 96 + 16},
       {"100.64.0.0", 96 + 10},
       {"fc00::", 7}},
  };
  std::mt19937_64 rng(7);
  // Addresses near the blocks' edges and anywhere: IPv4 in the /16s the lists touch, any
  // IPv4, IPv4-mapped neighbours in IPv6 space, any IPv6.
  std::vector<kernels::Addr128> addrs;
  for (uint32_t net : {0x0A01u, 0x0A00u, 0xC0A8u, 0xAC10u, 0xAC1Fu, 0x6440u, 0x0000u, 0x6440u,
                       0x0A02u, 0x0A03u, 0x0A04u, 0x0A05u, 0x0A06u}) {
    for (int k = 0; k < 3000; ++k) {
      const uint32_t host = k % 2 == 0 ? rng() % 4096 : rng() % 65536;  // both halves of a /16
      addrs.push_back(kernels::AddrFromIPv4(net << 16 | host));
    }
  }
  for (int k = 0; k < 20000; ++k) {
    addrs.push_back(kernels::AddrFromIPv4(static_cast<uint32_t>(rng())));
    addrs.push_back({rng() % 2 == 0 ? 0 : rng(), rng()});
    addrs.push_back({rng(), rng()});
  }
  for (const auto& list : lists) {
    std::string text;
    std::vector<Cidr> cidrs;
    for (const auto& [addr, prefix] : list) {
      const bool v4 = addr.find(':') == std::string::npos;
      text += (text.empty() ? "" : ",") + addr + "/" + std::to_string(v4 ? prefix - 96 : prefix);
      cidrs.push_back({Wide(A(addr)), prefix});
    }
    std::string error;
    const auto set = NetworkSet::Parse(text, &error);
    ASSERT_TRUE(set) << error;
    size_t in = 0;
    for (const kernels::Addr128& a : addrs) {
      bool want = false;
      for (const Cidr& c : cidrs) want |= InCidr(a, c);
      ASSERT_EQ(set->Contains(a), want) << text << " " << kernels::FormatAddr(a);
      in += want;
    }
    EXPECT_GT(in, 0u) << text;  // each list holds some of the addresses
  }
}

// Prefixes at the 64-bit word boundary and around it, and the ends of the range.
TEST(NetworkSet, PrefixesAtTheWordBoundary) {
  std::string error;
  const auto set = [&](const char* list) {
    auto n = NetworkSet::Parse(list, &error);
    EXPECT_TRUE(n) << list << ": " << error;
    return *n;
  };
  const NetworkSet p64 = set("2001:db8:1:2::/64");
  EXPECT_TRUE(p64.Contains(A("2001:db8:1:2::")));
  EXPECT_TRUE(p64.Contains(A("2001:db8:1:2:ffff:ffff:ffff:ffff")));
  EXPECT_FALSE(p64.Contains(A("2001:db8:1:3::")));
  EXPECT_FALSE(p64.Contains(A("2001:db8:1:1:ffff:ffff:ffff:ffff")));
  EXPECT_EQ(p64.ToString(), "2001:db8:1:2::/64");
  const NetworkSet p63 = set("2001:db8:1:2::/63");
  EXPECT_TRUE(p63.Contains(A("2001:db8:1:3:ffff::")));
  EXPECT_FALSE(p63.Contains(A("2001:db8:1:4::")));
  const NetworkSet p65 = set("2001:db8:1:2:8000::/65");
  EXPECT_TRUE(p65.Contains(A("2001:db8:1:2:ffff::1")));
  EXPECT_FALSE(p65.Contains(A("2001:db8:1:2:7fff::1")));
  const NetworkSet p127 = set("2001:db8::/127");
  EXPECT_TRUE(p127.Contains(A("2001:db8::1")));
  EXPECT_FALSE(p127.Contains(A("2001:db8::2")));
  const NetworkSet p1 = set("8000::/1");
  EXPECT_TRUE(p1.Contains(A("ffff::1")));
  EXPECT_FALSE(p1.Contains(A("7fff::1")));
  const NetworkSet all = set("::/0");
  EXPECT_TRUE(all.Contains(A("2001:db8::1")));
  EXPECT_TRUE(all.Contains(A("10.0.0.1")));
  const NetworkSet v4host = set("10.1.2.3/32");
  EXPECT_TRUE(v4host.Contains(A("10.1.2.3")));
  EXPECT_FALSE(v4host.Contains(A("10.1.2.2")));
  EXPECT_EQ(v4host.ToString(), "10.1.2.3/32");
}

TEST(NetworkSet, RejectsAPrefixWithTrailingText) {
  for (const char* bad : {"10.0.0.0/8x", "10.0.0.0/8/8", "fc00::/7 7", "10.0.0.0/-8"}) {
    std::string error;
    EXPECT_FALSE(NetworkSet::Parse(bad, &error)) << bad;
    EXPECT_NE(error.find(bad), std::string::npos) << error;
  }
}

// Canonical lists blocks by address whatever their width, and of two blocks at one address
// keeps the wider (the narrower is inside it), whichever comes first.
TEST(NetworkSet, CanonicalOrdersByAddressAndKeepsTheWiderBlockAtAnAddress) {
  EXPECT_EQ(Canonical("192.0.0.0/8,10.0.0.0/16"), "10.0.0.0/16,192.0.0.0/8");
  EXPECT_EQ(Canonical("fc00::/7,2001:db8::/32"), "2001:db8::/32,fc00::/7");
  EXPECT_EQ(Canonical("10.0.0.0/16,10.0.0.0/8"), "10.0.0.0/8");
  EXPECT_EQ(Canonical("10.0.0.0/8,10.0.0.0/16"), "10.0.0.0/8");
  EXPECT_EQ(Canonical("fc00::/8,fc00::/7,10.0.0.0/32,10.0.0.0/24"), "10.0.0.0/24,fc00::/7");
}

// Two halves of a block are the same addresses as the block: merge compares parts' --internal
// lists by Canonical(), and refused parts made with "10.0.0.0/9,10.128.0.0/9" and "10.0.0.0/8"
// as different. Halves join again and again (four quarters are the block); a lone half or
// two blocks that are not halves of one stay apart.
TEST(NetworkSet, CanonicalIsTheSameForAdjacentHalvesOfABlock) {
  EXPECT_EQ(Canonical("10.0.0.0/9,10.128.0.0/9"), Canonical("10.0.0.0/8"));
  EXPECT_EQ(Canonical("10.0.0.0/8,10.0.0.0/9,10.128.0.0/9"), Canonical("10.0.0.0/8"));
  EXPECT_EQ(Canonical("fc00::/8,fd00::/8"), Canonical("fc00::/7"));
  EXPECT_EQ(Canonical("10.192.0.0/10,10.0.0.0/10,10.128.0.0/10,10.64.0.0/10"), "10.0.0.0/8");
  EXPECT_EQ(Canonical("0.0.0.0/1,128.0.0.0/1"), "0.0.0.0/0");
  EXPECT_EQ(Canonical("2001:db8::/65,2001:db8:0:0:8000::/65"), "2001:db8::/64");
  EXPECT_EQ(Canonical("10.0.0.0/9"), "10.0.0.0/9");
  EXPECT_EQ(Canonical("10.128.0.0/9,11.0.0.0/9"), "10.128.0.0/9,11.0.0.0/9");  // not halves of one
  EXPECT_EQ(Canonical("10.0.0.0/9,10.128.0.0/10"), "10.0.0.0/9,10.128.0.0/10");
  // 4,096 hosts in any order are a /20, at once (one join per pass over all pairs was cubic).
  std::vector<int> hosts(4096);
  std::iota(hosts.begin(), hosts.end(), 0);
  std::shuffle(hosts.begin(), hosts.end(), std::mt19937(3));
  std::string list;
  for (const int h : hosts) {
    list += (list.empty() ? "" : ",") +
            ("10.1." + std::to_string(16 + h / 256) + "." + std::to_string(h % 256));
  }
  EXPECT_EQ(Canonical(list.c_str()), "10.1.16.0/20");
  EXPECT_EQ(Canonical((list + ",10.1.32.0").c_str()), "10.1.16.0/20,10.1.32.0/32");
}

}  // namespace
}  // namespace flowsift
