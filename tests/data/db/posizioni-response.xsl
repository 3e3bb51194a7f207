<?xml version="1.0" encoding="UTF-8"?>
<!-- The db endpoint's rows to the canonical JSON: numbers as numbers, SQL NULL as null. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns="http://www.w3.org/2005/xpath-functions"
    xmlns:db="urn:egovbus:db" exclude-result-prefixes="db">
  <xsl:template match="/db:rows">
    <map>
      <array key="positions">
        <xsl:for-each select="db:row">
          <map>
            <string key="tax"><xsl:value-of select="db:field[@name='tributo']"/></string>
            <number key="year"><xsl:value-of select="db:field[@name='anno']"/></number>
            <number key="amount"><xsl:value-of select="db:field[@name='importo']"/></number>
            <xsl:choose>
              <xsl:when test="db:field[@name='note']/@null = 'true'"><null key="note"/></xsl:when>
              <xsl:otherwise>
                <string key="note"><xsl:value-of select="db:field[@name='note']"/></string>
              </xsl:otherwise>
            </xsl:choose>
          </map>
        </xsl:for-each>
      </array>
    </map>
  </xsl:template>
</xsl:stylesheet>
