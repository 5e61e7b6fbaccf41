// The generator's modelled network: FlowGenerator::Impl's set-up from GenOptions (interval,
// span, the format's columns and version) and the VPC (subnets, interfaces by role, accounts)
// or Transit Gateway (attachments of spoke VPCs) drawn once from the seed before any record.
// The draws here come first in the one random stream (generate.cc's header says why it is
// one), so their order fixes every later record.
#include <algorithm>
#include <span>
#include <stdexcept>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "pipeline/generate.h"
#include "pipeline/generate_internal.h"

namespace flowsift {

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
    const bool applies = known && (tgw_ ? IsTgwRecordField(f) : f < Field::kResourceType);
    // The highest version of the fields the records have (AWS: of the chosen fields): a field
    // of the other kind, always "-" here, had made "version srcaddr tgw-id" VPC records of
    // version 6 (no VPC version) and a TGW list with ecs-task-id version 7.
    if (applies) version = std::max(version, InfoOf(f).version);
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
  // From a stream of their own, so that the network and the plan draw what they drew when
  // every interface's intervals started at --start.
  Rng phases(Hash64(o_.seed, 0x9A5E0FF5));
  for (Iface& f : ifaces_) f.phase = static_cast<uint32_t>(phases.Below(interval_));
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
  flow_log_id_ = HexId(rng_, "fl-");
  BuildRuns();
  PlanInjections();  // may throw: before any state a caller could observe
  bg_total_ = o_.records - inj_.size();
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
  std::unordered_set<uint32_t> used_v4;
  for (const Role role : roles) {
    Iface f;
    f.role = role;
    const uint32_t tier = role == Role::kWeb || role == Role::kNat || role == Role::kLb ? 0
                          : role == Role::kApp                                          ? 1
                          : role == Role::kDb                                           ? 2
                                                                                        : 3;
    f.az = static_cast<uint8_t>(role == Role::kNat ? nat_seen++ % 3 : r.Below(3));
    const uint32_t subnet_base = v4_base | (tier * 64 + f.az * 16u) << 8;  // a /20 per subnet
    // An ENI's primary address is its own: a drawn one already taken moves to the next free
    // one of the subnet (two ENIs had shared an address in 3 of 5 seeds, 1,197 at 10,000).
    uint32_t host = static_cast<uint32_t>(r.Range(4, 4094));
    uint32_t tries = 0;
    for (; tries < 4091 && !used_v4.insert(subnet_base + host).second; ++tries) {
      host = host == 4094 ? 4 : host + 1;
    }
    if (tries == 4091) {  // every address of the subnet taken: ENIs would share addresses
      throw std::invalid_argument(
          std::to_string(n) + " interfaces do not fit the simulated VPC: each subnet (a /20 " +
          "per tier and AZ) holds 4091 ENI addresses, and the " +
          std::string(kRoleNames[static_cast<size_t>(role)]) + " tier's in " +
          std::string(region_->az[f.az]) + " is full; ask for fewer interfaces");
    }
    f.v4 = V4(subnet_base + host);
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
      if (fargate) {  // no instance, so no instance's or Auto Scaling group's tags
        f.instance = "-";
        f.tags[0] = f.tags[1] = f.tags[4] = f.tags[5] = "-";
      }
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
  // Each attachment's VPC has a /20 of 10.0.0.0/8: 4096 of them. More had shared VPC ranges
  // (attachment 4096 had attachment 0's), which a transit gateway cannot route; AWS allows
  // 5000 attachments a gateway.
  if (o_.interfaces > kMaxTgwAttachments) {
    throw std::invalid_argument(
        std::to_string(o_.interfaces) +
        " attachments do not fit the simulated Transit Gateway: each attachment's VPC has a /20 "
        "of 10.0.0.0/8, which holds 4096; ask for fewer interfaces");
  }
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
}  // namespace flowsift
