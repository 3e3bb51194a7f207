<?xml version="1.0" encoding="UTF-8"?>
<!-- CercaPosizioneRisposta → pagopa.activate response: the payment with its debtor and its
     transfers (a transfer with an `ente` pays another creditor, e.g. the Città Metropolitana's
     TEFA). The bus checks that they are 1 to 5 and add up to the amount. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:p="urn:egovbus:pagopa" xmlns:v="urn:comune:pagamenti:posizioni"
    xmlns:eg="urn:egovbus" exclude-result-prefixes="v eg">
  <xsl:import href="stato.xsl"/>
  <xsl:output method="xml" encoding="UTF-8"/>
  <xsl:template match="/v:CercaPosizioneRisposta">
    <xsl:variable name="pos" select="v:posizione"/>
    <p:activateResponse>
      <xsl:call-template name="status"><xsl:with-param name="risposta" select="."/></xsl:call-template>
      <xsl:if test="v:esito = 'TROVATA' and $pos/v:stato = 'DA_PAGARE'">
        <p:amount><xsl:value-of select="eg:parse-decimal($pos/v:importo)"/></p:amount>
        <p:dueDate><xsl:value-of select="eg:format-date($pos/v:scadenza, 'yyyy-MM-dd', 'dd/MM/yyyy')"/></p:dueDate>
        <p:description><xsl:value-of select="substring($pos/v:causale, 1, 140)"/></p:description>
        <xsl:if test="$pos/v:ufficio != ''"><p:officeName><xsl:value-of select="$pos/v:ufficio"/></p:officeName></xsl:if>
        <xsl:for-each select="$pos/v:debitore">
          <p:debtor>
            <p:type><xsl:value-of select="v:tipo"/></p:type>
            <p:id><xsl:value-of select="v:codiceFiscale"/></p:id>
            <p:fullName><xsl:value-of select="substring(v:nominativo, 1, 70)"/></p:fullName>
            <xsl:if test="v:indirizzo != ''"><p:streetName><xsl:value-of select="v:indirizzo"/></p:streetName></xsl:if>
            <xsl:if test="v:civico != ''"><p:civicNumber><xsl:value-of select="v:civico"/></p:civicNumber></xsl:if>
            <xsl:if test="v:cap != ''"><p:postalCode><xsl:value-of select="v:cap"/></p:postalCode></xsl:if>
            <xsl:if test="v:comune != ''"><p:city><xsl:value-of select="v:comune"/></p:city></xsl:if>
            <xsl:if test="v:provincia != ''"><p:stateProvinceRegion><xsl:value-of select="v:provincia"/></p:stateProvinceRegion></xsl:if>
            <p:country>IT</p:country>
            <xsl:if test="v:email != ''"><p:email><xsl:value-of select="v:email"/></p:email></xsl:if>
          </p:debtor>
        </xsl:for-each>
        <xsl:for-each select="$pos/v:voce">
          <p:transfer>
            <p:amount><xsl:value-of select="eg:parse-decimal(v:importo)"/></p:amount>
            <xsl:if test="v:ente != ''"><p:fiscalCode><xsl:value-of select="v:ente"/></p:fiscalCode></xsl:if>
            <p:iban><xsl:value-of select="v:iban"/></p:iban>
            <p:remittanceInformation><xsl:value-of select="substring(v:causale, 1, 140)"/></p:remittanceInformation>
            <p:category><xsl:value-of select="v:tassonomia"/></p:category>
          </p:transfer>
        </xsl:for-each>
      </xsl:if>
    </p:activateResponse>
  </xsl:template>
</xsl:stylesheet>
