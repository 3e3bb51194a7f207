<?xml version="1.0" encoding="UTF-8"?>
<!-- vendor-soap-a, pagoPA creditor services: the canonical pagoPA request -> the vendor's
     operation. pagopa.verify / pagopa.activate: CercaAvviso by the notice number the vendor
     issued; pagopa.receipt (at delivery): RegistraPagamento, the amount being what this
     municipality receives (its own transfers), Italian decimals and dates. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns="urn:gestionale-a:servizi-comunali:1"
    xmlns:p="urn:egovbus:pagopa"
    xmlns:egov="urn:egovbus"
    extension-element-prefixes="egov"
    exclude-result-prefixes="p egov">
  <xsl:import href="../catalogue/pagopa-response.xsl"/>
  <xsl:param name="ente"/>

  <xsl:template match="/p:verifyRequest | /p:activateRequest">
    <CercaAvviso>
      <codiceEnte><xsl:value-of select="$ente"/></codiceEnte>
      <numeroAvviso><xsl:value-of select="p:noticeNumber"/></numeroAvviso>
    </CercaAvviso>
  </xsl:template>

  <xsl:template match="/p:receipt">
    <xsl:variable name="cents"><xsl:call-template name="own-cents"><xsl:with-param name="receipt" select="."/></xsl:call-template></xsl:variable>
    <RegistraPagamento>
      <codiceEnte><xsl:value-of select="$ente"/></codiceEnte>
      <idRicevuta><xsl:value-of select="p:receiptId"/></idRicevuta>
      <numeroAvviso><xsl:value-of select="p:noticeNumber"/></numeroAvviso>
      <ruolo><xsl:value-of select="@role"/></ruolo>
      <importo><xsl:value-of select="translate(format-number($cents div 100, '0.00'), '.', ',')"/></importo>
      <xsl:if test="p:paymentDateTime">
        <dataPagamento><xsl:value-of select="egov:format-date(p:paymentDateTime, 'dd/MM/yyyy HH:mm')"/></dataPagamento>
      </xsl:if>
      <psp><xsl:value-of select="p:PSPCompanyName"/></psp>
      <esito><xsl:value-of select="p:outcome"/></esito>
    </RegistraPagamento>
  </xsl:template>
</xsl:stylesheet>
