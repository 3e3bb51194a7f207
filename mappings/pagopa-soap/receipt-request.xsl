<?xml version="1.0" encoding="UTF-8"?>
<!-- pagopa.receipt → RegistraPagamento, run at delivery (after the journal). The amount is
     the part of the payment that goes to this municipality (its own transfers). -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:p="urn:egovbus:pagopa" xmlns:v="urn:comune:pagamenti:posizioni"
    xmlns:eg="urn:egovbus" xmlns:pagopa="urn:egovbus:pagopa"
    exclude-result-prefixes="p eg pagopa">
  <xsl:output method="xml" encoding="UTF-8"/>
  <xsl:template match="/p:receipt">
    <xsl:variable name="iuv" select="pagopa:iuv(p:noticeNumber)"/>
    <xsl:variable name="own" select="p:transferList/p:transfer[@own = 'true']/p:transferAmount"/>
    <v:RegistraPagamentoRichiesta>
      <v:idRicevuta><xsl:value-of select="p:receiptId"/></v:idRicevuta>
      <v:numero>
        <xsl:choose>
          <xsl:when test="starts-with(p:noticeNumber, '3')"><xsl:value-of select="number(substring($iuv, 3, 13))"/></xsl:when>
          <xsl:otherwise><xsl:value-of select="number(substring($iuv, 1, 13))"/></xsl:otherwise>
        </xsl:choose>
      </v:numero>
      <v:ruolo><xsl:value-of select="@role"/></v:ruolo>
      <v:importo><xsl:value-of select="eg:format-decimal(sum($own), 2)"/></v:importo>
      <xsl:if test="p:paymentDateTime">
        <v:dataPagamento><xsl:value-of select="eg:format-date(p:paymentDateTime, 'dd/MM/yyyy HH:mm')"/></v:dataPagamento>
      </xsl:if>
      <v:psp><xsl:value-of select="p:PSPCompanyName"/></v:psp>
      <v:esito><xsl:value-of select="p:outcome"/></v:esito>
    </v:RegistraPagamentoRichiesta>
  </xsl:template>
</xsl:stylesheet>
