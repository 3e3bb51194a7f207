// XPath extension functions for pagoPA mappings, namespace urn:egovbus:pagopa (declare
// xmlns:pagopa="urn:egovbus:pagopa"):
//
//   notice-number(aux-digit, code, iuv-base)  the 18-digit notice number: aux digit 3 with the
//                                             segregation code, or 0 with the application code;
//                                             iuv-base up to 13 digits (zero-padded), check
//                                             digits mod 93 appended
//   iuv(notice-number)                        the IUV inside a notice number
//   valid-notice-number(text)                 boolean: 18 digits, known aux digit, check digits
//   check-digits(digits)                      the two mod-93 check digits of a digit string
//   qr-code(notice-number, fiscal-code, amount)
//                                             "PAGOPA|002|<notice>|<fiscal code>|<cents>"
//   amount(text)                              euro text as pagoPA writes it: "12.5" -> "12.50"
//
// A value the function cannot use stops the mapping (mapping_failed, naming the stylesheet
// line), as the urn:egovbus functions do.
#pragma once

namespace egov::adapters::pagopa {

inline constexpr const char* kFunctionsNamespace = "urn:egovbus:pagopa";

// Once, from main (adapters::initLibraries), before any mapping is compiled.
void registerPagopaFunctions();

}  // namespace egov::adapters::pagopa
