// Synthetic flow logs: connections drawn per aggregation interval over the modelled network
// (generate_network.cc), one record per direction per logged interface. See generate.h for the
// promises.
//
// Determinism: every random draw comes from one xoshiro256** stream seeded through splitmix64,
// turned into ranges by multiply-shift and into heavy tails by integer octaves. Doubles are
// used only for shares (u < p), which IEEE basic arithmetic makes identical everywhere.
#include "pipeline/generate.h"

#include "pipeline/generate_internal.h"

namespace flowsift {

bool FlowGenerator::Impl::BackupRunning(uint64_t t) const {
  return (t + 86400 - 3600) % 86400 < 7200 || t >= backup_fallback_;
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

Endpoint FlowGenerator::Impl::UnloggedNeighbour(int32_t iface, bool v6) {
  const Iface& f = ifaces_[iface];
  if (v6) return {V6(f.v6.hi, rng_.Next()), -1, 0};  // 2^64 hosts: an ENI's is not met
  const uint32_t subnet = static_cast<uint32_t>(f.v4.lo) & ~0xFFFu;  // its /20
  while (true) {
    const uint32_t a = subnet + static_cast<uint32_t>(rng_.Range(4, 4094));
    if (std::none_of(ifaces_.begin(), ifaces_.end(), [&](const Iface& i) { return i.v4.lo == a; }))
      return {V4(a), -1, 0};
  }
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

Endpoint FlowGenerator::Impl::Scanner(bool v6) { return ScannerOf(rng_.Below(kScanners), v6); }

std::vector<std::string> FlowGenerator::Impl::BackgroundScanners() const {
  std::vector<std::string> out;
  for (uint32_t i = 0; i < kScanners; ++i) {
    for (const bool v6 : {false, true}) {
      char buf[64];
      const std::string addr(buf, WriteAddr(buf, ScannerOf(i, v6).addr));
      out.push_back("{\"type\":\"background_scanner\",\"scanner\":" + std::to_string(i) +
                    ",\"src\":\"" + addr + "\"}");
    }
  }
  return out;
}

Endpoint FlowGenerator::Impl::ScannerOf(uint64_t index, bool v6) const {
  const uint64_t h = Hash64(scanner_salt_, index);
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

std::pair<uint64_t, uint64_t> FlowGenerator::Impl::IntervalOf(int32_t i, uint64_t t) const {
  // Intervals begin at origin + k * interval_ for every integer k; the one before origin
  // begins before --start (phase < interval_), so the span cuts it there.
  const uint64_t origin = o_.start + ifaces_[i].phase;
  const uint64_t first = t < origin ? o_.start : origin + (t - origin) / interval_ * interval_;
  const uint64_t next = t < origin ? origin : first + interval_;
  return {first, std::min(next, o_.start + span_) - 1};
}

std::pair<uint64_t, uint64_t> FlowGenerator::Impl::SharedInterval(const Conn& c, uint64_t t) const {
  uint64_t first = o_.start + WindowOf(t) * interval_;
  uint64_t last = std::min(first + interval_, o_.start + span_) - 1;
  bool any = false;
  for (const int32_t i : {c.client.iface, c.nat, c.server.iface}) {
    if (i < 0) continue;
    const auto [a, b] = IntervalOf(i, t);
    first = any ? std::max(first, a) : a;
    last = any ? std::min(last, b) : b;
    any = true;
  }
  return {first, last};  // both hold t: never empty
}

// Start/end of both directions: a moment t of the current pass over the span, then times within
// the interval every interface of the connection has around t (SharedInterval), so a record
// crosses the grid from --start wherever its interfaces' intervals do. start == end for one
// packet.
void FlowGenerator::Impl::Time(Conn& c, Phase phase, uint64_t typical_seconds) {
  const uint64_t t = WindowStart() + rng_.Below(WindowLength());
  const auto [ws, last] = SharedInterval(c, t);
  const uint64_t wlen = last - ws + 1;
  const uint64_t edge = std::min<uint64_t>(interval_, 30);  // slack at the interval's edges
  uint64_t t0 = 0, t1 = 0;
  switch (phase) {
    case Phase::kComplete:
      t0 = ws + rng_.Below(wlen);
      t1 = std::min(last, t0 + rng_.LogUniform(1, typical_seconds + 1) - 1);
      break;
    case Phase::kOpening:
      t0 = ws + rng_.Below(wlen);
      t1 = std::max(t0, last - rng_.Below(std::min(wlen, edge)));
      break;
    case Phase::kMiddle:
      t0 = ws + rng_.Below(std::min(wlen, edge));
      t1 = std::max(t0, last - rng_.Below(std::min(wlen, edge)));
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
  const auto draw = [&](bool skip_ssh, uint32_t ssh_weight) {
    uint64_t x = rng_.Below((backup ? mix_weight_backup_ : mix_weight_) - ssh_weight);
    for (const Weighted& w : mix_) {
      if ((w.backup_only && !backup) || (skip_ssh && w.scenario == Scenario::kSsh)) continue;
      if (x < w.weight) return w.scenario;
      x -= w.weight;
    }
    return mix_.back().scenario;  // not reached: x is below the weights' sum
  };
  Scenario s = draw(false, 0);
  if (s == Scenario::kSsh) {
    // Past the ops host's SSH budget up to this interval's end (kSshSessionsPerHostHour), the
    // rest of the mix in its proportions. Below it nothing more is drawn, so a set that never
    // reaches the cap has the bytes it had before the cap.
    const double allowed = kSshSessionsPerHostHour * static_cast<double>(ifaces_.size()) *
                           static_cast<double>((window_ + 1) * interval_) / 3600;
    if (static_cast<double>(ssh_sessions_) >= allowed) {
      uint32_t ssh_weight = 0;
      for (const Weighted& w : mix_) ssh_weight += w.scenario == Scenario::kSsh ? w.weight : 0;
      s = draw(true, ssh_weight);
    } else {
      ++ssh_sessions_;
    }
  }
  return tgw_ ? TgwConnection(s) : VpcConnection(s);
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
      int32_t client = dns ? Pick(Role::kDns) : PickInternal();
      for (int i = 0; i < 8 && ifaces_[client].quiet; ++i) client = PickInternal();
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
      int32_t target = Pick(r.Chance(0.7) ? Role::kWeb : Role::kLb);
      for (int i = 0; i < 8 && ifaces_[target].quiet; ++i) target = Pick(Role::kWeb);
      c.server = Host(target, v6);
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
  // No ENI talks to itself over the network: the host's kernel keeps such traffic, and no flow
  // log sees it. Below 9 interfaces a missing role falls back to a web server, and a load
  // balancer's health check, the ops host's SSH or a web server's call to the app tier had one
  // ENI at both ends (a third of the records of 2 interfaces, srcaddr == dstaddr); its other
  // end is then a host of its subnet whose ENI these logs do not cover. Networks of 9 or more
  // never meet this, so their bytes are what they were.
  if (c.client.iface >= 0 && c.client.iface == c.server.iface) {
    c.server = UnloggedNeighbour(c.server.iface, v6);
    c.path_out = 1;  // the client's egress stays in the VPC
  }
  Time(c, phase, typical);
  Flags(c, phase);
  if (s == Scenario::kProbe && c.proto == 6) c.client_flags = 2;  // a bare SYN
  FitHeaders(c);
  EmitVpc(c, queue_);
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
  // Nor does traffic turn round at the gateway into the VPC it came from: below 4 attachments
  // (one spoke or none) a missing role falls back to another, and a third to a half of the
  // records of 2 or 3 went from an attachment's VPC to itself. The end in the spoke's place moves
  // to another attachment (with one attachment there is none); 4 or more never meet this.
  if (c.client.iface >= 0 && c.client.iface == c.server.iface && ifaces_.size() > 1) {
    const uint32_t n = static_cast<uint32_t>(ifaces_.size());
    const int32_t other =
        static_cast<int32_t>((static_cast<uint32_t>(c.client.iface) + 1 + r.Below(n - 1)) % n);
    if (s == Scenario::kTgwInbound) {  // the internet's side stays
      c.server = TgwHost(other, v6);
    } else {
      c.client = TgwHost(other, v6);
    }
  }
  Time(c, phase, typical);
  Flags(c, phase);
  FitHeaders(c);
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
void FlowGenerator::Impl::EmitVpc(const Conn& c, std::vector<Rec>& sink) {
  const bool nat = c.nat >= 0;
  const Addr nat_addr = nat ? ifaces_[c.nat].v4 : Addr{};
  // Request: client -> [NAT ->] server.
  if (c.client.iface >= 0) {
    Rec r = Half(c, false);
    r.iface = c.client.iface;
    r.egress = true;
    r.peer = nat ? c.nat : c.server.iface;
    r.traffic_path = nat || c.server.iface >= 0 ? 1 : c.path_out;
    sink.push_back(r);
  }
  if (nat) {
    Rec in = Half(c, false);
    in.iface = c.nat;
    in.dst = nat_addr;
    in.peer = c.client.iface;
    sink.push_back(in);
    Rec out = Half(c, false);
    out.iface = c.nat;
    out.src = out.pkt_src = nat_addr;
    out.sport = c.nat_port;
    out.egress = true;
    out.traffic_path = c.path_out;
    sink.push_back(out);
  }
  if (c.server.iface >= 0) {
    Rec r = Half(c, false);
    r.iface = c.server.iface;
    r.peer = c.client.iface;
    r.reject = c.reject;
    sink.push_back(r);
  }
  if (c.reject || c.silent) return;
  // Response: server -> [NAT ->] client.
  if (c.server.iface >= 0) {
    Rec r = Half(c, true);
    r.iface = c.server.iface;
    r.egress = true;
    r.peer = c.client.iface;
    r.traffic_path = c.client.iface >= 0 ? 1 : c.path_out;
    sink.push_back(r);
  }
  if (nat) {
    Rec in = Half(c, true);
    in.iface = c.nat;
    in.dst = in.pkt_dst = nat_addr;
    in.dport = c.nat_port;
    sink.push_back(in);
    Rec out = Half(c, true);
    out.iface = c.nat;
    out.src = nat_addr;
    out.egress = true;
    out.peer = c.client.iface;
    out.traffic_path = 1;
    sink.push_back(out);
  }
  if (c.client.iface >= 0) {
    Rec r = Half(c, true);
    r.iface = c.client.iface;
    r.peer = nat ? c.nat : c.server.iface;
    sink.push_back(r);
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
  const auto [first, last] = IntervalOf(r.iface, WindowStart() + rng_.Below(WindowLength()));
  const uint64_t edge = std::min(std::max<uint64_t>(interval_ / 10, 1), last - first + 1);
  r.start = first + rng_.Below(edge);
  r.end = std::max(r.start, last - rng_.Below(edge));
}

// Records still to come belong to the current pass or a later one: the background's lie in an
// interval around a moment of the pass (at most one interval before its start), the injected
// ones start in their pass.
uint64_t FlowGenerator::Impl::next_start_bound() const {
  const uint64_t ws = WindowStart();
  return ws - o_.start >= interval_ ? ws - interval_ + 1 : o_.start;
}

// Injected records of an interval are spread evenly among its background records and all go
// out before the background moves to the next interval, so records stay grouped by interval.
const Rec& FlowGenerator::Impl::NextRecord() {
  if (inj_head_ < inj_.size() && inj_[inj_head_].window <= window_) {
    if (cached_window_ != window_) {  // once per interval: where its injected records end
      cached_window_ = window_;
      inj_end_ = static_cast<size_t>(
          std::upper_bound(inj_.begin(), inj_.end(), window_,
                           [](uint64_t w, const Injected& x) { return w < x.window; }) -
          inj_.begin());
      quota_ = static_cast<uint64_t>(static_cast<unsigned __int128>(bg_total_) * (window_ + 1) /
                                     windows_);
    }
    const uint64_t due = inj_end_ - inj_head_;  // injected records of this interval still to go
    const uint64_t left = quota_ > bg_emitted_ ? quota_ - bg_emitted_ : 0;
    if (bg_emitted_ >= bg_total_ || since_inj_ * due >= left) {
      since_inj_ = 0;
      return inj_[inj_head_++].rec;
    }
  }
  if (bg_emitted_ >= bg_total_) return inj_[inj_head_++].rec;  // background done: the rest
  ++since_inj_;
  return NextBackground();
}

const Rec& FlowGenerator::Impl::NextBackground() {
  ++bg_emitted_;
  const double u = rng_.Unit();
  if (u < kNoDataShare + kSkipDataShare) {
    MakeStatusRecord(u < kNoDataShare ? Status::kNoData : Status::kSkipData);
    return status_rec_;
  }
  if (head_ == queue_.size()) {
    queue_.clear();
    head_ = 0;
    // Interval k holds background records up to the k-th of `windows_` equal shares.
    while (window_ + 1 < windows_ &&
           static_cast<unsigned __int128>(bg_emitted_) * windows_ >=
               static_cast<unsigned __int128>(bg_total_) * (window_ + 1)) {
      // Injected records of the interval being left go first.
      if (inj_head_ < inj_.size() && inj_[inj_head_].window <= window_) {
        --bg_emitted_;
        return inj_[inj_head_++].rec;
      }
      ++window_;
    }
    while (queue_.empty()) NextConnection();
  }
  return queue_[head_++];
}

// ---------------------------------------------------------------------------------------------

FlowGenerator::FlowGenerator(const GenOptions& options) : impl_(std::make_unique<Impl>(options)) {}
FlowGenerator::~FlowGenerator() = default;
FlowGenerator::FlowGenerator(FlowGenerator&&) noexcept = default;
FlowGenerator& FlowGenerator::operator=(FlowGenerator&&) noexcept = default;

bool FlowGenerator::Append(std::string& out, size_t min_bytes) {
  return impl_->Append(out, min_bytes, UINT64_MAX);
}

bool FlowGenerator::Append(std::string& out, size_t min_bytes, uint64_t until) {
  return impl_->Append(out, min_bytes, until);
}

bool FlowGenerator::AppendRecord(std::string& out, uint64_t* start, uint64_t* end) {
  return impl_->AppendRecord(out, start, end);
}

uint64_t FlowGenerator::records_emitted() const { return impl_->emitted(); }
uint64_t FlowGenerator::next_start_bound() const { return impl_->next_start_bound(); }
uint64_t FlowGenerator::injected_records() const { return impl_->injected_records(); }
const std::vector<std::string>& FlowGenerator::truth() const { return impl_->truth(); }
const std::vector<std::string>& FlowGenerator::lookalikes() const { return impl_->lookalikes(); }
std::vector<std::string> FlowGenerator::background_scanners() const {
  return impl_->BackgroundScanners();
}
std::string_view FlowGenerator::account() const { return impl_->account(); }
std::string_view FlowGenerator::region() const { return impl_->region(); }
std::string_view FlowGenerator::flow_log_id() const { return impl_->flow_log_id(); }

std::vector<AttackKind> AllAttacks() {
  std::vector<AttackKind> kinds;
  for (size_t i = 0; i < std::size(kAttackNames); ++i) kinds.push_back(AttackKind(i));
  return kinds;
}

std::optional<std::vector<AttackKind>> ParseAttackList(std::string_view list, std::string* error) {
  const auto trim = [](std::string_view v) {
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
    return v;
  };
  std::vector<AttackKind> kinds;
  list = trim(list);
  if (list == "none") return kinds;
  if (list == "all") return AllAttacks();
  // A blank list (`--attacks ''`, `--attacks ' '`, an unset variable) is refused as an empty
  // name in a list is: it had been taken as none, which is asked for by name.
  if (list.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    if (error) {
      *error =
          "an empty list of attacks; write --attacks none for none, --attacks all for all, "
          "or name them: ";
      for (std::string_view n : kAttackNames) {
        *error += std::string(n) + (n == std::end(kAttackNames)[-1] ? "" : ",");
      }
      *error += " (comma-separated)";
    }
    return std::nullopt;
  }
  const std::string whole(list);
  for (bool more = true; more;) {
    const size_t comma = list.find(',');
    more = comma != std::string_view::npos;
    // "port_scan, port_sweep", as the docs list them, is the same list.
    const std::string_view name = trim(list.substr(0, comma));
    list.remove_prefix(more ? comma + 1 : list.size());
    const auto* it = std::find(std::begin(kAttackNames), std::end(kAttackNames), name);
    if (it == std::end(kAttackNames)) {
      if (error) {
        // all and none stand alone: in a list they are not attacks. An empty name (a comma
        // before, after or beside another: "port_scan,", ",port_scan", "a,,b") is refused
        // wherever it is; a trailing one had been taken as the end of the list.
        const bool alone = name == "all" || name == "none";
        *error = (name.empty() ? "an empty name in '" + whole + "' (a stray comma?)"
                               : "unknown attack '" + std::string(name) + "'") +
                 (alone ? " in a list (all and none stand alone: --attacks all)" : "") +
                 "; valid: ";
        for (std::string_view n : kAttackNames) *error += std::string(n) + ", ";
        *error += "or all or none alone";
      }
      return std::nullopt;
    }
    const AttackKind k = AttackKind(it - std::begin(kAttackNames));
    if (std::find(kinds.begin(), kinds.end(), k) == kinds.end()) kinds.push_back(k);
  }
  return kinds;
}

std::string GenerateText(const GenOptions& options) {
  FlowGenerator generator(options);
  std::string out;
  while (generator.Append(out, size_t{1} << 20)) {
  }
  return out;
}

}  // namespace flowsift
