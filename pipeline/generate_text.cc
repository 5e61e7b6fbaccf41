// Record text: the hot loop of `flowsift gen`. See generate.h for the promises.
#include <algorithm>
#include <cstring>

#include "pipeline/generate_internal.h"

namespace flowsift {
namespace gen_detail {

char* WriteStr(char* p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

namespace {

// "00".."99": two digits per table lookup halve the divisions (the classic itoa trick).
constexpr std::array<char, 200> kDigitPairs = [] {
  std::array<char, 200> t{};
  for (int i = 0; i < 100; ++i) {
    t[2 * i] = static_cast<char>('0' + i / 10);
    t[2 * i + 1] = static_cast<char>('0' + i % 10);
  }
  return t;
}();

int DecimalDigits(uint64_t v) {
  // bit_width * 1233 / 4096 approximates log10(2^bits); one compare fixes the estimate.
  static constexpr uint64_t kPow10[] = {1,
                                        10,
                                        100,
                                        1000,
                                        10000,
                                        100000,
                                        1000000,
                                        10000000,
                                        100000000,
                                        1000000000,
                                        10000000000ull,
                                        100000000000ull,
                                        1000000000000ull,
                                        10000000000000ull,
                                        100000000000000ull,
                                        1000000000000000ull,
                                        10000000000000000ull,
                                        100000000000000000ull,
                                        1000000000000000000ull,
                                        10000000000000000000ull};
  const int t = (std::bit_width(v | 1) * 1233) >> 12;
  return t + 1 - ((v | 1) < kPow10[t]);
}

// Dotted-quad octets: text in the first bytes, length in the last.
struct Octet {
  char text[3];
  uint8_t len;
};
constexpr std::array<Octet, 256> kOctets = [] {
  std::array<Octet, 256> t{};
  for (int i = 0; i < 256; ++i) {
    int n = 0;
    if (i >= 100) t[i].text[n++] = static_cast<char>('0' + i / 100);
    if (i >= 10) t[i].text[n++] = static_cast<char>('0' + i / 10 % 10);
    t[i].text[n++] = static_cast<char>('0' + i % 10);
    t[i].len = static_cast<uint8_t>(n);
  }
  return t;
}();

// Copies 4 bytes and keeps `len` of them: callers' buffers have slack past every field.
char* WriteOctet(char* p, uint32_t v) {
  std::memcpy(p, kOctets[v].text, 4);
  return p + kOctets[v].len;
}

}  // namespace

char* WriteUint(char* p, uint64_t v) {
  const int n = DecimalDigits(v);
  char* e = p + n;
  char* q = e;
  while (v >= 100) {
    const uint64_t pair = v % 100;
    v /= 100;
    q -= 2;
    std::memcpy(q, &kDigitPairs[2 * pair], 2);
  }
  if (v >= 10) {
    q -= 2;
    std::memcpy(q, &kDigitPairs[2 * v], 2);
  } else {
    *--q = static_cast<char>('0' + v);
  }
  return e;
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
    p = WriteOctet(p, v >> 24);
    *p++ = '.';
    p = WriteOctet(p, (v >> 16) & 255);
    *p++ = '.';
    p = WriteOctet(p, (v >> 8) & 255);
    *p++ = '.';
    return WriteOctet(p, v & 255);
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

}  // namespace gen_detail

namespace {

// Whether a field's text depends on the interface alone, so that runs of such fields can be
// rendered once per interface (version, account-id and interface-id start every v2 line).
bool IsFixedField(Field f) {
  switch (f) {
    case Field::kVersion:
    case Field::kInterfaceId:
    case Field::kVpcId:
    case Field::kSubnetId:
    case Field::kInstanceId:
    case Field::kRegion:
    case Field::kAzId:
    case Field::kResourceId:
    case Field::kInterfaceType:
    case Field::kResourceType:
    case Field::kTgwId:
    case Field::kTgwAttachmentId:
    case Field::kAccountId:
      return true;
    default:
      return (f >= Field::kEcsClusterArn && f <= Field::kEcsTaskId) ||
             (f >= Field::kInstanceTag && f <= Field::kAsgTag2);
  }
}

}  // namespace

void FlowGenerator::Impl::BuildRuns() {
  for (Col& c : cols_) c.fixed = c.dash || (!c.traffic && IsFixedField(c.field));
  for (uint32_t i = 0; i < cols_.size();) {
    uint32_t j = i + 1;
    if (cols_[i].fixed) {
      while (j < cols_.size() && cols_[j].fixed) ++j;
    }
    runs_.push_back({i, j - i, cols_[i].fixed});
    i = j;
  }
  fixed_text_.resize(ifaces_.size() * runs_.size());
  Rec r;
  std::vector<char> buf(line_.size());
  for (size_t f = 0; f < ifaces_.size(); ++f) {
    r.iface = static_cast<int32_t>(f);
    for (size_t k = 0; k < runs_.size(); ++k) {
      if (!runs_[k].fixed) continue;
      char* p = buf.data();
      for (uint32_t c = runs_[k].col; c < runs_[k].col + runs_[k].count; ++c) {
        if (c != runs_[k].col) *p++ = ' ';
        p = cols_[c].dash ? WriteStr(p, "-") : WriteField(p, cols_[c].field, r);
      }
      fixed_text_[f * runs_.size() + k].assign(buf.data(), p);
    }
  }
}

char* FlowGenerator::Impl::WriteRecord(char* p, const Rec& r) const {
  const bool ok = r.status == Status::kOk;
  const std::string* fixed = &fixed_text_[static_cast<size_t>(r.iface) * runs_.size()];
  for (size_t k = 0; k < runs_.size(); ++k) {
    if (k != 0) *p++ = ' ';
    const Run& run = runs_[k];
    if (run.fixed) {
      const std::string& s = fixed[k];
      std::memcpy(p, s.data(), s.size());
      p += s.size();
    } else if (!ok && cols_[run.col].traffic) {
      *p++ = '-';
    } else {
      p = WriteField(p, cols_[run.col].field, r);
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

// Lines are written straight into `out`, which is grown once per call with room for the
// longest line past the target, then trimmed.
bool FlowGenerator::Impl::Append(std::string& out, size_t min_bytes, uint64_t until) {
  if (!header_done_) {
    header_done_ = true;
    if (o_.header) {
      out += o_.format.HeaderLine();
      out += '\n';
    }
  }
  size_t pos = out.size();
  const size_t target = pos + std::min(min_bytes, SIZE_MAX / 2 - pos);
  const size_t slack = line_.size();
  out.resize(std::max(out.size(), std::min(target, pos + (size_t{64} << 20)) + slack));
  const uint64_t stop = std::min(until, o_.records);
  while (emitted_ < stop && pos < target) {
    if (pos + slack > out.size()) out.resize(std::max(pos + slack, out.size() * 2));
    pos = static_cast<size_t>(WriteRecord(out.data() + pos, NextRecord()) - out.data());
    ++emitted_;
  }
  out.resize(pos);
  return emitted_ < stop;
}

bool FlowGenerator::Impl::AppendRecord(std::string& out, uint64_t* start, uint64_t* end) {
  header_done_ = true;  // a record stream without Append()'s header
  if (emitted_ >= o_.records) return false;
  const Rec& r = NextRecord();
  ++emitted_;
  *start = r.start;
  *end = r.end;
  char* const line = line_.data();
  out.append(line, static_cast<size_t>(WriteRecord(line, r) - line));
  return true;
}

}  // namespace flowsift
