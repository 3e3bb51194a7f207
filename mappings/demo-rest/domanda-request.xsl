<?xml version="1.0" encoding="UTF-8"?>
<!-- welfare.domanda (one-way), canonical application -> POST /domande on the welfare desk.
     In:  {"codice_fiscale": "...", "sportello": "casa|lavoro|servizi-sociali", "allegati": [...]?}
     Runs before the hand-off: a request it refuses is never journaled. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns="http://www.w3.org/2005/xpath-functions"
    xmlns:fn="http://www.w3.org/2005/xpath-functions"
    xmlns:egov="urn:egovbus"
    xmlns:http="urn:egovbus:http"
    extension-element-prefixes="egov"
    exclude-result-prefixes="fn egov">
  <xsl:param name="ente"/>
  <xsl:param name="exchange-id"/>

  <xsl:template match="/fn:map">
    <xsl:variable name="cf" select="normalize-space(fn:string[@key='codice_fiscale'])"/>
    <xsl:variable name="sportello" select="fn:string[@key='sportello']"/>
    <xsl:if test="not(egov:valid-fiscal-code($cf))">
      <xsl:message terminate="yes">bad-request: codice_fiscale is missing or not a valid Italian fiscal code</xsl:message>
    </xsl:if>
    <xsl:if test="not($sportello = 'casa' or $sportello = 'lavoro' or $sportello = 'servizi-sociali')">
      <xsl:message terminate="yes">bad-request: sportello must be casa, lavoro or servizi-sociali</xsl:message>
    </xsl:if>
    <http:request method="POST" path="/domande">
      <http:header name="X-Ente"><xsl:value-of select="$ente"/></http:header>
      <http:body>
        <map>
          <string key="pratica"><xsl:value-of select="$exchange-id"/></string>
          <string key="richiedente"><xsl:value-of select="$cf"/></string>
          <string key="sportello"><xsl:value-of select="$sportello"/></string>
          <number key="allegati"><xsl:value-of select="count(fn:array[@key='allegati']/*)"/></number>
        </map>
      </http:body>
    </http:request>
  </xsl:template>
</xsl:stylesheet>
