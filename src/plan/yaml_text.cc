#include "plan/yaml_text.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>

#include <cstdio>
#include <sstream>
#include <vector>

#include "util/utf8.h"

namespace vmc::plan {

Location location_of(const std::string& file, const YAML::Mark& m) {
  if (m.is_null()) return Location{file, 0, 0};
  return Location{file, m.line + 1, m.column + 1};
}

namespace {

// Counts the documents of a YAML text and notices when the parser stops advancing:
// yaml-cpp 0.7's LoadAll loops forever on a stray ',' at the top level (found by
// fuzz_plan_loader), returning the same empty document again and again.
class DocumentCounter : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> starts;
  void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// Offset of the first byte that is NUL or not part of a valid UTF-8 sequence (no
// overlong forms, surrogates or code points above U+10FFFF), or npos.
size_t first_bad_byte(std::string_view t) {
  for (size_t i = 0; i < t.size();) {
    if (t[i] == '\0') return i;
    const size_t n = util::utf8_sequence_length(t, i);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

// A plan is UTF-8 text (as YAML requires); a NUL or a byte that is not UTF-8 means a
// binary file or another encoding, which yaml-cpp would report as a puzzling syntax error
// or pass through into VM names.
bool check_encoding(std::string_view text, const std::string& file, Diagnostics& diags) {
  const size_t bad = first_bad_byte(text);
  if (bad == std::string_view::npos) return true;
  int line = 1, column = 1;
  for (size_t i = 0; i < bad; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned char>(text[bad]));
  if (text[bad] == '\0') {
    diags.add(Location{file, line, column}, "plan.encoding",
              "the file holds a NUL byte: it is binary data, not a YAML text file");
  } else {
    diags.add(Location{file, line, column}, "plan.encoding",
              std::string("byte ") + hex +
                  " is not UTF-8: plans and policies must be UTF-8 text (save the file as UTF-8)");
  }
  return false;
}

}  // namespace

std::optional<YAML::Node> parse_one_document(std::string_view text, const std::string& file, Diagnostics& diags) {
  if (!check_encoding(text, file, diags)) return std::nullopt;
  try {
    std::istringstream in{std::string(text)};
    YAML::Parser parser(in);
    DocumentCounter counter;
    // Two documents are enough to know the file is wrong.
    while (counter.starts.size() < 2 && parser.HandleNextDocument(counter)) {
      if (counter.starts.size() == 2 && counter.starts[1].pos <= counter.starts[0].pos) {
        const YAML::Mark& m = counter.starts[1];
        std::string what = m.pos >= 0 && static_cast<size_t>(m.pos) < text.size()
                               ? "'" + std::string(1, text[static_cast<size_t>(m.pos)]) + "'"
                               : "text";
        diags.add(location_of(file, m), "plan.syntax",
                  "YAML syntax error: unexpected " + what +
                      " at the top level (a ',' belongs inside [ ] or { }); expected a mapping of key: value lines");
        return std::nullopt;
      }
    }
    if (counter.starts.size() > 1) {
      diags.add(location_of(file, counter.starts[1]), "plan.syntax",
                "the file holds more than one YAML document (separated by ---); a plan or policy is one document");
      return std::nullopt;
    }
    if (counter.starts.empty()) return YAML::Node(YAML::NodeType::Null);
    return YAML::Load(std::string(text));
  } catch (const YAML::DeepRecursion& e) {
    diags.add(location_of(file, e.mark), "plan.syntax",
              "YAML nesting is too deep (lists or mappings inside each other thousands of times); "
              "a plan needs a few levels only");
    return std::nullopt;
  } catch (const YAML::Exception& e) {
    std::string msg = "YAML syntax error: " + e.msg;
    // yaml-cpp says "illegal map value" for tab indentation; say what to do instead.
    if (!e.mark.is_null()) {
      size_t pos = 0;
      for (int line = 0; line < e.mark.line && pos != std::string_view::npos; ++line) {
        pos = text.find('\n', pos);
        if (pos != std::string_view::npos) ++pos;
      }
      if (pos != std::string_view::npos && pos < text.size() && text[pos] == '\t') {
        msg += " (this line is indented with a tab; YAML indentation must use spaces)";
      }
    }
    diags.add(location_of(file, e.mark), "plan.syntax", msg);
    return std::nullopt;
  }
}

}  // namespace vmc::plan
