<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:eg="urn:egovbus" exclude-result-prefixes="eg">
  <xsl:template match="/">
    <out>
      <uuid><xsl:value-of select="eg:uuid()"/></uuid>
      <now><xsl:value-of select="eg:now()"/></now>
      <comune><xsl:value-of select="eg:lookup('comuni', /in/istat)"/></comune>
      <catastale><xsl:value-of select="eg:lookup('comuni', /in/istat, 'catastale')"/></catastale>
      <missing><xsl:value-of select="eg:lookup('comuni', '999999')"/></missing>
      <nascita><xsl:value-of select="eg:format-date(/in/nascita, 'dd/MM/yyyy')"/></nascita>
      <valid><xsl:value-of select="eg:valid-fiscal-code(/in/cf)"/></valid>
    </out>
  </xsl:template>
</xsl:stylesheet>
