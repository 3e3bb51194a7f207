<?xml version="1.0"?>
<!DOCTYPE xsl:stylesheet [
  <!ENTITY % local "ignored">
  <!ATTLIST xsl:stylesheet id ID #IMPLIED>
]>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:template match="/"><out>&#8364;&lt;</out></xsl:template>
</xsl:stylesheet>
