<?xml version="1.0" encoding="UTF-8"?>
<!-- Pieces of an ANPR datiSoggetto (RispostaE002OK) in canonical form, shared by the response
     mappings of mappings/anpr/. The context node is one fn:map of listaSoggetti.datiSoggetto. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns="http://www.w3.org/2005/xpath-functions"
    xmlns:fn="http://www.w3.org/2005/xpath-functions"
    exclude-result-prefixes="fn">

  <!-- The first subject of the answer; ANPR answers 404 when there is none, so an empty list
       here is an answer the bus cannot read. -->
  <xsl:template name="primo-soggetto">
    <xsl:if test="not(fn:map[@key='listaSoggetti']/fn:array[@key='datiSoggetto']/fn:map)">
      <xsl:message terminate="yes">backend-invalid: the ANPR answer lists no subject</xsl:message>
    </xsl:if>
  </xsl:template>

  <!-- "codice_fiscale", "id_anpr", "cognome", "nome", "sesso", "data_nascita", "comune_nascita" -->
  <xsl:template name="generalita">
    <xsl:variable name="g" select="fn:map[@key='generalita']"/>
    <string key="codice_fiscale"><xsl:value-of select="$g/fn:map[@key='codiceFiscale']/fn:string[@key='codFiscale']"/></string>
    <xsl:call-template name="id-anpr"/>
    <string key="cognome"><xsl:value-of select="$g/fn:string[@key='cognome']"/></string>
    <string key="nome"><xsl:value-of select="$g/fn:string[@key='nome']"/></string>
    <string key="sesso"><xsl:value-of select="$g/fn:string[@key='sesso']"/></string>
    <string key="data_nascita"><xsl:value-of select="$g/fn:string[@key='dataNascita']"/></string>
    <xsl:variable name="luogo" select="$g/fn:map[@key='luogoNascita']"/>
    <string key="luogo_nascita">
      <xsl:choose>
        <xsl:when test="$luogo/fn:map[@key='comune']">
          <xsl:value-of select="$luogo/fn:map[@key='comune']/fn:string[@key='nomeComune']"/>
        </xsl:when>
        <xsl:otherwise>
          <xsl:value-of select="$luogo/fn:map[@key='localita']/fn:string[@key='descrizioneLocalita']"/>
        </xsl:otherwise>
      </xsl:choose>
    </string>
  </xsl:template>

  <xsl:template name="id-anpr">
    <string key="id_anpr"><xsl:value-of select="fn:map[@key='identificativi']/fn:string[@key='idANPR']"/></string>
  </xsl:template>
</xsl:stylesheet>
