<?xml version="1.0" encoding="UTF-8"?>
<!-- csv-export, pagoPA creditor services: the canonical pagoPA request -> a lookup in the
     positions export by position number (the notice's IUV base; a notice of another aux digit
     or code is not this municipality's: not-found, PAA_PAGAMENTO_SCONOSCIUTO), or, for
     pagopa.receipt (at delivery), a row for the drop folder (ricevute-*.csv), which the
     municipality's import registers once per id_ricevuta and shows as PAGATO in the next
     export. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns="urn:egovbus:csv"
    xmlns:p="urn:egovbus:pagopa"
    xmlns:egov="urn:egovbus"
    extension-element-prefixes="egov"
    exclude-result-prefixes="p egov">
  <xsl:import href="../catalogue/pagopa-response.xsl"/>
  <xsl:param name="pagopa_aux_digit" select="'3'"/>
  <xsl:param name="pagopa_code"/>

  <xsl:template match="/p:verifyRequest | /p:activateRequest">
    <lookup>
      <key name="numero">
        <xsl:call-template name="own-position-number">
          <xsl:with-param name="request" select="."/>
          <xsl:with-param name="aux-digit" select="$pagopa_aux_digit"/>
          <xsl:with-param name="code" select="$pagopa_code"/>
        </xsl:call-template>
      </key>
    </lookup>
  </xsl:template>

  <xsl:template match="/p:receipt">
    <xsl:variable name="cents"><xsl:call-template name="own-cents"><xsl:with-param name="receipt" select="."/></xsl:call-template></xsl:variable>
    <rows>
      <row>
        <field name="id_ricevuta"><xsl:value-of select="p:receiptId"/></field>
        <!-- aux digit 3 or 0: one digit, the two-digit code, then the 13-digit position number -->
        <field name="numero"><xsl:value-of select="number(substring(p:noticeNumber, 4, 13))"/></field>
        <field name="ruolo"><xsl:value-of select="@role"/></field>
        <field name="importo"><xsl:value-of select="translate(format-number($cents div 100, '0.00'), '.', ',')"/></field>
        <field name="data_pagamento">
          <xsl:if test="p:paymentDateTime"><xsl:value-of select="egov:format-date(p:paymentDateTime, 'dd/MM/yyyy HH:mm')"/></xsl:if>
        </field>
        <field name="psp"><xsl:value-of select="p:PSPCompanyName"/></field>
        <field name="esito"><xsl:value-of select="p:outcome"/></field>
      </row>
    </rows>
  </xsl:template>
</xsl:stylesheet>
