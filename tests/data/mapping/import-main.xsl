<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:import href="lib/common.xsl"/>
  <xsl:include href="lib/included.xsl"/>
  <xsl:template match="/">
    <out>
      <xsl:call-template name="from-import"/>
      <xsl:call-template name="from-include"/>
    </out>
  </xsl:template>
</xsl:stylesheet>
