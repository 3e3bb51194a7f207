#include <doctest/doctest.h>

#include <string>

#include "core/mapping/fiscal_code.hpp"

using egov::core::isValidFiscalCode;

// Check characters below were computed by hand with the Agenzia delle Entrate tables
// (odd positions: 0/A=1 1/B=0 2/C=5 3/D=7 4/E=9 5/F=13 6/G=15 7/H=17 8/I=19 9/J=21 K=2 L=4
// M=18 N=20 O=11 P=3 Q=6 R=8 S=12 T=14 U=16 V=10 W=22 X=25 Y=24 Z=23; even positions:
// digit value or letter index), sum mod 26 -> letter.

TEST_CASE("fiscal code: known valid codes of natural persons") {
  // The Agenzia delle Entrate's examples: Mario Rossi, 1 Jan 1980, Roma (H501), and the
  // widely published RSSMRA85T10A562S / MRTMTT25D09F205Z.
  CHECK(isValidFiscalCode("RSSMRA80A01H501U"));
  CHECK(isValidFiscalCode("RSSMRA85T10A562S"));
  CHECK(isValidFiscalCode("MRTMTT25D09F205Z"));
  // Mario Rossi, 10 Dec 1985, Bari (A662), by hand: R8 S18 S12 M12 R8 A0 8:19 5:5 T14 1:1
  // 0:1 A0 6:15 6:6 2:5 = 124; 124 mod 26 = 20 -> U.
  CHECK(isValidFiscalCode("RSSMRA85T10A662U"));
  // A woman (day + 40): Maria Bianchi, 15 May 1990, Molfetta (F284).
  CHECK(isValidFiscalCode("BNCMRA90E55F284J"));
  // Born abroad (Z + country code): Germany Z112.
  CHECK(isValidFiscalCode("RSSMRA80A01Z112F"));
}

TEST_CASE("fiscal code: omocodic variants are accepted") {
  // RSSMRA85T10A662U with its last digit 2 -> N (odd place: 5 -> 20, sum 139 -> J) ...
  CHECK(isValidFiscalCode("RSSMRA85T10A66NJ"));
  // ... then 6 -> S as well.
  CHECK(isValidFiscalCode("RSSMRA85T10A6SNV"));
  // Every digit position replaced: 8 5 1 0 6 6 2 -> U R M L S S N.
  CHECK(isValidFiscalCode("RSSMRAURTMLASSNP"));
  // A is not an omocodia letter, even with its check character right.
  CHECK(!isValidFiscalCode("RSSMRA85T10A66AQ"));
}

TEST_CASE("fiscal code: a wrong check character is refused") {
  CHECK(!isValidFiscalCode("RSSMRA85T10A662A"));
  CHECK(!isValidFiscalCode("RSSMRA85T10A662S"));
  CHECK(!isValidFiscalCode("RSSMRA80A01H501V"));
  // Two letters swapped: same letters, different sum (the right check would be X).
  CHECK(!isValidFiscalCode("SRSMRA85T10A662U"));
}

TEST_CASE("fiscal code: month letter and day are checked") {
  // Check characters right in each case, so only the month or the day is wrong.
  CHECK(!isValidFiscalCode("RSSMRA85F10A662T"));  // F is not a month letter
  CHECK(!isValidFiscalCode("RSSMRA85T32A662A"));  // day 32
  CHECK(!isValidFiscalCode("RSSMRA85T00A662T"));  // day 00
  CHECK(!isValidFiscalCode("RSSMRA85T72A662E"));  // day 72 (women are 41-71)
  CHECK(isValidFiscalCode("RSSMRA85T71A662Z"));
  CHECK(isValidFiscalCode("RSSMRA85T31A662V"));
}

TEST_CASE("fiscal code: shape, case and blanks") {
  CHECK(!isValidFiscalCode(""));
  CHECK(!isValidFiscalCode("RSSMRA85T10A662"));
  CHECK(!isValidFiscalCode("RSSMRA85T10A662UX"));
  CHECK(!isValidFiscalCode("rssmra85t10a662u"));
  CHECK(!isValidFiscalCode("RSSMRA85t10A662U"));
  CHECK(!isValidFiscalCode(" RSSMRA85T10A662U"));
  CHECK(!isValidFiscalCode("RSSMRA85T10A662U "));
  CHECK(!isValidFiscalCode("R5SMRA85T10A662H"));  // digit among the name letters
  CHECK(!isValidFiscalCode("RSSMRA85T101662V"));  // digit where the cadastral letter goes
}

TEST_CASE("fiscal code: 11-digit codes of legal persons") {
  // Comune di Bari: 8+0+5+1+7 = 21 (odd places), 0,1,0,0,2 doubled = 6; 27 -> check 3.
  CHECK(isValidFiscalCode("80015010723"));
  CHECK(!isValidFiscalCode("80015010724"));
  CHECK(!isValidFiscalCode("80015010732"));  // last two digits swapped
  // Doubling over 9 subtracts 9: 0 9 0 9 ... -> 9*2-9 = 9 each, 5 x 9 = 45 -> check 5.
  CHECK(isValidFiscalCode("09090909095"));
  CHECK(!isValidFiscalCode("09090909090"));
  CHECK(!isValidFiscalCode("00000000000"));
  CHECK(!isValidFiscalCode("8001501072A"));
  CHECK(!isValidFiscalCode("8001501072"));
}
