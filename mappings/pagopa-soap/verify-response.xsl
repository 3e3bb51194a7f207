<?xml version="1.0" encoding="UTF-8"?>
<!-- CercaPosizioneRisposta → pagopa.verify response: amounts from "1.234,50" to 1234.50, dates
     from dd/MM/yyyy. The transfers' IBANs let the bus tell allCCP. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:p="urn:egovbus:pagopa" xmlns:v="urn:comune:pagamenti:posizioni"
    xmlns:eg="urn:egovbus" exclude-result-prefixes="v eg">
  <xsl:import href="stato.xsl"/>
  <xsl:output method="xml" encoding="UTF-8"/>
  <xsl:template match="/v:CercaPosizioneRisposta">
    <xsl:variable name="pos" select="v:posizione"/>
    <p:verifyResponse>
      <xsl:call-template name="status"><xsl:with-param name="risposta" select="."/></xsl:call-template>
      <xsl:if test="v:esito = 'TROVATA' and $pos/v:stato = 'DA_PAGARE'">
        <p:amount><xsl:value-of select="eg:parse-decimal($pos/v:importo)"/></p:amount>
        <p:dueDate><xsl:value-of select="eg:format-date($pos/v:scadenza, 'yyyy-MM-dd', 'dd/MM/yyyy')"/></p:dueDate>
        <p:description><xsl:value-of select="substring($pos/v:causale, 1, 140)"/></p:description>
        <xsl:if test="$pos/v:ufficio != ''"><p:officeName><xsl:value-of select="$pos/v:ufficio"/></p:officeName></xsl:if>
        <xsl:for-each select="$pos/v:voce[position() &lt;= 5]">
          <p:transfer>
            <p:amount><xsl:value-of select="eg:parse-decimal(v:importo)"/></p:amount>
            <p:iban><xsl:value-of select="v:iban"/></p:iban>
            <p:remittanceInformation><xsl:value-of select="v:causale"/></p:remittanceInformation>
            <p:category><xsl:value-of select="v:tassonomia"/></p:category>
          </p:transfer>
        </xsl:for-each>
      </xsl:if>
    </p:verifyResponse>
  </xsl:template>
</xsl:stylesheet>
