// esxcli prints the same data in five shapes; this file turns each into records of
// (field -> value) so the typed parsers (esxcli_vm.h) are written once.
//
// Field names are normalised with field_key(): "Port ID" (plain), "PortID" (csv,
// keyvalue, xml) both become "portid".
//
// Accepted shapes:
//  Table     header line, a line of dashes giving the column spans, then rows
//            (`esxcli network vm list`). The last column runs to the end of the line.
//  Blocks    "   Key: Value" lines, records separated by blank lines
//            (`esxcli network vm port list -w ID`). A record may also start with an
//            unindented title line ("Port 1:"/"vm1") that is ignored.
//  Csv       --formatter=csv: header line, comma separated, RFC 4180 quoting,
//            trailing comma allowed.
//  KeyValue  --formatter=keyvalue: "Struct.Field.type=value"; a repeated field or a
//            blank line starts the next record.
//  Xml       --formatter=xml: <structure> elements with <field name="F"><type>v</type>
//            </field>; a <list> value becomes its items joined by ", ".
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace vmc::host {

using Record = std::map<std::string, std::string>;

enum class EsxcliFormat { Auto, Table, Blocks, Csv, KeyValue, Xml };

const char* to_string(EsxcliFormat f);

/// Guesses the shape from the first non-blank line (Auto never returned).
EsxcliFormat detect_esxcli_format(std::string_view text);

/// Parses `text` in `format` (Auto: detect). Empty or blank text gives no records.
/// Errors (code "esxcli.parse") name the line number and quote the offending line.
Result<std::vector<Record>> parse_esxcli_records(std::string_view text,
                                                 EsxcliFormat format = EsxcliFormat::Auto);

/// Splits esxcli list values ("VM Network, dvportgroup-10", "[a, b]") into trimmed items.
std::vector<std::string> split_esxcli_list(std::string_view value);

}  // namespace vmc::host
