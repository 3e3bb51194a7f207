<?xml version="1.0" encoding="UTF-8"?>
<!-- tributi.posizioni, canonical request -> REST back-end request envelope.
     In:  {"codice_fiscale": "...", "anno": "2024"?}   (query parameters or JSON body)
     Out: GET {endpoint url}/posizioni/{codice_fiscale}?anno=... -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:fn="http://www.w3.org/2005/xpath-functions"
    xmlns:egov="urn:egovbus"
    xmlns:http="urn:egovbus:http"
    extension-element-prefixes="egov"
    exclude-result-prefixes="fn egov">
  <xsl:param name="ente"/>

  <xsl:template match="/fn:map">
    <xsl:variable name="cf" select="normalize-space(fn:string[@key='codice_fiscale'])"/>
    <xsl:if test="not(egov:valid-fiscal-code($cf))">
      <xsl:message terminate="yes">bad-request: codice_fiscale is missing or not a valid Italian fiscal code</xsl:message>
    </xsl:if>
    <http:request method="GET" path="/posizioni/{$cf}">
      <http:header name="X-Ente"><xsl:value-of select="$ente"/></http:header>
      <xsl:if test="fn:string[@key='anno']">
        <http:query name="anno"><xsl:value-of select="fn:string[@key='anno']"/></http:query>
      </xsl:if>
    </http:request>
  </xsl:template>
</xsl:stylesheet>
