<?xml version="1.0" encoding="UTF-8"?>
<!-- domanda.invia-senza-journal (B2 reference): the acknowledgement a one-way hand-off
     answers ({"id","state","status_url"}), built here without storing anything. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns="http://www.w3.org/2005/xpath-functions">
  <xsl:param name="exchange-id"/>
  <xsl:param name="tenant"/>

  <xsl:template match="/">
    <map>
      <string key="id"><xsl:value-of select="$exchange-id"/></string>
      <string key="state">queued</string>
      <string key="status_url">/api/v1/<xsl:value-of select="$tenant"/>/exchanges/<xsl:value-of select="$exchange-id"/></string>
    </map>
  </xsl:template>
</xsl:stylesheet>
