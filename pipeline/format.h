// The flow-log format model: every known field of VPC flow logs v2..v11 and Transit Gateway
// flow logs, and a file's format (its ordered field list).
#ifndef FLOWSIFT_PIPELINE_FORMAT_H_
#define FLOWSIFT_PIPELINE_FORMAT_H_

#include <bitset>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kernels/enums.h"

namespace flowsift {

// How a field's text is converted.
enum class FieldKind : uint8_t {
  kString,  // kept as a span of the input (ids, names, ARNs, tags)
  kUint,    // decimal integer up to FieldInfo::max
  kTime,    // epoch seconds; values >= 10^11 are milliseconds and are divided by 1000
  kAddr,    // IPv4 or IPv6 address
  kEnum,    // one of a few spellings (kernels/enums.h)
};

// X(enumerator, "name", version, kind, max, enum kind). Order = AWS's documentation table
// order (reference/flowlogs.md section 2), then the Transit Gateway fields; the default
// formats below are prefixes of this order. Values are stable within a format version.
// Counters (packets, bytes, packets-lost-*) are AWS's INT_64, at most 2^63 - 1: larger values
// are `integer_overflow` bad lines (and sums of them cannot wrap: pipeline/saturating.h).
// Times are at most kMaxTime, the last millisecond of the year 9999 (values of 10^11 and up are
// milliseconds: docs/parsing.md): past it a start of 18446744073709551614 was a record of the
// year 584 million, which SIEM exports then wrote as times before their own starts.
inline constexpr uint64_t kMaxTime = 253402300799999;  // 9999-12-31T23:59:59.999Z in ms
// Epoch values at or above 10^11 (year 5138 in seconds) are milliseconds, as some exporters
// write them (obsrvbl flowlogs-reader divides them by 1000 too); so are --since and --until's.
inline constexpr uint64_t kMillisecondTimes = 100000000000ull;
#define FLOWSIFT_FIELDS(X)                                                              \
  X(kVersion, "version", 2, kUint, 255, kAction)                                        \
  X(kAccountId, "account-id", 2, kString, 0, kAction)                                   \
  X(kInterfaceId, "interface-id", 2, kString, 0, kAction)                               \
  X(kSrcAddr, "srcaddr", 2, kAddr, 0, kAction)                                          \
  X(kDstAddr, "dstaddr", 2, kAddr, 0, kAction)                                          \
  X(kSrcPort, "srcport", 2, kUint, 65535, kAction)                                      \
  X(kDstPort, "dstport", 2, kUint, 65535, kAction)                                      \
  X(kProtocol, "protocol", 2, kUint, 255, kAction)                                      \
  X(kPackets, "packets", 2, kUint, INT64_MAX, kAction)                                  \
  X(kBytes, "bytes", 2, kUint, INT64_MAX, kAction)                                      \
  X(kStart, "start", 2, kTime, kMaxTime, kAction)                                       \
  X(kEnd, "end", 2, kTime, kMaxTime, kAction)                                           \
  X(kAction, "action", 2, kEnum, 0, kAction)                                            \
  X(kLogStatus, "log-status", 2, kEnum, 0, kLogStatus)                                  \
  X(kVpcId, "vpc-id", 3, kString, 0, kAction)                                           \
  X(kSubnetId, "subnet-id", 3, kString, 0, kAction)                                     \
  X(kInstanceId, "instance-id", 3, kString, 0, kAction)                                 \
  X(kTcpFlags, "tcp-flags", 3, kUint, 255, kAction)                                     \
  X(kType, "type", 3, kEnum, 0, kAddrType)                                              \
  X(kPktSrcAddr, "pkt-srcaddr", 3, kAddr, 0, kAction)                                   \
  X(kPktDstAddr, "pkt-dstaddr", 3, kAddr, 0, kAction)                                   \
  X(kRegion, "region", 4, kString, 0, kAction)                                          \
  X(kAzId, "az-id", 4, kString, 0, kAction)                                             \
  X(kSublocationType, "sublocation-type", 4, kString, 0, kAction)                       \
  X(kSublocationId, "sublocation-id", 4, kString, 0, kAction)                           \
  X(kPktSrcAwsService, "pkt-src-aws-service", 5, kString, 0, kAction)                   \
  X(kPktDstAwsService, "pkt-dst-aws-service", 5, kString, 0, kAction)                   \
  X(kFlowDirection, "flow-direction", 5, kEnum, 0, kFlowDirection)                      \
  X(kTrafficPath, "traffic-path", 5, kUint, 255, kAction)                               \
  X(kEcsClusterArn, "ecs-cluster-arn", 7, kString, 0, kAction)                          \
  X(kEcsClusterName, "ecs-cluster-name", 7, kString, 0, kAction)                        \
  X(kEcsContainerInstanceArn, "ecs-container-instance-arn", 7, kString, 0, kAction)     \
  X(kEcsContainerInstanceId, "ecs-container-instance-id", 7, kString, 0, kAction)       \
  X(kEcsContainerId, "ecs-container-id", 7, kString, 0, kAction)                        \
  X(kEcsSecondContainerId, "ecs-second-container-id", 7, kString, 0, kAction)           \
  X(kEcsServiceName, "ecs-service-name", 7, kString, 0, kAction)                        \
  X(kEcsTaskDefinitionArn, "ecs-task-definition-arn", 7, kString, 0, kAction)           \
  X(kEcsTaskArn, "ecs-task-arn", 7, kString, 0, kAction)                                \
  X(kEcsTaskId, "ecs-task-id", 7, kString, 0, kAction)                                  \
  X(kRejectReason, "reject-reason", 8, kString, 0, kAction)                             \
  X(kResourceId, "resource-id", 9, kString, 0, kAction)                                 \
  X(kEncryptionStatus, "encryption-status", 10, kUint, 255, kAction)                    \
  X(kInstanceTag, "instance-tag", 11, kString, 0, kAction)                              \
  X(kInstanceTag2, "instance-tag-2", 11, kString, 0, kAction)                           \
  X(kInterfaceTag, "interface-tag", 11, kString, 0, kAction)                            \
  X(kInterfaceTag2, "interface-tag-2", 11, kString, 0, kAction)                         \
  X(kAsgTag, "asg-tag", 11, kString, 0, kAction)                                        \
  X(kAsgTag2, "asg-tag-2", 11, kString, 0, kAction)                                     \
  X(kInterfaceType, "interface-type", 11, kString, 0, kAction)                          \
  X(kNextHopInterfaceId, "next-hop-interface-id", 11, kString, 0, kAction)              \
  X(kNextHopSubnetId, "next-hop-subnet-id", 11, kString, 0, kAction)                    \
  X(kNextHopAzId, "next-hop-az-id", 11, kString, 0, kAction)                            \
  X(kNextHopVpcId, "next-hop-vpc-id", 11, kString, 0, kAction)                          \
  X(kNextHopInterfaceType, "next-hop-interface-type", 11, kString, 0, kAction)          \
  X(kResourceType, "resource-type", 6, kString, 0, kAction)                             \
  X(kTgwId, "tgw-id", 6, kString, 0, kAction)                                           \
  X(kTgwAttachmentId, "tgw-attachment-id", 6, kString, 0, kAction)                      \
  X(kTgwSrcVpcAccountId, "tgw-src-vpc-account-id", 6, kString, 0, kAction)              \
  X(kTgwDstVpcAccountId, "tgw-dst-vpc-account-id", 6, kString, 0, kAction)              \
  X(kTgwSrcVpcId, "tgw-src-vpc-id", 6, kString, 0, kAction)                             \
  X(kTgwDstVpcId, "tgw-dst-vpc-id", 6, kString, 0, kAction)                             \
  X(kTgwSrcSubnetId, "tgw-src-subnet-id", 6, kString, 0, kAction)                       \
  X(kTgwDstSubnetId, "tgw-dst-subnet-id", 6, kString, 0, kAction)                       \
  X(kTgwSrcEni, "tgw-src-eni", 6, kString, 0, kAction)                                  \
  X(kTgwDstEni, "tgw-dst-eni", 6, kString, 0, kAction)                                  \
  X(kTgwSrcAzId, "tgw-src-az-id", 6, kString, 0, kAction)                               \
  X(kTgwDstAzId, "tgw-dst-az-id", 6, kString, 0, kAction)                               \
  X(kTgwPairAttachmentId, "tgw-pair-attachment-id", 6, kString, 0, kAction)             \
  X(kPacketsLostNoRoute, "packets-lost-no-route", 6, kUint, INT64_MAX, kAction)         \
  X(kPacketsLostBlackhole, "packets-lost-blackhole", 6, kUint, INT64_MAX, kAction)      \
  X(kPacketsLostMtuExceeded, "packets-lost-mtu-exceeded", 6, kUint, INT64_MAX, kAction) \
  X(kPacketsLostTtlExpired, "packets-lost-ttl-expired", 6, kUint, INT64_MAX, kAction)

enum class Field : uint8_t {
#define FLOWSIFT_FIELD_ENUM(e, name, version, kind, max, enum_kind) e,
  FLOWSIFT_FIELDS(FLOWSIFT_FIELD_ENUM)
#undef FLOWSIFT_FIELD_ENUM
      kCount,
  kUnknown = 255,  // a header name flowsift does not know: carried, never converted
};
inline constexpr size_t kNumFields = static_cast<size_t>(Field::kCount);

struct FieldInfo {
  std::string_view name;  // as in headers and AWS docs, e.g. "log-status"
  uint8_t version;        // flow-log version that introduced it (6 = Transit Gateway)
  FieldKind kind;
  uint64_t max;                 // kUint/kTime: largest valid value
  kernels::EnumKind enum_kind;  // kEnum: which enum
};

const FieldInfo& InfoOf(Field f);
// The field named `name` (exact, lowercase, hyphenated), or Field::kUnknown.
Field FieldByName(std::string_view name);

// A set of fields, e.g. the columns a run needs materialised.
using FieldSet = std::bitset<kNumFields>;
FieldSet AllFields();

// An ordered field list: one file's format.
class Format {
 public:
  // The 14-field version-2 default format.
  static Format Default();
  // Builds a format from a header line or a `--format` value: names separated by spaces
  // ("version srcaddr ..."), `${name}` tokens ("${version} ${srcaddr}"), or a preset:
  // "v2".."v11" (every VPC field up to that version, in AWS table order; "v6" is "v5"), "tgw"
  // (the 36-field Transit Gateway default). Unknown names are kept as Field::kUnknown.
  // Returns nullopt and sets *error for an empty list, a token that is not a name, or a list
  // without one known name (a misspelt preset or list).
  static std::optional<Format> Parse(std::string_view spec, std::string* error);
  // When `line` (without its newline) is a header line, its format: every token looks like
  // a field name ([a-z][a-z0-9-]*) and at least half of them are known names. Else nullopt.
  static std::optional<Format> FromHeaderLine(std::string_view line);
  // When `line` is AWS's log-format string as the console shows it and users paste it above
  // their records ("${version} ${account-id} ${interface-id} ..."): every token `${name}`, the
  // names as FromHeaderLine takes them. Else nullopt. The reader takes it as a file's first
  // line only (FromHeaderLine does not: a data line never starts with "$").
  static std::optional<Format> FromLogFormatLine(std::string_view line);

  size_t size() const { return fields_.size(); }
  Field field(size_t i) const { return fields_[i]; }
  const std::string& name(size_t i) const { return names_[i]; }
  // Position of `f` in this format, or -1.
  int IndexOf(Field f) const { return index_of_[static_cast<size_t>(f)]; }
  bool Has(Field f) const { return IndexOf(f) >= 0; }
  // Transit Gateway flow-log records: their "interface" is tgw-attachment-id.
  bool IsTransitGateway() const {
    return Has(Field::kTgwAttachmentId) && !Has(Field::kInterfaceId);
  }
  // The header line AWS would write for this format (names joined by single spaces).
  std::string HeaderLine() const;
  // The first known field named twice: {its first field's index, the repeat's}, 0-based;
  // nullopt when each known field is named once. AWS refuses such a log format; --format does
  // too, and a file's header line that holds one is read with the first and noted (run).
  std::optional<std::pair<size_t, size_t>> FirstRepeat() const;

  friend bool operator==(const Format& a, const Format& b) { return a.names_ == b.names_; }

 private:
  explicit Format(std::vector<std::string> names);
  std::vector<std::string> names_;
  std::vector<Field> fields_;
  int index_of_[kNumFields];
};

}  // namespace flowsift

#endif  // FLOWSIFT_PIPELINE_FORMAT_H_
