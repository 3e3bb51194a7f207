<?xml version="1.0"?>
<!-- Rows of the TARI export (Italian amounts and dates) -> the canonical JSON positions. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns="http://www.w3.org/2005/xpath-functions" xmlns:eg="urn:egovbus"
    xmlns:csv="urn:egovbus:csv" exclude-result-prefixes="eg csv">
  <xsl:template match="/csv:rows">
    <map>
      <array key="positions">
        <xsl:for-each select="csv:row">
          <xsl:variable name="amount" select="eg:parse-decimal(csv:field[@name='importo'])"/>
          <map>
            <string key="tax"><xsl:value-of select="csv:field[@name='tributo']"/></string>
            <number key="year"><xsl:value-of select="csv:field[@name='anno']"/></number>
            <number key="amount"><xsl:value-of select="$amount"/></number>
            <string key="amount_it"><xsl:value-of select="eg:format-decimal($amount, 2)"/></string>
            <string key="due_date">
              <xsl:value-of
                  select="eg:format-date(csv:field[@name='scadenza'], 'yyyy-MM-dd', 'dd/MM/yyyy')"/>
            </string>
            <string key="description"><xsl:value-of select="csv:field[@name='descrizione']"/></string>
          </map>
        </xsl:for-each>
      </array>
    </map>
  </xsl:template>
</xsl:stylesheet>
