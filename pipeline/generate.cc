// Synthetic flow logs: a modelled network, connections drawn per aggregation interval, one
// record per direction per logged interface. See generate.h for the promises.
//
// Determinism: every random draw comes from one xoshiro256** stream seeded through splitmix64,
// turned into ranges by multiply-shift and into heavy tails by integer octaves. Doubles are
// used only for shares (u < p), which IEEE basic arithmetic makes identical everywhere.
#include "pipeline/generate.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace flowsift {
namespace {

// ---------------------------------------------------------------------------------------------
// Randomness

uint64_t SplitMix64(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// A stateless hash of (salt, index): stable identities for pools of internet hosts that are
// far too large to store.
uint64_t Hash64(uint64_t salt, uint64_t index) {
  uint64_t x = salt ^ (index * 0xD1B54A32D192ED03ull);
  return SplitMix64(x);
}

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (uint64_t& w : s_) w = SplitMix64(seed);
  }
  // xoshiro256** (Blackman and Vigna, 2018).
  uint64_t Next() {
    const uint64_t result = std::rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = std::rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, n) by multiply-shift (Lemire); the bias, below n / 2^64, does not matter.
  uint64_t Below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64);
  }
  // Uniform in [lo, hi].
  uint64_t Range(uint64_t lo, uint64_t hi) { return lo + Below(hi - lo + 1); }
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  bool Chance(double p) { return Unit() < p; }
  // Heavy-tailed in [lo, hi]: a uniform power-of-two octave, then uniform within it, i.e.
  // log-uniform up to a factor of two, without libm.
  uint64_t LogUniform(uint64_t lo, uint64_t hi) {
    lo = std::max<uint64_t>(lo, 1);
    hi = std::max(hi, lo);
    const int e_lo = std::bit_width(lo) - 1;
    const int e_hi = std::bit_width(hi) - 1;
    const int e = e_lo + static_cast<int>(Below(static_cast<uint64_t>(e_hi - e_lo + 1)));
    const uint64_t a = std::max(lo, uint64_t{1} << e);
    const uint64_t b = std::min(hi, (uint64_t{2} << e) - 1);
    return Range(a, b);
  }
  template <class T, size_t N>
  const T& Of(const T (&items)[N]) {
    return items[Below(N)];
  }

 private:
  uint64_t s_[4];
};

// ---------------------------------------------------------------------------------------------
// Addresses and text

struct Addr {
  uint64_t hi = 0;  // IPv6 bytes 0..7
  uint64_t lo = 0;  // IPv6 bytes 8..15, or the IPv4 address
  bool v6 = false;
};

constexpr Addr V4(uint32_t a) { return {0, a, false}; }
constexpr Addr V4(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  return V4(a << 24 | b << 16 | c << 8 | d);
}
constexpr Addr V6(uint64_t hi, uint64_t lo) { return {hi, lo, true}; }

char* WriteStr(char* p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

char* WriteUint(char* p, uint64_t v) {
  char tmp[20];
  char* t = tmp + sizeof(tmp);
  do {
    *--t = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  const size_t n = static_cast<size_t>(tmp + sizeof(tmp) - t);
  std::memcpy(p, t, n);
  return p + n;
}

char* WriteHex16(char* p, uint32_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  const int nibbles = v == 0 ? 1 : (std::bit_width(v) + 3) / 4;
  for (int i = nibbles - 1; i >= 0; --i) *p++ = kDigits[(v >> (4 * i)) & 15];
  return p;
}

char* WriteAddr(char* p, const Addr& a) {
  if (!a.v6) {
    const uint32_t v = static_cast<uint32_t>(a.lo);
    for (int i = 3; i >= 0; --i) {
      p = WriteUint(p, (v >> (8 * i)) & 255);
      if (i != 0) *p++ = '.';
    }
    return p;
  }
  uint32_t g[8];
  for (int i = 0; i < 4; ++i) {
    g[i] = static_cast<uint32_t>(a.hi >> (48 - 16 * i)) & 0xFFFF;
    g[4 + i] = static_cast<uint32_t>(a.lo >> (48 - 16 * i)) & 0xFFFF;
  }
  // RFC 5952 section 4.2: the longest run of two or more zero groups becomes "::" (the first
  // of equal runs), as AWS and every canonicalising library print addresses.
  int best = -1, best_len = 1;
  for (int i = 0; i < 8;) {
    if (g[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && g[j] == 0) ++j;
    if (j - i > best_len) best = i, best_len = j - i;
    i = j;
  }
  bool sep = false;
  for (int i = 0; i < 8;) {
    if (i == best) {
      *p++ = ':';
      *p++ = ':';
      i += best_len;
      sep = false;
      continue;
    }
    if (sep) *p++ = ':';
    p = WriteHex16(p, g[i]);
    sep = true;
    ++i;
  }
  return p;
}

// AWS resource ids of the current shape: prefix + 17 lowercase hex digits, the first one '0'
// as in ids issued since 2016 ("eni-0a1b2c3d4e5f67890").
std::string HexId(Rng& rng, std::string_view prefix, int digits = 17) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s(prefix);
  for (int i = 0; i < digits; ++i) {
    s += (digits == 17 && i == 0) ? '0' : kDigits[rng.Below(16)];
  }
  return s;
}

std::string Digits(Rng& rng, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += static_cast<char>('0' + rng.Below(10));
  return s;
}

// ---------------------------------------------------------------------------------------------
// Reference data

struct Region {
  std::string_view name;
  std::string_view az[3];
  uint32_t v6_pool;  // first 32 bits of the region's Amazon-provided IPv6 pool
};
constexpr Region kRegions[] = {
    {"us-east-1", {"use1-az1", "use1-az2", "use1-az4"}, 0x26001f18},
    {"us-west-2", {"usw2-az1", "usw2-az2", "usw2-az3"}, 0x26001f14},
    {"eu-west-1", {"euw1-az1", "euw1-az2", "euw1-az3"}, 0x2a05d018},
    {"ap-southeast-2", {"apse2-az1", "apse2-az3", "apse2-az2"}, 0x2406da1c},
};

// First octets of widely allocated unicast space. Left out: 0, 10, 100 (100.64/10 is CGNAT and
// internal by SPEC 2.1's default), 127, 169, 172, 192, 198, 203 (documentation and benchmark
// ranges live there), multicast and above.
constexpr uint8_t kPublicFirstOctets[] = {
    2,   3,   5,   8,   13,  18,  23,  24,  31,  34,  35,  37,  41,  45,  46,  47,  49,  50,  51,
    52,  54,  58,  59,  60,  61,  62,  64,  66,  67,  68,  69,  70,  71,  72,  73,  74,  75,  76,
    77,  78,  79,  80,  81,  82,  83,  84,  85,  86,  87,  88,  89,  90,  91,  92,  93,  94,  95,
    96,  97,  98,  99,  101, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 115, 116,
    117, 118, 119, 120, 121, 122, 123, 124, 125, 128, 129, 130, 131, 134, 136, 137, 138, 139, 140,
    141, 142, 143, 144, 146, 147, 149, 150, 151, 152, 153, 154, 155, 156, 157, 158, 159, 160, 161,
    162, 163, 164, 165, 166, 167, 168, 170, 171, 173, 174, 175, 176, 177, 178, 179, 180, 181, 182,
    183, 184, 185, 186, 187, 188, 189, 190, 191, 193, 194, 195, 196, 197, 199, 200, 201, 202, 205,
    206, 207, 208, 209, 210, 211, 212, 213, 216, 217, 218, 219, 220, 221, 222, 223};

// First 32 bits of large access-network IPv6 allocations (Deutsche Telekom, Vodafone DE,
// Orange, AT&T, Charter, Comcast, Jio, China Telecom, BT, Telstra).
constexpr uint32_t kPublicV6Prefixes[] = {0x2003e000, 0x2a028109, 0x2a01cb00, 0x26001700,
                                          0x26036010, 0x26012c00, 0x24094040, 0x240e0380,
                                          0x2a00231c, 0x20014479};

// pkt-*-aws-service values (ip-ranges.json) with one real prefix each. Index 0 is "-".
struct AwsService {
  std::string_view name;
  uint32_t base;
  uint32_t size;
};
constexpr AwsService kServices[] = {
    {"-", 0, 0},
    {"S3", 52u << 24 | 216u << 16, 1u << 17},                               // 52.216.0.0/15
    {"DYNAMODB", 3u << 24 | 218u << 16 | 180u << 8, 1u << 10},              // 3.218.180.0/22
    {"EC2", 3u << 24 | 80u << 16, 1u << 20},                                // 3.80.0.0/12
    {"AMAZON", 52u << 24 | 94u << 16, 1u << 10},                            // 52.94.0.0/22
    {"API_GATEWAY", 3u << 24 | 216u << 16 | 135u << 8, 1u << 8},            // 3.216.135.0/24
    {"CLOUDFRONT", 13u << 24 | 224u << 16, 1u << 18},                       // 13.224.0.0/14
    {"ROUTE53_HEALTHCHECKS", 54u << 24 | 243u << 16 | 31u << 8 | 192, 64},  // 54.243.31.192/26
};
constexpr uint8_t kRoute53HealthChecks = 7;

constexpr Addr kUpstreamResolvers[] = {V4(1, 1, 1, 1), V4(8, 8, 8, 8), V4(9, 9, 9, 9),
                                       V4(208, 67, 222, 222), V4(8, 8, 4, 4)};
constexpr Addr kUpstreamResolversV6[] = {V6(0x2606470047000000ull, 0x1111),
                                         V6(0x2001486048600000ull, 0x8888)};

// Ports internet scanners try first (the top of Shodan/GreyNoise-style target lists).
constexpr uint16_t kProbePorts[] = {23,   22,   3389, 445,  80,    8080,  5900, 1433,  3306, 6379,
                                    9200, 2375, 5432, 8443, 21,    25,    111,  135,   139,  1723,
                                    5060, 7547, 8888, 9000, 27017, 11211, 161,  10000, 81,   8081};

constexpr uint64_t kEphemeralLo = 32768, kEphemeralHi = 60999;  // Linux ip_local_port_range
constexpr uint32_t kInternetClients = 200000;
constexpr uint32_t kScanners = 400;
constexpr uint32_t kSaasHosts = 3000;

// Shares of status records: the task's target, near what busy accounts see.
constexpr double kNoDataShare = 0.02;
constexpr double kSkipDataShare = 0.005;

// ---------------------------------------------------------------------------------------------
// Model

enum class Role : uint8_t {
  kWeb,
  kApp,
  kDb,
  kNat,
  kLb,
  kDns,
  kBackup,
  kOps,  // VPC ENIs
  kEgressVpc,
  kSharedVpc,
  kSpokeVpc,  // Transit Gateway attachments
  kCount
};
constexpr std::string_view kRoleNames[] = {"web",    "app", "db",     "nat",    "lb",   "dns",
                                           "backup", "ops", "egress", "shared", "spoke"};

// An ENI, or in Transit Gateway mode an attachment with its VPC.
struct Iface {
  Role role = Role::kWeb;
  uint8_t az = 0;
  Addr v4, v6;  // ENI: its primary addresses. Attachment: its VPC's base addresses.
  std::string account, id, vpc, subnet, instance, az_id, itype, resource_id;
  std::string tgw_eni;              // attachment: the gateway's ENI in the VPC's subnet
  std::array<std::string, 10> ecs;  // ecs-cluster-arn .. ecs-task-id, in field order
  std::array<std::string, 6> tags;  // instance-tag .. asg-tag-2, in field order
};

enum class Status : uint8_t { kOk, kNoData, kSkipData };

// One output line.
struct Rec {
  int32_t iface = 0;
  int32_t peer = -1;      // VPC: the next-hop ENI; TGW: the pair attachment
  int32_t src_side = -1;  // TGW: attachment of the source / destination VPC
  int32_t dst_side = -1;
  Addr src, dst, pkt_src, pkt_dst;
  uint64_t packets = 0, bytes = 0, start = 0, end = 0, lost = 0;
  uint16_t sport = 0, dport = 0;
  int16_t flags = 0;  // -1: "-"
  uint8_t proto = 0;
  Status status = Status::kOk;
  bool reject = false;
  bool egress = false;
  uint8_t traffic_path = 0;  // 0: "-"
  uint8_t src_service = 0, dst_service = 0;
  int8_t encryption = -1;  // -1: "-"
  uint8_t lost_kind = 0;   // 0 none, else 1 + index of packets-lost-no-route..ttl-expired
};

struct Endpoint {
  Addr addr;
  int32_t iface = -1;   // the logged ENI/attachment it sits behind, or -1 (internet)
  uint8_t service = 0;  // kServices index of a public address
};

// One connection (or one-way exchange) within one aggregation interval.
struct Conn {
  Endpoint client, server;
  int32_t nat = -1;  // VPC: the NAT gateway ENI between client and a public server
  uint16_t sport = 0, dport = 0, nat_port = 0;
  uint8_t proto = 6;
  uint64_t req_packets = 1, req_bytes = 40, resp_packets = 1, resp_bytes = 40;
  uint64_t req_start = 0, req_end = 0, resp_start = 0, resp_end = 0;
  int16_t client_flags = 0, server_flags = 0;
  bool reject = false;   // a security group drops the request: no response
  uint8_t path_out = 8;  // traffic-path of records leaving the VPC (8: IGW, Nitro)
  int8_t encryption = -1;
  uint8_t lost_kind = 0;  // TGW: the request is dropped at the gateway
};

enum class Phase : uint8_t {
  kComplete,  // SYN and FIN both inside the interval
  kOpening,   // SYN inside, continues past the interval
  kMiddle,    // neither: a long-lived connection's middle interval
  kClosing,   // FIN inside, began before
};

enum class Scenario : uint8_t {
  // VPC
  kWebFromInternet,
  kHealthCheck,
  kLbToWeb,
  kWebToApp,
  kAppToDb,
  kNatEgress,
  kDns,
  kDnsUpstream,
  kIcmp,
  kSsh,
  kProbe,
  kBackup,
  // Transit Gateway
  kTgwSpokeToSpoke,
  kTgwDns,
  kTgwEgress,
  kTgwInbound,
  kTgwIcmp,
  kTgwBackup,
  kTgwDrop,
};

struct Weighted {
  Scenario scenario;
  uint32_t weight;
  bool backup_only;  // only while the nightly backup runs
};
constexpr Weighted kVpcMix[] = {
    {Scenario::kWebFromInternet, 30, false},
    {Scenario::kHealthCheck, 9, false},
    {Scenario::kLbToWeb, 8, false},
    {Scenario::kWebToApp, 12, false},
    {Scenario::kAppToDb, 12, false},
    {Scenario::kNatEgress, 8, false},
    {Scenario::kDns, 9, false},
    {Scenario::kDnsUpstream, 2, false},
    {Scenario::kIcmp, 3, false},
    {Scenario::kSsh, 1, false},
    {Scenario::kProbe, 4, false},
    {Scenario::kBackup, 3, true},
};
constexpr Weighted kTgwMix[] = {
    {Scenario::kTgwSpokeToSpoke, 30, false}, {Scenario::kTgwDns, 20, false},
    {Scenario::kTgwEgress, 25, false},       {Scenario::kTgwInbound, 12, false},
    {Scenario::kTgwIcmp, 3, false},          {Scenario::kTgwBackup, 3, true},
    {Scenario::kTgwDrop, 1, false},
};

// Fields that describe traffic: "-" in NODATA/SKIPDATA records (reference/flowlogs.md
// section 5). The rest (identity, start, end, log-status) stay filled.
bool IsTrafficField(Field f) {
  switch (f) {
    case Field::kVersion:
    case Field::kAccountId:
    case Field::kInterfaceId:
    case Field::kStart:
    case Field::kEnd:
    case Field::kLogStatus:
    case Field::kVpcId:
    case Field::kSubnetId:
    case Field::kInstanceId:
    case Field::kRegion:
    case Field::kAzId:
    case Field::kSublocationType:
    case Field::kSublocationId:
    case Field::kEcsClusterArn:
    case Field::kEcsClusterName:
    case Field::kEcsContainerInstanceArn:
    case Field::kEcsContainerInstanceId:
    case Field::kEcsContainerId:
    case Field::kEcsSecondContainerId:
    case Field::kEcsServiceName:
    case Field::kEcsTaskDefinitionArn:
    case Field::kEcsTaskArn:
    case Field::kEcsTaskId:
    case Field::kResourceId:
    case Field::kInstanceTag:
    case Field::kInstanceTag2:
    case Field::kInterfaceTag:
    case Field::kInterfaceTag2:
    case Field::kAsgTag:
    case Field::kAsgTag2:
    case Field::kInterfaceType:
    case Field::kResourceType:
    case Field::kTgwId:
    case Field::kTgwAttachmentId:
      return false;
    default:
      return true;
  }
}

// Fields Transit Gateway records carry (reference/flowlogs.md section 9).
bool IsTgwRecordField(Field f) {
  if (f >= Field::kResourceType) return true;
  switch (f) {
    case Field::kVersion:
    case Field::kAccountId:
    case Field::kSrcAddr:
    case Field::kDstAddr:
    case Field::kSrcPort:
    case Field::kDstPort:
    case Field::kProtocol:
    case Field::kPackets:
    case Field::kBytes:
    case Field::kStart:
    case Field::kEnd:
    case Field::kLogStatus:
    case Field::kTcpFlags:
    case Field::kType:
    case Field::kRegion:
    case Field::kFlowDirection:
    case Field::kPktSrcAwsService:
    case Field::kPktDstAwsService:
      return true;
    default:
      return false;
  }
}

uint64_t Bytes(Rng& rng, uint64_t packets, uint64_t avg_lo, uint64_t avg_hi) {
  // avg in [40, 1499] keeps bytes within [40, 1500) per packet.
  return packets * rng.Range(avg_lo, avg_hi) + rng.Below(packets);
}

}  // namespace

// ---------------------------------------------------------------------------------------------

class FlowGenerator::Impl {
 public:
  explicit Impl(const GenOptions& o);
  bool Append(std::string& out, size_t min_bytes);
  uint64_t emitted() const { return emitted_; }

 private:
  struct Col {
    Field field;
    bool dash;     // never applies in this mode, or an unknown name
    bool traffic;  // "-" in NODATA/SKIPDATA records
  };

  void BuildVpc();
  void BuildTgw();
  const Rec& NextRecord();
  void MakeStatusRecord(Status s);
  void NextConnection();
  void VpcConnection(Scenario s);
  void TgwConnection(Scenario s);
  void EmitVpc(const Conn& c);
  void EmitTgw(const Conn& c);
  Rec Half(const Conn& c, bool response) const;
  char* WriteRecord(char* p, const Rec& r) const;
  char* WriteField(char* p, Field f, const Rec& r) const;

  // Model helpers.
  int32_t Pick(Role role);
  int32_t PickInternal();
  Endpoint Host(int32_t iface, bool v6);
  Endpoint TgwHost(int32_t att, bool v6);
  Endpoint InternetClient(bool v6);
  Endpoint Scanner(bool v6);
  Endpoint PublicServer(bool v6, bool aws_share);
  uint16_t Ephemeral() { return static_cast<uint16_t>(rng_.Range(kEphemeralLo, kEphemeralHi)); }
  Phase DrawPhase(uint32_t complete, uint32_t opening, uint32_t middle);
  void Time(Conn& c, Phase phase, uint64_t typical_seconds);
  void Flags(Conn& c, Phase phase);
  bool BackupRunning(uint64_t t) const;
  uint64_t WindowStart() const { return o_.start + window_ * interval_; }
  uint64_t WindowLength() const {
    return std::min<uint64_t>(interval_, span_ - window_ * interval_);
  }

  GenOptions o_;
  Rng rng_;
  bool tgw_;
  uint64_t interval_, span_, windows_, window_ = 0;
  uint64_t backup_fallback_ = UINT64_MAX;  // spans without a night: backups run from here on
  uint64_t emitted_ = 0;
  bool header_done_ = false;

  std::vector<Col> cols_;
  std::string version_;
  const Region* region_ = &kRegions[0];
  std::vector<Iface> ifaces_;
  std::vector<int32_t> by_role_[static_cast<size_t>(Role::kCount)];
  std::string tgw_owner_, tgw_id_;
  uint64_t client_salt_, scanner_salt_, saas_salt_;
  std::span<const Weighted> mix_;
  uint32_t mix_weight_ = 0, mix_weight_backup_ = 0;

  std::vector<Rec> queue_;
  size_t head_ = 0;
  Rec status_rec_;
  std::vector<char> line_;
};

FlowGenerator::Impl::Impl(const GenOptions& o)
    : o_(o), rng_(o.seed), tgw_(o.format.IsTransitGateway()) {
  // TGW flow logs aggregate over 60 s only (reference/flowlogs.md section 6).
  interval_ = tgw_ ? 60 : std::max<uint32_t>(o.interval, 1);
  const double seconds = o.hours * 3600.0;
  span_ = seconds >= 1.0 ? static_cast<uint64_t>(seconds) : 1;
  windows_ = (span_ + interval_ - 1) / interval_;
  if (o_.interfaces == 0) o_.interfaces = 1;

  uint8_t version = 0;
  size_t max_line = 64;
  for (size_t i = 0; i < o_.format.size(); ++i) {
    const Field f = o_.format.field(i);
    const bool known = f != Field::kUnknown;
    if (known) version = std::max(version, InfoOf(f).version);
    const bool applies = known && (tgw_ ? IsTgwRecordField(f) : f < Field::kResourceType);
    cols_.push_back({f, !applies, known && IsTrafficField(f)});
    max_line += 256;  // longest value: an ECS container-instance ARN, ~120 bytes
  }
  version_ = std::to_string(version == 0 ? 2 : version);
  line_.resize(max_line);

  client_salt_ = rng_.Next();
  scanner_salt_ = rng_.Next();
  saas_salt_ = rng_.Next();
  region_ = &rng_.Of(kRegions);
  if (tgw_) {
    BuildTgw();
  } else {
    BuildVpc();
  }
  for (size_t i = 0; i < ifaces_.size(); ++i) {
    by_role_[static_cast<size_t>(ifaces_[i].role)].push_back(static_cast<int32_t>(i));
  }
  mix_ = tgw_ ? std::span<const Weighted>(kTgwMix) : std::span<const Weighted>(kVpcMix);
  for (const Weighted& w : mix_) {
    mix_weight_backup_ += w.weight;
    if (!w.backup_only) mix_weight_ += w.weight;
  }

  // The nightly backup runs 01:00-03:00 UTC. A span that holds no such night gets one in its
  // last quarter, so that short benchmark spans carry backup volumes too.
  bool night = false;
  for (uint64_t w = 0; w < windows_ && !night; ++w) night = BackupRunning(o_.start + w * interval_);
  if (!night) backup_fallback_ = o_.start + span_ - span_ / 4;
  queue_.reserve(8);
}

bool FlowGenerator::Impl::BackupRunning(uint64_t t) const {
  return (t + 86400 - 3600) % 86400 < 7200 || t >= backup_fallback_;
}

void FlowGenerator::Impl::BuildVpc() {
  Rng& r = rng_;
  const std::string accounts[3] = {std::to_string(r.Range(100000000000, 999999999999)),
                                   std::to_string(r.Range(100000000000, 999999999999)),
                                   "000" + Digits(r, 9)};  // leading zeros: a string, not a number
  const std::string vpc = HexId(r, "vpc-");
  const uint32_t v4_base = 10u << 24 | static_cast<uint32_t>(r.Below(64)) << 16;  // 10.x/16
  // The VPC's /56 (one draw: the order of evaluation of '|' operands is unspecified); the low
  // byte numbers subnets.
  const uint64_t v6_base = uint64_t{region_->v6_pool} << 32 | (r.Next() & 0xFFFFFF) << 8;
  std::string subnets[4][3];  // tier x AZ: public, app, data, ops
  for (auto& tier : subnets) {
    for (std::string& s : tier) s = HexId(r, "subnet-");
  }

  const uint32_t n = o_.interfaces;
  std::vector<Role> roles;
  if (n < 10) {
    constexpr Role kOrder[] = {Role::kWeb, Role::kApp, Role::kDb,     Role::kNat, Role::kDns,
                               Role::kLb,  Role::kOps, Role::kBackup, Role::kWeb, Role::kApp};
    roles.assign(kOrder, kOrder + n);
  } else {
    const uint32_t nat = std::clamp<uint32_t>(n / 60, 1, 3),
                   lb = std::clamp<uint32_t>(n / 40, 2, 6),
                   dns = std::clamp<uint32_t>(n / 100, 1, 2);
    const uint32_t rest = n - nat - lb - dns - 2, web = rest * 40 / 100, app = rest * 35 / 100;
    roles.insert(roles.end(), nat, Role::kNat);
    roles.insert(roles.end(), lb, Role::kLb);
    roles.insert(roles.end(), dns, Role::kDns);
    roles.push_back(Role::kBackup);
    roles.push_back(Role::kOps);
    roles.insert(roles.end(), web, Role::kWeb);
    roles.insert(roles.end(), app, Role::kApp);
    roles.insert(roles.end(), rest - web - app, Role::kDb);
  }

  constexpr std::string_view kTeams[] = {"frontend", "payments%20api", "data", "platform",
                                         "search"};
  constexpr std::string_view kServicesEcs[] = {"orders-api", "cart", "checkout", "catalog"};
  uint32_t counters[static_cast<size_t>(Role::kCount)] = {};
  uint32_t nat_seen = 0;
  for (const Role role : roles) {
    Iface f;
    f.role = role;
    const uint32_t tier = role == Role::kWeb || role == Role::kNat || role == Role::kLb ? 0
                          : role == Role::kApp                                          ? 1
                          : role == Role::kDb                                           ? 2
                                                                                        : 3;
    f.az = static_cast<uint8_t>(role == Role::kNat ? nat_seen++ % 3 : r.Below(3));
    const uint32_t subnet_base = v4_base | (tier * 64 + f.az * 16u) << 8;  // a /20 per subnet
    f.v4 = V4(subnet_base + static_cast<uint32_t>(r.Range(4, 4094)));
    f.v6 = V6(v6_base | (tier * 3 + f.az), r.Next());
    const double u = r.Unit();  // shared-VPC participants own a few ENIs
    f.account = accounts[u < 0.05 ? 1 : u < 0.07 ? 2 : 0];
    f.id = HexId(r, "eni-");
    f.vpc = vpc;
    f.subnet = subnets[tier][f.az];
    f.az_id = std::string(region_->az[f.az]);
    const bool managed = role == Role::kNat || role == Role::kLb;  // requester-managed ENIs
    f.instance = managed ? "-" : HexId(r, "i-");
    f.itype = role == Role::kNat  ? "nat_gateway"
              : role == Role::kLb ? "network_load_balancer"
                                  : "-";
    f.resource_id = role == Role::kNat ? HexId(r, "nat-") : "-";
    const std::string name = "prod-" + std::string(kRoleNames[static_cast<size_t>(role)]) + "-" +
                             std::to_string(++counters[static_cast<size_t>(role)]);
    f.tags = {managed ? "-" : name,
              managed ? "-" : std::string(r.Of(kTeams)),
              role == Role::kNat ? "egress-" + f.az_id : "-",
              "-",
              role == Role::kWeb || role == Role::kApp
                  ? "prod-" + std::string(kRoleNames[static_cast<size_t>(role)]) + "-asg"
                  : "-",
              "-"};
    f.ecs.fill("-");
    if (role == Role::kApp && r.Chance(0.35)) {  // an awsvpc-mode ECS task's ENI
      const std::string arn = "arn:aws:ecs:" + std::string(region_->name) + ":" + f.account + ":";
      const std::string cluster = "prod-app";
      const bool fargate = r.Chance(0.5);
      const std::string service(r.Of(kServicesEcs));
      const std::string task = HexId(r, "", 32);
      const std::string container_instance = HexId(r, "", 32);
      f.ecs = {arn + "cluster/" + cluster,
               cluster,
               fargate ? "-" : arn + "container-instance/" + cluster + "/" + container_instance,
               fargate ? "-" : container_instance,
               HexId(r, "", 64),
               r.Chance(0.5) ? HexId(r, "", 64) : "-",
               service,
               arn + "task-definition/" + service + ":" + std::to_string(r.Range(3, 120)),
               arn + "task/" + cluster + "/" + task,
               task};
      if (fargate) f.instance = "-";
    }
    ifaces_.push_back(std::move(f));
  }
  // Make sure the second and third accounts appear in any network of some size.
  if (n >= 4) {
    for (int a = 1; a <= 2; ++a) {
      if (std::none_of(ifaces_.begin(), ifaces_.end(),
                       [&](const Iface& f) { return f.account == accounts[a]; })) {
        ifaces_[r.Below(n)].account = accounts[a];
      }
    }
  }
}

void FlowGenerator::Impl::BuildTgw() {
  Rng& r = rng_;
  tgw_owner_ = std::to_string(r.Range(100000000000, 999999999999));  // the network account
  tgw_id_ = HexId(r, "tgw-");
  std::string spoke_accounts[5];
  for (std::string& a : spoke_accounts) a = std::to_string(r.Range(100000000000, 999999999999));
  spoke_accounts[4] = "00" + Digits(r, 10);
  for (uint32_t i = 0; i < o_.interfaces; ++i) {
    Iface f;
    f.role = i == 0 ? Role::kEgressVpc : i == 1 ? Role::kSharedVpc : Role::kSpokeVpc;
    f.az = static_cast<uint8_t>(r.Below(3));
    f.v4 = V4(10u << 24 | (i & 4095) << 12);                                 // one /20 per VPC
    f.v6 = V6(uint64_t{region_->v6_pool} << 32 | r.Below(1 << 24) << 8, 0);  // its /56
    f.account = i < 2 ? tgw_owner_ : r.Of(spoke_accounts);
    f.id = HexId(r, "tgw-attach-");
    f.vpc = HexId(r, "vpc-");
    f.subnet = HexId(r, "subnet-");
    f.tgw_eni = HexId(r, "eni-");
    f.az_id = std::string(region_->az[f.az]);
    f.itype = "transit_gateway";
    ifaces_.push_back(std::move(f));
  }
}

// --- Picking endpoints -----------------------------------------------------------------------

int32_t FlowGenerator::Impl::Pick(Role role) {
  const std::vector<int32_t>* v = &by_role_[static_cast<size_t>(role)];
  if (v->empty()) v = &by_role_[static_cast<size_t>(tgw_ ? Role::kSpokeVpc : Role::kWeb)];
  if (v->empty()) return static_cast<int32_t>(rng_.Below(ifaces_.size()));
  return (*v)[rng_.Below(v->size())];
}

int32_t FlowGenerator::Impl::PickInternal() {
  constexpr Role kHosts[] = {Role::kWeb, Role::kWeb, Role::kApp, Role::kApp, Role::kDb};
  return Pick(rng_.Of(kHosts));
}

Endpoint FlowGenerator::Impl::Host(int32_t iface, bool v6) {
  const Iface& f = ifaces_[iface];
  return {v6 ? f.v6 : f.v4, iface, 0};
}

Endpoint FlowGenerator::Impl::TgwHost(int32_t att, bool v6) {
  const Iface& f = ifaces_[att];
  if (v6) {
    const uint64_t subnet = rng_.Below(4);  // separate statements: argument order is unspecified
    return {V6(f.v6.hi | subnet, rng_.Next()), att, 0};
  }
  return {V4(static_cast<uint32_t>(f.v4.lo) + static_cast<uint32_t>(rng_.Range(4, 4090))), att, 0};
}

// Internet clients: a fixed pool, drawn with a cubic skew so a few heavy clients recur often and
// most appear rarely, as in real access logs.
Endpoint FlowGenerator::Impl::InternetClient(bool v6) {
  const double u = rng_.Unit();
  const uint64_t h = Hash64(client_salt_, static_cast<uint64_t>(u * u * u * kInternetClients));
  if (v6) {
    const uint64_t prefix = kPublicV6Prefixes[h % std::size(kPublicV6Prefixes)];
    return {V6(prefix << 32 | (h >> 32), Hash64(client_salt_, h)), -1, 0};
  }
  const uint32_t a = kPublicFirstOctets[h % std::size(kPublicFirstOctets)];
  return {V4(a, (h >> 16) & 255, (h >> 24) & 255, 1 + (h >> 32) % 254), -1, 0};
}

Endpoint FlowGenerator::Impl::Scanner(bool v6) {
  const uint64_t h = Hash64(scanner_salt_, rng_.Below(kScanners));
  if (v6) return {V6(uint64_t{0x2a0e97c0} << 32 | (h >> 40), h & 0xFFFF), -1, 0};
  const uint32_t a = kPublicFirstOctets[h % std::size(kPublicFirstOctets)];
  return {V4(a, (h >> 16) & 255, (h >> 24) & 255, 1 + (h >> 32) % 254), -1, 0};
}

// A server on the internet: an AWS service endpoint (with its pkt-*-aws-service name) or one of
// a few thousand SaaS/API hosts.
Endpoint FlowGenerator::Impl::PublicServer(bool v6, bool aws_share) {
  if (v6) {
    const uint64_t h = Hash64(saas_salt_, rng_.Below(kSaasHosts));
    return {V6(uint64_t{0x26064700} << 32 | (h >> 48), h & 0xFFFFFFFF), -1, 0};
  }
  if (aws_share && rng_.Chance(0.4)) {
    const uint8_t s = static_cast<uint8_t>(rng_.Range(1, 6));
    return {V4(kServices[s].base + static_cast<uint32_t>(rng_.Below(kServices[s].size))), -1, s};
  }
  const uint64_t h = Hash64(saas_salt_, rng_.Below(kSaasHosts));
  const uint32_t a = kPublicFirstOctets[h % std::size(kPublicFirstOctets)];
  return {V4(a, (h >> 16) & 255, (h >> 24) & 255, 1 + (h >> 32) % 254), -1, 0};
}

// --- Time and flags ---------------------------------------------------------------------------

Phase FlowGenerator::Impl::DrawPhase(uint32_t complete, uint32_t opening, uint32_t middle) {
  const uint64_t x = rng_.Below(100);
  if (x < complete) return Phase::kComplete;
  if (x < complete + opening) return Phase::kOpening;
  if (x < complete + opening + middle) return Phase::kMiddle;
  return Phase::kClosing;
}

// Start/end of both directions within the current interval: start < interval start + the
// interval's share of the span, end <= the interval's last second, start == end for one packet.
void FlowGenerator::Impl::Time(Conn& c, Phase phase, uint64_t typical_seconds) {
  const uint64_t ws = WindowStart(), wlen = WindowLength(), last = ws + interval_ - 1;
  const uint64_t edge = std::min<uint64_t>(interval_, 30);  // slack at the interval's edges
  uint64_t t0 = 0, t1 = 0;
  switch (phase) {
    case Phase::kComplete:
      t0 = ws + rng_.Below(wlen);
      t1 = std::min(last, t0 + rng_.LogUniform(1, typical_seconds + 1) - 1);
      break;
    case Phase::kOpening:
      t0 = ws + rng_.Below(wlen);
      t1 = std::max(t0, last - rng_.Below(edge));
      break;
    case Phase::kMiddle:
      t0 = ws + rng_.Below(std::min(wlen, edge));
      t1 = std::max(t0, last - rng_.Below(edge));
      break;
    case Phase::kClosing:
      t0 = ws + rng_.Below(std::min(wlen, edge));
      t1 = t0 + rng_.Below(last - t0 + 1);
      break;
  }
  c.req_start = t0;
  c.req_end = c.req_packets == 1 ? t0 : t1;
  c.resp_start = std::min(t1, t0 + rng_.Below(2));
  c.resp_end = c.resp_packets == 1 ? c.resp_start : t1;
}

// tcp-flags ORed over the interval (reference/flowlogs.md section 3): the client's side carries
// SYN (2) and FIN (1), the server's SYN-ACK (18) and FIN; 4 = RST. Non-TCP: 0.
void FlowGenerator::Impl::Flags(Conn& c, Phase phase) {
  if (c.proto != 6) {
    c.client_flags = c.server_flags = 0;
    return;
  }
  switch (phase) {
    case Phase::kComplete:
      c.client_flags = 3;
      c.server_flags = rng_.Chance(0.03) ? 23 : 19;
      break;
    case Phase::kOpening:
      c.client_flags = 2, c.server_flags = 18;
      break;
    case Phase::kMiddle:
      c.client_flags = c.server_flags = 0;
      break;
    case Phase::kClosing:
      c.client_flags = c.server_flags = 1;
      break;
  }
}

// --- Scenarios --------------------------------------------------------------------------------

void FlowGenerator::Impl::NextConnection() {
  const bool backup = BackupRunning(WindowStart());
  uint64_t x = rng_.Below(backup ? mix_weight_backup_ : mix_weight_);
  for (const Weighted& w : mix_) {
    if (w.backup_only && !backup) continue;
    if (x < w.weight) return tgw_ ? TgwConnection(w.scenario) : VpcConnection(w.scenario);
    x -= w.weight;
  }
}

void FlowGenerator::Impl::VpcConnection(Scenario s) {
  Rng& r = rng_;
  const bool v6 = r.Chance(o_.ipv6_share);
  Conn c;
  c.sport = Ephemeral();
  Phase phase = Phase::kComplete;
  uint64_t typical = 30;
  switch (s) {
    case Scenario::kWebFromInternet: {
      c.server = Host(Pick(Role::kWeb), v6);
      c.client = InternetClient(v6);
      if (!v6 && r.Chance(0.03)) {  // Route 53 health checkers probe the site too
        const AwsService& hc = kServices[kRoute53HealthChecks];
        c.client = {V4(hc.base + static_cast<uint32_t>(r.Below(hc.size))), -1,
                    kRoute53HealthChecks};
      }
      c.dport = r.Chance(0.85) ? 443 : 80;
      c.resp_packets = r.LogUniform(3, 3000);
      c.req_packets = 2 + r.Below(c.resp_packets / 2 + 2);
      c.req_bytes = Bytes(r, c.req_packets, 52, 400);
      c.resp_bytes = Bytes(r, c.resp_packets, 300, 1400);
      c.encryption = c.dport == 443 ? 2 : 0;
      phase = DrawPhase(75, 10, 8);
      break;
    }
    case Scenario::kHealthCheck: {  // load balancer -> target, every few seconds
      c.client = Host(Pick(Role::kLb), v6);
      const bool web = r.Chance(0.6);
      c.server = Host(Pick(web ? Role::kWeb : Role::kApp), v6);
      c.dport = web ? 80 : 8080;
      c.req_packets = r.Range(5, 7);
      c.resp_packets = r.Range(4, 6);
      c.req_bytes = Bytes(r, c.req_packets, 60, 110);
      c.resp_bytes = Bytes(r, c.resp_packets, 90, 250);
      c.encryption = 1;
      typical = 1;
      break;
    }
    case Scenario::kLbToWeb: {
      c.client = Host(Pick(Role::kLb), v6);
      c.server = Host(Pick(Role::kWeb), v6);
      c.dport = r.Chance(0.7) ? 80 : 8080;
      c.resp_packets = r.LogUniform(3, 5000);
      c.req_packets = 2 + r.Below(c.resp_packets / 2 + 2);
      c.req_bytes = Bytes(r, c.req_packets, 60, 700);
      c.resp_bytes = Bytes(r, c.resp_packets, 300, 1400);
      c.encryption = 1;
      phase = DrawPhase(50, 10, 30);
      break;
    }
    case Scenario::kWebToApp: {
      constexpr uint16_t kAppPorts[] = {8080, 8443, 9000, 3000};
      c.client = Host(Pick(Role::kWeb), v6);
      c.server = Host(Pick(Role::kApp), v6);
      c.dport = r.Of(kAppPorts);
      c.req_packets = r.LogUniform(3, 300);
      c.resp_packets = r.LogUniform(3, 800);
      c.req_bytes = Bytes(r, c.req_packets, 80, 900);
      c.resp_bytes = Bytes(r, c.resp_packets, 100, 1300);
      c.encryption = c.dport == 8443 ? 3 : 1;
      phase = DrawPhase(60, 10, 20);
      break;
    }
    case Scenario::kAppToDb: {  // databases talk only to the app tier, over pooled connections
      c.client = Host(r.Chance(0.9) ? Pick(Role::kApp) : Pick(Role::kWeb), v6);
      c.server = Host(Pick(Role::kDb), v6);
      c.dport = r.Chance(0.65) ? 5432 : 3306;
      c.req_packets = r.LogUniform(2, 2000);
      c.resp_packets = r.LogUniform(2, 5000);
      c.req_bytes = Bytes(r, c.req_packets, 80, 700);
      c.resp_bytes = Bytes(r, c.resp_packets, 100, 1400);
      c.encryption = 1;
      phase = DrawPhase(30, 10, 50);
      break;
    }
    case Scenario::kNatEgress:
    case Scenario::kDnsUpstream: {
      const bool dns = s == Scenario::kDnsUpstream;
      const int32_t client = dns ? Pick(Role::kDns) : PickInternal();
      c.client = Host(client, v6);
      if (dns) {
        c.server = {v6 ? r.Of(kUpstreamResolversV6) : r.Of(kUpstreamResolvers), -1, 0};
        c.proto = 17;
        c.dport = 53;
        c.req_packets = r.Range(1, 3);
        c.resp_packets = c.req_packets;
        c.req_bytes = Bytes(r, c.req_packets, 60, 100);
        c.resp_bytes = Bytes(r, c.resp_packets, 90, 500);
        c.encryption = 0;
        typical = 0;
      } else {
        c.server = PublicServer(v6, true);
        c.dport = r.Chance(0.9) ? 443 : 80;
        c.req_packets = r.LogUniform(3, 300);
        c.resp_packets = r.LogUniform(3, 3000);
        c.req_bytes = Bytes(r, c.req_packets, 80, 900);
        c.resp_bytes = Bytes(r, c.resp_packets, 200, 1400);
        c.encryption = c.dport == 443 ? 2 : 0;
        phase = DrawPhase(70, 10, 12);
      }
      // IPv6 leaves through the egress-only internet gateway (traffic-path 2), IPv4 through the
      // NAT gateway of the client's AZ when there is one.
      const auto& nats = by_role_[static_cast<size_t>(Role::kNat)];
      if (v6) {
        c.path_out = 2;
      } else if (!nats.empty()) {
        c.nat = nats[rng_.Below(nats.size())];
        for (int32_t n : nats) {
          if (ifaces_[n].az == ifaces_[client].az) c.nat = n;
        }
        c.nat_port = static_cast<uint16_t>(r.Range(1024, 65535));
      }
      break;
    }
    case Scenario::kDns: {
      c.client = Host(PickInternal(), v6);
      c.server = Host(Pick(Role::kDns), v6);
      c.proto = 17;
      c.dport = 53;
      c.req_packets = r.Range(1, 4);
      c.resp_packets = c.req_packets;
      c.req_bytes = Bytes(r, c.req_packets, 60, 100);
      c.resp_bytes = Bytes(r, c.resp_packets, 90, 400);
      c.encryption = 1;
      typical = 0;
      break;
    }
    case Scenario::kIcmp: {  // monitoring pings, and pings from the internet (often refused)
      const bool internet = r.Chance(0.3);
      c.client = internet ? InternetClient(v6) : Host(Pick(Role::kOps), v6);
      c.server = Host(internet ? Pick(Role::kWeb) : PickInternal(), v6);
      c.proto = v6 ? 58 : 1;
      c.sport = c.dport = 0;
      c.req_packets = r.LogUniform(1, 10);
      c.resp_packets = c.req_packets;
      c.req_bytes = c.req_packets * (v6 ? 104 : 84);  // default ping: 56 data bytes + headers
      c.resp_bytes = c.req_bytes;
      c.reject = internet && r.Chance(0.5);
      c.encryption = internet ? 0 : 1;
      typical = 10;
      break;
    }
    case Scenario::kSsh: {
      c.client = Host(Pick(Role::kOps), v6);
      c.server = Host(PickInternal(), v6);
      c.dport = 22;
      c.req_packets = r.LogUniform(20, 3000);
      c.resp_packets = r.LogUniform(20, 3000);
      c.req_bytes = Bytes(r, c.req_packets, 52, 200);
      c.resp_bytes = Bytes(r, c.resp_packets, 52, 500);
      c.encryption = 1;
      phase = DrawPhase(40, 20, 30);
      typical = 300;
      break;
    }
    case Scenario::kProbe: {  // internet scanners hitting closed ports: one packet, refused
      c.client = Scanner(v6);
      c.server = Host(Pick(r.Chance(0.7) ? Role::kWeb : Role::kLb), v6);
      c.proto = r.Chance(0.85) ? 6 : 17;
      c.sport = r.Chance(0.3) ? 54321 : Ephemeral();
      c.dport = r.Chance(0.6) ? r.Of(kProbePorts) : static_cast<uint16_t>(r.Range(1, 65535));
      c.req_packets = 1;
      c.req_bytes = r.Range(40, 60);
      c.reject = true;
      c.encryption = 0;
      typical = 0;
      break;
    }
    case Scenario::kBackup: {  // nightly dump: database -> backup server, large and steady
      c.client = Host(r.Chance(0.7) ? Pick(Role::kDb) : Pick(Role::kApp), v6);
      c.server = Host(Pick(Role::kBackup), v6);
      c.dport = 873;  // rsync
      c.req_packets = r.LogUniform(20000, 400000);
      c.resp_packets = c.req_packets / 4 + r.Below(c.req_packets / 8 + 1);
      c.req_bytes = Bytes(r, c.req_packets, 1300, 1460);
      c.resp_bytes = Bytes(r, c.resp_packets, 52, 66);
      c.encryption = 1;
      phase = DrawPhase(10, 20, 50);
      typical = 600;
      break;
    }
    default:
      break;
  }
  Time(c, phase, typical);
  Flags(c, phase);
  if (s == Scenario::kProbe && c.proto == 6) c.client_flags = 2;  // a bare SYN
  EmitVpc(c);
}

void FlowGenerator::Impl::TgwConnection(Scenario s) {
  Rng& r = rng_;
  const bool v6 = r.Chance(o_.ipv6_share);
  Conn c;
  c.sport = Ephemeral();
  Phase phase = Phase::kComplete;
  uint64_t typical = 30;
  const int32_t spoke = Pick(Role::kSpokeVpc);
  switch (s) {
    case Scenario::kTgwSpokeToSpoke:
    case Scenario::kTgwIcmp: {
      // Another spoke VPC: attachments 2.. are the spokes, so the next one differs.
      const size_t spokes = by_role_[static_cast<size_t>(Role::kSpokeVpc)].size();
      int32_t other = Pick(Role::kSpokeVpc);
      if (other == spoke && spokes > 1) other = 2 + (other - 2 + 1) % static_cast<int32_t>(spokes);
      c.client = TgwHost(spoke, v6);
      c.server = TgwHost(other, v6);
      if (s == Scenario::kTgwIcmp) {
        c.proto = v6 ? 58 : 1;
        c.sport = c.dport = 0;
        c.req_packets = c.resp_packets = r.LogUniform(1, 10);
        c.req_bytes = c.resp_bytes = c.req_packets * (v6 ? 104 : 84);
        typical = 10;
        break;
      }
      constexpr uint16_t kPorts[] = {5432, 3306, 443, 8080, 6379};
      c.dport = r.Of(kPorts);
      c.req_packets = r.LogUniform(2, 2000);
      c.resp_packets = r.LogUniform(2, 5000);
      c.req_bytes = Bytes(r, c.req_packets, 80, 700);
      c.resp_bytes = Bytes(r, c.resp_packets, 100, 1400);
      phase = DrawPhase(40, 10, 40);
      break;
    }
    case Scenario::kTgwDns: {
      const int32_t shared = Pick(Role::kSharedVpc);
      c.client = TgwHost(spoke, v6);
      const Iface& f = ifaces_[shared];
      c.server = {v6 ? V6(f.v6.hi, 0x53 + r.Below(2))
                     : V4(static_cast<uint32_t>(f.v4.lo) + 10 + static_cast<uint32_t>(r.Below(2))),
                  shared, 0};
      c.proto = 17;
      c.dport = 53;
      c.req_packets = r.Range(1, 4);
      c.resp_packets = c.req_packets;
      c.req_bytes = Bytes(r, c.req_packets, 60, 100);
      c.resp_bytes = Bytes(r, c.resp_packets, 90, 400);
      typical = 0;
      break;
    }
    case Scenario::kTgwEgress: {
      c.client = TgwHost(spoke, v6);
      c.server = PublicServer(v6, true);
      c.server.iface = Pick(Role::kEgressVpc);
      c.dport = r.Chance(0.9) ? 443 : 80;
      c.req_packets = r.LogUniform(3, 300);
      c.resp_packets = r.LogUniform(3, 3000);
      c.req_bytes = Bytes(r, c.req_packets, 80, 900);
      c.resp_bytes = Bytes(r, c.resp_packets, 200, 1400);
      phase = DrawPhase(70, 10, 12);
      break;
    }
    case Scenario::kTgwInbound: {
      c.client = InternetClient(v6);
      c.client.iface = Pick(Role::kEgressVpc);
      c.server = TgwHost(spoke, v6);
      c.dport = r.Chance(0.85) ? 443 : 80;
      c.resp_packets = r.LogUniform(3, 3000);
      c.req_packets = 2 + r.Below(c.resp_packets / 2 + 2);
      c.req_bytes = Bytes(r, c.req_packets, 52, 400);
      c.resp_bytes = Bytes(r, c.resp_packets, 300, 1400);
      phase = DrawPhase(75, 10, 8);
      break;
    }
    case Scenario::kTgwBackup: {
      c.client = TgwHost(spoke, v6);
      c.server = TgwHost(Pick(Role::kSharedVpc), v6);
      c.dport = 873;
      c.req_packets = r.LogUniform(20000, 400000);
      c.resp_packets = c.req_packets / 4 + r.Below(c.req_packets / 8 + 1);
      c.req_bytes = Bytes(r, c.req_packets, 1300, 1460);
      c.resp_bytes = Bytes(r, c.resp_packets, 52, 66);
      phase = DrawPhase(10, 20, 50);
      typical = 600;
      break;
    }
    case Scenario::kTgwDrop: {  // a stale route: the gateway drops the request
      c.client = TgwHost(spoke, v6);
      // An unrouted destination; drawn in separate statements (argument order is unspecified).
      const uint64_t a = r.Next(), b = r.Next();
      c.server = {
          v6 ? V6(0xfd00000000000000ull | (a >> 16), b)
             : V4(172, 16 + static_cast<uint32_t>(a % 16), static_cast<uint32_t>((a >> 8) & 255),
                  1 + static_cast<uint32_t>(b % 254)),
          -1, 0};
      c.dport = r.Chance(0.5) ? 443 : static_cast<uint16_t>(r.Range(1024, 9999));
      c.req_packets = r.LogUniform(1, 20);
      c.req_bytes = Bytes(r, c.req_packets, 40, 120);
      const uint64_t x = r.Below(10);
      c.lost_kind = x < 6 ? 1 : x < 9 ? 2 : 4;  // no-route, blackhole, ttl-expired
      c.reject = true;
      typical = 20;
      break;
    }
    default:
      break;
  }
  Time(c, phase, typical);
  Flags(c, phase);
  EmitTgw(c);
}

// --- Records ----------------------------------------------------------------------------------

// The request (client -> server) or response half of `c`, seen on no interface yet.
Rec FlowGenerator::Impl::Half(const Conn& c, bool response) const {
  Rec r;
  const Endpoint& from = response ? c.server : c.client;
  const Endpoint& to = response ? c.client : c.server;
  r.src = r.pkt_src = from.addr;
  r.dst = r.pkt_dst = to.addr;
  r.src_service = from.service;
  r.dst_service = to.service;
  r.sport = response ? c.dport : c.sport;
  r.dport = response ? c.sport : c.dport;
  r.proto = c.proto;
  r.packets = response ? c.resp_packets : c.req_packets;
  r.bytes = response ? c.resp_bytes : c.req_bytes;
  r.start = response ? c.resp_start : c.req_start;
  r.end = response ? c.resp_end : c.req_end;
  r.flags = response ? c.server_flags : c.client_flags;
  r.encryption = c.encryption;
  return r;
}

// Records on every logged ENI the connection crosses, in the order the packets cross them. A
// NAT gateway ENI shows its own address in srcaddr/dstaddr and the far end in pkt-*
// (reference/flowlogs.md section 10; AWS's NAT example, fixtures/aws-examples/06).
void FlowGenerator::Impl::EmitVpc(const Conn& c) {
  const bool nat = c.nat >= 0;
  const Addr nat_addr = nat ? ifaces_[c.nat].v4 : Addr{};
  // Request: client -> [NAT ->] server.
  if (c.client.iface >= 0) {
    Rec r = Half(c, false);
    r.iface = c.client.iface;
    r.egress = true;
    r.peer = nat ? c.nat : c.server.iface;
    r.traffic_path = nat || c.server.iface >= 0 ? 1 : c.path_out;
    queue_.push_back(r);
  }
  if (nat) {
    Rec in = Half(c, false);
    in.iface = c.nat;
    in.dst = nat_addr;
    in.peer = c.client.iface;
    queue_.push_back(in);
    Rec out = Half(c, false);
    out.iface = c.nat;
    out.src = out.pkt_src = nat_addr;
    out.sport = c.nat_port;
    out.egress = true;
    out.traffic_path = c.path_out;
    queue_.push_back(out);
  }
  if (c.server.iface >= 0) {
    Rec r = Half(c, false);
    r.iface = c.server.iface;
    r.peer = c.client.iface;
    r.reject = c.reject;
    queue_.push_back(r);
  }
  if (c.reject) return;
  // Response: server -> [NAT ->] client.
  if (c.server.iface >= 0) {
    Rec r = Half(c, true);
    r.iface = c.server.iface;
    r.egress = true;
    r.peer = c.client.iface;
    r.traffic_path = c.client.iface >= 0 ? 1 : c.path_out;
    queue_.push_back(r);
  }
  if (nat) {
    Rec in = Half(c, true);
    in.iface = c.nat;
    in.dst = in.pkt_dst = nat_addr;
    in.dport = c.nat_port;
    queue_.push_back(in);
    Rec out = Half(c, true);
    out.iface = c.nat;
    out.src = nat_addr;
    out.egress = true;
    out.peer = c.client.iface;
    out.traffic_path = 1;
    queue_.push_back(out);
  }
  if (c.client.iface >= 0) {
    Rec r = Half(c, true);
    r.iface = c.client.iface;
    r.peer = nat ? c.nat : c.server.iface;
    queue_.push_back(r);
  }
}

// Transit Gateway: each direction is logged where it enters the gateway (ingress on the sender's
// attachment) and where it leaves (egress on the receiver's).
void FlowGenerator::Impl::EmitTgw(const Conn& c) {
  for (const bool response : {false, true}) {
    if (response && c.reject) break;
    const Endpoint& from = response ? c.server : c.client;
    const Endpoint& to = response ? c.client : c.server;
    Rec r = Half(c, response);
    r.src_side = from.iface;
    r.dst_side = to.iface;
    r.iface = from.iface;
    r.peer = to.iface;
    if (c.lost_kind != 0 && !response) {
      r.lost_kind = c.lost_kind;
      r.lost = r.packets;
    }
    queue_.push_back(r);
    if (to.iface >= 0) {
      r.iface = to.iface;
      r.peer = from.iface;
      r.egress = true;
      queue_.push_back(r);
    }
  }
}

void FlowGenerator::Impl::MakeStatusRecord(Status s) {
  Rec& r = status_rec_;
  r = Rec{};
  r.status = s;
  r.iface = static_cast<int32_t>(rng_.Below(ifaces_.size()));
  const uint64_t ws = WindowStart(), last = ws + interval_ - 1;
  const uint64_t edge = std::max<uint64_t>(interval_ / 10, 1);
  r.start = ws + rng_.Below(std::min(WindowLength(), edge));
  r.end = std::max(r.start, last - rng_.Below(edge));
}

const Rec& FlowGenerator::Impl::NextRecord() {
  const double u = rng_.Unit();
  if (u < kNoDataShare + kSkipDataShare) {
    MakeStatusRecord(u < kNoDataShare ? Status::kNoData : Status::kSkipData);
    return status_rec_;
  }
  if (head_ == queue_.size()) {
    queue_.clear();
    head_ = 0;
    // Interval k holds records up to the k-th of `windows_` equal shares of the total.
    while (window_ + 1 < windows_ &&
           static_cast<unsigned __int128>(emitted_) * windows_ >=
               static_cast<unsigned __int128>(o_.records) * (window_ + 1)) {
      ++window_;
    }
    while (queue_.empty()) NextConnection();
  }
  return queue_[head_++];
}

char* FlowGenerator::Impl::WriteRecord(char* p, const Rec& r) const {
  const bool ok = r.status == Status::kOk;
  for (size_t i = 0; i < cols_.size(); ++i) {
    if (i != 0) *p++ = ' ';
    const Col& col = cols_[i];
    if (col.dash || (!ok && col.traffic)) {
      *p++ = '-';
    } else {
      p = WriteField(p, col.field, r);
    }
  }
  *p++ = '\n';
  return p;
}

char* FlowGenerator::Impl::WriteField(char* p, Field f, const Rec& r) const {
  const Iface& x = ifaces_[r.iface];
  const Iface* peer = r.peer >= 0 ? &ifaces_[r.peer] : nullptr;
  const Iface* src_side = r.src_side >= 0 ? &ifaces_[r.src_side] : nullptr;
  const Iface* dst_side = r.dst_side >= 0 ? &ifaces_[r.dst_side] : nullptr;
  auto str = [p](const std::string& s) { return WriteStr(p, s); };
  auto opt = [p](const Iface* i, const std::string Iface::*m) {
    return WriteStr(p, i ? std::string_view(i->*m) : std::string_view("-"));
  };
  auto lost = [&](uint8_t kind) { return WriteUint(p, r.lost_kind == kind ? r.lost : 0); };
  switch (f) {
    case Field::kVersion:
      return str(version_);
    case Field::kAccountId:
      return str(tgw_ ? tgw_owner_ : x.account);
    case Field::kInterfaceId:
      return str(x.id);
    case Field::kSrcAddr:
      return WriteAddr(p, r.src);
    case Field::kDstAddr:
      return WriteAddr(p, r.dst);
    case Field::kSrcPort:
      return WriteUint(p, r.sport);
    case Field::kDstPort:
      return WriteUint(p, r.dport);
    case Field::kProtocol:
      return WriteUint(p, r.proto);
    case Field::kPackets:
      return WriteUint(p, r.packets);
    case Field::kBytes:
      return WriteUint(p, r.bytes);
    case Field::kStart:
      return WriteUint(p, r.start);
    case Field::kEnd:
      return WriteUint(p, r.end);
    case Field::kAction:
      return WriteStr(p, r.reject ? "REJECT" : "ACCEPT");
    case Field::kLogStatus:
      return WriteStr(p, r.status == Status::kOk       ? "OK"
                         : r.status == Status::kNoData ? "NODATA"
                                                       : "SKIPDATA");
    case Field::kVpcId:
      return str(x.vpc);
    case Field::kSubnetId:
      return str(x.subnet);
    case Field::kInstanceId:
      return str(x.instance);
    case Field::kTcpFlags:
      return r.flags < 0 ? WriteStr(p, "-") : WriteUint(p, static_cast<uint64_t>(r.flags));
    case Field::kType:
      return WriteStr(p, r.src.v6 ? "IPv6" : "IPv4");
    case Field::kPktSrcAddr:
      return WriteAddr(p, r.pkt_src);
    case Field::kPktDstAddr:
      return WriteAddr(p, r.pkt_dst);
    case Field::kRegion:
      return WriteStr(p, region_->name);
    case Field::kAzId:
      return str(x.az_id);
    case Field::kPktSrcAwsService:
      return WriteStr(p, kServices[r.src_service].name);
    case Field::kPktDstAwsService:
      return WriteStr(p, kServices[r.dst_service].name);
    case Field::kFlowDirection:
      return WriteStr(p, r.egress ? "egress" : "ingress");
    case Field::kTrafficPath:
      return r.egress && r.traffic_path != 0 ? WriteUint(p, r.traffic_path) : WriteStr(p, "-");
    case Field::kEcsClusterArn:
    case Field::kEcsClusterName:
    case Field::kEcsContainerInstanceArn:
    case Field::kEcsContainerInstanceId:
    case Field::kEcsContainerId:
    case Field::kEcsSecondContainerId:
    case Field::kEcsServiceName:
    case Field::kEcsTaskDefinitionArn:
    case Field::kEcsTaskArn:
    case Field::kEcsTaskId:
      return str(x.ecs[static_cast<size_t>(f) - static_cast<size_t>(Field::kEcsClusterArn)]);
    case Field::kResourceId:
      return str(x.resource_id);
    case Field::kEncryptionStatus:
      return r.encryption < 0 ? WriteStr(p, "-")
                              : WriteUint(p, static_cast<uint64_t>(r.encryption));
    case Field::kInstanceTag:
    case Field::kInstanceTag2:
    case Field::kInterfaceTag:
    case Field::kInterfaceTag2:
    case Field::kAsgTag:
    case Field::kAsgTag2:
      return str(x.tags[static_cast<size_t>(f) - static_cast<size_t>(Field::kInstanceTag)]);
    case Field::kInterfaceType:
      return str(x.itype);
    case Field::kNextHopInterfaceId:
      return opt(peer, &Iface::id);
    case Field::kNextHopSubnetId:
      return opt(peer, &Iface::subnet);
    case Field::kNextHopAzId:
      return opt(peer, &Iface::az_id);
    case Field::kNextHopVpcId:
      return opt(peer, &Iface::vpc);
    case Field::kNextHopInterfaceType:
      return opt(peer, &Iface::itype);
    case Field::kResourceType:
      return WriteStr(p, "TransitGatewayAttachment");
    case Field::kTgwId:
      return str(tgw_id_);
    case Field::kTgwAttachmentId:
      return str(x.id);
    case Field::kTgwSrcVpcAccountId:
      return opt(src_side, &Iface::account);
    case Field::kTgwDstVpcAccountId:
      return opt(dst_side, &Iface::account);
    case Field::kTgwSrcVpcId:
      return opt(src_side, &Iface::vpc);
    case Field::kTgwDstVpcId:
      return opt(dst_side, &Iface::vpc);
    case Field::kTgwSrcSubnetId:
      return opt(src_side, &Iface::subnet);
    case Field::kTgwDstSubnetId:
      return opt(dst_side, &Iface::subnet);
    case Field::kTgwSrcEni:
      return opt(src_side, &Iface::tgw_eni);
    case Field::kTgwDstEni:
      return opt(dst_side, &Iface::tgw_eni);
    case Field::kTgwSrcAzId:
      return opt(src_side, &Iface::az_id);
    case Field::kTgwDstAzId:
      return opt(dst_side, &Iface::az_id);
    case Field::kTgwPairAttachmentId:
      return opt(peer, &Iface::id);
    case Field::kPacketsLostNoRoute:
      return lost(1);
    case Field::kPacketsLostBlackhole:
      return lost(2);
    case Field::kPacketsLostMtuExceeded:
      return lost(3);
    case Field::kPacketsLostTtlExpired:
      return lost(4);
    default:
      return WriteStr(p, "-");
  }
}

bool FlowGenerator::Impl::Append(std::string& out, size_t min_bytes) {
  const size_t target = out.size() + std::min(min_bytes, SIZE_MAX - out.size());
  if (!header_done_) {
    header_done_ = true;
    if (o_.header) {
      out += o_.format.HeaderLine();
      out += '\n';
    }
  }
  char* const line = line_.data();
  while (emitted_ < o_.records && out.size() < target) {
    const char* end = WriteRecord(line, NextRecord());
    out.append(line, static_cast<size_t>(end - line));
    ++emitted_;
  }
  return emitted_ < o_.records;
}

// ---------------------------------------------------------------------------------------------

FlowGenerator::FlowGenerator(const GenOptions& options) : impl_(std::make_unique<Impl>(options)) {}
FlowGenerator::~FlowGenerator() = default;
FlowGenerator::FlowGenerator(FlowGenerator&&) noexcept = default;
FlowGenerator& FlowGenerator::operator=(FlowGenerator&&) noexcept = default;

bool FlowGenerator::Append(std::string& out, size_t min_bytes) {
  return impl_->Append(out, min_bytes);
}

uint64_t FlowGenerator::records_emitted() const { return impl_->emitted(); }

std::string GenerateText(const GenOptions& options) {
  FlowGenerator generator(options);
  std::string out;
  while (generator.Append(out, size_t{1} << 20)) {
  }
  return out;
}

}  // namespace flowsift
