<?xml version="1.0" encoding="UTF-8"?>
<!-- Shared by the response mappings: the back-end's answer as a canonical status. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:p="urn:egovbus:pagopa" xmlns:v="urn:comune:pagamenti:posizioni">
  <xsl:template name="status">
    <xsl:param name="risposta"/>
    <xsl:variable name="stato" select="$risposta/v:posizione/v:stato"/>
    <p:status>
      <xsl:choose>
        <xsl:when test="$risposta/v:esito != 'TROVATA'">unknown</xsl:when>
        <xsl:when test="$stato = 'DA_PAGARE'">payable</xsl:when>
        <xsl:when test="$stato = 'PAGATA'">paid</xsl:when>
        <xsl:when test="$stato = 'SCADUTA'">expired</xsl:when>
        <xsl:when test="$stato = 'ANNULLATA'">cancelled</xsl:when>
        <xsl:when test="$stato = 'IN_PAGAMENTO'">in-progress</xsl:when>
        <xsl:otherwise>
          <xsl:message terminate="yes">backend-invalid: unknown position state <xsl:value-of select="$stato"/></xsl:message>
        </xsl:otherwise>
      </xsl:choose>
    </p:status>
    <xsl:if test="$risposta/v:esito != 'TROVATA' or $stato != 'DA_PAGARE'">
      <p:detail>position <xsl:value-of select="$risposta/v:posizione/v:numero"/>: <xsl:value-of select="$risposta/v:esito"/><xsl:text> </xsl:text><xsl:value-of select="$stato"/></p:detail>
    </xsl:if>
  </xsl:template>
</xsl:stylesheet>
