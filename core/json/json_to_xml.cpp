// JSON text -> XPath 3.1 XML representation. RapidJSON SAX events go straight into a libxml2
// tree, so there is no intermediate JSON DOM.
#include "core/json/json_xml.hpp"
#include "core/json/map_keys.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>
#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace egov::core {

bool isJsonNumber(std::string_view text) {
  // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?  (RFC 8259 §6)
  std::size_t i = 0;
  const auto digits = [&] {
    const std::size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    return i > start;
  };
  if (i < text.size() && text[i] == '-') ++i;
  if (i < text.size() && text[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == text.size();
}

namespace json_detail {

std::string quoteForMessage(std::string_view text) {
  // Error messages are one line and bounded, whatever the offending key or text holds.
  constexpr std::size_t kMaxBytes = 64;
  std::size_t cut = std::min(text.size(), kMaxBytes);
  while (cut < text.size() && cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
    --cut;  // never split a UTF-8 sequence
  }
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.String(text.data(), static_cast<rapidjson::SizeType>(cut));
  std::string out(buffer.GetString(), buffer.GetSize());
  if (cut < text.size()) out += "...";
  return out;
}

}  // namespace json_detail

namespace {

using json_detail::quoteForMessage;

const xmlChar* xmlChars(const char* text) {
  return reinterpret_cast<const xmlChar*>(text);
}

// RapidJSON 1.1.0 (the Debian 12 package) fails with kParseErrorNumberTooBig on numbers outside
// the double range even under kParseNumbersAsStringsFlag (Tencent/rapidjson#1368, fixed after
// that release), so 1e400 would be refused. The reader therefore parses a shadow copy in which
// each such number is replaced by a harmless number of the same length: offsets stay identical,
// and the builder takes the number text from the original at the offsets the reader reports.
// Returns nothing in the common case where no number needs replacing, so nothing is copied.
std::optional<std::string> shadowBigNumbers(std::string_view json) {
  const auto isNumberChar = [](char c) {
    return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
  };
  std::optional<std::string> shadow;
  std::size_t i = 0;
  while (i < json.size()) {
    const char c = json[i];
    if (c == '"') {  // digits inside strings are not numbers
      for (++i; i < json.size() && json[i] != '"'; ++i) {
        if (json[i] == '\\') ++i;
      }
      ++i;
      continue;
    }
    if (c != '-' && !(c >= '0' && c <= '9')) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < json.size() && isNumberChar(json[end])) ++end;
    const std::string_view token = json.substr(i, end - i);
    // Only an exponent or hundreds of digits leave the double range. An invalid token stays as
    // it is, for the reader to report where it is.
    if ((token.size() > 300 || token.find_first_of("eE") != std::string_view::npos) &&
        isJsonNumber(token)) {
      if (!shadow) shadow.emplace(json);
      const std::size_t at = i + (c == '-' ? 1 : 0);  // such a token has at least 3 characters
      (*shadow)[at] = '1';
      (*shadow)[at + 1] = '.';
      std::fill(shadow->begin() + static_cast<std::ptrdiff_t>(at + 2),
                shadow->begin() + static_cast<std::ptrdiff_t>(end), '0');
    }
    i = end;
  }
  return shadow;
}

// Characters XML 1.0 cannot carry (§2.2: controls other than tab and LF, U+FFFE, U+FFFF), and
// CR, which every XML parser normalises to LF unless it arrives as &#13;.
bool needsJsonEscapes(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 && c != '\t' && c != '\n') return true;
    if (c == 0xEF && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0xBF &&
        static_cast<unsigned char>(text[i + 2]) >= 0xBE) {
      return true;
    }
  }
  return false;
}

// The escaped="true" form: the JSON string literal without its quotes, as RapidJSON writes it,
// plus \uFFFE and \uFFFF, which the writer leaves raw because they are valid in JSON.
std::string jsonEscapes(std::string_view text) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  const std::string_view literal(buffer.GetString() + 1, buffer.GetSize() - 2);
  std::string out;
  out.reserve(literal.size());
  for (std::size_t i = 0; i < literal.size(); ++i) {
    if (literal.compare(i, 3, "\xEF\xBF\xBE") == 0 || literal.compare(i, 3, "\xEF\xBF\xBF") == 0) {
      out += literal[i + 2] == '\xBE' ? "\\uFFFE" : "\\uFFFF";
      i += 2;
    } else {
      out += literal[i];
    }
  }
  return out;
}

// RapidJSON 1.1.0 decodes a lone low surrogate escape (\uDC00) into the bytes ED B0 80 instead
// of failing; strings are otherwise valid UTF-8 at this point.
bool hasEncodedSurrogate(std::string_view text) {
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] == '\xED' && static_cast<unsigned char>(text[i + 1]) >= 0xA0) return true;
  }
  return false;
}

// Builds the tree from reader events. When it refuses an event it records why and where, and
// the reader stops with kParseErrorTermination.
class XmlBuilder : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, XmlBuilder> {
 public:
  XmlBuilder(std::string_view json, const rapidjson::MemoryStream& stream, unsigned max_depth)
      : json_(json), stream_(stream), max_depth_(max_depth), doc_(xmlNewDoc(xmlChars("1.0"))) {}

  bool Null() { return addScalar("null", {}, false); }
  bool Bool(bool value) { return addScalar("boolean", value ? "true" : "false", false); }
  bool RawNumber(const char*, rapidjson::SizeType length, bool) {
    // The stream sits right after the number; its text comes from the original, see
    // shadowBigNumbers.
    const std::string_view text = json_.substr(stream_.Tell() - length, length);
    if (!isJsonNumber(text)) return refuse(stream_.Tell() - length, "invalid number");
    return addScalar("number", text, false);
  }
  bool String(const char* text, rapidjson::SizeType length, bool) {
    const std::string_view value(text, length);
    if (hasEncodedSurrogate(value)) return refuse(stringStart(), "unpaired surrogate escape");
    if (needsJsonEscapes(value)) return addScalar("string", jsonEscapes(value), true);
    return addScalar("string", value, false);
  }
  bool StartObject() { return open("map", true); }
  bool Key(const char* text, rapidjson::SizeType length, bool) {
    key_.assign(text, length);
    if (hasEncodedSurrogate(key_)) return refuse(stringStart(), "unpaired surrogate escape");
    if (keys_.contains(key_)) {
      return refuse(stringStart(), "duplicate key " + quoteForMessage(key_));
    }
    return true;
  }
  bool EndObject(rapidjson::SizeType) { return close(); }
  bool StartArray() { return open("array", false); }
  bool EndArray(rapidjson::SizeType) { return close(); }

  bool refused() const { return !reason_.empty(); }
  ErrorKind refusalKind() const { return refusal_kind_; }
  std::size_t refusalOffset() const { return refusal_offset_; }
  const std::string& refusalReason() const { return reason_; }
  XmlDocPtr takeDoc() { return std::move(doc_); }

 private:
  struct OpenContainer {
    xmlNode* element;
    bool is_map;
  };

  bool refuse(std::size_t offset, std::string reason, ErrorKind kind = ErrorKind::bad_request) {
    refusal_offset_ = offset;
    reason_ = std::move(reason);
    refusal_kind_ = kind;
    return false;
  }

  // Offset of the opening quote of the string the reader has just read. Inside a string a quote
  // is always preceded by an odd run of backslashes, so the first quote before the closing one
  // with an even run in front of it opens the string.
  std::size_t stringStart() const {
    std::size_t i = stream_.Tell() - 1;  // the closing quote
    while (i > 0) {
      --i;
      if (json_[i] != '"') continue;
      std::size_t backslashes = 0;
      while (backslashes < i && json_[i - 1 - backslashes] == '\\') ++backslashes;
      if (backslashes % 2 == 0) return i;
    }
    return 0;
  }

  // A new element for the next value, in place: as root, or as last child of the open
  // container carrying the pending key when that container is a map.
  xmlNode* addElement(const char* name) {
    if (!doc_) return nullptr;
    xmlNode* element = xmlNewDocNode(doc_.get(), ns_, xmlChars(name), nullptr);
    if (!element) return nullptr;
    if (open_.empty()) {
      xmlDocSetRootElement(doc_.get(), element);
      ns_ = xmlNewNs(element, xmlChars(kXpathFunctionsNs), nullptr);
      if (!ns_) return nullptr;
      xmlSetNs(element, ns_);
      return element;
    }
    xmlAddChild(open_.back().element, element);
    if (!open_.back().is_map) return element;
    if (!needsJsonEscapes(key_)) {
      const ::xmlAttr* key = xmlNewProp(element, xmlChars("key"), xmlChars(key_.c_str()));
      if (!key || !key->children || !key->children->content) return nullptr;
      keys_.add(reinterpret_cast<const char*>(key->children->content));
    } else if (!xmlNewProp(element, xmlChars("key"), xmlChars(jsonEscapes(key_).c_str())) ||
               !xmlNewProp(element, xmlChars("escaped-key"), xmlChars("true"))) {
      return nullptr;
    } else {
      keys_.add(escaped_keys_.emplace_back(key_));
    }
    return element;
  }

  bool addScalar(const char* name, std::string_view text, bool escaped) {
    xmlNode* element = addElement(name);
    if (!element) return refuse(stream_.Tell(), "out of memory", ErrorKind::internal);
    if (escaped && !xmlNewProp(element, xmlChars("escaped"), xmlChars("true"))) {
      return refuse(stream_.Tell(), "out of memory", ErrorKind::internal);
    }
    if (text.empty()) return true;
    xmlNode* content = xmlNewDocTextLen(doc_.get(), reinterpret_cast<const xmlChar*>(text.data()),
                                        static_cast<int>(text.size()));
    if (!content) return refuse(stream_.Tell(), "out of memory", ErrorKind::internal);
    xmlAddChild(element, content);
    return true;
  }

  bool open(const char* name, bool is_map) {
    if (open_.size() >= max_depth_) {
      // The iterative reader reports a container before it takes the bracket.
      return refuse(stream_.Tell(),
                    "nesting deeper than " + std::to_string(max_depth_) + " levels");
    }
    xmlNode* element = addElement(name);
    if (!element) return refuse(stream_.Tell(), "out of memory", ErrorKind::internal);
    open_.push_back(OpenContainer{element, is_map});
    if (is_map) keys_.open();
    return true;
  }

  bool close() {
    if (open_.back().is_map) keys_.close();
    open_.pop_back();
    return true;
  }

  std::string_view json_;
  const rapidjson::MemoryStream& stream_;
  unsigned max_depth_;
  XmlDocPtr doc_;
  xmlNs* ns_ = nullptr;
  std::vector<OpenContainer> open_;
  json_detail::MapKeys keys_;             // views of the tree's key attributes, or of:
  std::deque<std::string> escaped_keys_;  // keys whose attribute holds them escaped
  std::string key_;                       // the key of the member whose value comes next
  std::string reason_;
  std::size_t refusal_offset_ = 0;
  ErrorKind refusal_kind_ = ErrorKind::bad_request;
};

// "line L, column C" for a byte offset, both 1-based, the column counted in characters.
std::string position(std::string_view json, std::size_t offset) {
  offset = std::min(offset, json.size());
  const std::string_view before = json.substr(0, offset);
  const std::size_t line =
      1 + static_cast<std::size_t>(std::count(before.begin(), before.end(), '\n'));
  const std::size_t last_newline = before.rfind('\n');
  const std::size_t line_start = last_newline == std::string_view::npos ? 0 : last_newline + 1;
  std::size_t column = 1;
  for (std::size_t i = line_start; i < offset; ++i) {
    if ((static_cast<unsigned char>(json[i]) & 0xC0) != 0x80) ++column;
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

// RapidJSON's English messages read "Invalid value."; ours continue a sentence.
std::string readerReason(rapidjson::ParseErrorCode code) {
  std::string reason = rapidjson::GetParseError_En(code);
  if (!reason.empty() && reason.back() == '.') reason.pop_back();
  if (!reason.empty()) {
    reason[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(reason[0])));
  }
  return reason;
}

}  // namespace

Result<XmlDocPtr> jsonToXml(std::string_view json, const JsonLimits& limits) {
  constexpr const char* kNulReason = "unexpected NUL character";
  if (json.size() > limits.max_bytes) {
    return makeError(ErrorKind::payload_too_large,
                     "JSON larger than " + std::to_string(limits.max_bytes) + " bytes");
  }
  const std::optional<std::string> shadow = shadowBigNumbers(json);
  const std::string_view text = shadow ? std::string_view(*shadow) : json;
  rapidjson::MemoryStream stream(text.data(), text.size());
  XmlBuilder builder(json, stream, limits.max_depth);
  // Iterative, so that the stack does not grow with nesting whatever max_depth is configured.
  constexpr unsigned kFlags = rapidjson::kParseIterativeFlag |
                              rapidjson::kParseNumbersAsStringsFlag |
                              rapidjson::kParseValidateEncodingFlag;
  rapidjson::Reader reader;
  const rapidjson::ParseResult parsed = reader.Parse<kFlags>(stream, builder);
  if (parsed.IsError()) {
    if (builder.refused()) {
      return makeError(builder.refusalKind(),
                       position(json, builder.refusalOffset()) + ": " + builder.refusalReason());
    }
    // The reader takes a NUL byte for the end of the input and then names what is missing.
    const bool at_nul = parsed.Offset() < text.size() && text[parsed.Offset()] == '\0';
    return makeError(ErrorKind::bad_request,
                     position(json, parsed.Offset()) + ": " +
                         (at_nul ? std::string(kNulReason) : readerReason(parsed.Code())));
  }
  if (stream.Tell() != text.size()) {
    return makeError(ErrorKind::bad_request, position(json, stream.Tell()) + ": " + kNulReason);
  }
  XmlDocPtr doc = builder.takeDoc();
  if (!doc) return makeError(ErrorKind::internal, "out of memory creating XML document");
  return doc;
}

}  // namespace egov::core
