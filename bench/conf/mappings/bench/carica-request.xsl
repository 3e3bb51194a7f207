<?xml version="1.0" encoding="UTF-8"?>
<!-- posizioni.carica (B3): one chunk of a municipal CSV export -> the rows to insert.
     In:  <rows xmlns="urn:egovbus:csv"><row><field name="codice_fiscale">...</field>
          <field name="anno"/><field name="tributo"/><field name="importo">1.234,56</field>
          <field name="scadenza">31/07/2024</field><field name="stato"/></row>...</rows>
     Out: <carica><righe>[{"cf":"...","anno":2024,"tributo":"TARI","importo":1234.56,
          "scadenza":"2024-07-31","stato":"..."},...]</righe></carica>
     The db endpoint inserts the whole chunk with one statement over json_each(:righe),
     in one transaction. Italian amounts and dates are converted here. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:csv="urn:egovbus:csv"
    xmlns:egov="urn:egovbus"
    extension-element-prefixes="egov"
    exclude-result-prefixes="csv egov">
  <xsl:output method="xml"/>

  <xsl:template match="/csv:rows">
    <carica>
      <righe>
        <xsl:text>[</xsl:text>
        <xsl:for-each select="csv:row">
          <xsl:if test="position() &gt; 1">,</xsl:if>
          <xsl:variable name="anno" select="csv:field[@name='anno']"/>
          <xsl:if test="string-length($anno) != 4 or translate($anno, '0123456789', '') != ''">
            <xsl:message terminate="yes">bad-request: anno is not a year</xsl:message>
          </xsl:if>
          <xsl:text>{"cf":</xsl:text>
          <xsl:call-template name="json-string">
            <xsl:with-param name="s" select="csv:field[@name='codice_fiscale']"/>
          </xsl:call-template>
          <xsl:text>,"anno":</xsl:text>
          <xsl:value-of select="$anno"/>
          <xsl:text>,"tributo":</xsl:text>
          <xsl:call-template name="json-string">
            <xsl:with-param name="s" select="csv:field[@name='tributo']"/>
          </xsl:call-template>
          <xsl:text>,"importo":</xsl:text>
          <xsl:value-of select="egov:parse-decimal(csv:field[@name='importo'])"/>
          <xsl:text>,"scadenza":"</xsl:text>
          <xsl:value-of select="egov:format-date(csv:field[@name='scadenza'], 'yyyy-MM-dd', 'dd/MM/yyyy')"/>
          <xsl:text>","stato":</xsl:text>
          <xsl:call-template name="json-string">
            <xsl:with-param name="s" select="csv:field[@name='stato']"/>
          </xsl:call-template>
          <xsl:text>}</xsl:text>
        </xsl:for-each>
        <xsl:text>]</xsl:text>
      </righe>
    </carica>
  </xsl:template>

  <!-- A JSON string: quotes and backslashes escaped, line breaks and tabs made spaces. -->
  <xsl:template name="json-string">
    <xsl:param name="s"/>
    <xsl:text>"</xsl:text>
    <xsl:choose>
      <xsl:when test="contains($s, '\') or contains($s, '&quot;')">
        <xsl:call-template name="escape">
          <xsl:with-param name="s" select="translate($s, '&#9;&#10;&#13;', '   ')"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:otherwise><xsl:value-of select="translate($s, '&#9;&#10;&#13;', '   ')"/></xsl:otherwise>
    </xsl:choose>
    <xsl:text>"</xsl:text>
  </xsl:template>

  <xsl:template name="escape">
    <xsl:param name="s"/>
    <xsl:if test="$s != ''">
      <xsl:variable name="c" select="substring($s, 1, 1)"/>
      <xsl:if test="$c = '\' or $c = '&quot;'">\</xsl:if>
      <xsl:value-of select="$c"/>
      <xsl:call-template name="escape">
        <xsl:with-param name="s" select="substring($s, 2)"/>
      </xsl:call-template>
    </xsl:if>
  </xsl:template>
</xsl:stylesheet>
