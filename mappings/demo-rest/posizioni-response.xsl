<?xml version="1.0" encoding="UTF-8"?>
<!-- tributi.posizioni, back-end reply -> canonical reply.
     In:  {"contribuente": "...", "posizioni": [{"tributo","anno","importo","scadenza","stato"}]}
     Out: {"fiscal_code", "tenant", "positions": [{"tax","year","amount","due_date","due_date_it","status"}]} -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns="http://www.w3.org/2005/xpath-functions"
    xmlns:fn="http://www.w3.org/2005/xpath-functions"
    xmlns:egov="urn:egovbus"
    extension-element-prefixes="egov"
    exclude-result-prefixes="fn egov">
  <xsl:param name="tenant"/>

  <xsl:template match="/fn:map">
    <map>
      <string key="fiscal_code"><xsl:value-of select="fn:string[@key='contribuente']"/></string>
      <string key="tenant"><xsl:value-of select="$tenant"/></string>
      <array key="positions">
        <xsl:apply-templates select="fn:array[@key='posizioni']/fn:map"/>
      </array>
    </map>
  </xsl:template>

  <xsl:template match="fn:map">
    <map>
      <string key="tax"><xsl:value-of select="fn:string[@key='tributo']"/></string>
      <number key="year"><xsl:value-of select="fn:number[@key='anno']"/></number>
      <number key="amount"><xsl:value-of select="fn:string[@key='importo']"/></number>
      <string key="due_date"><xsl:value-of select="fn:string[@key='scadenza']"/></string>
      <string key="due_date_it"><xsl:value-of select="egov:format-date(fn:string[@key='scadenza'], 'dd/MM/yyyy')"/></string>
      <string key="status"><xsl:value-of select="egov:lookup('stati-tributo', fn:string[@key='stato'])"/></string>
    </map>
  </xsl:template>
</xsl:stylesheet>
