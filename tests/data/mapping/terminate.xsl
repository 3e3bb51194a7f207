<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:template match="/">
    <xsl:message>just a note, not an error</xsl:message>
    <xsl:if test="not(/*/@id)">
      <xsl:message terminate="yes">missing id on <xsl:value-of select="name(/*)"/></xsl:message>
    </xsl:if>
    <ok id="{/*/@id}"/>
  </xsl:template>
</xsl:stylesheet>
