<?xml version="1.0" encoding="UTF-8"?>
<!-- posizioni.aggiorna (B1, B5), canonical JSON request -> SOAP payload of the back-end.
     In:  {"codice_fiscale", "anno", "righe": [{"tributo","importo","scadenza","descrizione"}]}
     Out: <tns:AggiornaPosizioni> with unqualified children, as most vendor WSDLs have them. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:fn="http://www.w3.org/2005/xpath-functions"
    xmlns:egov="urn:egovbus"
    xmlns:tns="urn:bench:tributi"
    extension-element-prefixes="egov"
    exclude-result-prefixes="fn egov">
  <xsl:param name="ente"/>

  <xsl:template match="/fn:map">
    <xsl:variable name="cf" select="normalize-space(fn:string[@key='codice_fiscale'])"/>
    <xsl:if test="not(egov:valid-fiscal-code($cf))">
      <xsl:message terminate="yes">bad-request: codice_fiscale is missing or not a valid Italian fiscal code</xsl:message>
    </xsl:if>
    <tns:AggiornaPosizioni>
      <Ente><xsl:value-of select="$ente"/></Ente>
      <CodiceFiscale><xsl:value-of select="$cf"/></CodiceFiscale>
      <Anno><xsl:value-of select="fn:string[@key='anno']"/></Anno>
      <Righe>
        <xsl:for-each select="fn:array[@key='righe']/fn:map">
          <Riga>
            <Tributo><xsl:value-of select="fn:string[@key='tributo']"/></Tributo>
            <Importo><xsl:value-of select="fn:string[@key='importo']"/></Importo>
            <Scadenza><xsl:value-of select="fn:string[@key='scadenza']"/></Scadenza>
            <Descrizione><xsl:value-of select="fn:string[@key='descrizione']"/></Descrizione>
          </Riga>
        </xsl:for-each>
      </Righe>
    </tns:AggiornaPosizioni>
  </xsl:template>
</xsl:stylesheet>
