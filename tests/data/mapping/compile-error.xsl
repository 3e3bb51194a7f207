<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:template match="a[">
    <out>
      <xsl:value-of/>
      <xsl:copy-of select="1 +"/>
    </out>
  </xsl:template>
</xsl:stylesheet>
