#include "pipeline/detect.h"

#include <algorithm>
#include <cstring>

#include "kernels/enums.h"
#include "kernels/prefetch.h"
#include "pipeline/aggregate.h"
#include "pipeline/detect_internal.h"

namespace flowsift {

namespace {

// A flag for each of the 65,536 ports, set for those in `ports`.
std::vector<bool> PortFlags(const std::vector<uint16_t>& ports) {
  std::vector<bool> flags(65536, false);
  for (uint16_t p : ports) flags[p] = true;
  return flags;
}

}  // namespace

Detector::Detector(const DetectOptions& options) : state_(std::make_unique<State>()) {
  state_->o = options;
  state_->brute_port = PortFlags(options.brute_ports);
  // Ports below 1024 are services too; AddRows tells those by the lower port without a lookup.
  state_->service_port = PortFlags(options.service_ports);
  state_->reflection_port = PortFlags(options.reflection_ports);
}
Detector::~Detector() = default;
Detector::Detector(Detector&&) noexcept = default;
Detector& Detector::operator=(Detector&&) noexcept = default;

FieldSet Detector::NeededFields() {
  FieldSet f;
  for (Field x : {Field::kInterfaceId, Field::kTgwAttachmentId, Field::kSrcAddr, Field::kDstAddr,
                  Field::kPktSrcAddr, Field::kPktDstAddr, Field::kSrcPort, Field::kDstPort,
                  Field::kProtocol, Field::kPackets, Field::kBytes, Field::kStart, Field::kEnd,
                  Field::kAction, Field::kTcpFlags}) {
    f.set(static_cast<size_t>(x));
  }
  return f;
}

void Detector::AddRows(const ParsedBatch& b, const uint8_t* bytes, const uint32_t* rows,
                       const uint8_t* tables, size_t n) {
  State& s = *state_;
  const DetectOptions& o = s.o;
  if (!o.enabled) return;
  s.Collapse();
  const Column* iface = b.FindInterface();
  const Column* src = b.Find(Field::kSrcAddr);
  const Column* dst = b.Find(Field::kDstAddr);
  const Column* pkt_src = b.Find(Field::kPktSrcAddr);
  const Column* pkt_dst = b.Find(Field::kPktDstAddr);
  const Column* sport_col = b.Find(Field::kSrcPort);
  const Column* dport_col = b.Find(Field::kDstPort);
  const Column* proto_col = b.Find(Field::kProtocol);
  const Column* packets_col = b.Find(Field::kPackets);
  const Column* bytes_col = b.Find(Field::kBytes);
  const Column* start_col = b.Find(Field::kStart);
  const Column* end_col = b.Find(Field::kEnd);
  const Column* action = b.Find(Field::kAction);
  const Column* flags_col = b.Find(Field::kTcpFlags);
  // A format with pkt-srcaddr (pkt-dstaddr) and not srcaddr (dstaddr) has the packets'
  // addresses alone: they are the record's, as for a format with both when they are equal (and
  // a relay is then any internal-to-internal request, as without pkt-dstaddr). Such a format
  // had found nothing, silently.
  if (src == nullptr) std::swap(src, pkt_src);
  if (dst == nullptr) std::swap(dst, pkt_dst);
  // Nothing to say who talked to whom: the run notes it (Run, AddressNotes).
  if (src == nullptr || dst == nullptr) return;

  const ColumnView v_src(src), v_dst(dst), v_pkt_src(pkt_src), v_pkt_dst(pkt_dst),
      v_sport(sport_col), v_dport(dport_col), v_proto(proto_col), v_packets(packets_col),
      v_bytes(bytes_col), v_start(start_col), v_end(end_col), v_action(action), v_flags(flags_col);

  // Two passes. The first classifies each row and computes the keys and hashes of the states
  // it updates; the second updates them, prefetching table slots and states ahead (below).
  // TRW sources, fan-in destinations, exfiltration hosts and relays are big tables (a million
  // sources on an internet scan): nearly every update is a cache miss, and this overlaps them.
  constexpr size_t kAhead = 8;
  std::vector<PendingRow>& pending = s.pending;
  std::vector<RelayRow>& relay_rows = s.relay_rows;
  // Interfaces come as chunk-local ids (ParseChunk interns them), mapped to s.names' ids.
  s.local_ids.Reset(b, iface);
  const WindowDivider active_window(s.ActiveStep());
  WindowDivider reject_window(o.reject_window), scan_window(o.scan_window),
      brute_window(o.brute_window), trw_window(o.trw_window), fanin_window(o.fanin_window),
      exfil_window(o.exfil_window);
  // Both passes run over sub-blocks of kSubBlock rows, so that the pending rows (~120 bytes
  // each) are read back while still in L1/L2: over a whole 2,048-row block they were written
  // to lines the aggregator had evicted (cachegrind: 0.39 M write misses on 64 MB).
  constexpr size_t kSubBlock = 512;
  for (size_t i0 = 0; i0 < n; i0 += kSubBlock) {
    const size_t i1 = std::min(n, i0 + kSubBlock);
    pending.clear();
    relay_rows.clear();
    for (size_t i = i0; i < i1; ++i) {
      // A row is detected in its source's partition (Aggregator::Route), the one with its
      // talker; another partition may have it for its interface's exposure only.
      if (tables != nullptr && (tables[i] & kTalkerTable) == 0) continue;
      const size_t r = rows != nullptr ? rows[i] : i;
      if (v_start.exists() && v_start.present(r)) s.active.Add(active_window.Index(v_start.u64[r]));
      const bool rejected = v_action.exists() && static_cast<kernels::Action>(v_action.code[r]) ==
                                                     kernels::Action::kReject;
      const Addr128* from = EffectiveAddr(v_pkt_src, v_src, r);
      const Addr128* to = EffectiveAddr(v_pkt_dst, v_dst, r);
      if (from == nullptr || to == nullptr) continue;  // NODATA, SKIPDATA

      // Direction first (see detect.h): SYN-ACK marks a reply, a bare SYN or a REJECT a
      // request, otherwise the service port is the one in direction.service_ports (or below
      // 1024) when the other is not, else the lower one. Half the rows are replies, and a
      // reply updates nothing but a tiny SYN-ACK's port-scan answer (a REJECT is never a reply):
      // they are dropped before the other columns are read and before the network lookups.
      PendingRow p;
      const bool has_ports =
          v_sport.exists() && v_dport.exists() && v_sport.present(r) && v_dport.present(r);
      p.sport = has_ports ? static_cast<uint16_t>(v_sport.u64[r]) : 0;
      p.dport = has_ports ? static_cast<uint16_t>(v_dport.u64[r]) : 0;
      const bool has_flags = v_flags.exists() && v_flags.present(r);
      const uint64_t flags = has_flags ? v_flags.u64[r] : 0;
      const bool synack = has_flags && (flags & kSynAck) == kSynAck;
      bool reply, dropped_answer = false;
      // Without ports (a format without srcport/dstport) only tcp-flags tell a request from its
      // reply: a REJECT is a probe, and an accepted record with neither SYN nor SYN-ACK could be
      // either. Taken as requests, an internal web server's answers were an exfiltration and a
      // client's downloads from 1,500 servers a flood. Such a record counts for no detector of
      // requests, only as an answered TRW contact of an external host (either way the two
      // exchanged traffic; below).
      bool unknown = false;
      if (synack) {
        reply = true;
      } else if (has_flags && (flags & kSynAck) == kSyn) {
        reply = false;
      } else if (!has_ports) {
        reply = unknown = !rejected;
      } else if (rejected) {
        // A REJECT is a request (a probe a security group dropped), except the way back of a
        // connection to a service port (below 32768: 443, and also 8443 or 5432) that a
        // stateless network ACL drops: from that port to a client's ephemeral one. Counted
        // as a request, it made every server whose
        // answers an inbound NACL drops a port scanner of its clients. A scan from a low source
        // port (nmap -g 53) still counts at every port below 32768. Such rows still count for
        // fan-in: a reflection flood (DNS from 53, NTP from 123, to the victim's high ports)
        // that a security group rejects looks the same, and the answers a NACL drops come from
        // the few servers a client talked to, far below fan-in's thousand sources.
        reply = dropped_answer = p.sport < kEphemeralPorts && p.dport >= kEphemeralPorts;
      } else {
        // The service side: the port in direction.service_ports or below 1024 when the other is
        // not (a server on 8443 or a NodePort answering a client whose carrier NAT gave it port
        // 4000), else the lower port. A port below 1024 is a service and always the lower one
        // (most rows, no lookup); so is one of a client given a listed port by its NAT (31000)
        // talking to 443.
        if (std::min(p.sport, p.dport) < 1024) {
          reply = p.sport < p.dport;
        } else {
          const bool s_service = s.service_port[p.sport], d_service = s.service_port[p.dport];
          reply = s_service != d_service ? s_service : p.sport < p.dport;
        }
      }
      // A REJECTed reply (a stateless network ACL dropping the way back, tcp-flags 18 or 19 with
      // payload) still counts for its interface's reject spike, as the windows table counts it.
      // An accepted UDP answer from an amplifier port (DNS 53, NTP 123 ...) may be part of a
      // reflection flood: it is kept for that alone (below). That is a reply by the port rule,
      // or one aimed at a port no amplifier uses (memcached's 11211 or NTP's 123 to the victim's
      // 80 or 443), whatever the port order, when it comes from outside to an internal host.
      // The mirror of that: a question from an internal host's port that no amplifier uses to
      // an amplifier port outside (its port 4000 to CoAP's 5683) is a request whatever the port
      // order, so that it makes the answers to it solicited.
      bool reflected = false;
      const bool accepted_udp = !rejected && !synack && has_ports && v_proto.exists() &&
                                v_proto.present(r) && v_proto.u64[r] == kUdp;
      if (accepted_udp && s.reflection_port[p.sport]) {
        if (reply) {
          reflected = true;
        } else if (!s.reflection_port[p.dport] && !o.internal.Contains(*from) &&
                   o.internal.Contains(*to)) {
          reply = reflected = true;
        }
      } else if (accepted_udp && reply && s.reflection_port[p.dport] &&
                 o.internal.Contains(*from) && !o.internal.Contains(*to)) {
        reply = false;
      }
      if (reply && !(synack && has_ports) && !rejected && !reflected && !unknown) continue;

      const bool has_proto = v_proto.exists() && v_proto.present(r);
      p.proto = has_proto ? static_cast<uint8_t>(v_proto.u64[r]) : 0;
      p.packets = v_packets.U64Or0(r);
      p.bytes = v_bytes.U64Or0(r);
      const bool no_payload =
          has_proto && p.proto == kTcp && p.packets >= 1 && p.packets <= o.probe_max_packets &&
          p.bytes <= static_cast<unsigned __int128>(p.packets) * o.probe_max_bytes_per_packet;
      if (reply && !no_payload && !rejected && !reflected && !unknown) continue;
      const bool failed = rejected || (no_payload && (!has_flags || flags == kSyn));
      p.start = v_start.U64Or0(r);
      // An end before the start (a damaged record) is taken as the start, so that no finding's
      // last_seen comes before its first_seen (the scan states' Activity did this alone).
      p.end = v_end.exists() && v_end.present(r) ? std::max(v_end.u64[r], p.start) : p.start;

      const bool from_internal = o.internal.Contains(*from);
      const bool to_internal = o.internal.Contains(*to);
      uint16_t want = 0;
      if (unknown) {  // see above: an answered contact or nothing
        if (no_payload || from_internal || !to_internal) continue;
        want = kWantTrw;
      } else {
        if (rejected) want |= kWantReject;
        if (!reply && failed && has_ports) want |= kWantScan;
        // An answer to the other side's probe: an accepted tiny SYN-ACK (one its host's rules
        // REJECT never reached the prober), or an accepted ICMP record (AWS logs ports 0 0: no
        // direction; the AWS documentation's own example is a host whose echo replies a NACL
        // rejects, which made it a sweeper of port 0 of every host that pinged it).
        if ((synack && no_payload && has_ports && !rejected) ||
            (!rejected && has_ports && has_proto && (p.proto == kIcmp || p.proto == kIcmp6) &&
             p.sport == p.dport)) {
          want |= kWantAnswer;
        }
        // A record without a protocol at an admin port counts too (SSH, RDP, WinRM are TCP).
        if (!reply && has_ports && (p.proto == kTcp || !has_proto) && s.brute_port[p.dport] &&
            (failed || (p.packets <= o.brute_max_packets && p.bytes <= o.brute_max_bytes))) {
          want |= kWantBrute;
        }
        if (!reply && !from_internal && to_internal) want |= kWantTrw | kWantFanIn;
        if (dropped_answer && !from_internal && to_internal) want |= kWantFanIn;
        if (!reply && from_internal && !to_internal) want |= kWantExfil;
        // Reflection: an answer nobody asked for, or the asking that makes an answer solicited.
        // An answer counts when its srcaddr is external too: a NAT gateway's record of an answer it
        // passes on to an instance (srcaddr the gateway, pkt-srcaddr the server) is the answer to
        // a question the instance asked the gateway, and only the gateway asked the server.
        if (reflected && !from_internal && to_internal &&
            (from == &v_src.addr[r] || !o.internal.Contains(v_src.addr[r]))) {
          want |= kWantReflected;
        }
        if (!reply && from_internal && !to_internal && has_ports && has_proto && p.proto == kUdp &&
            s.reflection_port[p.dport]) {
          want |= kWantAsked;
        }
        // Relay: an internal host receiving from another internal host on this interface (a NAT
        // gateway's ingress shows its own address as dstaddr). With pkt-dstaddr in the format the
        // relayed records are exactly those whose dstaddr is not the packet's destination (`to`
        // points into pkt-dstaddr's column when that field is there: compare the addresses);
        // without it, every internal-to-internal request counts.
        if (!reply && v_src.present(r) && v_dst.present(r) &&
            (!v_pkt_dst.exists() || *to != v_dst.addr[r]) &&
            (from == &v_src.addr[r] ? from_internal : o.internal.Contains(v_src.addr[r])) &&
            (to == &v_dst.addr[r] ? to_internal : o.internal.Contains(v_dst.addr[r]))) {
          want |= kWantRelay;
        }
      }
      if (want == 0) continue;
      p.id = s.local_ids.Get(
          iface, LocalId(iface, r), bytes,
          [&](std::string_view text, const NameKey& key) { return s.names.Id(text, key); });
      if (want & kWantRelay) {
        // Most relay rows want nothing else: they skip the pending rows and their loop.
        const RelayKey key{v_dst.addr[r], exfil_window.Of(p.start), p.id, p.dport};
        relay_rows.push_back({key, KeyHash{}(key), p.bytes});
        want &= ~kWantRelay;
        if (want == 0) continue;
      }
      p.from = from;
      p.to = to;
      p.want = want;
      p.rejected = rejected;
      p.failed = failed;
      p.has_ports = has_ports;
      p.has_proto = has_proto;
      const KeyHash hash;
      if (want & kWantTrw) p.h_trw = hash(*from);
      if (want & kWantFanIn) p.h_fanin = hash(HostKey{*to, fanin_window.Of(p.start)});
      if (want & kWantExfil) p.h_host = hash(HostKey{*from, exfil_window.Of(p.start)});
      pending.push_back(p);
    }

    // The state updates, with three prefetch stages. The TRW state and fan-in host of an
    // inbound row are a chain of three cache misses (table slot, state, contact list), and
    // inbound rows are a fifth of the pending ones, so that chain runs over the inbound rows
    // alone, kAhead of them apart: look up the slots; look up the TRW state and the fan-in host
    // (in tables that do not move while this loop runs: the TRW states sit in a BlockVector, and
    // the fan-in table is reserved below) and prefetch them (a TRW state is two whole lines)
    // and the fan-in source counter; prefetch the contact list. The exfiltration hosts' slots
    // are prefetched kSlotAhead pending rows ahead; relays have a loop of their own (below).
    std::vector<uint32_t>& inbound = s.inbound;
    inbound.clear();
    for (size_t j = 0; j < pending.size(); ++j) {
      if (pending[j].want & (kWantTrw | kWantFanIn)) inbound.push_back(static_cast<uint32_t>(j));
    }
    s.fanin.Reserve(s.fanin.size() + inbound.size());
    const size_t rows_pending = pending.size();
    constexpr size_t kSlotAhead = 64;
    const auto stage_slots = [&](const PendingRow& p) {
      if (p.want & kWantExfil) s.hosts.Prefetch(p.h_host);
    };
    const auto stage_inbound_slots = [&](const PendingRow& p) {
      if (p.want & kWantTrw) s.trw.Prefetch(p.h_trw);
      if (p.want & kWantFanIn) s.fanin.Prefetch(p.h_fanin);
    };
    const auto stage_states = [&](PendingRow& p) {
      if (p.want & kWantTrw) {
        p.trw_state = &s.Trw(*p.from, p.h_trw);
        const auto* line = reinterpret_cast<const char*>(p.trw_state);
        static_assert(sizeof(TrwState) == 128 && alignof(TrwState) == 64);
        PrefetchLine(line);
        PrefetchLine(line + 64);
      }
      if (p.want & kWantFanIn) {
        p.fanin_state = &s.fanin.FindOrInsert(HostKey{*p.to, fanin_window.Of(p.start)}, p.h_fanin);
        p.fanin_state->sources.Prefetch(HashAddr(*p.from));
        if (p.has_ports) p.fanin_state->in_ports.Prefetch(Mix64(p.dport + 1));
      }
    };
    const auto stage_contacts = [&](const PendingRow& p) {
      if (p.want & kWantTrw) PrefetchLine(p.trw_state->contacts.data());
    };
    const size_t n_inbound = inbound.size();
    const auto stage_inbound = [&](size_t k) {  // k: the inbound row about to be updated
      if (k + 2 * kAhead < n_inbound) stage_inbound_slots(pending[inbound[k + 2 * kAhead]]);
      if (k + kAhead < n_inbound) stage_states(pending[inbound[k + kAhead]]);
      if (k + kAhead / 2 < n_inbound) stage_contacts(pending[inbound[k + kAhead / 2]]);
    };
    for (size_t j = 0; j < std::min(rows_pending, kSlotAhead); ++j) stage_slots(pending[j]);
    for (size_t k = 0; k < std::min(n_inbound, 2 * kAhead); ++k) {
      stage_inbound_slots(pending[inbound[k]]);
    }
    for (size_t k = 0; k < std::min(n_inbound, kAhead); ++k) stage_states(pending[inbound[k]]);
    for (size_t k = 0; k < std::min(n_inbound, kAhead / 2); ++k) {
      stage_contacts(pending[inbound[k]]);
    }
    size_t next_inbound = 0;  // inbound rows updated so far
    for (size_t j = 0; j < rows_pending; ++j) {
      if (j + kSlotAhead < rows_pending) stage_slots(pending[j + kSlotAhead]);
      if (pending[j].want & (kWantTrw | kWantFanIn)) stage_inbound(next_inbound++);
      const PendingRow& p = pending[j];
      const Addr128& from = *p.from;
      const Addr128& to = *p.to;
      const uint32_t id = p.id;
      const uint16_t sport = p.sport, dport = p.dport;
      const uint64_t packets = p.packets, nbytes = p.bytes, start = p.start, end = p.end;

      if (p.want & kWantReject) {
        RejectState& st = s.rejects[IfaceKey{id, reject_window.Of(start)}];
        ++st.flows;
        AddSaturating(st.packets, packets);
        AddSaturating(st.bytes, nbytes);
        st.first = std::min(st.first, start);
        st.last = std::max(st.last, end);
        st.sources.Add(HashAddr(from));
        st.dsts.Add(HashAddr(to));
        if (p.has_proto) st.protocols.Add(p.proto);
        if (p.has_ports) {
          st.ports.Add(Mix64(dport + 1));
          AddSmallest(st.sample_ports, dport, kSamples, std::less<uint16_t>());
        }
      }
      if (p.want & kWantScan) {
        const Attempt a{to, start, end,     packets,    nbytes,
                        id, dport, p.proto, p.rejected, p.has_proto};
        if (!s.LogAttempts()) {
          s.ApplyAttempt(from, a);
        } else if (AttemptLog& log = s.attempts[HostKey{from, scan_window.Of(start)}];
                   log.promoted) {
          s.ApplyAttempt(from, a);
        } else {
          log.attempts.push_back(a);
          if (log.attempts.size() > kAttemptLog) s.Promote(from, log);
        }
      }
      if (p.want & kWantAnswer) {  // the port (our sport) answered the other side's probe
        s.scans[PairKey{to, from, scan_window.Of(start)}].answered.Add(sport);
      }
      if (p.want & kWantBrute) {
        BruteState& st = s.brutes[BruteKey{from, to, brute_window.Of(start), dport}];
        st.attempts.Add(Mix64(uint64_t{sport} + 1));
        st.rejected += p.rejected;
        st.probes += p.failed;
        st.activity.Add(packets, nbytes, start, end, id, s.names);
      }
      if (p.want & kWantTrw) {
        TrwState& t = *p.trw_state;
        t.See(trw_window.Of(start), to, !p.failed);
        if (p.has_ports) AddSmallest(t.ports, dport, kSamples, std::less<uint16_t>());
        t.activity.Add(packets, nbytes, start, end, id, s.names);
      }
      if (p.want & kWantFanIn) {
        FaninState& h = *p.fanin_state;
        h.sources.Add(HashAddr(from));
        ++h.in_flows;
        AddSaturating(h.in_packets, packets);
        AddSaturating(h.in_bytes, nbytes);
        h.in_first = std::min(h.in_first, start);
        h.in_last = std::max(h.in_last, end);
        h.in_ifaces.Add(id, s.names);
        if (p.has_proto) h.in_protocols.Add(p.proto);
        if (p.has_ports) {
          h.port_lo = std::min<uint32_t>(h.port_lo, dport);
          h.port_hi = std::max<uint32_t>(h.port_hi, dport);
          h.in_ports.Add(Mix64(dport + 1));
        }
      }
      if (p.want & kWantReflected) {
        ReflectState& st = s.reflect[HostKey{to, fanin_window.Of(start)}];
        st.answered.Add(HashAddr(from));
        AddSmallest(st.ports, sport, kSamples, std::less<uint16_t>());
        st.port_lo = std::min<uint32_t>(st.port_lo, dport);
        st.port_hi = std::max<uint32_t>(st.port_hi, dport);
        st.dst_ports.Add(Mix64(dport + 1));
        st.activity.Add(packets, nbytes, start, end, id, s.names);
      }
      if (p.want & kWantAsked) {
        s.asked[HostKey{from, fanin_window.Of(start)}].Add(HashAddr(to));
      }
      if (p.want & kWantExfil) {
        ExfilHost& h = s.hosts.FindOrInsert(HostKey{from, exfil_window.Of(start)}, p.h_host);
        ExfilSide& side = h.Side(id);
        ++side.flows;
        AddSaturating(side.packets, packets);
        AddDst(side, to, nbytes, BulkOf(nbytes));
        if (p.has_ports) AddSmallest(side.ports, dport, kSamples, std::less<uint16_t>());
        if (p.has_proto) side.protocols.Add(p.proto);
        side.AddPortBytes(dport, nbytes);
        h.first = std::min(h.first, start);
        h.last = std::max(h.last, end);
      }
    }

    // The relay rows: one addition each, their table slots prefetched kRelayAhead rows ahead:
    // an iteration is a few ns, and the table (~6 MB on the 1 GiB benchmark) is larger than
    // the cache, so 16 rows did not cover a miss (detection CPU 1.13 s against 1.04 s for 32
    // and 1.11 s for 64, 8 rounds). A rehash on insert leaves the prefetches of the old table
    // useless, not wrong.
    constexpr size_t kRelayAhead = 32;
    const size_t n_relay = relay_rows.size();
    for (size_t j = 0; j < std::min(n_relay, kRelayAhead); ++j) {
      s.relay.Prefetch(relay_rows[j].hash);
    }
    for (size_t j = 0; j < n_relay; ++j) {
      if (j + kRelayAhead < n_relay) s.relay.Prefetch(relay_rows[j + kRelayAhead].hash);
      const RelayRow& rr = relay_rows[j];
      s.relay.FindOrInsert(rr.key, rr.hash).Add(rr.bytes, 1);
    }
  }
}

void Detector::State::MergeFrom(const State& other, State* drain) {
  std::vector<uint32_t> remap(other.names.names.size());
  for (size_t i = 0; i < remap.size(); ++i) remap[i] = names.Id(other.names.names[i]);
  const auto merge_ifaces = [&](InterfaceSet& into, const InterfaceSet& from) {
    for (uint32_t id : from.ids) into.Add(remap[id], names);
  };
  // Keys new to this state take the other's value whole when it is being drained: the run's
  // partitions own disjoint sources, so the per-source tables (scans, sweeps, brute force,
  // TRW) never share a key, and a merge of two partitions was mostly re-adding every contact
  // and port one at a time. Interface ids are renumbered in place (remap keeps name order).
  const auto renumber = [&](Activity& a) {
    for (uint32_t& id : a.ifaces.ids) id = remap[id];
  };
  const auto take = [&](auto& map, const auto& key, const auto& value) -> bool {
    if (drain == nullptr) return false;
    const size_t before = map.size();
    auto& into = map[key];
    if (map.size() == before) return false;
    into = std::move(const_cast<std::remove_cvref_t<decltype(value)>&>(value));
    renumber(into.activity);
    return true;
  };
  for (const auto& [k, v] : other.scans) {
    if (take(scans, k, v)) continue;
    ScanState& st = scans[k];
    st.failed.Merge(v.failed);
    st.answered.Merge(v.answered);
    st.rejected += v.rejected;
    st.protocols.Merge(v.protocols);
    st.activity.Merge(v.activity, remap, names);
  }
  if (drain != nullptr) drain->scans = {};
  for (const auto& [k, v] : other.sweeps) {
    if (take(sweeps, k, v)) continue;
    SweepState& st = sweeps[k];
    st.dsts.Merge(v.dsts);
    for (const Addr128& a : v.sample) AddSmallest(st.sample, a, kSamples, AddrLess);
    st.rejected += v.rejected;
    st.activity.Merge(v.activity, remap, names);
  }
  if (drain != nullptr) drain->sweeps = {};
  // Sized first, as in Load: another table's slot order fills a small, growing one in runs.
  brutes.Reserve(brutes.size() + other.brutes.size());
  for (const auto& [k, v] : other.brutes) {
    if (take(brutes, k, v)) continue;
    BruteState& st = brutes[k];
    st.attempts.Merge(v.attempts);
    st.rejected += v.rejected;
    st.probes += v.probes;
    st.activity.Merge(v.activity, remap, names);
  }
  if (drain != nullptr) drain->brutes = {};
  trw.Reserve(trw.size() + other.trw.size());
  for (const auto& [k, index] : other.trw) {
    const TrwState& v = other.trw_states[index - 1];
    const size_t before = trw.size();
    TrwState& st = Trw(k);
    if (drain != nullptr && trw.size() != before) {
      st = std::move(drain->trw_states[index - 1]);
      renumber(st.activity);
      continue;
    }
    for (const Contact& c : v.contacts) st.See(c.window, c.dst, c.success);
    for (uint16_t p : v.ports) AddSmallest(st.ports, p, kSamples, std::less<uint16_t>());
    st.activity.Merge(v.activity, remap, names);
  }
  if (drain != nullptr) {
    drain->trw = {};
    drain->trw_states = {};
  }
  hosts.Reserve(hosts.size() + other.hosts.size());
  for (const auto& [k, v] : other.hosts) {
    ExfilHost& h = hosts[k];
    for (const ExfilSide& side : v.sides) {
      ExfilSide& into = h.Side(remap[side.iface]);
      into.flows += side.flows;
      AddSaturating(into.packets, side.packets);
      into.distinct.Merge(side.distinct);
      if (side.too_many) {
        DropDstList(into);
        into.heavy.Merge(side.heavy);
      }
      for (const DstBytes& d : side.dsts) {
        // AddDst counts `d.dst` in `distinct` again: harmless (a set), and keeps one path; past
        // the list, it adds the bulk bytes to the sketch.
        AddDst(into, d.dst, d.bytes, d.bulk);
      }
      for (uint16_t p : side.ports) AddSmallest(into.ports, p, kSamples, std::less<uint16_t>());
      into.protocols.Merge(side.protocols);
      for (const auto& [port, b] : side.port_bytes) into.AddPortBytes(port, b);
    }
    h.first = std::min(h.first, v.first);
    h.last = std::max(h.last, v.last);
  }
  if (drain != nullptr) drain->hosts = {};
  relay.Reserve(relay.size() + other.relay.size());
  for (const auto& [k, v] : other.relay) {
    relay[RelayKey{k.host, k.window, remap[k.iface], k.port}].Add(v.bytes, v.flows);
  }
  if (drain != nullptr) drain->relay = {};
  // Attempt logs: a key promoted on either side is promoted here (its other attempts are in the
  // tables merged above), so a key's attempts are either all in its log or all in the tables.
  attempts.Reserve(attempts.size() + other.attempts.size());
  for (const auto& [k, log] : other.attempts) {
    AttemptLog& mine = attempts[k];
    if (log.promoted && !mine.promoted) Promote(k.host, mine);
    for (Attempt a : log.attempts) {
      a.iface = remap[a.iface];
      if (mine.promoted) {
        ApplyAttempt(k.host, a);
      } else {
        mine.attempts.push_back(a);
      }
    }
    if (!mine.promoted && mine.attempts.size() > kAttemptLog) Promote(k.host, mine);
  }
  if (drain != nullptr) drain->attempts = {};
  fanin.Reserve(fanin.size() + other.fanin.size());
  for (const auto& [k, v] : other.fanin) {
    FaninState& h = fanin[k];
    h.sources.Merge(v.sources);
    h.in_flows += v.in_flows;
    AddSaturating(h.in_packets, v.in_packets);
    AddSaturating(h.in_bytes, v.in_bytes);
    h.in_first = std::min(h.in_first, v.in_first);
    h.in_last = std::max(h.in_last, v.in_last);
    merge_ifaces(h.in_ifaces, v.in_ifaces);
    h.in_protocols.Merge(v.in_protocols);
    h.port_lo = std::min(h.port_lo, v.port_lo);
    h.port_hi = std::max(h.port_hi, v.port_hi);
    h.in_ports.Merge(v.in_ports);
  }
  if (drain != nullptr) drain->fanin = {};
  reflect.Reserve(reflect.size() + other.reflect.size());
  for (const auto& [k, v] : other.reflect) {
    if (take(reflect, k, v)) continue;
    ReflectState& st = reflect[k];
    st.answered.Merge(v.answered);
    for (uint16_t p : v.ports) AddSmallest(st.ports, p, kSamples, std::less<uint16_t>());
    st.port_lo = std::min(st.port_lo, v.port_lo);
    st.port_hi = std::max(st.port_hi, v.port_hi);
    st.dst_ports.Merge(v.dst_ports);
    st.activity.Merge(v.activity, remap, names);
  }
  if (drain != nullptr) drain->reflect = {};
  asked.Reserve(asked.size() + other.asked.size());
  for (const auto& [k, v] : other.asked) asked[k].Merge(v);
  if (drain != nullptr) drain->asked = {};
  rejects.Reserve(rejects.size() + other.rejects.size());
  for (const auto& [k, v] : other.rejects) {
    RejectState& st = rejects[IfaceKey{remap[k.iface], k.window}];
    st.flows += v.flows;
    AddSaturating(st.packets, v.packets);
    AddSaturating(st.bytes, v.bytes);
    st.first = std::min(st.first, v.first);
    st.last = std::max(st.last, v.last);
    st.sources.Merge(v.sources);
    st.ports.Merge(v.ports);
    st.dsts.Merge(v.dsts);
    st.protocols.Merge(v.protocols);
    for (uint16_t p : v.sample_ports)
      AddSmallest(st.sample_ports, p, kSamples, std::less<uint16_t>());
  }
  if (drain != nullptr) drain->rejects = {};
  active.Merge(other.active);
  if (drain != nullptr) drain->active = {};
  for (size_t k = 0; k < other.shards.size(); ++k) {
    MergeFrom(*other.shards[k], drain != nullptr ? drain->shards[k].get() : nullptr);
  }
}

void Detector::Merge(const Detector& other) {
  state_->Collapse();
  state_->MergeFrom(*other.state_);
}
void Detector::Merge(Detector&& other) {
  state_->Collapse();
  state_->MergeFrom(*other.state_, other.state_.get());
  other.state_.reset();
}

void Detector::Absorb(Detector&& other) {
  std::vector<std::unique_ptr<State>> more = std::move(other.state_->shards);
  other.state_->shards.clear();
  state_->shards.push_back(std::move(other.state_));
  for (auto& shard : more) state_->shards.push_back(std::move(shard));
}

void Detector::CombinePartitions(std::vector<Detector>& parts) {
  const size_t n = parts.size();
  if (n < 2) return;
  // boxes[k * n + d]: the entries partition k holds of keys that partition d owns, with k's
  // interface names (MergeFrom renumbers them).
  std::vector<std::unique_ptr<State>> boxes(n * n);
  const auto box = [&](size_t k, size_t d) -> State& {
    std::unique_ptr<State>& b = boxes[k * n + d];
    if (!b) {
      b = std::make_unique<State>();
      b->o = parts[k].state_->o;
      b->names = parts[k].state_->names;
    }
    return *b;
  };
  const auto split = [&](size_t k, auto member, auto owner) {
    auto& table = (*parts[k].state_).*member;
    std::remove_reference_t<decltype(table)> kept;
    for (const auto& [key, value] : table) {
      auto& v = const_cast<std::remove_cvref_t<decltype(value)>&>(value);  // table is dropped
      const size_t d = owner(key);
      if (d == k) {
        kept[key] = std::move(v);
      } else {
        (box(k, d).*member)[key] = std::move(v);
      }
    }
    table = std::move(kept);
  };
  for (size_t k = 0; k < n; ++k) {
    parts[k].state_->Collapse();
    // A probe's answers (a SYN-ACK row's source is the probed host) go to the prober, whose
    // attempts the port-scan finding checks them against; relays to the host that relayed, whose
    // exfiltration they are subtracted from; fan-in and reflection to their destination (a
    // host's own asking is in its own partition already); rejects, keyed by
    // interface, all to parts[0].
    split(k, &State::scans, [n](const PairKey& key) { return AddrOwner(key.src, n); });
    split(k, &State::relay, [n](const RelayKey& key) { return AddrOwner(key.host, n); });
    split(k, &State::fanin, [n](const HostKey& key) { return AddrOwner(key.host, n); });
    split(k, &State::reflect, [n](const HostKey& key) { return AddrOwner(key.host, n); });
    split(k, &State::asked, [n](const HostKey& key) { return AddrOwner(key.host, n); });
    split(k, &State::rejects, [](const IfaceKey&) { return size_t{0}; });
  }
  for (size_t d = 0; d < n; ++d) {
    for (size_t k = 0; k < n; ++k) {
      if (std::unique_ptr<State>& b = boxes[k * n + d]) {
        parts[d].state_->MergeFrom(*b, b.get());
        b.reset();
      }
    }
  }
  for (size_t k = 1; k < n; ++k) parts[0].Absorb(std::move(parts[k]));
}

void Detector::Consolidate() { state_->Collapse(); }

}  // namespace flowsift
