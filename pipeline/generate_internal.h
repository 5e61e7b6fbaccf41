// Internals of the synthetic flow-log generator shared by its .cc files (generate_network.cc:
// the set-up and the modelled network; generate.cc: endpoints, times and the background
// scenarios; generate_attacks.cc: injected attacks and look-alikes; generate_text.cc: record
// text). Not part of the pipeline's interface.
#ifndef FLOWSIFT_PIPELINE_GENERATE_INTERNAL_H_
#define FLOWSIFT_PIPELINE_GENERATE_INTERNAL_H_

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pipeline/generate.h"

namespace flowsift {
namespace gen_detail {

// ---------------------------------------------------------------------------------------------
// Randomness

inline uint64_t SplitMix64(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// A stateless hash of (salt, index): stable identities for pools of internet hosts that are
// far too large to store.
inline uint64_t Hash64(uint64_t salt, uint64_t index) {
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

// Text writers (generate_text.cc). Each writes at p and returns the end.
char* WriteStr(char* p, std::string_view s);
char* WriteUint(char* p, uint64_t v);
char* WriteAddr(char* p, const Addr& a);

// AWS resource ids of the current shape: prefix + 17 lowercase hex digits, the first one '0'
// as in ids issued since 2016 ("eni-0a1b2c3d4e5f67890").
inline std::string HexId(Rng& rng, std::string_view prefix, int digits = 17) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s(prefix);
  for (int i = 0; i < digits; ++i) {
    s += (digits == 17 && i == 0) ? '0' : kDigits[rng.Below(16)];
  }
  return s;
}

inline std::string Digits(Rng& rng, int n) {
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
inline constexpr Region kRegions[] = {
    {"us-east-1", {"use1-az1", "use1-az2", "use1-az4"}, 0x26001f18},
    {"us-west-2", {"usw2-az1", "usw2-az2", "usw2-az3"}, 0x26001f14},
    {"eu-west-1", {"euw1-az1", "euw1-az2", "euw1-az3"}, 0x2a05d018},
    {"ap-southeast-2", {"apse2-az1", "apse2-az3", "apse2-az2"}, 0x2406da1c},
};

// First octets of widely allocated unicast space. Left out: 0, 10, 100 (100.64/10 is CGNAT and
// internal by SPEC 2.1's default), 127, 169, 172, 192, 198, 203 (documentation and benchmark
// ranges live there), multicast and above.
inline constexpr uint8_t kPublicFirstOctets[] = {
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
inline constexpr uint32_t kPublicV6Prefixes[] = {0x2003e000, 0x2a028109, 0x2a01cb00, 0x26001700,
                                                 0x26036010, 0x26012c00, 0x24094040, 0x240e0380,
                                                 0x2a00231c, 0x20014479};

// pkt-*-aws-service values (ip-ranges.json) with one real prefix each. Index 0 is "-".
struct AwsService {
  std::string_view name;
  uint32_t base;
  uint32_t size;
};
inline constexpr AwsService kServices[] = {
    {"-", 0, 0},
    {"S3", 52u << 24 | 216u << 16, 1u << 17},                               // 52.216.0.0/15
    {"DYNAMODB", 3u << 24 | 218u << 16 | 180u << 8, 1u << 10},              // 3.218.180.0/22
    {"EC2", 3u << 24 | 80u << 16, 1u << 20},                                // 3.80.0.0/12
    {"AMAZON", 52u << 24 | 94u << 16, 1u << 10},                            // 52.94.0.0/22
    {"API_GATEWAY", 3u << 24 | 216u << 16 | 135u << 8, 1u << 8},            // 3.216.135.0/24
    {"CLOUDFRONT", 13u << 24 | 224u << 16, 1u << 18},                       // 13.224.0.0/14
    {"ROUTE53_HEALTHCHECKS", 54u << 24 | 243u << 16 | 31u << 8 | 192, 64},  // 54.243.31.192/26
};
inline constexpr uint8_t kRoute53HealthChecks = 7;

inline constexpr Addr kUpstreamResolvers[] = {V4(1, 1, 1, 1), V4(8, 8, 8, 8), V4(9, 9, 9, 9),
                                              V4(208, 67, 222, 222), V4(8, 8, 4, 4)};
inline constexpr Addr kUpstreamResolversV6[] = {V6(0x2606470047000000ull, 0x1111),
                                                V6(0x2001486048600000ull, 0x8888)};

// Ports internet scanners try first (the top of Shodan/GreyNoise-style target lists).
inline constexpr uint16_t kProbePorts[] = {
    23, 22,  3389, 445, 80,   8080, 5900, 1433, 3306, 6379,  9200,  2375, 5432,  8443, 21,
    25, 111, 135,  139, 1723, 5060, 7547, 8888, 9000, 27017, 11211, 161,  10000, 81,   8081};

inline constexpr uint64_t kEphemeralLo = 32768, kEphemeralHi = 60999;  // Linux ip_local_port_range
inline constexpr uint32_t kInternetClients = 200000;
inline constexpr uint32_t kScanners = 400;
inline constexpr uint32_t kSaasHosts = 3000;
// Transit Gateway attachments: each one's VPC has a /20 of 10.0.0.0/8.
inline constexpr uint32_t kMaxTgwAttachments = 4096;

// Shares of status records: the task's target, near what busy accounts see.
inline constexpr double kNoDataShare = 0.02;
inline constexpr double kSkipDataShare = 0.005;

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
inline constexpr std::string_view kRoleNames[] = {
    "web", "app", "db", "nat", "lb", "dns", "backup", "ops", "egress", "shared", "spoke"};

// An ENI, or in Transit Gateway mode an attachment with its VPC.
struct Iface {
  Role role = Role::kWeb;
  uint8_t az = 0;
  Addr v4, v6;  // ENI: its primary addresses. Attachment: its VPC's base addresses.
  std::string account, id, vpc, subnet, instance, az_id, itype, resource_id;
  std::string tgw_eni;              // attachment: the gateway's ENI in the VPC's subnet
  std::array<std::string, 10> ecs;  // ecs-cluster-arn .. ecs-task-id, in field order
  std::array<std::string, 6> tags;  // instance-tag .. asg-tag-2, in field order
  // Reserved as the target or source of a near-threshold attack: the background sends it no
  // internet traffic, so the attack's counts are the only ones (generate_attacks.cc).
  bool quiet = false;
  // Seconds in [0, interval): the interface's capture intervals run on its own clock, from
  // --start + phase + k * interval, as AWS's are aligned to no grid (reference/flowlogs.md
  // section 6). Drawn from the seed.
  uint32_t phase = 0;
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
  bool silent = false;   // nothing answers (an unused address): no response, no REJECT
  uint8_t path_out = 8;  // traffic-path of records leaving the VPC (8: IGW, Nitro)
  int8_t encryption = -1;
  uint8_t lost_kind = 0;  // TGW: the request is dropped at the gateway
};

// Raises each half's bytes to what its packets' headers alone take (IPv4 20 or IPv6 40 bytes,
// plus TCP 20, UDP 8 or ICMP 8): draws made for IPv4 (a 40-byte SYN) were 52-byte IPv6 TCP
// records, which no network carries.
inline void FitHeaders(Conn& c) {
  const uint64_t ip = c.client.addr.v6 ? 40 : 20;
  const uint64_t l4 = c.proto == 6 ? 20 : c.proto == 17 || c.proto == 1 || c.proto == 58 ? 8 : 0;
  c.req_bytes = std::max(c.req_bytes, c.req_packets * (ip + l4));
  c.resp_bytes = std::max(c.resp_bytes, c.resp_packets * (ip + l4));
}

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
inline constexpr Weighted kVpcMix[] = {
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
// The ops host's SSH sessions to each internal host, an hour on average, at most: SSH is people
// and their tools, whose rate does not grow with the traffic. A share of the mix alone gave the
// ops host of a small busy VPC (20 interfaces, 1.5 M records an hour) ~270 sessions an hour
// with each host, a third of them under brute_force's "short" (100 packets), and so 19 to 30
// brute-force findings a set; the 1 GiB benchmark set (200 interfaces, 9 M records an hour)
// ~140 an hour and 19 findings. The default evaluation sets (200 interfaces, 0.5 M records an
// hour) make ~7 and do not reach the cap.
inline constexpr double kSshSessionsPerHostHour = 12;
inline constexpr Weighted kTgwMix[] = {
    {Scenario::kTgwSpokeToSpoke, 30, false}, {Scenario::kTgwDns, 20, false},
    {Scenario::kTgwEgress, 25, false},       {Scenario::kTgwInbound, 12, false},
    {Scenario::kTgwIcmp, 3, false},          {Scenario::kTgwBackup, 3, true},
    {Scenario::kTgwDrop, 1, false},
};

// Fields that describe traffic: "-" in NODATA/SKIPDATA records (reference/flowlogs.md
// section 5). The rest (identity, start, end, log-status) stay filled.
inline bool IsTrafficField(Field f) {
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
inline bool IsTgwRecordField(Field f) {
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

inline uint64_t Bytes(Rng& rng, uint64_t packets, uint64_t avg_lo, uint64_t avg_hi) {
  // avg in [40, 1499] keeps bytes within [40, 1500) per packet.
  return packets * rng.Range(avg_lo, avg_hi) + rng.Below(packets);
}

}  // namespace gen_detail

using namespace gen_detail;  // NOLINT: the generator's own .cc files only

// ---------------------------------------------------------------------------------------------

class FlowGenerator::Impl {
 public:
  explicit Impl(const GenOptions& o);
  bool Append(std::string& out, size_t min_bytes, uint64_t until);
  bool AppendRecord(std::string& out, uint64_t* start, uint64_t* end);
  uint64_t emitted() const { return emitted_; }
  uint64_t next_start_bound() const;
  uint64_t injected_records() const { return inj_.size(); }
  const std::vector<std::string>& truth() const { return truth_; }
  const std::vector<std::string>& lookalikes() const { return lookalikes_; }
  std::string_view account() const { return tgw_ ? tgw_owner_ : ifaces_[0].account; }
  std::string_view region() const { return region_->name; }
  std::string_view flow_log_id() const { return flow_log_id_; }
  const GenOptions& options() const { return o_; }
  std::vector<std::string> BackgroundScanners() const;

 private:
  struct Col {
    Field field;
    bool dash;     // never applies in this mode, or an unknown name
    bool traffic;  // "-" in NODATA/SKIPDATA records
    bool fixed;    // the same text for every record of an interface (account-id, vpc-id ...)
  };
  // A run of consecutive columns written with one copy: the fixed text of an interface (with
  // its separators), or one variable column.
  struct Run {
    uint32_t col;    // first column
    uint32_t count;  // columns in the run (fixed runs only; 1 otherwise)
    bool fixed;
  };
  // An injected record and the aggregation interval it belongs to.
  struct Injected {
    uint64_t window;
    Rec rec;
  };

  void BuildVpc();
  void BuildTgw();
  void BuildRuns();
  const Rec& NextRecord();
  const Rec& NextBackground();
  void MakeStatusRecord(Status s);
  void NextConnection();
  void VpcConnection(Scenario s);
  void TgwConnection(Scenario s);
  void EmitVpc(const Conn& c, std::vector<Rec>& sink);
  void EmitTgw(const Conn& c);
  Rec Half(const Conn& c, bool response) const;
  char* WriteRecord(char* p, const Rec& r) const;
  char* WriteField(char* p, Field f, const Rec& r) const;

  // Attacks and look-alikes (generate_attacks.cc).
  void PlanInjections();
  // Cuts c's times to the end of its shared interval (of interface `only` alone when it is one:
  // then only its records are kept) and queues its records.
  void InjectConn(Conn c, int32_t only = -1);
  // The generator's pass (an interval of the grid from --start) that t falls in.
  uint64_t WindowOf(uint64_t t) const { return (t - o_.start) / interval_; }

  // Model helpers.
  int32_t Pick(Role role);
  int32_t PickInternal();
  Endpoint Host(int32_t iface, bool v6);
  Endpoint TgwHost(int32_t att, bool v6);
  // A host of interface `iface`'s subnet that no interface of the network is (its ENI is not
  // logged): the other end of a connection that would have had one ENI at both ends.
  Endpoint UnloggedNeighbour(int32_t iface, bool v6);
  Endpoint InternetClient(bool v6);
  Endpoint Scanner(bool v6);
  Endpoint ScannerOf(uint64_t index, bool v6) const;  // the index-th background scanner
  Endpoint PublicServer(bool v6, bool aws_share);
  uint16_t Ephemeral() { return static_cast<uint16_t>(rng_.Range(kEphemeralLo, kEphemeralHi)); }
  Phase DrawPhase(uint32_t complete, uint32_t opening, uint32_t middle);
  void Time(Conn& c, Phase phase, uint64_t typical_seconds);
  // The capture interval of interface `i` that holds t, clipped to the span: first and last
  // second. t must lie in the span.
  std::pair<uint64_t, uint64_t> IntervalOf(int32_t i, uint64_t t) const;
  // The seconds around t that lie in one capture interval of every logged interface `c`
  // crosses (client, NAT gateway, server): their intervals holding t, intersected. Its records
  // fit there, both directions on each interface in one interval of that interface.
  std::pair<uint64_t, uint64_t> SharedInterval(const Conn& c, uint64_t t) const;
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
  uint64_t bg_total_ = 0, bg_emitted_ = 0;  // background records (all records but injected)
  bool header_done_ = false;

  std::vector<Col> cols_;
  std::vector<Run> runs_;
  std::vector<std::string> fixed_text_;  // [iface * runs_.size() + run]: a fixed run's text
  std::string version_;
  const Region* region_ = &kRegions[0];
  std::vector<Iface> ifaces_;
  std::vector<int32_t> by_role_[static_cast<size_t>(Role::kCount)];
  std::string tgw_owner_, tgw_id_, flow_log_id_;
  uint64_t client_salt_, scanner_salt_, saas_salt_;
  std::span<const Weighted> mix_;
  uint32_t mix_weight_ = 0, mix_weight_backup_ = 0;
  // The ops host's SSH sessions so far: their share of the mix is capped at
  // kSshSessionsPerHostHour (NextConnection).
  uint64_t ssh_sessions_ = 0;

  std::vector<Rec> queue_;
  size_t head_ = 0;
  Rec status_rec_;
  std::vector<char> line_;

  // Injected records sorted by interval, and the JSON lines describing them.
  std::vector<Injected> inj_;
  size_t inj_head_ = 0;
  uint64_t since_inj_ = 0;
  uint64_t cached_window_ = UINT64_MAX, quota_ = 0;  // NextRecord's per-interval values
  size_t inj_end_ = 0;
  std::vector<Rec> scratch_;
  std::vector<std::string> truth_, lookalikes_;
};

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_GENERATE_INTERNAL_H_
