#include "core/testing/compare.hpp"

#include <libxml/c14n.h>
#include <libxml/xmlsave.h>
#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/json/json_xml.hpp"

namespace egov::core::testing {
namespace {

constexpr std::size_t kMaxCompared = 10 * 1024 * 1024;

void sortMembers(rapidjson::Value& value) {
  if (value.IsObject()) {
    std::sort(value.MemberBegin(), value.MemberEnd(), [](const auto& a, const auto& b) {
      return std::strcmp(a.name.GetString(), b.name.GetString()) < 0;
    });
    for (auto& member : value.GetObject()) sortMembers(member.value);
  } else if (value.IsArray()) {
    for (auto& item : value.GetArray()) sortMembers(item);
  }
}

template <class Writer>
void writeYaml(const YAML::Node& node, Writer& writer) {
  if (node.IsMap()) {
    writer.StartObject();
    for (const auto& entry : node) {
      const auto key = entry.first.Scalar();
      writer.Key(key.c_str(), static_cast<rapidjson::SizeType>(key.size()));
      writeYaml(entry.second, writer);
    }
    writer.EndObject();
    return;
  }
  if (node.IsSequence()) {
    writer.StartArray();
    for (const auto& item : node) writeYaml(item, writer);
    writer.EndArray();
    return;
  }
  if (!node.IsDefined() || node.IsNull()) {
    writer.Null();
    return;
  }
  const std::string& text = node.Scalar();
  const bool plain = node.Tag() != "!";  // "!": the scalar was quoted in the file
  if (plain && (text == "null" || text == "~" || text.empty())) {
    writer.Null();
  } else if (plain && (text == "true" || text == "false")) {
    writer.Bool(text == "true");
  } else if (plain && isJsonNumber(text)) {
    writer.RawValue(text.c_str(), text.size(), rapidjson::kNumberType);
  } else {
    writer.String(text.c_str(), static_cast<rapidjson::SizeType>(text.size()));
  }
}

void dropBlankText(xmlNode* node) {
  for (xmlNode* child = node->children; child;) {
    xmlNode* next = child->next;
    if (child->type == XML_TEXT_NODE && xmlIsBlankNode(child)) {
      xmlUnlinkNode(child);
      xmlFreeNode(child);
    } else if (child->type == XML_ELEMENT_NODE) {
      dropBlankText(child);
    }
    child = next;
  }
}

std::vector<std::string_view> lines(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    auto newline = text.find('\n');
    out.push_back(text.substr(0, newline));
    if (newline == std::string_view::npos) break;
    text.remove_prefix(newline + 1);
  }
  return out;
}

}  // namespace

Result<std::string> normalizedJson(std::string_view json) {
  if (json.size() > kMaxCompared) return makeError(ErrorKind::payload_too_large, "JSON too large");
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError()) {
    return makeError(ErrorKind::bad_request,
                     "not JSON (at offset " + std::to_string(doc.GetErrorOffset()) + ")");
  }
  sortMembers(doc);
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buffer);
  writer.SetIndent(' ', 2);
  doc.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string yamlToJson(const YAML::Node& node) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writeYaml(node, writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

Result<std::string> normalizedXml(std::string_view xml) {
  auto doc = parseXml(xml, {}, "xml");
  if (!doc) return std::move(doc).error();
  return normalizedXml(**doc);
}

Result<std::string> normalizedXml(const xmlDoc& source) {
  auto doc = copyXml(source);
  if (!doc) return makeError(ErrorKind::internal, "out of memory");
  if (xmlNode* root = xmlDocGetRootElement(doc.get())) dropBlankText(root);
  xmlChar* c14n = nullptr;
  const int size =
      xmlC14NDocDumpMemory(doc.get(), nullptr, XML_C14N_EXCLUSIVE_1_0, nullptr, 0, &c14n);
  if (size < 0 || !c14n) return makeError(ErrorKind::internal, "XML canonicalization failed");
  const std::string canonical(reinterpret_cast<const char*>(c14n), static_cast<std::size_t>(size));
  xmlFree(c14n);
  auto reparsed = parseXml(canonical, {}, "canonical");
  if (!reparsed) return std::move(reparsed).error();
  xmlBufferPtr buffer = xmlBufferCreate();
  if (!buffer) return makeError(ErrorKind::internal, "out of memory");
  std::unique_ptr<xmlBuffer, decltype(&xmlBufferFree)> owned(buffer, xmlBufferFree);
  xmlSaveCtxtPtr save = xmlSaveToBuffer(buffer, "UTF-8", XML_SAVE_FORMAT | XML_SAVE_NO_DECL);
  if (!save) return makeError(ErrorKind::internal, "out of memory");
  xmlSaveDoc(save, reparsed->get());
  xmlSaveClose(save);
  std::string out(reinterpret_cast<const char*>(xmlBufferContent(buffer)),
                  static_cast<std::size_t>(xmlBufferLength(buffer)));
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string unifiedDiff(std::string_view expected, std::string_view actual,
                        std::string_view indent) {
  if (expected == actual) return {};
  const auto a = lines(expected), b = lines(actual);
  const std::size_t n = a.size(), m = b.size();
  // Edit script from a longest common subsequence table; bodies compared here are small
  // (a route's reply), and a very large pair falls back to "all removed, all added".
  struct Edit {
    char op;  // ' ', '-', '+'
    std::string_view text;
    std::size_t a_line, b_line;  // 1-based positions before this edit
  };
  std::vector<Edit> edits;
  if (n * m <= 4'000'000) {
    std::vector<std::vector<std::uint32_t>> lcs(n + 1, std::vector<std::uint32_t>(m + 1, 0));
    for (std::size_t i = n; i-- > 0;) {
      for (std::size_t j = m; j-- > 0;) {
        lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
      }
    }
    std::size_t i = 0, j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && a[i] == b[j]) {
        edits.push_back({' ', a[i], i + 1, j + 1});
        ++i, ++j;
      } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
        edits.push_back({'-', a[i], i + 1, j + 1});
        ++i;
      } else {
        edits.push_back({'+', b[j], i + 1, j + 1});
        ++j;
      }
    }
  } else {
    for (std::size_t i = 0; i < n; ++i) edits.push_back({'-', a[i], i + 1, 1});
    for (std::size_t j = 0; j < m; ++j) edits.push_back({'+', b[j], n + 1, j + 1});
  }
  constexpr std::size_t kContext = 3;
  std::string out;
  out.append(indent).append("--- expected\n");
  out.append(indent).append("+++ actual\n");
  std::size_t k = 0;
  while (k < edits.size()) {
    while (k < edits.size() && edits[k].op == ' ') ++k;
    if (k == edits.size()) break;
    std::size_t start = k >= kContext ? k - kContext : 0;
    std::size_t end = k;  // one past the last change of this hunk
    for (std::size_t e = k; e < edits.size(); ++e) {
      if (edits[e].op != ' ') {
        end = e + 1;
      } else if (e - end + 1 > 2 * kContext) {
        break;
      }
    }
    std::size_t stop = std::min(edits.size(), end + kContext);
    std::size_t a_count = 0, b_count = 0;
    for (std::size_t e = start; e < stop; ++e) {
      a_count += edits[e].op != '+';
      b_count += edits[e].op != '-';
    }
    const std::size_t a_from = a_count ? edits[start].a_line : edits[start].a_line - 1;
    const std::size_t b_from = b_count ? edits[start].b_line : edits[start].b_line - 1;
    out.append(indent).append("@@ -" + std::to_string(a_from) + "," + std::to_string(a_count) +
                              " +" + std::to_string(b_from) + "," + std::to_string(b_count) +
                              " @@\n");
    for (std::size_t e = start; e < stop; ++e) {
      out.append(indent).push_back(edits[e].op);
      out.append(edits[e].text).push_back('\n');
    }
    k = stop;
  }
  return out;
}

}  // namespace egov::core::testing
