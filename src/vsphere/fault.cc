#include "vsphere/fault.h"

#include <cctype>

namespace vmc::vsphere {
namespace {

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ||
         c == ':';
}

std::string_view local_name(std::string_view qname) {
  auto colon = qname.rfind(':');
  return colon == std::string_view::npos ? qname : qname.substr(colon + 1);
}

bool plausible_type_name(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

}  // namespace

ErrorKind fault_kind(std::string_view type) {
  if (type == "ManagedObjectNotFound") return ErrorKind::NotFound;
  if (type == "InvalidLogin" || type == "NoPermission" || type == "NotAuthorized") return ErrorKind::Refused;
  return ErrorKind::Failed;
}

std::string fault_type_from_detail(std::string_view xml) {
  // First start tag that is not a declaration, comment or end tag.
  size_t pos = 0;
  while (true) {
    pos = xml.find('<', pos);
    if (pos == std::string_view::npos || pos + 1 >= xml.size()) return {};
    char next = xml[pos + 1];
    if (next != '?' && next != '!' && next != '/') break;
    ++pos;
  }
  size_t name_begin = pos + 1;
  size_t name_end = name_begin;
  while (name_end < xml.size() && is_name_char(xml[name_end])) ++name_end;
  std::string_view element = local_name(xml.substr(name_begin, name_end - name_begin));
  size_t tag_end = xml.find('>', name_end);
  std::string_view attrs =
      xml.substr(name_end, tag_end == std::string_view::npos ? xml.size() - name_end
                                                              : tag_end - name_end);

  // xsi:type="..." (any prefix bound to the instance namespace is spelt xsi in practice;
  // accept any prefix ending in ":type" that is not the bare "type" attribute).
  for (size_t at = attrs.find(":type"); at != std::string_view::npos;
       at = attrs.find(":type", at + 1)) {
    size_t eq = at + 5;
    while (eq < attrs.size() && attrs[eq] == ' ') ++eq;
    if (eq >= attrs.size() || attrs[eq] != '=') continue;
    size_t q = eq + 1;
    while (q < attrs.size() && attrs[q] == ' ') ++q;
    if (q >= attrs.size() || (attrs[q] != '"' && attrs[q] != '\'')) continue;
    size_t close = attrs.find(attrs[q], q + 1);
    if (close == std::string_view::npos) break;
    std::string_view type = local_name(attrs.substr(q + 1, close - q - 1));
    if (plausible_type_name(type)) return std::string(type);
  }
  constexpr std::string_view kSuffix = "Fault";
  if (element.size() > kSuffix.size() &&
      element.substr(element.size() - kSuffix.size()) == kSuffix) {
    element.remove_suffix(kSuffix.size());
  }
  return plausible_type_name(element) ? std::string(element) : std::string();
}

std::string session_cookie_from_set_cookie(std::string_view value) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  auto semi = value.find(';');
  std::string_view pair = value.substr(0, semi);
  while (!pair.empty() && pair.back() == ' ') pair.remove_suffix(1);
  constexpr std::string_view kName = "vmware_soap_session=";
  if (pair.substr(0, kName.size()) != kName || pair.size() == kName.size()) return {};
  for (char c : pair) {
    if (c == '\r' || c == '\n') return {};  // never echo header injection back
  }
  return std::string(pair);
}

}  // namespace vmc::vsphere
