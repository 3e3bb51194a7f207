#include <doctest/doctest.h>

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "core/mapping/date_pattern.hpp"
#include "core/mapping/lookup_table.hpp"
#include "core/mapping/xslt_mapping.hpp"
#include "core/xml/xml.hpp"

using namespace egov::core;

namespace {

std::filesystem::path dataFile(const char* name) {
  return std::filesystem::path(EGOV_SOURCE_DIR) / "tests/data/mapping" / name;
}

std::shared_ptr<const XsltMapping> compiled(const char* name) {
  auto mapping = XsltMapping::compile(dataFile(name));
  INFO(name, ": ", mapping.ok() ? std::string() : mapping.error().message);
  REQUIRE(mapping.ok());
  return *mapping;
}

// The serialized result, or "ERROR: <message>" (kind mapping_failed checked).
std::string run(const XsltMapping& mapping, const std::string& xml,
                const MappingParams& params = {}, const MappingContext& context = {}) {
  auto input = parseXml(xml);
  REQUIRE(input.ok());
  auto output = mapping.apply(**input, params, context);
  if (!output.ok()) {
    CHECK(output.error().kind == ErrorKind::mapping_failed);
    return "ERROR: " + output.error().message;
  }
  return serializeXml(**output);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

LookupTables comuniTables() {
  auto comuni = LookupTable::loadCsv(dataFile("comuni.csv"), {"istat", "value", ';'});
  REQUIRE(comuni.ok());
  std::map<std::string, LookupTable, std::less<>> tables;
  tables.emplace("comuni", std::move(*comuni));
  return LookupTables(std::move(tables));
}

// Whatever the process writes to file descriptor 2 while `body` runs.
template <class Body>
std::string stderrDuring(Body body) {
  std::fflush(stderr);
  std::FILE* capture = std::tmpfile();
  REQUIRE(capture != nullptr);
  const int saved = dup(2);
  dup2(fileno(capture), 2);
  body();
  std::fflush(stderr);
  dup2(saved, 2);
  close(saved);
  std::string out;
  std::rewind(capture);
  for (int c = std::fgetc(capture); c != EOF; c = std::fgetc(capture))
    out.push_back(static_cast<char>(c));
  std::fclose(capture);
  return out;
}

// Calls one extension function through call.xsl; returns the text of <r> or "ERROR: ...".
std::string call(const std::string& function, const std::string& a, const std::string& b = "",
                 const char* c = nullptr, const MappingContext& context = {}) {
  static const auto mapping = compiled("call.xsl");
  MappingParams params = {{"function", function}, {"a", a}, {"b", b}};
  if (c != nullptr) params.emplace_back("c", c);
  std::string out = run(*mapping, "<in/>", params, context);
  if (out.rfind("ERROR: ", 0) == 0) return out;
  if (out == "<r/>") return "";
  REQUIRE(out.size() > 7);
  return out.substr(3, out.size() - 7);
}

}  // namespace

TEST_CASE("mapping compiles once and applies with string parameters") {
  auto mapping = compiled("basic.xsl");
  CHECK(mapping->file() == dataFile("basic.xsl"));
  CHECK(run(*mapping, "<doc><item>1</item><item>2</item></doc>", {{"ente", "C_A662"}}) ==
        "<out ente=\"C_A662\"><root>doc</root><note/><item>1</item><item>2</item></out>");
}

TEST_CASE("mapping parameters may hold both quote kinds and XPath syntax, never evaluated") {
  auto mapping = compiled("basic.xsl");
  const std::string tricky = R"(l'ente "Bari" ' or 1=1 or ', $x & <y>)";
  const std::string out = run(*mapping, "<doc/>", {{"note", tricky}, {"ente", "a'b\"c"}});
  CHECK(out ==
        "<out ente=\"a'b&quot;c\"><root>doc</root><note>l'ente \"Bari\" ' or 1=1 or ', $x &amp; "
        "&lt;y&gt;</note></out>");
}

TEST_CASE("mapping compile errors name the file and line of every problem") {
  const auto file = dataFile("compile-error.xsl");
  auto mapping = XsltMapping::compile(file);
  REQUIRE(!mapping.ok());
  const std::string& message = mapping.error().message;
  INFO(message);
  CHECK(mapping.error().kind == ErrorKind::bad_request);
  CHECK(contains(message, file.string() + ":3: xsltCompilePattern : failed to compile 'a['"));
  CHECK(contains(message, file.string() + ":5: xsl:value-of : select is missing"));
  CHECK(contains(message, file.string() + ":6: xsl:copy-of : could not compile select"));
  CHECK(contains(message, "; "));
}

TEST_CASE("mapping refuses a stylesheet that is not well-formed, naming file and line") {
  const auto file = dataFile("not-well-formed.xsl");
  auto mapping = XsltMapping::compile(file);
  REQUIRE(!mapping.ok());
  INFO(mapping.error().message);
  CHECK(mapping.error().message.rfind(file.string() + ":5: ", 0) == 0);
}

TEST_CASE("mapping refuses entity declarations in a stylesheet, naming file and line") {
  // Substituting them could read local files; not substituting would drop text silently.
  const auto file = dataFile("entity.xsl");
  auto mapping = XsltMapping::compile(file);
  REQUIRE(!mapping.ok());
  CHECK(mapping.error().message ==
        file.string() +
            ":3: entity 'secret': entity declarations are not allowed, use a "
            "character reference such as &#8364;");
}

TEST_CASE("mapping accepts a DOCTYPE without general entities") {
  auto mapping = compiled("doctype.xsl");
  CHECK(run(*mapping, "<in/>") == "<out>\xE2\x82\xAC&lt;</out>");
}

TEST_CASE("mapping refuses a missing stylesheet file") {
  auto mapping = XsltMapping::compile(dataFile("no-such-file.xsl"));
  REQUIRE(!mapping.ok());
  CHECK(mapping.error().message == dataFile("no-such-file.xsl").string() + ": no such file");
  CHECK(!XsltMapping::compile(dataFile("lib")).ok());  // a directory
}

TEST_CASE("mapping xsl:message terminate names the stylesheet and the line of the message") {
  auto mapping = compiled("terminate.xsl");
  CHECK(run(*mapping, "<pratica id=\"7\"/>") == "<ok id=\"7\"/>");
  CHECK(run(*mapping, "<pratica/>") == "ERROR: terminate.xsl:6: missing id on pratica");
  // An empty terminating message does not borrow the text of an earlier one.
  auto empty = compiled("terminate-empty.xsl");
  CHECK(run(*empty, "<in/>") ==
        "ERROR: terminate-empty.xsl: stopped by an empty xsl:message terminate=\"yes\"");
}

TEST_CASE("mapping imports and includes resolve relative to the stylesheet") {
  auto mapping = compiled("import-main.xsl");
  CHECK(run(*mapping, "<ok/>") == "<out><imported/><included/></out>");
  // An error inside an imported stylesheet names that file.
  CHECK(run(*mapping, "<fail/>") == "ERROR: common.xsl:6: stopped in the imported stylesheet");
}

TEST_CASE("mapping compile reports errors inside an imported stylesheet") {
  auto mapping = XsltMapping::compile(dataFile("broken-import.xsl"));
  REQUIRE(!mapping.ok());
  INFO(mapping.error().message);
  CHECK(contains(mapping.error().message, dataFile("lib/not-well-formed.xsl").string() + ":3: "));
}

TEST_CASE("mapping never loads stylesheets from the network") {
  auto mapping = XsltMapping::compile(dataFile("network-import.xsl"));
  REQUIRE(!mapping.ok());
  INFO(mapping.error().message);
  CHECK(contains(mapping.error().message, "http://127.0.0.1:9/remote.xsl"));
}

TEST_CASE("mapping refuses document() at run time, for any URL") {
  auto mapping = compiled("document.xsl");
  const std::string passwd = run(*mapping, "<in/>");
  INFO(passwd);
  CHECK(passwd.rfind("ERROR: document.xsl:6: ", 0) == 0);
  CHECK(!contains(passwd, "root:"));
  // A file next to the stylesheet is refused just the same.
  CHECK(run(*mapping, "<in/>", {{"href", "basic.xsl"}}).rfind("ERROR: document.xsl:6: ", 0) == 0);
  CHECK(run(*mapping, "<in/>", {{"href", "http://127.0.0.1:9/x.xml"}}).rfind("ERROR: ", 0) == 0);
}

TEST_CASE("mapping refuses to write files with exsl:document") {
  auto mapping = compiled("write.xsl");
  const auto target = std::filesystem::temp_directory_path() / "egovbus-mapping-write-test.xml";
  std::filesystem::remove(target);
  const std::string out = run(*mapping, "<in/>", {{"href", target.string()}});
  INFO(out);
  CHECK(out.rfind("ERROR: write.xsl:", 0) == 0);
  CHECK(!std::filesystem::exists(target));
}

TEST_CASE("mapping output must be XML with one root element") {
  auto text = XsltMapping::compile(dataFile("text-output.xsl"));
  REQUIRE(!text.ok());
  CHECK(contains(text.error().message, "method must be xml"));

  auto text_result = compiled("text-result.xsl");
  CHECK(run(*text_result, "<in/>") ==
        "ERROR: text-result.xsl: the result is not an XML document with one root element");
  auto two_roots = compiled("two-roots.xsl");
  CHECK(run(*two_roots, "<in/>").rfind("ERROR: two-roots.xsl: ", 0) == 0);
}

TEST_CASE("mapping run-time XPath errors name the stylesheet line") {
  auto mapping = compiled("runtime-error.xsl");
  CHECK(run(*mapping, "<in/>") ==
        "ERROR: runtime-error.xsl:6: Variable 'undefined' has not been declared.");
}

TEST_CASE("mapping leaves the input document untouched") {
  auto mapping = compiled("strip.xsl");
  auto input = parseXml("<a>\n  <b> x </b>\n  <c/>\n</a>");
  REQUIRE(input.ok());
  const std::string before = serializeXml(**input);
  auto output = mapping->apply(**input, {}, {});
  REQUIRE(output.ok());
  CHECK(serializeXml(**output) == "<a><b> x </b><c/></a>");
  CHECK(serializeXml(**input) == before);
}

TEST_CASE("mapping in place gives apply's result and leaves a valid document, also on error") {
  auto mapping = compiled("strip.xsl");
  const char* xml = "<a>\n  <b> x </b>\n  <c/>\n</a>";
  auto copied = parseXml(xml);
  auto in_place = parseXml(xml);
  REQUIRE(copied.ok());
  REQUIRE(in_place.ok());
  auto expected = mapping->apply(**copied, {}, {});
  auto output = mapping->applyInPlace(**in_place, {}, {});
  REQUIRE(expected.ok());
  REQUIRE(output.ok());
  CHECK(serializeXml(**output) == serializeXml(**expected));
  // The source was transformed itself: strip-space removed its blank text nodes.
  CHECK(serializeXml(**in_place) == "<a><b> x </b><c/></a>");
  in_place->reset();  // the result does not depend on the source
  CHECK(serializeXml(**output) == "<a><b> x </b><c/></a>");

  auto terminate = compiled("terminate.xsl");
  auto failing = parseXml("<a/>");
  REQUIRE(failing.ok());
  auto stopped = terminate->applyInPlace(**failing, {}, {});
  REQUIRE_FALSE(stopped.ok());
  CHECK(contains(stopped.error().message, "terminate.xsl:"));
  CHECK(serializeXml(**failing) == "<a/>");
}

TEST_CASE("mapping extension functions: uuid, now, lookup, format-date, valid-fiscal-code") {
  auto mapping = compiled("extensions.xsl");
  const LookupTables tables = comuniTables();
  MappingContext context;
  context.tables = &tables;
  const std::string out =
      run(*mapping,
          "<in><istat>072029</istat><nascita>1985-12-10</nascita><cf>RSSMRA85T10A662U</cf></in>",
          {}, context);
  INFO(out);
  const std::regex expected(
      "<out><uuid>[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}</uuid>"
      "<now>20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]Z</now>"
      "<comune>Comune di Molfetta; \"la perla\"</comune><catastale>F284</catastale><missing/>"
      "<nascita>10/12/1985</nascita><valid>true</valid></out>");
  CHECK(std::regex_match(out, expected));
}

TEST_CASE("mapping uuid() is random and now() is the current UTC time") {
  auto mapping = compiled("extensions.xsl");
  const LookupTables tables = comuniTables();
  MappingContext context{&tables};
  const std::string input = "<in><istat>072006</istat><nascita/><cf/></in>";
  const std::string first = run(*mapping, input, {}, context);
  const std::string second = run(*mapping, input, {}, context);
  CHECK(first.substr(0, 47) != second.substr(0, 47));

  char year[8];
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  std::strftime(year, sizeof year, "%Y-", &utc);
  CHECK(contains(first, std::string("<now>") + year));
  CHECK(contains(first, "<comune>Comune di Bari</comune><catastale>A662</catastale>"));
  CHECK(contains(first, "<nascita/><valid>false</valid>"));
}

TEST_CASE("mapping format-date converts between patterns") {
  CHECK(call("format-date", "2024-03-05", "dd/MM/yyyy") == "05/03/2024");
  CHECK(call("format-date", "05/03/2024", "yyyy-MM-dd", "dd/MM/yyyy") == "2024-03-05");
  CHECK(call("format-date", "2024-03-05T14:07:09", "dd/MM/yyyy HH:mm:ss") == "05/03/2024 14:07:09");
  CHECK(call("format-date", "2024-03-05T14:07:09Z", "yyyyMMdd") == "20240305");
  CHECK(call("format-date", "2024-03-05T14:07:09.123+01:00", "HH.mm") == "14.07");
  CHECK(call("format-date", " 2024-02-29 ", "dd-MM-yyyy") == "29-02-2024");
  CHECK(call("format-date", "20240305 1407", "yyyy-MM-ddTHH:mm:00", "yyyyMMdd HHmm") ==
        "2024-03-05T14:07:00");
  CHECK(call("format-date", "", "dd/MM/yyyy") == "");
}

TEST_CASE("mapping format-date stops the mapping on a date that does not exist or match") {
  const std::string invalid = call("format-date", "31/02/2024", "yyyy-MM-dd", "dd/MM/yyyy");
  CHECK(invalid.rfind(
            "ERROR: call.xsl:16: format-date(): '31/02/2024' is not a date as 'dd/MM/yyyy'", 0) ==
        0);
  CHECK(call("format-date", "2023-02-29", "dd/MM/yyyy").rfind("ERROR: call.xsl:13: ", 0) == 0);
  CHECK(call("format-date", "2024-3-5", "dd/MM/yyyy").rfind("ERROR: ", 0) == 0);
  CHECK(call("format-date", "2024-03-05T25:00:00", "dd/MM/yyyy").rfind("ERROR: ", 0) == 0);
  CHECK(call("format-date", "2024-03-05 junk", "dd/MM/yyyy").rfind("ERROR: ", 0) == 0);
  CHECK(call("format-date", "05/03/24", "yyyy-MM-dd", "dd/MM/yyyy").rfind("ERROR: ", 0) == 0);
  CHECK(contains(call("format-date", "05/03", "yyyy", "dd/MM"), "lacks yyyy, MM or dd"));
}

TEST_CASE("mapping formatDate, the C++ side of format-date()") {
  CHECK(*formatDate("2024-12-31", "dd.MM.yyyy") == "31.12.2024");
  CHECK(*formatDate("2000-02-29T00:00:00-05:30", "yyyy/MM/dd HH:mm") == "2000/02/29 00:00");
  CHECK(!formatDate("1900-02-29", "yyyy").ok());  // not a leap year
  CHECK(!formatDate("2024-03-05T10:00:00+1", "yyyy").ok());
  CHECK(!formatDate("2024-03-05T10:00:00.", "yyyy").ok());
  CHECK(!formatDate("05 marzo 2024", "dd/MM/yyyy", "dd marzo yyyy").ok());
}

TEST_CASE("mapping lookup returns the value or a column, empty for an absent key") {
  const LookupTables tables = comuniTables();
  MappingContext context{&tables};
  CHECK(call("lookup", "comuni", "072006", nullptr, context) == "Comune di Bari");
  CHECK(call("lookup", "comuni", "072006", "nome", context) == "Bari");
  CHECK(call("lookup", "comuni", "000000", nullptr, context) == "");
  CHECK(call("lookup", "comuni", "000000", "nome", context) == "");
}

TEST_CASE("mapping lookup with an unknown table or column fails naming it") {
  const LookupTables tables = comuniTables();
  MappingContext context{&tables};
  CHECK(call("lookup", "tributi", "x", nullptr, context) ==
        "ERROR: call.xsl:19: lookup(): unknown table 'tributi'");
  CHECK(call("lookup", "comuni", "072006", "provincia", context) ==
        "ERROR: call.xsl:22: lookup(): table 'comuni' has no column 'provincia'");
  // No tables at all in the context.
  CHECK(call("lookup", "comuni", "072006") ==
        "ERROR: call.xsl:19: lookup(): unknown table 'comuni'");
}

TEST_CASE("mapping valid-fiscal-code and arity errors") {
  CHECK(call("valid-fiscal-code", "RSSMRA85T10A662U") == "true");
  CHECK(call("valid-fiscal-code", "80015010723") == "true");
  CHECK(call("valid-fiscal-code", "RSSMRA85T10A662A") == "false");
  CHECK(call("uuid-arity", "x") == "ERROR: call.xsl:28: uuid() takes 0 arguments, not 1");
}

TEST_CASE("mapping applies one compiled stylesheet from 8 threads at once") {
  auto basic = compiled("basic.xsl");
  auto extensions = compiled("extensions.xsl");
  auto terminate = compiled("terminate.xsl");
  const LookupTables tables = comuniTables();
  std::atomic<int> wrong{0};
  std::atomic<int> done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        const std::string ente = "E" + std::to_string(t) + "'\"" + std::to_string(i);
        auto input = parseXml("<doc><item>" + std::to_string(i) + "</item></doc>");
        if (!input.ok()) {
          ++wrong;
          continue;
        }
        auto out = basic->apply(**input, {{"note", ente}}, {});
        const std::string expected = "<out ente=\"none\"><root>doc</root><note>" + ente +
                                     "</note><item>" + std::to_string(i) + "</item></out>";
        if (!out.ok() || serializeXml(**out) != expected) ++wrong;

        auto in2 = parseXml(i % 2 ? "<in><istat>072006</istat><nascita>2024-01-0" +
                                        std::to_string(1 + t) + "</nascita><cf/></in>"
                                  : "<in><istat>072029</istat><nascita/><cf/></in>");
        MappingContext context{&tables};
        auto out2 = extensions->apply(**in2, {}, context);
        const std::string text = out2.ok() ? serializeXml(**out2) : out2.error().message;
        const std::string comune = i % 2 ? "<comune>Comune di Bari</comune>" : "Molfetta";
        const std::string nascita =
            i % 2 ? "<nascita>0" + std::to_string(1 + t) + "/01/2024</nascita>" : "<nascita/>";
        if (!contains(text, comune) || !contains(text, nascita)) ++wrong;
        // An error path under concurrency too: each thread sees its own message.
        auto failing = parseXml("<t" + std::to_string(t) + "/>");
        auto stop = terminate->apply(**failing, {}, {});
        if (stop.ok() ||
            stop.error().message != "terminate.xsl:6: missing id on t" + std::to_string(t)) {
          ++wrong;
        }
        ++done;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(done == 800);
  CHECK(wrong == 0);
}

TEST_CASE("mapping compile errors on one thread never reach transforms on others") {
  // A config reload compiles on the control plane while workers keep transforming.
  auto terminate = compiled("terminate.xsl");
  std::atomic<bool> stop{false};
  std::atomic<int> wrong{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < 4; ++t) {
    workers.emplace_back([&, t] {
      const std::string name = "w" + std::to_string(t);
      auto input = parseXml("<" + name + "/>");
      while (!stop) {
        auto out = terminate->apply(**input, {}, {});
        if (out.ok() || out.error().message != "terminate.xsl:6: missing id on " + name) ++wrong;
      }
    });
  }
  for (int i = 0; i < 50; ++i) {
    auto broken = XsltMapping::compile(dataFile("compile-error.xsl"));
    if (broken.ok() || broken.error().message.find("terminate") != std::string::npos ||
        broken.error().message.find("missing id") != std::string::npos) {
      ++wrong;
    }
  }
  stop = true;
  for (auto& worker : workers) worker.join();
  CHECK(wrong == 0);
}

TEST_CASE("mapping prints nothing on stderr, whatever fails") {
  const std::string printed = stderrDuring([] {
    CHECK(!XsltMapping::compile(dataFile("compile-error.xsl")).ok());
    CHECK(!XsltMapping::compile(dataFile("not-well-formed.xsl")).ok());
    CHECK(!XsltMapping::compile(dataFile("broken-import.xsl")).ok());
    CHECK(!XsltMapping::compile(dataFile("network-import.xsl")).ok());
    auto terminate = XsltMapping::compile(dataFile("terminate.xsl"));
    REQUIRE(terminate.ok());
    CHECK(run(**terminate, "<x/>").rfind("ERROR:", 0) == 0);
    CHECK(run(**terminate, "<x id=\"1\"/>") == "<ok id=\"1\"/>");  // non-terminating message
    auto document = XsltMapping::compile(dataFile("document.xsl"));
    REQUIRE(document.ok());
    CHECK(run(**document, "<x/>").rfind("ERROR:", 0) == 0);
    CHECK(call("lookup", "none", "x").rfind("ERROR:", 0) == 0);
    CHECK(call("format-date", "x", "yyyy").rfind("ERROR:", 0) == 0);
    CHECK(call("uuid-arity", "x").rfind("ERROR:", 0) == 0);
  });
  CHECK(printed == "");
}

TEST_CASE("mapping lookup table loads a CSV with a header, by key column") {
  auto table = LookupTable::loadCsv(dataFile("comuni.csv"), {"istat", "value", ';'});
  REQUIRE(table.ok());
  CHECK(table->size() == 2);
  CHECK(table->columns() == std::vector<std::string>{"istat", "nome", "catastale", "value"});
  REQUIRE(table->find("072029") != nullptr);
  CHECK(*table->find("072029") == "Comune di Molfetta; \"la perla\"");
  CHECK(*table->find("072006", "catastale") == "A662");
  CHECK(table->find("072006", "provincia") == nullptr);
  CHECK(table->find("999999") == nullptr);
  CHECK(table->hasColumn("nome"));
  CHECK(!table->hasColumn("provincia"));

  // Another value column, a tab-separated file with a BOM and a quoted newline.
  auto by_name = LookupTable::loadCsv(dataFile("comuni.csv"), {"nome", "istat", ';'});
  REQUIRE(by_name.ok());
  CHECK(*by_name->find("Bari") == "072006");
  auto tabs = LookupTable::loadCsv(dataFile("tabs-bom.csv"), {"codice", "value", '\t'});
  REQUIRE(tabs.ok());
  CHECK(*tabs->find("A") == "x\ny");
  CHECK(*tabs->find("A", "note") == "");
}

TEST_CASE("mapping lookup table load errors name the file and line") {
  auto error = [](const char* file, CsvTableSpec spec) {
    auto table = LookupTable::loadCsv(dataFile(file), spec);
    REQUIRE(!table.ok());
    CHECK(table.error().kind == ErrorKind::bad_request);
    return table.error().message;
  };
  const std::string dup = dataFile("duplicate-key.csv").string();
  CHECK(error("duplicate-key.csv", {"codice"}) ==
        dup + ": line 4: duplicate key 'A' (first at line 2)");
  CHECK(error("duplicate-key.csv", {"missing"}) ==
        dup + ": line 1: no key column 'missing' in the header");
  CHECK(error("no-value-column.csv", {"codice"}) ==
        dataFile("no-value-column.csv").string() +
            ": line 1: no value column 'value' in the header");
  CHECK(error("ragged.csv", {"codice"}) ==
        dataFile("ragged.csv").string() + ": line 3: 1 fields, the header has 2");
  CHECK(error("no-such.csv", {"codice"}) ==
        dataFile("no-such.csv").string() + ": cannot open file");
  CHECK(error("duplicate-key.csv", {""}) == dup + ": no key column given");
  // Malformed CSV: the reader's line-numbered message, after the file name.
  CHECK(error("not-well-formed.xsl", {"x"})
            .rfind(dataFile("not-well-formed.xsl").string() + ": line ", 0) == 0);
}

TEST_CASE("mapping lookup tables find tables by name") {
  const LookupTables tables = comuniTables();
  CHECK(tables.size() == 1);
  CHECK(tables.find("comuni") != nullptr);
  CHECK(tables.find("tributi") == nullptr);
  CHECK(LookupTables().find("comuni") == nullptr);
}

namespace {

// Calls parse-decimal / format-decimal through tests/data/csv/decimal.xsl; the text of <r> or
// "ERROR: <message>".
std::string callDecimal(const std::string& function, const std::string& a,
                        const std::string& b = "") {
  static const auto mapping = [] {
    auto compiled =
        XsltMapping::compile(std::filesystem::path(EGOV_SOURCE_DIR) / "tests/data/csv/decimal.xsl");
    REQUIRE(compiled.ok());
    return *compiled;
  }();
  std::string out = run(*mapping, "<in/>", {{"function", function}, {"a", a}, {"b", b}});
  if (out.rfind("ERROR: ", 0) == 0) return out;
  if (out == "<r/>") return "";
  return out.substr(3, out.size() - 7);
}

}  // namespace

TEST_CASE("mapping parse-decimal reads Italian numbers") {
  CHECK(callDecimal("parse-decimal", "1.234,56") == "1234.56");
  CHECK(callDecimal("parse-decimal", "1234,5") == "1234.5");
  CHECK(callDecimal("parse-decimal", "-0,50") == "-0.50");
  CHECK(callDecimal("parse-decimal", " 1.234.567 ") == "1234567");
  CHECK(callDecimal("parse-decimal", "1.234") == "1234");  // '.' always groups thousands
  CHECK(callDecimal("parse-decimal", "+007,10") == "7.10");
  CHECK(callDecimal("parse-decimal", "0") == "0");
  CHECK(callDecimal("parse-decimal", "") == "");
  // Sums of Italian amounts, back to Italian text.
  CHECK(callDecimal("sum-it", "1.234,56", "0,44") == "1.235,00");
}

TEST_CASE("mapping parse-decimal stops the mapping on text that is not an Italian number") {
  CHECK(callDecimal("parse-decimal", "12.34") ==
        "ERROR: decimal.xsl:12: parse-decimal(): '12.34' is not an Italian decimal number such "
        "as 1.234,56");
  for (const char* bad :
       {"12,3,4", "1.23,4", "1234,", ",5", "-", "€ 5", "1 234,00", "1e3", "1.2345,00", "1234.56"}) {
    INFO(bad);
    CHECK(callDecimal("parse-decimal", bad).rfind("ERROR: decimal.xsl:12: parse-decimal(): ", 0) ==
          0);
  }
}

TEST_CASE("mapping format-decimal writes Italian numbers with fixed decimals") {
  CHECK(callDecimal("format-decimal", "1234.5", "2") == "1.234,50");
  CHECK(callDecimal("format-decimal", "1234567.891", "2") == "1.234.567,89");
  CHECK(callDecimal("format-decimal", "-0.5", "2") == "-0,50");
  CHECK(callDecimal("format-decimal", "0.125", "2") == "0,13");  // half away from zero
  CHECK(callDecimal("format-decimal", "-0.125", "2") == "-0,13");
  CHECK(callDecimal("format-decimal", "999.995", "2") == "1.000,00");
  CHECK(callDecimal("format-decimal", "-0.001", "2") == "0,00");  // no negative zero
  CHECK(callDecimal("format-decimal", "1234.5", "0") == "1.235");
  CHECK(callDecimal("format-decimal", "12", "3") == "12,000");
  CHECK(callDecimal("format-decimal", "1e-7", "8") == "0,00000010");
  CHECK(callDecimal("format-decimal", "1.5E3", "1") == "1.500,0");
  CHECK(callDecimal("format-decimal", "", "2") == "");
  // Binary floating point noise from XPath arithmetic rounds away.
  CHECK(callDecimal("sum-it", "0,1", "0,2") == "0,30");
}

TEST_CASE("mapping format-decimal stops the mapping on a bad number or decimals") {
  CHECK(callDecimal("format-decimal", "1,5", "2") ==
        "ERROR: decimal.xsl:15: format-decimal(): '1,5' is not a decimal number");
  CHECK(callDecimal("format-decimal", "NaN", "2").rfind("ERROR: decimal.xsl:15: ", 0) == 0);
  CHECK(callDecimal("format-decimal", "Infinity", "2").rfind("ERROR: decimal.xsl:15: ", 0) == 0);
  CHECK(callDecimal("format-decimal", "1.5", "x") ==
        "ERROR: decimal.xsl:15: format-decimal(): decimals must be a whole number from 0 to 20, "
        "not 'x'");
  CHECK(callDecimal("format-decimal", "1.5", "21").rfind("ERROR: decimal.xsl:15: ", 0) == 0);
  CHECK(callDecimal("format-decimal", "1.5", "-1").rfind("ERROR: decimal.xsl:15: ", 0) == 0);
  CHECK(callDecimal("arity", "1.5") ==
        "ERROR: decimal.xsl:25: format-decimal() takes 2 arguments, not 1");
}

TEST_CASE("mapping format-date reads an Italian dd/MM/yyyy date") {
  // eg:format-date('05/03/2024', 'yyyy-MM-dd', 'dd/MM/yyyy'), literally, in decimal.xsl.
  CHECK(callDecimal("date-it", "") == "2024-03-05");
}

TEST_CASE("mapping parseItalianDecimal and formatItalianDecimal, the C++ side") {
  CHECK(*parseItalianDecimal("000,5") == "0.5");
  CHECK(*parseItalianDecimal("-1.000.000,00") == "-1000000.00");
  CHECK(parseItalianDecimal("1..234").error().kind == ErrorKind::bad_request);
  CHECK(*formatItalianDecimal(".5", 1) == "0,5");
  CHECK(*formatItalianDecimal("5.", 0) == "5");
  CHECK(*formatItalianDecimal("123456", 0) == "123.456");
  CHECK(!formatItalianDecimal(".", 2).ok());
  CHECK(!formatItalianDecimal("1e999", 2).ok());
  CHECK(!formatItalianDecimal("1", 21).ok());
}

TEST_CASE("mapping passes a stylesheet only the parameters it declares") {
  // libxslt alone resolves a reference to an undeclared $tenant to a user parameter of that
  // name when one is passed (the result would be tenant="bari", silently) and fails with
  // "Variable 'tenant' has not been declared" otherwise. The bus passes every mapping a dozen
  // parameters; a stylesheet sees only those it declares, as documented, whatever is passed.
  auto mapping = compiled("undeclared-param.xsl");
  const std::string out = run(*mapping, "<in/>", {{"ente", "C_A662"}, {"tenant", "bari"}});
  INFO(out);
  CHECK(contains(out, "ERROR: undeclared-param.xsl:8: "));
  CHECK(contains(out, "Variable 'tenant' has not been declared"));
}

TEST_CASE("mapping parameters reach globals declared in the stylesheet, its includes and imports") {
  auto mapping = compiled("declared-params.xsl");
  CHECK(run(*mapping, "<in/>") ==
        "<out ente=\"none\" anno=\"none\" incluso=\"none\" importato=\"none\"/>");
  const MappingParams params = {{"ente", "C_A662"},
                                {"{urn:example:p}anno", "2026"},
                                {"anno", "not this one: another namespace"},
                                {"incluso", "i"},
                                {"importato", "m"},
                                {"tenant", "bari"}};
  CHECK(run(*mapping, "<in/>", params) ==
        "<out ente=\"C_A662\" anno=\"2026\" incluso=\"i\" importato=\"m\"/>");
  // A declared name passed twice stays an error, as libxslt reports it.
  const std::string twice = run(*mapping, "<in/>", {{"ente", "a"}, {"ente", "b"}});
  CHECK(twice.rfind("ERROR: ", 0) == 0);
}
