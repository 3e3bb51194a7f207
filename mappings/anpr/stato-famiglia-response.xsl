<?xml version="1.0" encoding="UTF-8"?>
<!-- anagrafe.stato-famiglia, RispostaE002OK of C021 -> canonical reply.
     Out: {"componenti": [{"codice_fiscale", "id_anpr", "cognome", "nome", "sesso", "data_nascita",
                           "luogo_nascita", "legame": "1", "legame_descrizione": "INTESTATARIO SCHEDA"}],
           "id_operazione_anpr"} -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns="http://www.w3.org/2005/xpath-functions"
    xmlns:fn="http://www.w3.org/2005/xpath-functions"
    exclude-result-prefixes="fn">
  <xsl:import href="lib/soggetto.xsl"/>

  <xsl:template match="/fn:map">
    <xsl:call-template name="primo-soggetto"/>
    <map>
      <array key="componenti">
        <xsl:for-each select="fn:map[@key='listaSoggetti']/fn:array[@key='datiSoggetto']/fn:map">
          <map>
            <xsl:call-template name="generalita"/>
            <string key="legame"><xsl:value-of select="fn:map[@key='legameSoggetto']/fn:string[@key='codiceLegame']"/></string>
            <string key="legame_descrizione"><xsl:value-of select="fn:map[@key='legameSoggetto']/fn:string[@key='descrizioneLegame']"/></string>
          </map>
        </xsl:for-each>
      </array>
      <string key="id_operazione_anpr"><xsl:value-of select="fn:string[@key='idOperazioneANPR']"/></string>
    </map>
  </xsl:template>
</xsl:stylesheet>
