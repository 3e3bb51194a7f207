<?xml version="1.0"?>
<!-- Calls one extension function with the arguments given as parameters. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:eg="urn:egovbus" exclude-result-prefixes="eg">
  <xsl:param name="function"/>
  <xsl:param name="a"/>
  <xsl:param name="b"/>
  <xsl:param name="c" select="'(none)'"/>
  <xsl:template match="/">
    <r>
      <xsl:choose>
        <xsl:when test="$function = 'format-date' and $c = '(none)'">
          <xsl:value-of select="eg:format-date($a, $b)"/>
        </xsl:when>
        <xsl:when test="$function = 'format-date'">
          <xsl:value-of select="eg:format-date($a, $b, $c)"/>
        </xsl:when>
        <xsl:when test="$function = 'lookup' and $c = '(none)'">
          <xsl:value-of select="eg:lookup($a, $b)"/>
        </xsl:when>
        <xsl:when test="$function = 'lookup'">
          <xsl:value-of select="eg:lookup($a, $b, $c)"/>
        </xsl:when>
        <xsl:when test="$function = 'valid-fiscal-code'">
          <xsl:value-of select="eg:valid-fiscal-code($a)"/>
        </xsl:when>
        <xsl:when test="$function = 'uuid-arity'">
          <xsl:value-of select="eg:uuid($a)"/>
        </xsl:when>
      </xsl:choose>
    </r>
  </xsl:template>
</xsl:stylesheet>
