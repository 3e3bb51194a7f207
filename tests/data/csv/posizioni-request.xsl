<?xml version="1.0"?>
<!-- The portal's query {codice_fiscale, anno} -> a lookup envelope for a csv endpoint. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:fn="http://www.w3.org/2005/xpath-functions" xmlns:eg="urn:egovbus"
    xmlns:csv="urn:egovbus:csv" exclude-result-prefixes="fn eg">
  <xsl:template match="/fn:map">
    <xsl:variable name="cf" select="fn:string[@key='codice_fiscale']"/>
    <xsl:if test="not(eg:valid-fiscal-code($cf))">
      <xsl:message terminate="yes">bad-request: codice_fiscale is not a valid fiscal code</xsl:message>
    </xsl:if>
    <csv:lookup>
      <csv:key name="codice_fiscale"><xsl:value-of select="$cf"/></csv:key>
      <!-- Left out when absent: the endpoint then names the missing key column. -->
      <xsl:for-each select="fn:string[@key='anno']">
        <csv:key name="anno"><xsl:value-of select="."/></csv:key>
      </xsl:for-each>
    </csv:lookup>
  </xsl:template>
</xsl:stylesheet>
