<?xml version="1.0" encoding="UTF-8"?>
<!-- db-sqlite, pagoPA creditor services: the canonical pagoPA request -> a named statement of
     the `gestionale` endpoint. pagopa.verify / pagopa.activate: the position whose number is
     the notice's IUV base (a notice of another aux digit or code is not this municipality's:
     not-found, PAA_PAGAMENTO_SCONOSCIUTO); pagopa.receipt (at delivery): the receipt into
     `ricevute`, once per receipt id (a trigger marks the position paid). -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns="urn:egovbus:db"
    xmlns:p="urn:egovbus:pagopa"
    exclude-result-prefixes="p">
  <xsl:import href="../catalogue/pagopa-response.xsl"/>
  <xsl:param name="pagopa_aux_digit" select="'3'"/>
  <xsl:param name="pagopa_code"/>

  <xsl:template match="/p:verifyRequest | /p:activateRequest">
    <query statement="pagopa_posizione">
      <param name="numero">
        <xsl:call-template name="own-position-number">
          <xsl:with-param name="request" select="."/>
          <xsl:with-param name="aux-digit" select="$pagopa_aux_digit"/>
          <xsl:with-param name="code" select="$pagopa_code"/>
        </xsl:call-template>
      </param>
    </query>
  </xsl:template>

  <xsl:template match="/p:receipt">
    <query statement="ricevuta">
      <param name="id"><xsl:value-of select="p:receiptId"/></param>
      <!-- aux digit 3 or 0: one digit, the two-digit code, then the 13-digit position number -->
      <param name="numero"><xsl:value-of select="number(substring(p:noticeNumber, 4, 13))"/></param>
      <param name="ruolo"><xsl:value-of select="@role"/></param>
      <param name="importo"><xsl:call-template name="own-cents"><xsl:with-param name="receipt" select="."/></xsl:call-template></param>
      <param name="data">
        <xsl:choose>
          <xsl:when test="p:paymentDateTime"><xsl:value-of select="p:paymentDateTime"/></xsl:when>
          <xsl:otherwise><xsl:attribute name="null">true</xsl:attribute></xsl:otherwise>
        </xsl:choose>
      </param>
      <param name="psp"><xsl:value-of select="p:PSPCompanyName"/></param>
      <param name="esito"><xsl:value-of select="p:outcome"/></param>
    </query>
  </xsl:template>
</xsl:stylesheet>
