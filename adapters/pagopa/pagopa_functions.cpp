#include "adapters/pagopa/pagopa_functions.hpp"

#include <array>
#include <mutex>
#include <string>
#include <vector>

#include <libxml/xpathInternals.h>
#include <libxslt/extensions.h>
#include <libxslt/xsltutils.h>

#include "adapters/pagopa/notice_number.hpp"

namespace egov::adapters::pagopa {
namespace {

struct Failure {
  std::string message;
};

using Body = xmlXPathObject* (*)(const std::vector<std::string>&);

xmlXPathObject* newString(const std::string& value) {
  return xmlXPathNewString(reinterpret_cast<const xmlChar*>(value.c_str()));
}

// Pops every argument as a string, checks the arity, runs the body; no exception reaches
// libxslt: a failure stops the transform with its message, located at the instruction.
void run(xmlXPathParserContext* ctxt, int nargs, const char* name, int arity, Body body) noexcept {
  try {
    std::vector<std::string> args(static_cast<std::size_t>(nargs > 0 ? nargs : 0));
    for (auto arg = args.rbegin(); arg != args.rend(); ++arg) {
      xmlChar* text = xmlXPathPopString(ctxt);
      if (text != nullptr) *arg = reinterpret_cast<const char*>(text);
      xmlFree(text);
    }
    if (nargs != arity) {
      throw Failure{std::string(name) + "() takes " + std::to_string(arity) + " arguments"};
    }
    xmlXPathObject* result = body(args);
    if (result == nullptr) throw Failure{std::string(name) + "(): out of memory"};
    valuePush(ctxt, result);
  } catch (const Failure& failure) {
    xsltTransformContext* transform = xsltXPathGetTransformContext(ctxt);
    xsltTransformError(transform, nullptr, transform ? transform->inst : nullptr, "%s(): %s\n",
                       name, failure.message.c_str());
    ctxt->error = XPATH_EXPR_ERROR;
  } catch (...) {
    ctxt->error = XPATH_MEMORY_ERROR;
  }
}

template <class T>
T orFail(core::Result<T> result) {
  if (!result) throw Failure{result.error().message};
  return std::move(result).value();
}

xmlXPathObject* noticeNumber(const std::vector<std::string>& args) {
  const auto& aux = args[0];
  if (aux != "0" && aux != "3") throw Failure{"aux digit must be 0 or 3, not '" + aux + "'"};
  return newString(orFail(makeNoticeNumber(aux[0] - '0', args[1], args[2])).text);
}
xmlXPathObject* iuv(const std::vector<std::string>& args) {
  return newString(orFail(parseNoticeNumber(args[0])).iuv);
}
xmlXPathObject* validNoticeNumber(const std::vector<std::string>& args) {
  return xmlXPathNewBoolean(parseNoticeNumber(args[0]).ok());
}
xmlXPathObject* checkDigitsOf(const std::vector<std::string>& args) {
  return newString(orFail(checkDigits(args[0])));
}
xmlXPathObject* qrCode(const std::vector<std::string>& args) {
  return newString(orFail(qrPayload(args[0], args[1], args[2])));
}
xmlXPathObject* amount(const std::vector<std::string>& args) {
  auto cents = amountToCents(args[0]);
  if (!cents) throw Failure{"not a euro amount with at most 2 decimals: '" + args[0] + "'"};
  return newString(centsToAmount(*cents));
}

void noticeNumberEntry(xmlXPathParserContext* c, int n) {
  run(c, n, "notice-number", 3, noticeNumber);
}
void iuvEntry(xmlXPathParserContext* c, int n) {
  run(c, n, "iuv", 1, iuv);
}
void validEntry(xmlXPathParserContext* c, int n) {
  run(c, n, "valid-notice-number", 1, validNoticeNumber);
}
void checkDigitsEntry(xmlXPathParserContext* c, int n) {
  run(c, n, "check-digits", 1, checkDigitsOf);
}
void qrCodeEntry(xmlXPathParserContext* c, int n) {
  run(c, n, "qr-code", 3, qrCode);
}
void amountEntry(xmlXPathParserContext* c, int n) {
  run(c, n, "amount", 1, amount);
}

void registerAll() {
  const auto* uri = reinterpret_cast<const xmlChar*>(kFunctionsNamespace);
  const std::array<std::pair<const char*, xmlXPathFunction>, 6> functions = {{
      {"notice-number", noticeNumberEntry},
      {"iuv", iuvEntry},
      {"valid-notice-number", validEntry},
      {"check-digits", checkDigitsEntry},
      {"qr-code", qrCodeEntry},
      {"amount", amountEntry},
  }};
  for (const auto& [name, function] : functions) {
    xsltRegisterExtModuleFunction(reinterpret_cast<const xmlChar*>(name), uri, function);
  }
}

}  // namespace

void registerPagopaFunctions() {
  static std::once_flag once;
  std::call_once(once, registerAll);
}

}  // namespace egov::adapters::pagopa
