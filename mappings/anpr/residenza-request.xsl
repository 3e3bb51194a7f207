<?xml version="1.0" encoding="UTF-8"?>
<!-- anagrafe.residenza, canonical request -> RichiestaE002 of ANPR e-service C020 (see lib/richiesta.xsl). -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:fn="http://www.w3.org/2005/xpath-functions"
    exclude-result-prefixes="fn">
  <xsl:import href="lib/richiesta.xsl"/>

  <xsl:template match="/fn:map">
    <xsl:call-template name="richiesta-e002">
      <xsl:with-param name="caso-uso" select="'C020'"/>
    </xsl:call-template>
  </xsl:template>
</xsl:stylesheet>
