// Check of Italian fiscal codes (codice fiscale), as the citizen portal and SPID carry them.
#pragma once

#include <string_view>

namespace egov::core {

// True for a well-formed fiscal code with a correct check character:
//  - a natural person's 16-character code: 6 letters, year, month letter (ABCDEHLMPRST),
//    day 01-31 (women 41-71), cadastral code (letter + 3 digits), check letter; the digits
//    may be replaced by L M N P Q R S T U V (omocodia) in any combination (the Agenzia
//    replaces from the right, but checking that order would only reject codes it issued);
//  - an 11-digit code of a legal person or a temporary code (partita IVA check digit);
//    "00000000000" is refused, it passes the check digit but is only ever a placeholder.
// Upper case only and no surrounding blanks: the code is issued in upper case and national
// platforms (ANPR, pagoPA) compare it byte for byte, so a lenient check here would only pass
// the problem downstream. Normalise in the mapping when a source writes lower case.
bool isValidFiscalCode(std::string_view code);

}  // namespace egov::core
