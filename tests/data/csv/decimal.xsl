<?xml version="1.0"?>
<!-- Calls parse-decimal / format-decimal with the arguments given as parameters. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:eg="urn:egovbus" exclude-result-prefixes="eg">
  <xsl:param name="function"/>
  <xsl:param name="a"/>
  <xsl:param name="b"/>
  <xsl:template match="/">
    <r>
      <xsl:choose>
        <xsl:when test="$function = 'parse-decimal'">
          <xsl:value-of select="eg:parse-decimal($a)"/>
        </xsl:when>
        <xsl:when test="$function = 'format-decimal'">
          <xsl:value-of select="eg:format-decimal($a, $b)"/>
        </xsl:when>
        <xsl:when test="$function = 'sum-it'">
          <xsl:value-of
              select="eg:format-decimal(number(eg:parse-decimal($a)) + number(eg:parse-decimal($b)), 2)"/>
        </xsl:when>
        <xsl:when test="$function = 'date-it'">
          <xsl:value-of select="eg:format-date('05/03/2024', 'yyyy-MM-dd', 'dd/MM/yyyy')"/>
        </xsl:when>
        <xsl:when test="$function = 'arity'">
          <xsl:value-of select="eg:format-decimal($a)"/>
        </xsl:when>
      </xsl:choose>
    </r>
  </xsl:template>
</xsl:stylesheet>
