<?xml version="1.0" encoding="UTF-8"?>
<!-- Global parameters and variables declared here, in an included module and in an imported
     one, one of them in a namespace: each is set by a parameter of the same name. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:p="urn:example:p" exclude-result-prefixes="p">
  <xsl:import href="lib/declared-params-imported.xsl"/>
  <xsl:include href="lib/declared-params-included.xsl"/>
  <xsl:param name="ente" select="'none'"/>
  <xsl:param name="p:anno" select="'none'"/>
  <xsl:template match="/">
    <out ente="{$ente}" anno="{$p:anno}" incluso="{$incluso}" importato="{$importato}"/>
  </xsl:template>
</xsl:stylesheet>
