<?xml version="1.0" encoding="UTF-8"?>
<!-- pagamenti.avviso (portal, JSON {"codice_fiscale", "servizio"}) → CreaPosizione: the
     back-end creates the citizen's position for that service, or returns the existing one. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:fn="http://www.w3.org/2005/xpath-functions" xmlns:v="urn:comune:pagamenti:posizioni"
    xmlns:eg="urn:egovbus" exclude-result-prefixes="fn eg">
  <xsl:output method="xml" encoding="UTF-8"/>
  <xsl:template match="/fn:map">
    <xsl:variable name="cf" select="fn:string[@key='codice_fiscale']"/>
    <xsl:if test="not(eg:valid-fiscal-code($cf))">
      <xsl:message terminate="yes">bad-request: codice_fiscale is missing or not a valid fiscal code</xsl:message>
    </xsl:if>
    <xsl:if test="not(fn:string[@key='servizio'])">
      <xsl:message terminate="yes">bad-request: servizio is missing</xsl:message>
    </xsl:if>
    <v:CreaPosizioneRichiesta>
      <v:codiceFiscale><xsl:value-of select="$cf"/></v:codiceFiscale>
      <v:servizio><xsl:value-of select="fn:string[@key='servizio']"/></v:servizio>
    </v:CreaPosizioneRichiesta>
  </xsl:template>
</xsl:stylesheet>
