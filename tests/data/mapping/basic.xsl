<?xml version="1.0" encoding="UTF-8"?>
<!-- Copies the name of the input root and echoes the parameters. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="xml" encoding="UTF-8"/>
  <xsl:param name="ente" select="'none'"/>
  <xsl:param name="note" select="''"/>
  <xsl:template match="/">
    <out ente="{$ente}">
      <root><xsl:value-of select="name(/*)"/></root>
      <note><xsl:value-of select="$note"/></note>
      <xsl:for-each select="/*/item">
        <item><xsl:value-of select="."/></item>
      </xsl:for-each>
    </out>
  </xsl:template>
</xsl:stylesheet>
