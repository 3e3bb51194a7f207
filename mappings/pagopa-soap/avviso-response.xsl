<?xml version="1.0" encoding="UTF-8"?>
<!-- CreaPosizioneRisposta → the notice for the portal (JSON): the notice number from the
     position number with the tenant's aux digit and segregation or application code
     (params pagopa_aux_digit, pagopa_code), its IUV, the amount, the due date, the creditor
     and the payload of the notice's QR code. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns="http://www.w3.org/2005/xpath-functions" xmlns:v="urn:comune:pagamenti:posizioni"
    xmlns:eg="urn:egovbus" xmlns:pagopa="urn:egovbus:pagopa"
    exclude-result-prefixes="v eg pagopa">
  <xsl:param name="pagopa_aux_digit" select="'3'"/>
  <xsl:param name="pagopa_code"/>
  <xsl:param name="tenant-fiscal-code"/>
  <xsl:output method="xml" encoding="UTF-8"/>
  <xsl:template match="/v:CreaPosizioneRisposta[v:esito != 'OK']">
    <xsl:message terminate="yes">not-found: the back-end has no such service (<xsl:value-of select="v:esito"/>)</xsl:message>
  </xsl:template>
  <xsl:template match="/v:CreaPosizioneRisposta">
    <xsl:variable name="pos" select="v:posizione"/>
    <xsl:variable name="notice" select="pagopa:notice-number($pagopa_aux_digit, $pagopa_code, $pos/v:numero)"/>
    <xsl:variable name="amount" select="pagopa:amount(eg:parse-decimal($pos/v:importo))"/>
    <map>
      <string key="notice_number"><xsl:value-of select="$notice"/></string>
      <string key="iuv"><xsl:value-of select="pagopa:iuv($notice)"/></string>
      <string key="amount"><xsl:value-of select="$amount"/></string>
      <string key="due_date"><xsl:value-of select="eg:format-date($pos/v:scadenza, 'yyyy-MM-dd', 'dd/MM/yyyy')"/></string>
      <string key="fiscal_code"><xsl:value-of select="$tenant-fiscal-code"/></string>
      <string key="description"><xsl:value-of select="$pos/v:causale"/></string>
      <string key="state"><xsl:value-of select="$pos/v:stato"/></string>
      <string key="qr_code"><xsl:value-of select="pagopa:qr-code($notice, $tenant-fiscal-code, $amount)"/></string>
    </map>
  </xsl:template>
</xsl:stylesheet>
