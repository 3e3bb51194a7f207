<?xml version="1.0" encoding="UTF-8"?>
<!-- A canonical anagrafe.* request -> ANPR RichiestaE002 (JSON representation), shared by the
     request mappings of mappings/anpr/.
     In:  {"codice_fiscale": "...", "motivo": "pratica 2026/123"?, "data_riferimento": "YYYY-MM-DD"?}
          (query parameters or JSON body; motivo falls back to the motivo-richiesta parameter
          of the tenant or route, data_riferimento to today)
     Out: {"idOperazioneClient": exchange id, "criteriRicerca": {"codiceFiscale"},
           "datiRichiesta": {"dataRiferimentoRichiesta", "motivoRichiesta", "casoUso"}} -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns="http://www.w3.org/2005/xpath-functions"
    xmlns:fn="http://www.w3.org/2005/xpath-functions"
    xmlns:egov="urn:egovbus"
    extension-element-prefixes="egov"
    exclude-result-prefixes="fn egov">
  <xsl:param name="exchange-id"/>
  <xsl:param name="motivo-richiesta"/>

  <xsl:template name="richiesta-e002">
    <xsl:param name="caso-uso"/>
    <xsl:variable name="cf" select="normalize-space(fn:string[@key='codice_fiscale'])"/>
    <xsl:if test="not(egov:valid-fiscal-code($cf)) or string-length($cf) != 16">
      <xsl:message terminate="yes">bad-request: codice_fiscale is missing or not a valid personal fiscal code</xsl:message>
    </xsl:if>
    <xsl:variable name="motivo">
      <xsl:choose>
        <xsl:when test="normalize-space(fn:string[@key='motivo']) != ''">
          <xsl:value-of select="normalize-space(fn:string[@key='motivo'])"/>
        </xsl:when>
        <xsl:otherwise><xsl:value-of select="normalize-space($motivo-richiesta)"/></xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <xsl:if test="$motivo = ''">
      <xsl:message terminate="yes">bad-request: motivo (the practice this lookup is for) is missing</xsl:message>
    </xsl:if>
    <xsl:if test="string-length($motivo) &gt; 100">
      <xsl:message terminate="yes">bad-request: motivo is longer than 100 characters</xsl:message>
    </xsl:if>
    <xsl:variable name="data">
      <xsl:choose>
        <xsl:when test="fn:string[@key='data_riferimento']">
          <xsl:if test="translate(fn:string[@key='data_riferimento'], '0123456789', 'dddddddddd') != 'dddd-dd-dd'">
            <xsl:message terminate="yes">bad-request: data_riferimento must be a date YYYY-MM-DD</xsl:message>
          </xsl:if>
          <!-- format-date stops the mapping on an impossible date (2026-02-30) -->
          <xsl:value-of select="egov:format-date(fn:string[@key='data_riferimento'], 'yyyy-MM-dd', 'yyyy-MM-dd')"/>
        </xsl:when>
        <xsl:otherwise><xsl:value-of select="substring(egov:now(), 1, 10)"/></xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <map>
      <string key="idOperazioneClient"><xsl:value-of select="$exchange-id"/></string>
      <map key="criteriRicerca">
        <string key="codiceFiscale"><xsl:value-of select="$cf"/></string>
      </map>
      <map key="datiRichiesta">
        <string key="dataRiferimentoRichiesta"><xsl:value-of select="$data"/></string>
        <string key="motivoRichiesta"><xsl:value-of select="$motivo"/></string>
        <string key="casoUso"><xsl:value-of select="$caso-uso"/></string>
      </map>
    </map>
  </xsl:template>
</xsl:stylesheet>
