<?xml version="1.0" encoding="UTF-8"?>
<!-- Reads a parameter it declares and one it does not ("tenant": the bus passes it to every
     mapping). libxslt resolves an undeclared $name to a user parameter of that name when one
     is passed; egovbus passes a stylesheet only the parameters it declares. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:param name="ente" select="'none'"/>
  <xsl:template match="/">
    <out ente="{$ente}" tenant="{$tenant}"/>
  </xsl:template>
</xsl:stylesheet>
