// XPath 3.1 XML representation -> compact JSON text. The walk over the tree is iterative, since
// a mapping's output is not bounded in depth by any parser limit.
#include "core/json/json_xml.hpp"
#include "core/json/map_keys.hpp"

#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace egov::core {
namespace {

using json_detail::quoteForMessage;

// Validating: a string that is not UTF-8, or an escape decoding to an unpaired surrogate, makes
// String() and Key() return false instead of producing invalid JSON.
using JsonWriter =
    rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>,
                      rapidjson::CrtAllocator, rapidjson::kWriteValidateEncodingFlag>;

enum class Kind { map, array, string, number, boolean, null };

std::optional<Kind> kindOf(const xmlNode& element) {
  const auto* name = reinterpret_cast<const char*>(element.name);
  if (std::strcmp(name, "map") == 0) return Kind::map;
  if (std::strcmp(name, "array") == 0) return Kind::array;
  if (std::strcmp(name, "string") == 0) return Kind::string;
  if (std::strcmp(name, "number") == 0) return Kind::number;
  if (std::strcmp(name, "boolean") == 0) return Kind::boolean;
  if (std::strcmp(name, "null") == 0) return Kind::null;
  return std::nullopt;
}

Error failAt(const xmlNode& element, const std::string& reason) {
  return makeError(ErrorKind::mapping_failed,
                   "<" + std::string(reinterpret_cast<const char*>(element.name)) + "> at line " +
                       std::to_string(xmlGetLineNo(&element)) + ": " + reason);
}

bool isXmlSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::string_view trimXmlSpace(std::string_view text) {
  while (!text.empty() && isXmlSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && isXmlSpace(text.back())) text.remove_suffix(1);
  return text;
}

// xs:boolean, which is what the specification casts boolean text and the escaped attributes to.
std::optional<bool> parseXsBoolean(std::string_view text) {
  text = trimXmlSpace(text);
  if (text == "true" || text == "1") return true;
  if (text == "false" || text == "0") return false;
  return std::nullopt;
}

struct XmlCharDeleter {
  void operator()(xmlChar* text) const { xmlFree(text); }
};

// The text a node holds when `children`, its children, are one text node (what a parser and
// libxslt make), read where it is; otherwise nothing, and the caller asks libxml2 for a copy.
std::optional<std::string_view> singleText(const xmlNode* children) {
  if (children == nullptr) return std::string_view();
  if (children->next != nullptr ||
      (children->type != XML_TEXT_NODE && children->type != XML_CDATA_SECTION_NODE)) {
    return std::nullopt;
  }
  return children->content ? reinterpret_cast<const char*>(children->content) : "";
}

// An attribute in no namespace (the representation's key, escaped, escaped-key), if present:
// a view into the tree, or into `scratch` when libxml2 has to put the value together (entity
// references, a DTD's defaults).
std::optional<std::string_view> plainAttribute(const xmlNode& element, const char* name,
                                               std::string& scratch) {
  const auto* wanted = reinterpret_cast<const xmlChar*>(name);
  if (element.doc == nullptr || element.doc->intSubset == nullptr) {
    for (const ::xmlAttr* attr = element.properties; attr != nullptr; attr = attr->next) {
      if (attr->ns != nullptr || !xmlStrEqual(attr->name, wanted)) continue;
      if (const std::optional<std::string_view> text = singleText(attr->children)) return text;
      break;
    }
  }
  std::unique_ptr<xmlChar, XmlCharDeleter> value(xmlGetNoNsProp(&element, wanted));
  if (!value) return std::nullopt;
  scratch.assign(reinterpret_cast<const char*>(value.get()));
  return std::string_view(scratch);
}

// Reads a boolean attribute such as escaped="true"; absent is false.
Result<bool> flagAttribute(const xmlNode& element, const char* name) {
  std::string scratch;
  const std::optional<std::string_view> value = plainAttribute(element, name, scratch);
  if (!value) return false;
  if (const std::optional<bool> flag = parseXsBoolean(*value)) return *flag;
  return failAt(element, std::string("invalid ") + name + " attribute " + quoteForMessage(*value));
}

struct StringCapture : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, StringCapture> {
  bool String(const char* text, rapidjson::SizeType length, bool) {
    value.assign(text, length);
    return true;
  }
  bool Default() { return false; }  // anything but one string is not what was built
  std::string value;
};

// Decodes the content of an escaped="true" string or escaped-key="true" key. Its backslashes
// start JSON escape sequences; quotes and raw control characters that a stylesheet left
// unescaped are taken literally, as the specification says. The decoding itself is RapidJSON's,
// on a string literal built around the content.
std::optional<std::string> decodeJsonEscapes(std::string_view escaped) {
  std::string literal = "\"";
  literal.reserve(escaped.size() + 2);
  for (std::size_t i = 0; i < escaped.size(); ++i) {
    const char c = escaped[i];
    if (c == '\\') {
      literal += c;
      if (i + 1 < escaped.size()) literal += escaped[++i];  // the reader checks the sequence
    } else if (c == '"') {
      literal += "\\\"";
    } else if (c == '\t') {
      literal += "\\t";
    } else if (c == '\n') {
      literal += "\\n";
    } else if (c == '\r') {
      literal += "\\r";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      constexpr char kHex[] = "0123456789ABCDEF";
      literal += "\\u00";
      literal += kHex[(c >> 4) & 0xF];
      literal += kHex[c & 0xF];
    } else {
      literal += c;
    }
  }
  literal += '"';
  rapidjson::Reader reader;
  rapidjson::StringStream stream(literal.c_str());
  StringCapture capture;
  if (reader.Parse<rapidjson::kParseValidateEncodingFlag>(stream, capture).IsError()) {
    return std::nullopt;
  }
  return std::move(capture.value);
}

class JsonEmitter {
 public:
  JsonEmitter() : writer_(buffer_) {}

  Result<std::string> run(const xmlNode& top) {
    if (top.type != XML_ELEMENT_NODE) {
      return makeError(ErrorKind::mapping_failed, "JSON representation: not an element");
    }
    const xmlNode* element = &top;
    for (;;) {
      Result<bool> opened = enter(*element, element == &top);
      if (!opened) return std::move(opened).error();
      const xmlNode* from = *opened ? element->children : element->next;
      // Find the next member, closing containers whose members are all written.
      for (;;) {
        if (open_.empty()) return std::string(buffer_.GetString(), buffer_.GetSize());
        Result<const xmlNode*> next = nextMember(from);
        if (!next) return std::move(next).error();
        if (*next) {
          element = *next;
          break;
        }
        from = open_.back().element->next;
        if (open_.back().is_map) {
          writer_.EndObject();
        } else {
          writer_.EndArray();
        }
        if (open_.back().is_map) keys_.close();
        open_.pop_back();
      }
    }
  }

 private:
  struct OpenContainer {
    const xmlNode* element;
    bool is_map;
  };

  // The first element from `from` on among the siblings inside the innermost open container, or
  // null when there is none. Whitespace between members is layout; comments and processing
  // instructions are not data.
  Result<const xmlNode*> nextMember(const xmlNode* from) const {
    for (const xmlNode* node = from; node; node = node->next) {
      if (node->type == XML_ELEMENT_NODE) return node;
      if (node->type != XML_TEXT_NODE && node->type != XML_CDATA_SECTION_NODE) continue;
      const std::string_view text =
          node->content ? reinterpret_cast<const char*>(node->content) : "";
      if (!trimXmlSpace(text).empty()) {
        const xmlNode& container = *open_.back().element;
        return failAt(container, "text " + quoteForMessage(text) + " inside <" +
                                     reinterpret_cast<const char*>(container.name) + ">");
      }
    }
    return static_cast<const xmlNode*>(nullptr);
  }

  // Writes the key, then the value or the start of the container; true when a container was
  // opened, whose members come next.
  Result<bool> enter(const xmlNode& element, bool is_top) {
    if (!element.ns ||
        std::strcmp(reinterpret_cast<const char*>(element.ns->href), kXpathFunctionsNs) != 0) {
      return failAt(element, std::string("not in namespace ") + kXpathFunctionsNs);
    }
    const std::optional<Kind> kind = kindOf(element);
    if (!kind) return failAt(element, "unknown element");
    // A key on the element converted is ignored: it may be a member taken out of its map.
    if (!is_top) {
      if (Result<void> keyed = writeKey(element); !keyed) return std::move(keyed).error();
    }
    switch (*kind) {
      case Kind::map:
        writer_.StartObject();
        open_.push_back(OpenContainer{&element, true});
        keys_.open();
        return true;
      case Kind::array:
        writer_.StartArray();
        open_.push_back(OpenContainer{&element, false});
        return true;
      case Kind::string:
      case Kind::number:
      case Kind::boolean:
      case Kind::null:
        if (Result<void> written = writeScalar(element, *kind); !written) {
          return std::move(written).error();
        }
        return false;
    }
    return false;
  }

  Result<void> writeKey(const xmlNode& element) {
    OpenContainer& parent = open_.back();
    std::string scratch;
    std::optional<std::string_view> key = plainAttribute(element, "key", scratch);
    if (!parent.is_map) {
      if (key) return failAt(element, "key attribute inside <array>");
      return {};
    }
    if (!key) return failAt(element, "missing key attribute inside <map>");
    const Result<bool> escaped = flagAttribute(element, "escaped-key");
    if (!escaped) return escaped.error();
    if (*escaped) {
      std::optional<std::string> decoded = decodeJsonEscapes(*key);
      if (!decoded) return failAt(element, "invalid JSON escape sequence in key");
      key = decoded_keys_.emplace_back(std::move(*decoded));
    } else if (key->data() == scratch.data()) {
      key = decoded_keys_.emplace_back(std::move(scratch));
    }
    if (keys_.contains(*key)) return failAt(element, "duplicate key " + quoteForMessage(*key));
    keys_.add(*key);
    if (!writer_.Key(key->data(), static_cast<rapidjson::SizeType>(key->size()))) {
      return failAt(element, "key is not valid UTF-8 (unpaired surrogate?)");
    }
    return {};
  }

  Result<void> writeScalar(const xmlNode& element, Kind kind) {
    for (const xmlNode* child = element.children; child; child = child->next) {
      if (child->type == XML_ELEMENT_NODE) return failAt(element, "element inside a scalar");
    }
    std::string copy;
    std::optional<std::string_view> text = singleText(element.children);
    if (!text) text = copy = xmlText(&element);
    switch (kind) {
      case Kind::string: {
        const Result<bool> escaped = flagAttribute(element, "escaped");
        if (!escaped) return escaped.error();
        std::optional<std::string> decoded;
        if (*escaped) {
          decoded = decodeJsonEscapes(*text);
          if (!decoded) return failAt(element, "invalid JSON escape sequence");
          text = *decoded;
        }
        if (!writer_.String(text->data(), static_cast<rapidjson::SizeType>(text->size()))) {
          return failAt(element, "not valid UTF-8 (unpaired surrogate?)");
        }
        return {};
      }
      case Kind::number: {
        const std::string_view number = trimXmlSpace(*text);
        if (!isJsonNumber(number))
          return failAt(element, "invalid number " + quoteForMessage(*text));
        writer_.RawValue(number.data(), number.size(), rapidjson::kNumberType);
        return {};
      }
      case Kind::boolean: {
        const std::optional<bool> value = parseXsBoolean(*text);
        if (!value) return failAt(element, "invalid boolean " + quoteForMessage(*text));
        writer_.Bool(*value);
        return {};
      }
      case Kind::null:
        if (!trimXmlSpace(*text).empty()) return failAt(element, "text inside <null>");
        writer_.Null();
        return {};
      case Kind::map:
      case Kind::array:
        break;
    }
    return {};
  }

  rapidjson::StringBuffer buffer_;
  JsonWriter writer_;
  std::vector<OpenContainer> open_;
  json_detail::MapKeys keys_;             // views of the tree's key attributes, or of:
  std::deque<std::string> decoded_keys_;  // keys not in the tree as they are (escaped-key)
};

}  // namespace

Result<std::string> xmlNodeToJson(const xmlNode& node) {
  return JsonEmitter().run(node);
}

Result<std::string> xmlToJson(const xmlDoc& doc) {
  const xmlNode* root = xmlDocGetRootElement(&doc);
  if (!root) return makeError(ErrorKind::mapping_failed, "JSON representation: no root element");
  return xmlNodeToJson(*root);
}

}  // namespace egov::core
