#include "pipeline/networks.h"

#include <gtest/gtest.h>

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
  auto n = NetworkSet::Parse(" 203.0.113.7 , 2001:db8::/32,198.51.100.9/24,", &error);
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
}

}  // namespace
}  // namespace flowsift
