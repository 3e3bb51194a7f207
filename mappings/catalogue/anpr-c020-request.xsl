<?xml version="1.0" encoding="UTF-8"?>
<!-- anagrafe.residenza: canonical residence_query -> ANPR e-service C020
     (servizioAccertamentoResidenza), RichiestaE002 on POST /anpr-service-e002. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns="http://www.w3.org/2005/xpath-functions"
    xmlns:c="urn:egovbus:canonical"
    xmlns:http="urn:egovbus:http"
    exclude-result-prefixes="c">
  <xsl:param name="tenant-istat"/>

  <xsl:template match="/c:residence_query">
    <http:request method="POST" path="/anpr-service-e002">
      <http:body>
        <map>
          <string key="idOperazioneClient"><xsl:value-of select="c:id"/></string>
          <map key="criteriRicerca">
            <string key="codiceFiscale"><xsl:value-of select="c:fiscal_code"/></string>
          </map>
          <map key="datiRichiesta">
            <string key="dataRiferimentoRichiesta"><xsl:value-of select="c:date"/></string>
            <string key="motivoRichiesta"><xsl:value-of select="concat('egovbus ', $tenant-istat, ' ', c:id)"/></string>
            <string key="casoUso">C020</string>
          </map>
        </map>
      </http:body>
    </http:request>
  </xsl:template>
</xsl:stylesheet>
