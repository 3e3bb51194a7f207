<?xml version="1.0" encoding="UTF-8"?>
<!-- The REST request (query parameters as strings) to the keys the db endpoint's params
     read: the fiscal code upper-cased, the year 0 when not given. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns="http://www.w3.org/2005/xpath-functions"
    xmlns:fn="http://www.w3.org/2005/xpath-functions" exclude-result-prefixes="fn">
  <xsl:template match="/fn:map">
    <xsl:variable name="anno" select="fn:string[@key='anno']"/>
    <map>
      <string key="cf">
        <xsl:value-of select="translate(fn:string[@key='codice_fiscale'],
                              'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ')"/>
      </string>
      <string key="anno">
        <xsl:choose>
          <xsl:when test="string-length($anno) = 4"><xsl:value-of select="$anno"/></xsl:when>
          <xsl:otherwise>0</xsl:otherwise>
        </xsl:choose>
      </string>
    </map>
  </xsl:template>
</xsl:stylesheet>
