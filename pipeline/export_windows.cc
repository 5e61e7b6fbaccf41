// Windows as OCSF Network Activity, ECS aws.vpcflow documents and Splunk HEC events, printed
// directly as JSON text (docs/export.md has the mappings; tests/schemas/ checks them).
#include <string_view>
#include <utility>

#include "pipeline/export.h"
#include "pipeline/json_text.h"

namespace flowsift {
namespace {

uint64_t Span(uint64_t start, uint64_t end) { return end >= start ? end - start : 0; }

// `,"name":value` for each counter, in SPEC 3.1 order; `first` omits the leading comma.
void AppendCounters(const WindowRow& w, std::string& out, bool first) {
  const std::pair<std::string_view, uint64_t> fields[] = {
      {"nodata", w.nodata},
      {"skipdata", w.skipdata},
      {"accepted", w.accepted},
      {"rejected", w.rejected},
      {"rejected_bytes", w.rejected_bytes},
      {"bytes_out_external", w.bytes_out_external},
      {"bytes_in_external", w.bytes_in_external},
      {"distinct_srcaddr", w.distinct_srcaddr},
      {"distinct_dstaddr", w.distinct_dstaddr},
      {"distinct_dstport", w.distinct_dstport}};
  for (const auto& [name, value] : fields) {
    if (!first) out += ',';
    first = false;
    out += '"';
    out += name;
    out += "\":";
    AppendUint(value, out);
  }
}

}  // namespace

WindowEncoder::WindowEncoder(ExportFormat format, const ExportContext& ctx) : format_(format) {
  if (!ctx.region.empty()) {
    region_ = ",\"region\":";
    AppendJsonString(ctx.region, region_);
  }
  const nlohmann::ordered_json metadata = {{"version", kOcsfVersion},
                                           {"product",
                                            {{"name", "flowsift"},
                                             {"vendor_name", "flowsift"},
                                             {"version", ctx.product_version},
                                             {"feature", {{"name", "windows"}}}}},
                                           {"profiles", nlohmann::ordered_json::array({"cloud"})}};
  metadata_ = "\"metadata\":" +
              metadata.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

void WindowEncoder::Append(const WindowRow& w, std::string& out) const {
  switch (format_) {
    case ExportFormat::kOcsf:
      AppendOcsf(w, out);
      break;
    case ExportFormat::kEcs:
      AppendEcs(w, out);
      break;
    case ExportFormat::kSplunk:
      AppendSplunk(w, out);
      break;
    case ExportFormat::kAsff:
      return;  // windows are not findings
  }
  out += '\n';
}

// OCSF 1.1.0 Network Activity, activity 6 Traffic. Security Lake puts interface-id on
// dst_endpoint for ingress and src_endpoint for egress; a window holds both directions of an
// interface's traffic and is filed as ingress, the monitored side. What OCSF has no field for
// goes to `unmapped`.
void WindowEncoder::AppendOcsf(const WindowRow& w, std::string& out) const {
  out += R"({"class_uid":4001,"class_name":"Network Activity","category_uid":4,)"
         R"("category_name":"Network Activity","activity_id":6,"activity_name":"Traffic",)"
         R"("type_uid":400106,"type_name":"Network Activity: Traffic","severity_id":1,)"
         R"("severity":"Informational","time":)";
  AppendUint(w.window_start * 1000, out);
  out += ",\"start_time\":";
  AppendUint(w.window_start * 1000, out);
  out += ",\"end_time\":";
  AppendUint(w.window_end * 1000, out);
  out += ",\"duration\":";
  AppendUint(Span(w.window_start, w.window_end) * 1000, out);
  out += ",\"count\":";
  AppendUint(w.records, out);
  if (!IsMissing(w.interface_id)) {
    out += ",\"dst_endpoint\":{\"interface_uid\":";
    AppendJsonString(w.interface_id, out);
    out += '}';
  } else {
    // OCSF asks for at least one endpoint, and these records name none: the endpoint is named
    // for what it stands for.
    out += R"(,"dst_endpoint":{"name":"records without an interface-id"})";
  }
  out += ",\"traffic\":{\"bytes\":";
  AppendUint(w.bytes, out);
  out += ",\"packets\":";
  AppendUint(w.packets, out);
  out += "},\"cloud\":{\"provider\":\"AWS\"";
  if (!IsMissing(w.account_id)) {
    out += ",\"account\":{\"uid\":";
    AppendJsonString(w.account_id, out);
    out += '}';
  }
  out += region_;
  out += "},";
  out += metadata_;
  out += ",\"unmapped\":{";
  AppendCounters(w, out, /*first=*/true);
  out += "}}";
}

// ECS as Elastic's aws.vpcflow writes a flow record: @timestamp = end, event.start/end, the
// sums in network.*, everything else under aws.vpcflow.*. Its own dataset, flowsift.window (as
// findings have flowsift.finding): in aws.vpcflow's data stream beside the flow records it sums,
// every byte counted twice.
void WindowEncoder::AppendEcs(const WindowRow& w, std::string& out) const {
  const std::string end = FormatIsoTime(w.window_end);
  out += "{\"@timestamp\":\"";
  out += end;
  out += R"(","event":{"kind":"event","category":["network"],"type":["connection"],)"
         R"("dataset":"flowsift.window","module":"flowsift","start":")";
  out += FormatIsoTime(w.window_start);
  out += "\",\"end\":\"";
  out += end;
  out += "\",\"duration\":";
  AppendUint(Span(w.window_start, w.window_end) * 1'000'000'000, out);  // nanoseconds
  out += "},\"cloud\":{\"provider\":\"aws\"";
  if (!IsMissing(w.account_id)) {
    out += ",\"account\":{\"id\":";
    AppendJsonString(w.account_id, out);
    out += '}';
  }
  out += region_;
  out += "},\"network\":{\"bytes\":";
  AppendUint(w.bytes, out);
  out += ",\"packets\":";
  AppendUint(w.packets, out);
  out += "},\"aws\":{\"vpcflow\":{";
  if (!IsMissing(w.interface_id)) {
    out += "\"interface_id\":";
    AppendJsonString(w.interface_id, out);
    out += ',';
  }
  out += "\"records\":";
  AppendUint(w.records, out);
  out += ",\"packets\":";
  AppendUint(w.packets, out);
  out += ",\"bytes\":";
  AppendUint(w.bytes, out);
  AppendCounters(w, out, /*first=*/false);
  out += "}}}";
}

// Splunk HEC: time = window start (epoch seconds), host = the interface; the event carries
// CIM Network_Traffic's bytes, packets, dvc, vendor_account, vendor_product and duration, plus
// the window's own counters.
void WindowEncoder::AppendSplunk(const WindowRow& w, std::string& out) const {
  out += "{\"time\":";
  AppendUint(w.window_start, out);
  if (!IsMissing(w.interface_id)) {
    out += ",\"host\":";
    AppendJsonString(w.interface_id, out);
  }
  out += R"(,"source":"flowsift","sourcetype":"flowsift:window","event":{)"
         R"("vendor_product":"flowsift")";
  if (!IsMissing(w.account_id)) {
    out += ",\"vendor_account\":";
    AppendJsonString(w.account_id, out);
  }
  if (!IsMissing(w.interface_id)) {
    out += ",\"dvc\":";
    AppendJsonString(w.interface_id, out);
    out += ",\"interface_id\":";
    AppendJsonString(w.interface_id, out);
  }
  out += region_;
  out += ",\"window_start\":";
  AppendUint(w.window_start, out);
  out += ",\"window_end\":";
  AppendUint(w.window_end, out);
  out += ",\"duration\":";
  AppendUint(Span(w.window_start, w.window_end), out);
  out += ",\"count\":";
  AppendUint(w.records, out);
  out += ",\"bytes\":";
  AppendUint(w.bytes, out);
  out += ",\"packets\":";
  AppendUint(w.packets, out);
  out += ",\"records\":";
  AppendUint(w.records, out);
  AppendCounters(w, out, /*first=*/false);
  out += "}}";
}

}  // namespace flowsift
