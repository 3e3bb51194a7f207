<?xml version="1.0" encoding="UTF-8"?>
<!-- anagrafe.id-anpr, RispostaE002OK of C030 -> canonical reply.
     Out: {"id_anpr": "...", "id_operazione_anpr": "..."} -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns="http://www.w3.org/2005/xpath-functions"
    xmlns:fn="http://www.w3.org/2005/xpath-functions"
    exclude-result-prefixes="fn">
  <xsl:import href="lib/soggetto.xsl"/>

  <xsl:template match="/fn:map">
    <xsl:call-template name="primo-soggetto"/>
    <map>
      <xsl:for-each select="fn:map[@key='listaSoggetti']/fn:array[@key='datiSoggetto']/fn:map[1]">
        <xsl:call-template name="id-anpr"/>
      </xsl:for-each>
      <string key="id_operazione_anpr"><xsl:value-of select="fn:string[@key='idOperazioneANPR']"/></string>
    </map>
  </xsl:template>
</xsl:stylesheet>
