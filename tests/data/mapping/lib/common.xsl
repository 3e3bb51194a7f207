<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:template name="from-import">
    <imported/>
    <xsl:if test="/fail">
      <xsl:message terminate="yes">stopped in the imported stylesheet</xsl:message>
    </xsl:if>
  </xsl:template>
</xsl:stylesheet>
