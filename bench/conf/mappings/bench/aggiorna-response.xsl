<?xml version="1.0" encoding="UTF-8"?>
<!-- posizioni.aggiorna (B1, B5), SOAP reply payload -> canonical JSON reply.
     In:  <tns:AggiornaPosizioniResponse><Esito/><Protocollo/><Posizioni><Posizione>...
     Out: {"esito", "protocollo", "posizioni": [{"tributo","importo","scadenza","stato"}]} -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns="http://www.w3.org/2005/xpath-functions"
    xmlns:tns="urn:bench:tributi"
    exclude-result-prefixes="tns">

  <xsl:template match="/tns:AggiornaPosizioniResponse">
    <map>
      <string key="esito"><xsl:value-of select="Esito"/></string>
      <string key="protocollo"><xsl:value-of select="Protocollo"/></string>
      <array key="posizioni">
        <xsl:for-each select="Posizioni/Posizione">
          <map>
            <string key="tributo"><xsl:value-of select="Tributo"/></string>
            <number key="importo"><xsl:value-of select="Importo"/></number>
            <string key="scadenza"><xsl:value-of select="Scadenza"/></string>
            <string key="stato"><xsl:value-of select="Stato"/></string>
          </map>
        </xsl:for-each>
      </array>
    </map>
  </xsl:template>

  <xsl:template match="/*" priority="-1">
    <xsl:message terminate="yes">backend-invalid: unexpected reply <xsl:value-of select="name()"/></xsl:message>
  </xsl:template>
</xsl:stylesheet>
