<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:param name="href" select="'file:///etc/passwd'"/>
  <xsl:template match="/">
    <out>
      <xsl:copy-of select="document($href)"/>
    </out>
  </xsl:template>
</xsl:stylesheet>
