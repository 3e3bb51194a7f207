<?xml version="1.0" encoding="UTF-8"?>
<!-- anagrafe.residenza, RispostaE002OK of C020 -> canonical reply.
     Out: {"codice_fiscale", "id_anpr", "cognome", "nome", "sesso", "data_nascita", "luogo_nascita",
           "residenza": {"indirizzo": "VIA SPARANO DA BARI 15", "specie", "denominazione",
                         "numero_civico", "cap", "comune", "codice_istat", "provincia",
                         "presso", "dal"},
           "id_operazione_anpr"}
     The residence listed first with tipoIndirizzo 1 (residence) is used, else the first. -->
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
        <xsl:call-template name="generalita"/>
        <xsl:variable name="tutte" select="fn:array[@key='residenza']/fn:map"/>
        <xsl:variable name="r" select="($tutte[fn:string[@key='tipoIndirizzo'] = '1'] | $tutte[1])[1]"/>
        <xsl:choose>
          <xsl:when test="$r/fn:map[@key='indirizzo']">
            <xsl:apply-templates select="$r"/>
          </xsl:when>
          <xsl:otherwise><null key="residenza"/></xsl:otherwise>
        </xsl:choose>
      </xsl:for-each>
      <string key="id_operazione_anpr"><xsl:value-of select="fn:string[@key='idOperazioneANPR']"/></string>
    </map>
  </xsl:template>

  <xsl:template match="fn:map">
    <xsl:variable name="i" select="fn:map[@key='indirizzo']"/>
    <xsl:variable name="top" select="$i/fn:map[@key='toponimo']"/>
    <xsl:variable name="civ" select="$i/fn:map[@key='numeroCivico']"/>
    <xsl:variable name="numero" select="concat($civ/fn:string[@key='numero'], $civ/fn:string[@key='lettera'])"/>
    <map key="residenza">
      <string key="indirizzo">
        <xsl:value-of select="normalize-space(concat($top/fn:string[@key='specie'], ' ',
            $top/fn:string[@key='denominazioneToponimo'], ' ', $numero))"/>
      </string>
      <string key="specie"><xsl:value-of select="$top/fn:string[@key='specie']"/></string>
      <string key="denominazione"><xsl:value-of select="$top/fn:string[@key='denominazioneToponimo']"/></string>
      <string key="numero_civico"><xsl:value-of select="$numero"/></string>
      <string key="cap"><xsl:value-of select="$i/fn:string[@key='cap']"/></string>
      <string key="comune"><xsl:value-of select="$i/fn:map[@key='comune']/fn:string[@key='nomeComune']"/></string>
      <string key="codice_istat"><xsl:value-of select="$i/fn:map[@key='comune']/fn:string[@key='codiceIstat']"/></string>
      <string key="provincia"><xsl:value-of select="$i/fn:map[@key='comune']/fn:string[@key='siglaProvinciaIstat']"/></string>
      <string key="presso"><xsl:value-of select="fn:string[@key='presso']"/></string>
      <string key="dal"><xsl:value-of select="fn:string[@key='dataDecorrenzaResidenza']"/></string>
    </map>
  </xsl:template>
</xsl:stylesheet>
