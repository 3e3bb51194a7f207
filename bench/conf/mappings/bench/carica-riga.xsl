<?xml version="1.0" encoding="UTF-8"?>
<!-- posizioni.carica-riga (B3, the product path): one row of a municipal CSV export, as the
     csv drop-folder source hands it over, -> the parameters of one INSERT.
     In:  <row xmlns="urn:egovbus:csv" number="1"><field name="codice_fiscale">...</field>
          <field name="anno"/><field name="tributo"/><field name="importo">1.234,56</field>
          <field name="scadenza">31/07/2024</field><field name="stato"/></row>
     Out: <riga><cf/><anno/><tributo/><importo>1234.56</importo><scadenza>2024-07-31</scadenza>
          <stato/></riga> -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:csv="urn:egovbus:csv"
    xmlns:egov="urn:egovbus"
    extension-element-prefixes="egov"
    exclude-result-prefixes="csv egov">
  <xsl:output method="xml"/>

  <xsl:template match="/csv:row">
    <xsl:variable name="anno" select="string(csv:field[@name='anno'])"/>
    <xsl:if test="string-length($anno) != 4 or translate($anno, '0123456789', '') != ''">
      <xsl:message terminate="yes">bad-request: anno is not a year</xsl:message>
    </xsl:if>
    <riga>
      <cf><xsl:value-of select="csv:field[@name='codice_fiscale']"/></cf>
      <anno><xsl:value-of select="$anno"/></anno>
      <tributo><xsl:value-of select="csv:field[@name='tributo']"/></tributo>
      <importo><xsl:value-of select="egov:parse-decimal(csv:field[@name='importo'])"/></importo>
      <scadenza><xsl:value-of select="egov:format-date(csv:field[@name='scadenza'], 'yyyy-MM-dd', 'dd/MM/yyyy')"/></scadenza>
      <stato><xsl:value-of select="csv:field[@name='stato']"/></stato>
    </riga>
  </xsl:template>
</xsl:stylesheet>
