#include <doctest/doctest.h>

#include <string>

#include "core/json/json_xml.hpp"
#include "core/xml/xml.hpp"

using namespace egov::core;

namespace {

const std::string kNs = "xmlns=\"http://www.w3.org/2005/xpath-functions\"";

std::string toXml(std::string_view json) {
  auto doc = jsonToXml(json);
  REQUIRE_MESSAGE(doc.ok(), doc.error().message);
  return serializeXml(**doc);
}

// JSON -> tree -> JSON, and JSON -> tree -> XML text -> parsed tree -> JSON: the representation
// must survive serialization, not only live in memory. Both must agree.
std::string roundTrip(std::string_view json) {
  auto doc = jsonToXml(json);
  REQUIRE_MESSAGE(doc.ok(), doc.error().message);
  auto direct = xmlToJson(**doc);
  REQUIRE_MESSAGE(direct.ok(), direct.error().message);
  auto reparsed = parseXml(serializeXml(**doc));
  REQUIRE_MESSAGE(reparsed.ok(), reparsed.error().message);
  auto via_text = xmlToJson(**reparsed);
  REQUIRE_MESSAGE(via_text.ok(), via_text.error().message);
  CHECK(*via_text == *direct);
  return *direct;
}

Error jsonToXmlError(std::string_view json, const JsonLimits& limits = {}) {
  auto doc = jsonToXml(json, limits);
  REQUIRE(!doc.ok());
  return doc.error();
}

Error representationError(const std::string& xml) {
  auto doc = parseXml(xml);
  REQUIRE_MESSAGE(doc.ok(), doc.error().message);
  auto json = xmlToJson(**doc);
  REQUIRE_MESSAGE(!json.ok(), *json);
  CHECK(json.error().kind == ErrorKind::mapping_failed);
  return json.error();
}

std::string xmlToJsonText(const std::string& xml) {
  auto doc = parseXml(xml);
  REQUIRE_MESSAGE(doc.ok(), doc.error().message);
  auto json = xmlToJson(**doc);
  REQUIRE_MESSAGE(json.ok(), json.error().message);
  return *json;
}

bool contains(const std::string& text, std::string_view fragment) {
  return text.find(fragment) != std::string::npos;
}

}  // namespace

TEST_CASE("json to XML produces the XPath 3.1 representation") {
  CHECK(toXml(R"({"a":[1,"x",true,null],"b":{},"c":""})") ==
        "<map " + kNs +
            "><array key=\"a\"><number>1</number><string>x</string><boolean>true</boolean>"
            "<null/></array><map key=\"b\"/><string key=\"c\"/></map>");
  CHECK(toXml("false") == "<boolean " + kNs + ">false</boolean>");
  CHECK(toXml(R"(["<&>"])") == "<array " + kNs + "><string>&lt;&amp;&gt;</string></array>");
  // A backslash alone needs no escaping: it is a plain character of the value.
  CHECK(toXml(R"({"path":"C:\\dir"})") ==
        "<map " + kNs + "><string key=\"path\">C:\\dir</string></map>");
}

TEST_CASE("json round trip keeps number text exactly as written") {
  const std::string numbers =
      "[1.50,1e400,-0,12345678901234567890123,0.1,1E+2,-1e-400,2.50e-3,0,-1.0E-0]";
  CHECK(roundTrip(numbers) == numbers);
  const std::string huge = "[" + std::string(1, '9') + std::string(400, '0') + ",-1." +
                           std::string(500, '5') + "e99999]";
  CHECK(roundTrip(huge) == huge);
  CHECK(toXml("[1e400]") == "<array " + kNs + "><number>1e400</number></array>");
  // Digits inside strings are text, whatever they look like.
  CHECK(roundTrip(R"(["1e400","-0",{"1e999":1e999}])") == R"(["1e400","-0",{"1e999":1e999}])");
}

TEST_CASE("json round trip decodes escapes into characters") {
  CHECK(roundTrip(R"({"q":"\"","b":"\\","s":"\/","n":"a\nb","t":"\t","e":"\u00e9",)"
                  R"("p":"\ud83d\ude00","x":"\u0041"})") ==
        "{\"q\":\"\\\"\",\"b\":\"\\\\\",\"s\":\"/\",\"n\":\"a\\nb\",\"t\":\"\\t\",\"e\":\"é\","
        "\"p\":\"😀\",\"x\":\"A\"}");
  // Tab and LF are XML characters: the value carries them, no escaped attribute is needed.
  CHECK(toXml(R"(["a\tb\nc\u00e9\ud83d\ude00"])") ==
        "<array " + kNs + "><string>a\tb\nc" + "é😀" + "</string></array>");
}

TEST_CASE("json round trip keeps Unicode text") {
  const std::string italian =
      R"({"città":"Forlì-Cesena","perché":"è già così","emoji":"😀🇮🇹","cjk":"東京"})";
  CHECK(roundTrip(italian) == italian);
}

TEST_CASE("json round trip of empty, nested and top-level values") {
  for (const char* json : {"{}", "[]", "\"\"", "\"x\"", "42", "-0.0", "true", "false", "null",
                           R"({"a":{},"b":[],"c":[[[]],{"d":{"e":[{}]}}],"f":[null,""]})",
                           R"({"z":1,"a":2,"m":3})", R"([{"":""}])"}) {
    CAPTURE(json);
    CHECK(roundTrip(json) == json);
  }
  // Whitespace in the input is layout, not data.
  CHECK(roundTrip(" {\n  \"a\" : [ 1 , 2 ] ,\r\n\t\"b\" : { }\n}\n") == R"({"a":[1,2],"b":{}})");
}

TEST_CASE("json characters XML cannot hold travel as JSON escapes") {
  // Canonical compact JSON as RapidJSON writes it, so the round trip is byte-identical.
  const std::string json =
      "{\"k\\u0001ey\\r\":\"a\\u0000b\\r\\nc\\\\d\\u001F\\\"\",\"ok\":\"\xEF\xBF\xBF\"}";
  CHECK(roundTrip(json) == json);
  const std::string xml = toXml(json);
  CHECK(contains(xml, R"(<string key="k\u0001ey\r" escaped-key="true" escaped="true">)"
                      R"(a\u0000b\r\nc\\d\u001F\"</string>)"));
  CHECK(contains(xml, R"(<string key="ok" escaped="true">\uFFFF</string>)"));
  // U+FFFE in a key; tab and LF in a key are XML characters and survive as &#9; and &#10;.
  const std::string keys = "{\"\xEF\xBF\xBE\":1,\"a\\tb\\nc\":2}";
  CHECK(roundTrip(keys) == keys);
  CHECK(contains(toXml(keys), R"(<number key="\uFFFE" escaped-key="true">1</number>)"));
  CHECK(contains(toXml(keys), R"(<number key="a&#9;b&#10;c">2</number>)"));
  // A lone CR is enough: XML parsers turn a raw CR into LF.
  CHECK(roundTrip(R"(["\r"])") == R"(["\r"])");
  CHECK(contains(toXml(R"(["\r"])"), R"(<string escaped="true">\r</string>)"));
}

TEST_CASE("json xmlToJson reads escaped strings as stylesheets write them") {
  // Escape sequences decode; quotes, tabs and newlines written raw are taken literally.
  CHECK(xmlToJsonText("<map " + kNs +
                      R"(><string key="a\u00e9" escaped-key="1" escaped="true">)"
                      "x\\u00e9 \"q\" \\/ \\\\ \\ud83d\\ude00 \t|\n</string></map>") ==
        "{\"aé\":\"xé \\\"q\\\" / \\\\ 😀 \\t|\\n\"}");
  // Without escaped="true", a backslash is just a backslash.
  CHECK(xmlToJsonText("<string " + kNs + R"(>\u00e9</string>)") == R"("\\u00e9")");
  CHECK(xmlToJsonText("<string " + kNs + R"( escaped="false">\n</string>)") == R"("\\n")");
}

TEST_CASE("json xmlToJson ignores layout, comments and reads empty strings") {
  const std::string xml = "<?xml version=\"1.0\"?>\n<map " + kNs +
                          ">\n"
                          "  <!-- written by a stylesheet -->\n"
                          "  <array key=\"list\">\n"
                          "    <number> 7 </number>\n"
                          "    <boolean>1</boolean>\n"
                          "    <boolean> false </boolean>\n"
                          "    <null/>\n"
                          "    <null></null>\n"
                          "  </array>\n"
                          "  <string key=\"empty\"/>\n"
                          "  <string key=\"also\"></string>\n"
                          "  <string key=\"spaces\">  a <!-- c --> b  </string>\n"
                          "  <string key=\"cdata\"><![CDATA[<x>]]></string>\n"
                          "</map>\n";
  CHECK(
      xmlToJsonText(xml) ==
      R"({"list":[7,true,false,null,null],"empty":"","also":"","spaces":"  a  b  ","cdata":"<x>"})");
}

TEST_CASE("json xmlToJson checks keys per map whatever the map's size") {
  std::string keys = "<map " + kNs + ">";
  std::string expected = "{";
  for (int i = 0; i < 40; ++i) {
    keys += "<null key=\"k" + std::to_string(i) + "\"/>";
    expected += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":null";
  }
  CHECK(xmlToJsonText(keys + "</map>") == expected + "}");
  // Among the first keys of a large map and among its last.
  CHECK(representationError(keys + "<null key=\"k3\"/></map>").message ==
        "<null> at line 1: duplicate key \"k3\"");
  CHECK(representationError(keys + "<null key=\"k16\"/></map>").message ==
        "<null> at line 1: duplicate key \"k16\"");
  CHECK(representationError(keys + "<null key=\"k39\"/></map>").message ==
        "<null> at line 1: duplicate key \"k39\"");
  // A map's keys are its own: an inner map may repeat the outer one's, and the outer one goes on
  // with its own after the inner one is closed.
  const std::string nested = "<map " + kNs +
                             "><null key=\"a\"/><map key=\"m\"><null key=\"a\"/><null key=\"x\"/>"
                             "</map><null key=\"x\"/>";
  CHECK(xmlToJsonText(nested + "</map>") == R"({"a":null,"m":{"a":null,"x":null},"x":null})");
  CHECK(representationError(nested + "<null key=\"a\"/></map>").message ==
        "<null> at line 1: duplicate key \"a\"");
  CHECK(representationError(nested + "<null key=\"m\"/></map>").message ==
        "<null> at line 1: duplicate key \"m\"");
  CHECK(
      xmlToJsonText("<map " + kNs + R"(><null key=""/><map key="m"><null key=""/></map></map>)") ==
      R"({"":null,"m":{"":null}})");
  CHECK(representationError("<map " + kNs + R"(><null key=""/><null key=""/></map>)").message ==
        "<null> at line 1: duplicate key \"\"");
}

TEST_CASE("json xmlToJson reads a key that is not one text node") {
  auto doc = jsonToXml(R"({"a":1})");
  REQUIRE(doc.ok());
  xmlNode* member = xmlDocGetRootElement(doc->get())->children;
  REQUIRE(member != nullptr);
  ::xmlAttr* key = xmlHasProp(member, reinterpret_cast<const xmlChar*>("key"));
  REQUIRE(key != nullptr);
  // Two text nodes side by side (xmlAddChild would merge them; other tree edits need not).
  xmlNode* second = xmlNewDocText(doc->get(), reinterpret_cast<const xmlChar*>("b"));
  REQUIRE(second != nullptr);
  second->parent = reinterpret_cast<xmlNode*>(key);
  second->prev = key->children;
  key->children->next = second;
  key->last = second;
  auto json = xmlToJson(**doc);
  REQUIRE_MESSAGE(json.ok(), json.error().message);
  CHECK(*json == R"({"ab":1})");
}

TEST_CASE("json xmlNodeToJson converts one member without its key") {
  auto doc = jsonToXml(R"({"a":{"b":[1,2]},"c":3})");
  REQUIRE(doc.ok());
  const xmlNode* member = xmlDocGetRootElement(doc->get())->children;
  auto json = xmlNodeToJson(*member);
  REQUIRE(json.ok());
  CHECK(*json == R"({"b":[1,2]})");
}

TEST_CASE("json malformed input names line and column") {
  Error error = jsonToXmlError("{\n  \"a\": }");
  CHECK(error.kind == ErrorKind::bad_request);
  CHECK(error.message == "line 2, column 8: invalid value");

  CHECK(jsonToXmlError("[1,2").message ==
        "line 1, column 5: missing a comma or ']' after an array element");
  CHECK(jsonToXmlError("{\"a\" 1}").message ==
        "line 1, column 6: missing a colon after a name of object member");
  CHECK(jsonToXmlError("{} x").message ==
        "line 1, column 4: the document root must not be followed by other values");
  CHECK(jsonToXmlError("").message == "line 1, column 1: the document is empty");
  CHECK(jsonToXmlError("[01]").message.rfind("line 1, column 3: ", 0) == 0);
  CHECK(jsonToXmlError("[1.]").message.rfind("line 1, column 4: ", 0) == 0);
  CHECK(jsonToXmlError("[NaN]").message.rfind("line 1, column 2: ", 0) == 0);
  CHECK(jsonToXmlError("[1,]").message.rfind("line 1, column 4: ", 0) == 0);
  CHECK(jsonToXmlError("{\"a\":1 // c\n}").message.rfind("line 1, column 8: ", 0) == 0);
  CHECK(jsonToXmlError("[\"\\x\"]").message.rfind("line 1, column 3: ", 0) == 0);
  // Columns count characters, not bytes: "è" is one column.
  CHECK(jsonToXmlError("{\"è\":\n  \"città\" x}").message.rfind("line 2, column 11: ", 0) == 0);
  // A NUL byte is not the end of the input.
  CHECK(jsonToXmlError(std::string_view("{}\0{}", 5)).message ==
        "line 1, column 3: unexpected NUL character");
  CHECK(jsonToXmlError(std::string_view("[1,\0]", 5)).message ==
        "line 1, column 4: unexpected NUL character");
}

TEST_CASE("json duplicate keys in one object are refused") {
  Error error = jsonToXmlError("{\"a\":1,\n \"b\":{\"a\":2},\n \"a\":3}");
  CHECK(error.kind == ErrorKind::bad_request);
  CHECK(error.message == "line 3, column 2: duplicate key \"a\"");
  CHECK(jsonToXmlError(R"({"x":[{"k\"":1,"k\"":2}]})").message ==
        "line 1, column 16: duplicate key \"k\\\"\"");
  // Messages stay short whatever the key.
  const std::string long_key(1000, 'k');
  CHECK(jsonToXmlError("{\"" + long_key + "\":1,\"" + long_key + "\":2}").message ==
        "line 1, column 1007: duplicate key \"" + std::string(64, 'k') + "\"...");
  // The same key in different objects is fine.
  CHECK(roundTrip(R"({"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]})") ==
        R"({"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]})");
  CHECK(roundTrip(R"({"a":1,"m":{"x":1},"x":2})") == R"({"a":1,"m":{"x":1},"x":2})");
  // The empty key is a key like the others.
  CHECK(roundTrip(R"({"":1,"a":{"":2}})") == R"({"":1,"a":{"":2}})");
  CHECK(jsonToXmlError(R"({"":1,"":2})").message == "line 1, column 7: duplicate key \"\"");
  CHECK(jsonToXmlError(R"({"a":1,"m":{"x":1},"x":2,"a":3})").message ==
        "line 1, column 26: duplicate key \"a\"");
  // Keys that the tree holds escaped are compared as they are: U+0001 and a backslash-u differ.
  CHECK(roundTrip(R"({"a\u0001b":1,"a\\u0001b":2})") == R"({"a\u0001b":1,"a\\u0001b":2})");
  CHECK(jsonToXmlError(R"({"a\u0001b":1,"a\u0001b":2})").message ==
        "line 1, column 15: duplicate key \"a\\u0001b\"");
  // Large objects: among the first keys, the one after them, the last.
  std::string object = "{";
  for (int i = 0; i < 40; ++i) object += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":0";
  CHECK(roundTrip(object + "}") == object + "}");
  for (const char* key : {"k3", "k16", "k17", "k39"}) {
    CAPTURE(key);
    CHECK(jsonToXmlError(object + ",\"" + key + "\":1}").message ==
          "line 1, column " + std::to_string(object.size() + 2) + ": duplicate key \"" + key +
              "\"");
  }
}

TEST_CASE("json nesting deeper than the limit is refused") {
  JsonLimits limits;
  limits.max_depth = 3;
  auto ok = jsonToXml("[{\"a\":[1]}]", limits);
  CHECK(ok.ok());
  Error error = jsonToXmlError("[{\"a\":[[1]]}]", limits);
  CHECK(error.kind == ErrorKind::bad_request);
  CHECK(error.message == "line 1, column 8: nesting deeper than 3 levels");

  const std::string deep = std::string(65, '[') + std::string(65, ']');
  CHECK(contains(jsonToXmlError(deep).message, "nesting deeper than 64 levels"));
  CHECK(jsonToXml(deep.substr(1, 128)).ok());
  // Far deeper than any stack would take recursively: refused, not crashed.
  const std::string abyss = std::string(1 << 19, '[');
  CHECK(contains(jsonToXmlError(abyss).message, "nesting deeper than 64 levels"));
}

TEST_CASE("json larger than the size limit is refused before parsing") {
  JsonLimits limits;
  limits.max_bytes = 8;
  CHECK(jsonToXml("[1,2,3]", limits).ok());
  Error error = jsonToXmlError("[1,2,3,4]", limits);
  CHECK(error.kind == ErrorKind::payload_too_large);
  CHECK(error.message == "JSON larger than 8 bytes");
}

TEST_CASE("json invalid UTF-8 and unpaired surrogates are refused") {
  Error error = jsonToXmlError("{\"a\":\n\"x\xC3\x28\"}");
  CHECK(error.kind == ErrorKind::bad_request);
  CHECK(error.message == "line 2, column 3: invalid encoding in string");
  CHECK(contains(jsonToXmlError("[\"\xC0\xAF\"]").message, "invalid encoding"));  // overlong
  CHECK(
      contains(jsonToXmlError("[\"\xED\xA0\x80\"]").message, "invalid encoding"));  // raw surrogate
  CHECK(contains(jsonToXmlError("[\"\xF4\x90\x80\x80\"]").message,
                 "invalid encoding"));  // > U+10FFFF
  CHECK(jsonToXmlError(R"(["ok","\udc00"])").message ==
        "line 1, column 7: unpaired surrogate escape");
  CHECK(jsonToXmlError(R"({"\udfff":1})").message == "line 1, column 2: unpaired surrogate escape");
  CHECK(contains(jsonToXmlError(R"(["\ud800"])").message, "surrogate"));
  CHECK(contains(jsonToXmlError(R"(["\ud800\u0041"])").message, "surrogate"));
}

TEST_CASE("json xmlToJson refuses what is not the representation") {
  const std::string map = "<map " + kNs + ">";
  CHECK(representationError(map + "\n<object key=\"a\"/></map>").message ==
        "<object> at line 2: unknown element");
  CHECK(representationError("<map><string key=\"a\">x</string></map>").message ==
        "<map> at line 1: not in namespace http://www.w3.org/2005/xpath-functions");
  CHECK(representationError(map + "<x:string xmlns:x=\"urn:other\" key=\"a\"/></map>").message ==
        "<string> at line 1: not in namespace http://www.w3.org/2005/xpath-functions");
  CHECK(representationError(map + "\n\n<number>1</number></map>").message ==
        "<number> at line 3: missing key attribute inside <map>");
  CHECK(
      representationError(map + "<number key=\"a\">1</number>\n<null key=\"a\"/></map>").message ==
      "<null> at line 2: duplicate key \"a\"");
  // Keys are compared after decoding.
  CHECK(contains(
      representationError(map + R"(<null key="é"/><null key="\u00e9" escaped-key="true"/></map>)")
          .message,
      "duplicate key \"é\""));
  CHECK(representationError("<array " + kNs + "><null key=\"a\"/></array>").message ==
        "<null> at line 1: key attribute inside <array>");
  for (const char* number : {"", "1.", "+1", ".5", "01", "NaN", "INF", "1e", "0x10", "1 2"}) {
    CAPTURE(number);
    CHECK(representationError("<number " + kNs + ">" + number + "</number>").message ==
          std::string("<number> at line 1: invalid number \"") + number + "\"");
  }
  CHECK(representationError("<boolean " + kNs + ">yes</boolean>").message ==
        "<boolean> at line 1: invalid boolean \"yes\"");
  CHECK(representationError("<boolean " + kNs + "/>").message ==
        "<boolean> at line 1: invalid boolean \"\"");
  CHECK(representationError(map + "\n  stray <null key=\"a\"/></map>").message ==
        "<map> at line 1: text \"\\n  stray \" inside <map>");
  CHECK(representationError("<array " + kNs + "><null/>x</array>").message ==
        "<array> at line 1: text \"x\" inside <array>");
  CHECK(representationError("<string " + kNs + ">a<b/></string>").message ==
        "<string> at line 1: element inside a scalar");
  CHECK(representationError("<null " + kNs + ">0</null>").message ==
        "<null> at line 1: text inside <null>");
  CHECK(representationError("<string " + kNs + " escaped=\"true\">\\x</string>").message ==
        "<string> at line 1: invalid JSON escape sequence");
  CHECK(representationError("<string " + kNs + " escaped=\"true\">a\\</string>").message ==
        "<string> at line 1: invalid JSON escape sequence");
  CHECK(representationError("<string " + kNs + " escaped=\"yes\">a</string>").message ==
        "<string> at line 1: invalid escaped attribute \"yes\"");
  CHECK(representationError(map + R"(<null key="\q" escaped-key="true"/></map>)").message ==
        "<null> at line 1: invalid JSON escape sequence in key");
  CHECK(representationError("<string " + kNs + " escaped=\"true\">\\udc00</string>").message ==
        "<string> at line 1: not valid UTF-8 (unpaired surrogate?)");
}

TEST_CASE("json isJsonNumber follows the JSON grammar") {
  for (const char* good :
       {"0", "-0", "1.50", "1e400", "1E+2", "-1e-2", "12345678901234567890123"}) {
    CAPTURE(good);
    CHECK(isJsonNumber(good));
  }
  for (const char* bad :
       {"", "-", "01", "1.", ".1", "+1", "1e", "1e+", "--1", " 1", "1 ", "Infinity"}) {
    CAPTURE(bad);
    CHECK_FALSE(isJsonNumber(bad));
  }
}
