#include "core/net/query_params.hpp"

#include "core/json/json_xml.hpp"
#include "core/xml/xml.hpp"

namespace egov::core {
namespace {

const xmlChar* xc(const char* s) {
  return reinterpret_cast<const xmlChar*>(s);
}

}  // namespace

bool percentDecode(std::string_view in, std::string& out, bool plus_is_space) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+' && plus_is_space) {
      out += ' ';
    } else if (c == '%') {
      if (i + 2 >= in.size()) return false;
      auto hex = [](char h) -> int {
        if (h >= '0' && h <= '9') return h - '0';
        if (h >= 'a' && h <= 'f') return h - 'a' + 10;
        if (h >= 'A' && h <= 'F') return h - 'A' + 10;
        return -1;
      };
      int hi = hex(in[i + 1]), lo = hex(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += c;
    }
  }
  return true;
}

Result<QueryParams> parseQuery(std::string_view query) {
  QueryParams params;
  while (!query.empty()) {
    auto amp = query.find('&');
    auto item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (item.empty()) continue;
    auto eq = item.find('=');
    std::string key, value;
    if (!percentDecode(item.substr(0, eq), key, true) ||
        (eq != std::string_view::npos && !percentDecode(item.substr(eq + 1), value, true))) {
      return makeError(ErrorKind::bad_request, "malformed percent-encoding in query string");
    }
    params.emplace_back(std::move(key), std::move(value));
  }
  return params;
}

Result<void> mergeQuery(xmlDoc& doc, const QueryParams& params) {
  if (params.empty()) return {};
  xmlNode* root = xmlDocGetRootElement(&doc);
  if (!root || !root->ns || xmlStrcmp(root->name, xc("map")) != 0 ||
      xmlStrcmp(root->ns->href, xc(kXpathFunctionsNs)) != 0) {
    return makeError(ErrorKind::bad_request, "query parameters need a JSON object body (or none)");
  }
  for (xmlNode* child = root->children; child; child = child->next) {
    if (child->type != XML_ELEMENT_NODE) continue;
    const auto key = xmlAttr(child, "key");
    for (const auto& [name, _] : params) {
      if (name == key) {
        return makeError(ErrorKind::bad_request,
                         "\"" + name + "\" is both a query parameter and a body member");
      }
    }
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    const auto& name = params[i].first;
    bool seen_before = false, repeated = false;
    for (std::size_t j = 0; j < params.size(); ++j) {
      if (j != i && params[j].first == name) (j < i ? seen_before : repeated) = true;
    }
    if (seen_before) continue;
    xmlNode* parent = root;
    if (repeated) {
      parent = xmlNewChild(root, root->ns, xc("array"), nullptr);
      xmlSetProp(parent, xc("key"), xc(name.c_str()));
    }
    for (std::size_t j = i; j < params.size(); ++j) {
      if (params[j].first != name) continue;
      xmlNode* value =
          xmlNewTextChild(parent, root->ns, xc("string"), xc(params[j].second.c_str()));
      if (!repeated) xmlSetProp(value, xc("key"), xc(name.c_str()));
    }
  }
  return {};
}

}  // namespace egov::core
