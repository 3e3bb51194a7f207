<?xml version="1.0" encoding="UTF-8"?>
<!-- domanda.invia (B2), canonical application -> the protocol system's record.
     In:  {"codice_fiscale", "sportello", "allegati": [{"nome"}]}
     Runs before the hand-off: a request it refuses is never journaled. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns="http://www.w3.org/2005/xpath-functions"
    xmlns:fn="http://www.w3.org/2005/xpath-functions"
    xmlns:egov="urn:egovbus"
    extension-element-prefixes="egov"
    exclude-result-prefixes="fn egov">
  <xsl:param name="ente"/>
  <xsl:param name="exchange-id"/>

  <xsl:template match="/fn:map">
    <xsl:variable name="cf" select="normalize-space(fn:string[@key='codice_fiscale'])"/>
    <xsl:if test="not(egov:valid-fiscal-code($cf))">
      <xsl:message terminate="yes">bad-request: codice_fiscale is missing or not a valid Italian fiscal code</xsl:message>
    </xsl:if>
    <map>
      <string key="pratica"><xsl:value-of select="$exchange-id"/></string>
      <string key="ente"><xsl:value-of select="$ente"/></string>
      <string key="richiedente"><xsl:value-of select="$cf"/></string>
      <string key="sportello"><xsl:value-of select="fn:string[@key='sportello']"/></string>
      <number key="allegati"><xsl:value-of select="count(fn:array[@key='allegati']/*)"/></number>
    </map>
  </xsl:template>
</xsl:stylesheet>
