#include "host/esxcli_records.h"

#include <cstdio>
#include <set>

#include "host/text.h"

namespace vmc::host {
namespace {

Error parse_error(EsxcliFormat f, size_t line_no, std::string_view line, const std::string& what) {
  return Error("esxcli.parse", std::string("esxcli ") + to_string(f) + " output, line " +
                                   std::to_string(line_no) + " " + excerpt(line) + ": " + what);
}

bool is_dash_line(std::string_view s) {
  s = trim(s);
  if (s.empty()) return false;
  for (char c : s) {
    if (c != '-' && c != ' ') return false;
  }
  return true;
}

bool is_blank(std::string_view s) { return trim(s).empty(); }

// ---- Table ----------------------------------------------------------------------------

Result<std::vector<Record>> parse_table(const std::vector<std::string_view>& lines) {
  std::vector<Record> out;
  size_t h = 0;
  while (h < lines.size() && is_blank(lines[h])) ++h;
  if (h == lines.size()) return out;
  if (h + 1 >= lines.size() || !is_dash_line(lines[h + 1])) {
    return parse_error(EsxcliFormat::Table, h + 1, lines[h],
                       "expected a header followed by a line of dashes");
  }
  std::string_view dashes = lines[h + 1];
  std::vector<size_t> starts;
  for (size_t i = 0; i < dashes.size(); ++i) {
    if (dashes[i] == '-' && (i == 0 || dashes[i - 1] != '-')) starts.push_back(i);
  }
  auto slice = [&](std::string_view line, size_t col) -> std::string_view {
    size_t b = starts[col];
    if (b >= line.size()) return {};
    size_t e = col + 1 < starts.size() ? starts[col + 1] : line.size();
    if (e > line.size()) e = line.size();
    return trim(line.substr(b, e - b));
  };
  std::vector<std::string> names;
  for (size_t c = 0; c < starts.size(); ++c) names.push_back(field_key(slice(lines[h], c)));
  for (size_t i = h + 2; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (is_blank(line)) continue;
    // A value running over a column boundary means the spans do not describe this row.
    for (size_t c = 1; c < starts.size(); ++c) {
      size_t b = starts[c];
      if (b < line.size() && b > 0 && line[b - 1] != ' ' && line[b] != ' ') {
        return parse_error(EsxcliFormat::Table, i + 1, line,
                           "a value crosses the start of column " + names[c] +
                               "; the row does not line up with the header");
      }
    }
    Record r;
    for (size_t c = 0; c < starts.size(); ++c) r[names[c]] = std::string(slice(line, c));
    out.push_back(std::move(r));
  }
  return out;
}

// ---- Blocks ---------------------------------------------------------------------------

Result<std::vector<Record>> parse_blocks(const std::vector<std::string_view>& lines) {
  std::vector<Record> out;
  Record cur;
  auto flush = [&] {
    if (!cur.empty()) out.push_back(std::move(cur));
    cur.clear();
  };
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (is_blank(line)) {
      flush();
      continue;
    }
    bool indented = line.front() == ' ' || line.front() == '\t';
    size_t colon = line.find(':');
    std::string_view t = trim(line);
    if (!indented && (colon == std::string_view::npos || t.back() == ':')) {
      // A title ("vm1" or "Port 1:") must be followed by an indented "Key: Value" line.
      bool ok = i + 1 < lines.size() && !lines[i + 1].empty() &&
                (lines[i + 1].front() == ' ' || lines[i + 1].front() == '\t') &&
                lines[i + 1].find(':') != std::string_view::npos;
      if (!ok) return parse_error(EsxcliFormat::Blocks, i + 1, line, "expected \"Key: Value\"");
      flush();
      continue;
    }
    if (colon == std::string_view::npos) {
      return parse_error(EsxcliFormat::Blocks, i + 1, line, "expected \"Key: Value\"");
    }
    std::string key = field_key(line.substr(0, colon));
    if (key.empty()) return parse_error(EsxcliFormat::Blocks, i + 1, line, "empty field name");
    if (cur.count(key)) flush();  // records not separated by a blank line
    cur[key] = std::string(trim(line.substr(colon + 1)));
  }
  flush();
  return out;
}

// ---- Csv ------------------------------------------------------------------------------

Result<std::vector<Record>> parse_csv(std::string_view text) {
  // Tokenise the whole text (quoted fields may hold newlines), then map rows to the header.
  std::vector<std::vector<std::string>> rows;
  std::vector<size_t> row_line;
  std::vector<std::string> row;
  std::string field;
  bool in_quotes = false, field_started = false;
  size_t line_no = 1, row_start = 1;
  auto end_row = [&] {
    row.push_back(std::move(field));
    field.clear();
    field_started = false;
    bool blank = row.size() == 1 && trim(row[0]).empty();
    if (!blank) {
      rows.push_back(std::move(row));
      row_line.push_back(row_start);
    }
    row.clear();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line_no;
        field += c;
      }
      continue;
    }
    if (c == '"' && !field_started) {
      in_quotes = true;
      field_started = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
      field_started = false;
    } else if (c == '\n') {
      end_row();
      ++line_no;
      row_start = line_no;
    } else if (c == '\r') {
      // CRLF: ignored outside quotes.
    } else {
      field += c;
      field_started = true;
    }
  }
  if (in_quotes) {
    return Error("esxcli.parse", "esxcli csv output, line " + std::to_string(row_start) +
                                     ": a quoted field is not closed (output truncated?)");
  }
  if (!row.empty() || field_started || !field.empty()) end_row();

  std::vector<Record> out;
  if (rows.empty()) return out;
  std::vector<std::string> header = rows[0];
  if (!header.empty() && trim(header.back()).empty()) header.pop_back();
  std::vector<std::string> keys;
  for (const auto& h : header) {
    keys.push_back(field_key(h));
    if (keys.back().empty()) {
      return Error("esxcli.parse", "esxcli csv output, line " + std::to_string(row_line[0]) +
                                       ": the header has an empty column name");
    }
  }
  for (size_t r = 1; r < rows.size(); ++r) {
    auto& fields = rows[r];
    if (fields.size() == keys.size() + 1 && fields.back().empty()) fields.pop_back();
    if (fields.size() != keys.size()) {
      return Error("esxcli.parse", "esxcli csv output, line " + std::to_string(row_line[r]) +
                                       ": " + std::to_string(fields.size()) +
                                       " fields where the header has " +
                                       std::to_string(keys.size()));
    }
    Record rec;
    for (size_t c = 0; c < keys.size(); ++c) rec[keys[c]] = std::string(trim(fields[c]));
    out.push_back(std::move(rec));
  }
  return out;
}

// ---- KeyValue -------------------------------------------------------------------------

Result<std::vector<Record>> parse_keyvalue(const std::vector<std::string_view>& lines) {
  std::vector<Record> out;
  Record cur;
  std::set<std::string> list_keys;  // list-typed fields of the current record
  auto flush = [&] {
    if (!cur.empty()) out.push_back(std::move(cur));
    cur.clear();
    list_keys.clear();
  };
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (is_blank(line)) {
      flush();
      continue;
    }
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return parse_error(EsxcliFormat::KeyValue, i + 1, line, "expected \"Struct.Field.type=value\"");
    }
    std::string_view path = trim(line.substr(0, eq));
    // Struct.Field.type -> Field; Struct.Field -> Field; Field -> Field.
    std::vector<std::string_view> parts;
    size_t s = 0;
    while (true) {
      size_t d = path.find('.', s);
      parts.push_back(path.substr(s, d == std::string_view::npos ? std::string_view::npos : d - s));
      if (d == std::string_view::npos) break;
      s = d + 1;
    }
    std::string_view name = parts.size() >= 3 ? parts[parts.size() - 2]
                            : parts.size() == 2 ? parts[1] : parts[0];
    std::string key = field_key(name);
    if (key.empty()) return parse_error(EsxcliFormat::KeyValue, i + 1, line, "empty field name");
    std::string value(trim(line.substr(eq + 1)));
    // "VM.Networks.string[]=a" repeats once per list element: join them.
    bool list = parts.size() >= 3 && parts.back().size() > 2 &&
                parts.back().substr(parts.back().size() - 2) == "[]";
    auto it = cur.find(key);
    if (list && it != cur.end() && list_keys.count(key)) {
      if (!value.empty()) it->second += (it->second.empty() ? "" : ", ") + value;
      continue;
    }
    if (it != cur.end()) flush();
    if (list) list_keys.insert(key);
    cur[key] = value;
  }
  flush();
  return out;
}

// ---- Xml ------------------------------------------------------------------------------

std::string xml_unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    size_t semi = s.find(';', i);
    if (semi == std::string_view::npos || semi - i > 8) {
      out += s[i];
      continue;
    }
    std::string_view ent = s.substr(i + 1, semi - i - 1);
    if (ent == "amp") out += '&';
    else if (ent == "lt") out += '<';
    else if (ent == "gt") out += '>';
    else if (ent == "quot") out += '"';
    else if (ent == "apos") out += '\'';
    else {
      out += s.substr(i, semi - i + 1);
    }
    i = semi;
  }
  return out;
}

std::string_view tag_name(std::string_view tag) {
  size_t e = 0;
  while (e < tag.size() && tag[e] != ' ' && tag[e] != '\t' && tag[e] != '\n' && tag[e] != '/' &&
         tag[e] != '\r') {
    ++e;
  }
  return tag.substr(0, e);
}

std::string attr(std::string_view tag, std::string_view name) {
  std::string pat = std::string(name) + "=\"";
  size_t p = tag.find(pat);
  if (p == std::string_view::npos) return {};
  size_t b = p + pat.size();
  size_t e = tag.find('"', b);
  if (e == std::string_view::npos) return {};
  return xml_unescape(tag.substr(b, e - b));
}

Result<std::vector<Record>> parse_xml(std::string_view text) {
  std::vector<Record> out;
  Record cur;
  int depth = 0;  // <structure> nesting
  std::string field;
  bool in_field = false;
  std::vector<std::string> values;
  std::vector<std::string_view> open;  // names of the elements open at this point
  size_t i = 0;
  auto err = [&](const std::string& what) {
    size_t line = 1;
    for (size_t k = 0; k < i && k < text.size(); ++k) line += text[k] == '\n';
    return Error("esxcli.parse", "esxcli xml output, line " + std::to_string(line) + ": " + what);
  };
  while (i < text.size()) {
    if (text[i] != '<') {
      size_t e = text.find('<', i);
      if (e == std::string_view::npos) e = text.size();
      std::string_view t = trim(text.substr(i, e - i));
      if (in_field && depth == 1 && !t.empty()) values.push_back(xml_unescape(t));
      i = e;
      continue;
    }
    size_t e = text.find('>', i);
    if (e == std::string_view::npos) return err("a tag is not closed (output truncated?)");
    std::string_view tag = text.substr(i + 1, e - i - 1);
    i = e + 1;
    if (tag.empty() || tag[0] == '?' || tag[0] == '!') continue;
    bool closing = tag[0] == '/';
    bool self_closing = tag.back() == '/';
    std::string_view name = tag_name(closing ? tag.substr(1) : tag);
    // Every end tag must close the element that is open: a mismatch means the output
    // is damaged, and its values cannot be trusted to belong to the fields around them.
    if (closing) {
      if (open.empty()) return err("</" + std::string(name) + "> closes nothing");
      if (open.back() != name) {
        return err("</" + std::string(name) + "> does not close <" + std::string(open.back()) +
                   ">; the document is not well-formed");
      }
      open.pop_back();
    } else if (!self_closing) {
      open.push_back(name);
    }
    if (name == "structure") {
      if (closing) {
        if (depth == 0) return err("</structure> without <structure>");
        if (depth == 1) {
          out.push_back(std::move(cur));
          cur.clear();
        }
        --depth;
      } else if (!self_closing) {
        ++depth;
      }
    } else if (name == "field" && depth == 1) {
      if (closing) {
        if (!in_field) return err("</field> without <field>");
        std::string joined;
        for (size_t k = 0; k < values.size(); ++k) joined += (k ? ", " : "") + values[k];
        cur[field_key(field)] = joined;
        in_field = false;
      } else {
        field = attr(tag, "name");
        if (field.empty()) return err("<field> without a name");
        values.clear();
        in_field = !self_closing;
        if (self_closing) cur[field_key(field)] = "";
      }
    }
  }
  if (depth != 0 || in_field) return err("the document ends inside a structure (output truncated?)");
  return out;
}

}  // namespace

const char* to_string(EsxcliFormat f) {
  switch (f) {
    case EsxcliFormat::Auto: return "auto";
    case EsxcliFormat::Table: return "table";
    case EsxcliFormat::Blocks: return "plain";
    case EsxcliFormat::Csv: return "csv";
    case EsxcliFormat::KeyValue: return "keyvalue";
    case EsxcliFormat::Xml: return "xml";
  }
  return "?";
}

EsxcliFormat detect_esxcli_format(std::string_view text) {
  auto lines = split_lines(text);
  size_t i = 0;
  while (i < lines.size() && is_blank(lines[i])) ++i;
  if (i == lines.size()) return EsxcliFormat::Blocks;
  std::string_view first = trim(lines[i]);
  if (first.front() == '<') return EsxcliFormat::Xml;
  size_t eq = first.find('=');
  if (eq != std::string_view::npos) {
    std::string_view k = first.substr(0, eq);
    if (k.find('.') != std::string_view::npos && k.find(' ') == std::string_view::npos &&
        k.find(',') == std::string_view::npos) {
      return EsxcliFormat::KeyValue;
    }
  }
  if (i + 1 < lines.size() && is_dash_line(lines[i + 1])) return EsxcliFormat::Table;
  if (first.find(',') != std::string_view::npos && first.find(':') == std::string_view::npos) {
    return EsxcliFormat::Csv;
  }
  return EsxcliFormat::Blocks;
}

Result<std::vector<Record>> parse_esxcli_records(std::string_view text, EsxcliFormat format) {
  // esxcli prints UTF-8 (VM names included); other bytes mean binary data or another
  // command's output, whose fields must not be taken for port ids or names.
  if (size_t bad = first_invalid_utf8(text); bad != std::string_view::npos) {
    size_t line_no = 1, start = 0;
    for (size_t i = 0; i < bad; ++i) {
      if (text[i] == '\n') {
        ++line_no;
        start = i + 1;
      }
    }
    size_t end = text.find('\n', bad);
    std::string_view line = text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned char>(text[bad]));
    return Error("esxcli.parse", "esxcli output, line " + std::to_string(line_no) + " " +
                                     excerpt(line) + ": byte " + hex + " at column " +
                                     std::to_string(bad - start + 1) +
                                     " is not UTF-8; esxcli prints UTF-8 text (is this the "
                                     "output of esxcli?)");
  }
  if (format == EsxcliFormat::Auto) format = detect_esxcli_format(text);
  switch (format) {
    case EsxcliFormat::Table: return parse_table(split_lines(text));
    case EsxcliFormat::Blocks: return parse_blocks(split_lines(text));
    case EsxcliFormat::Csv: return parse_csv(text);
    case EsxcliFormat::KeyValue: return parse_keyvalue(split_lines(text));
    case EsxcliFormat::Xml: return parse_xml(text);
    case EsxcliFormat::Auto: break;
  }
  return Error("esxcli.parse", "unknown esxcli format");
}

std::vector<std::string> split_esxcli_list(std::string_view value) {
  std::vector<std::string> out;
  value = trim(value);
  if (value.size() >= 2 && value.front() == '[' && value.back() == ']') {
    value = value.substr(1, value.size() - 2);
  }
  size_t s = 0;
  while (s <= value.size()) {
    size_t c = value.find(',', s);
    std::string_view item = trim(value.substr(s, c == std::string_view::npos ? value.npos : c - s));
    if (!item.empty()) out.emplace_back(item);
    if (c == std::string_view::npos) break;
    s = c + 1;
  }
  return out;
}

}  // namespace vmc::host
