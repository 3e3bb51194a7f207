#include "core/mapping/extension_functions.hpp"

#include <array>
#include <ctime>
#include <mutex>
#include <string>
#include <vector>

#include <libxml/xpathInternals.h>
#include <libxslt/extensions.h>
#include <libxslt/xsltInternals.h>
#include <libxslt/xsltutils.h>

#include "core/common/ids.hpp"
#include "core/mapping/date_pattern.hpp"
#include "core/mapping/fiscal_code.hpp"
#include "core/mapping/lookup_table.hpp"
#include "core/mapping/xml_load_policy.hpp"
#include "core/mapping/xslt_mapping.hpp"

namespace egov::core {
namespace {

// Thrown inside a function body, turned into an XPath error before returning to libxslt.
struct XPathFailure {
  std::string message;
};

// Stops the XPath evaluation. The message goes through the transform's error handler, which
// locates it at the current instruction, so the mapping error names the stylesheet line.
void raise(xmlXPathParserContext* ctxt, const char* message) noexcept {
  xsltTransformContext* transform = xsltXPathGetTransformContext(ctxt);
  xsltTransformError(transform, nullptr, transform != nullptr ? transform->inst : nullptr, "%s\n",
                     message);
  ctxt->error = XPATH_EXPR_ERROR;
}

xmlXPathObject* newString(const std::string& value) {
  return xmlXPathNewString(reinterpret_cast<const xmlChar*>(value.c_str()));
}

using Body = xmlXPathObject* (*)(xmlXPathParserContext*, const std::vector<std::string>&);

// The shared frame of every function: pops all arguments as strings (always, so nothing stays
// on the stack), checks the arity, runs the body, pushes its result; no exception escapes.
void run(xmlXPathParserContext* ctxt, int nargs, const char* name, int min_args, int max_args,
         Body body) noexcept {
  try {
    std::vector<std::string> args(static_cast<std::size_t>(nargs > 0 ? nargs : 0));
    for (auto arg = args.rbegin(); arg != args.rend(); ++arg) {
      xmlChar* text = xmlXPathPopString(ctxt);
      if (text != nullptr) *arg = reinterpret_cast<const char*>(text);
      xmlFree(text);
    }
    if (nargs < min_args || nargs > max_args) {
      const std::string expected =
          min_args == max_args ? std::to_string(min_args)
                               : std::to_string(min_args) + " to " + std::to_string(max_args);
      throw XPathFailure{std::string(name) + "() takes " + expected + " arguments, not " +
                         std::to_string(nargs)};
    }
    xmlXPathObject* result = body(ctxt, args);
    if (result == nullptr) throw XPathFailure{std::string(name) + "(): out of memory"};
    valuePush(ctxt, result);
  } catch (const XPathFailure& failure) {
    raise(ctxt, failure.message.c_str());
  } catch (...) {
    raise(ctxt, "an egovbus extension function ran out of memory");
  }
}

xmlXPathObject* uuid(xmlXPathParserContext*, const std::vector<std::string>&) {
  return newString(newUuid());
}

xmlXPathObject* now(xmlXPathParserContext*, const std::vector<std::string>&) {
  const std::time_t seconds = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return newString(text);
}

xmlXPathObject* formatDateFunction(xmlXPathParserContext*, const std::vector<std::string>& args) {
  auto formatted =
      args.size() == 3 ? formatDate(args[0], args[1], args[2]) : formatDate(args[0], args[1]);
  if (!formatted.ok()) throw XPathFailure{"format-date(): " + formatted.error().message};
  return newString(*formatted);
}

xmlXPathObject* parseDecimalFunction(xmlXPathParserContext*, const std::vector<std::string>& args) {
  auto parsed = parseItalianDecimal(args[0]);
  if (!parsed.ok()) throw XPathFailure{"parse-decimal(): " + parsed.error().message};
  return newString(*parsed);
}

xmlXPathObject* formatDecimalFunction(xmlXPathParserContext*,
                                      const std::vector<std::string>& args) {
  // The count arrives as XPath's string() of whatever was passed: "2" for 2, "NaN" for junk.
  const std::string& count = args[1];
  int decimals = -1;
  if (!count.empty() && count.size() <= 2 &&
      count.find_first_not_of("0123456789") == std::string::npos) {
    decimals = std::stoi(count);
  }
  if (decimals < 0 || decimals > 20) {
    throw XPathFailure{"format-decimal(): decimals must be a whole number from 0 to 20, not '" +
                       count + "'"};
  }
  auto formatted = formatItalianDecimal(args[0], decimals);
  if (!formatted.ok()) throw XPathFailure{"format-decimal(): " + formatted.error().message};
  return newString(*formatted);
}

xmlXPathObject* lookup(xmlXPathParserContext* ctxt, const std::vector<std::string>& args) {
  const xsltTransformContext* transform = xsltXPathGetTransformContext(ctxt);
  const auto* mapping =
      transform != nullptr ? static_cast<const MappingContext*>(transform->_private) : nullptr;
  const LookupTables* tables = mapping != nullptr ? mapping->tables : nullptr;
  const LookupTable* table = tables != nullptr ? tables->find(args[0]) : nullptr;
  if (table == nullptr) throw XPathFailure{"lookup(): unknown table '" + args[0] + "'"};
  if (args.size() == 3 && !table->hasColumn(args[2])) {
    throw XPathFailure{"lookup(): table '" + args[0] + "' has no column '" + args[2] + "'"};
  }
  const std::string* value =
      args.size() == 3 ? table->find(args[1], args[2]) : table->find(args[1]);
  return newString(value != nullptr ? *value : std::string());
}

xmlXPathObject* validFiscalCode(xmlXPathParserContext*, const std::vector<std::string>& args) {
  return xmlXPathNewBoolean(isValidFiscalCode(args[0]));
}

// libxslt wants plain function pointers; one trampoline per function.
void uuidEntry(xmlXPathParserContext* c, int n) {
  run(c, n, "uuid", 0, 0, uuid);
}
void nowEntry(xmlXPathParserContext* c, int n) {
  run(c, n, "now", 0, 0, now);
}
void formatDateEntry(xmlXPathParserContext* c, int n) {
  run(c, n, "format-date", 2, 3, formatDateFunction);
}
void parseDecimalEntry(xmlXPathParserContext* c, int n) {
  run(c, n, "parse-decimal", 1, 1, parseDecimalFunction);
}
void formatDecimalEntry(xmlXPathParserContext* c, int n) {
  run(c, n, "format-decimal", 2, 2, formatDecimalFunction);
}
void lookupEntry(xmlXPathParserContext* c, int n) {
  run(c, n, "lookup", 2, 3, lookup);
}
void validFiscalCodeEntry(xmlXPathParserContext* c, int n) {
  run(c, n, "valid-fiscal-code", 1, 1, validFiscalCode);
}

void registerAll() {
  installXmlLoadPolicy();
  const auto* uri = reinterpret_cast<const xmlChar*>(kEgovbusNamespace);
  const std::array<std::pair<const char*, xmlXPathFunction>, 7> functions = {{
      {"uuid", uuidEntry},
      {"now", nowEntry},
      {"format-date", formatDateEntry},
      {"parse-decimal", parseDecimalEntry},
      {"format-decimal", formatDecimalEntry},
      {"lookup", lookupEntry},
      {"valid-fiscal-code", validFiscalCodeEntry},
  }};
  for (const auto& [name, function] : functions) {
    xsltRegisterExtModuleFunction(reinterpret_cast<const xmlChar*>(name), uri, function);
  }
}

}  // namespace

void registerMappingExtensions() {
  static std::once_flag once;
  std::call_once(once, registerAll);
}

}  // namespace egov::core
