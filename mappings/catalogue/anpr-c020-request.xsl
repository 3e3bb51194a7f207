<?xml version="1.0" encoding="UTF-8"?>
<!-- anagrafe.residenza: canonical residence_query -> the RichiestaE002 of ANPR e-service C020
     (servizioAccertamentoResidenza) in the JSON representation, for an `anpr` endpoint (it
     adds the PDND voucher and the ModI headers and POSTs to .../anpr-service-e002).
     motivoRichiesta: the tenant's motivo-richiesta param when set, else "egovbus <istat>
     <exchange id>" (ANPR requires one; the exchange id ties it to the bus's journal). -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns="http://www.w3.org/2005/xpath-functions"
    xmlns:c="urn:egovbus:canonical"
    exclude-result-prefixes="c">
  <xsl:param name="tenant-istat"/>
  <xsl:param name="motivo-richiesta"/>

  <xsl:template match="/c:residence_query">
    <map>
      <string key="idOperazioneClient"><xsl:value-of select="c:id"/></string>
      <map key="criteriRicerca">
        <string key="codiceFiscale"><xsl:value-of select="c:fiscal_code"/></string>
      </map>
      <map key="datiRichiesta">
        <string key="dataRiferimentoRichiesta"><xsl:value-of select="c:date"/></string>
        <string key="motivoRichiesta">
          <xsl:choose>
            <xsl:when test="normalize-space($motivo-richiesta) != ''"><xsl:value-of select="normalize-space($motivo-richiesta)"/></xsl:when>
            <xsl:otherwise><xsl:value-of select="concat('egovbus ', $tenant-istat, ' ', c:id)"/></xsl:otherwise>
          </xsl:choose>
        </string>
        <string key="casoUso">C020</string>
      </map>
    </map>
  </xsl:template>
</xsl:stylesheet>
