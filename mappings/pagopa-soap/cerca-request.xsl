<?xml version="1.0" encoding="UTF-8"?>
<!-- pagopa.verify / pagopa.activate → CercaPosizione. The back-end knows a position by its
     number: the IUV base of the notice (aux digit 3: segregation code + 13 digits + check
     digits; aux digit 0: 13 digits + check digits). -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:p="urn:egovbus:pagopa" xmlns:v="urn:comune:pagamenti:posizioni"
    exclude-result-prefixes="p">
  <xsl:output method="xml" encoding="UTF-8"/>
  <xsl:template match="/p:verifyRequest | /p:activateRequest">
    <xsl:variable name="base">
      <xsl:choose>
        <xsl:when test="p:auxDigit = '3'"><xsl:value-of select="substring(p:iuv, 3, 13)"/></xsl:when>
        <xsl:when test="p:auxDigit = '0'"><xsl:value-of select="substring(p:iuv, 1, 13)"/></xsl:when>
        <xsl:otherwise>
          <xsl:message terminate="yes">not-found: notice numbers with aux digit <xsl:value-of select="p:auxDigit"/> are not issued by this back-end</xsl:message>
        </xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <v:CercaPosizioneRichiesta>
      <v:numero><xsl:value-of select="number($base)"/></v:numero>
    </v:CercaPosizioneRichiesta>
  </xsl:template>
</xsl:stylesheet>
