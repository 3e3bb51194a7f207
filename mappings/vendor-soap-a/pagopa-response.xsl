<?xml version="1.0" encoding="UTF-8"?>
<!-- vendor-soap-a, pagoPA creditor services: CercaAvvisoRisposta -> the canonical
     verifyResponse / activateResponse ($service). Vendor states: N to pay, P paid, S expired,
     A cancelled. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:a="urn:gestionale-a:servizi-comunali:1"
    xmlns:egov="urn:egovbus"
    extension-element-prefixes="egov"
    exclude-result-prefixes="a egov">
  <xsl:import href="../catalogue/pagopa-response.xsl"/>

  <xsl:template match="/a:CercaAvvisoRisposta">
    <xsl:variable name="avviso" select="a:avviso"/>
    <xsl:if test="a:esito = 'TROVATO' and not(contains(' N P S A ', concat(' ', $avviso/a:stato, ' ')))">
      <xsl:message terminate="yes">backend-invalid: unknown position state '<xsl:value-of select="$avviso/a:stato"/>'</xsl:message>
    </xsl:if>
    <xsl:choose>
      <xsl:when test="a:esito != 'TROVATO'">
        <xsl:call-template name="pagopa-response">
          <xsl:with-param name="found" select="false()"/>
          <xsl:with-param name="position" select="concat('notice ', a:esito)"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:otherwise>
    <xsl:call-template name="pagopa-response">
      <xsl:with-param name="found" select="true()"/>
      <xsl:with-param name="state">
        <xsl:choose>
          <xsl:when test="$avviso/a:stato = 'N'">payable</xsl:when>
          <xsl:when test="$avviso/a:stato = 'P'">paid</xsl:when>
          <xsl:when test="$avviso/a:stato = 'S'">expired</xsl:when>
          <xsl:otherwise>cancelled</xsl:otherwise>
        </xsl:choose>
      </xsl:with-param>
      <xsl:with-param name="position" select="string($avviso/a:idPosizione)"/>
      <xsl:with-param name="amount" select="egov:parse-decimal($avviso/a:importo)"/>
      <xsl:with-param name="due-date" select="egov:format-date($avviso/a:scadenza, 'yyyy-MM-dd', 'dd/MM/yyyy')"/>
      <xsl:with-param name="description" select="string($avviso/a:causale)"/>
      <xsl:with-param name="iban" select="string($avviso/a:iban)"/>
      <xsl:with-param name="category" select="string($avviso/a:tassonomia)"/>
      <xsl:with-param name="debtor-id" select="string($avviso/a:codiceFiscale)"/>
      <xsl:with-param name="debtor-name" select="string($avviso/a:nominativo)"/>
    </xsl:call-template>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>
</xsl:stylesheet>
