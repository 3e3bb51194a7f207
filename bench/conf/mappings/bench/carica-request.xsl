<?xml version="1.0" encoding="UTF-8"?>
<!-- posizioni.carica-xslt (B3, beside the for_each route): one chunk of a CSV export -> rows.
     In:  <rows xmlns="urn:egovbus:csv"><row number="1" line="2"><field name="codice_fiscale">...</field>
          <field name="anno"/><field name="tributo"/><field name="importo">1.234,56</field>
          <field name="scadenza">31/07/2024</field><field name="stato"/></row>...</rows>
     (the csv source in chunk mode, rows_per_exchange > 1; the columns in this order: a chunk
     whose first row has other names is refused)
     Out: <carica><righe>[["RSSMRA...","2024","TARI","1.234,56","31/07/2024","pagato"],...]</righe></carica>
     The db endpoint inserts the whole chunk with one statement over json_each(:righe), in one
     transaction, and converts the Italian amounts and dates there with the SQL functions
     egov_decimal_it() and egov_date_it() (README, "db"): a value that is not an Italian
     amount or date fails the statement, so the chunk, and the source then sends its rows one
     by one. This stylesheet checks the columns and the year and writes each row as a JSON
     array of its texts. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:csv="urn:egovbus:csv"
    exclude-result-prefixes="csv">
  <xsl:output method="xml"/>

  <xsl:template match="/csv:rows">
    <!-- Fields are read by position (a predicate on @name per field and row was the largest
         cost of this mapping); the first row's names prove the export has the expected columns. -->
    <xsl:variable name="first" select="csv:row[1]/csv:field"/>
    <xsl:if test="csv:row and not($first[1]/@name = 'codice_fiscale' and $first[2]/@name = 'anno'
                  and $first[3]/@name = 'tributo' and $first[4]/@name = 'importo'
                  and $first[5]/@name = 'scadenza' and $first[6]/@name = 'stato' and count($first) = 6)">
      <xsl:message terminate="yes">bad-request: expected the columns codice_fiscale, anno, tributo, importo, scadenza, stato</xsl:message>
    </xsl:if>
    <!-- The year of every row, in one XPath over the chunk (an xsl:if per row cost more). -->
    <xsl:if test="csv:row/csv:field[2][string-length(.) != 4 or translate(., '0123456789', '') != '']">
      <xsl:message terminate="yes">bad-request: anno is not a year</xsl:message>
    </xsl:if>
    <carica>
      <righe>
        <xsl:text>[</xsl:text>
        <!-- All the chunk's text at once: when no character in it needs escaping in JSON (the
             usual chunk), each row is written as it is with one concat; otherwise field by
             field through json-string. A per-row test (translate() on each row's text) cost
             more than the rest of the row's mapping. -->
        <xsl:variable name="all" select="string(.)"/>
        <xsl:choose>
          <xsl:when test="not(contains($all, '&quot;') or contains($all, '\') or contains($all, '&#9;')
                          or contains($all, '&#10;') or contains($all, '&#13;'))">
            <xsl:for-each select="csv:row">
              <xsl:if test="position() &gt; 1">,</xsl:if>["<xsl:value-of select="csv:field[1]"/>","<xsl:value-of
                select="csv:field[2]"/>","<xsl:value-of select="csv:field[3]"/>","<xsl:value-of
                select="csv:field[4]"/>","<xsl:value-of select="csv:field[5]"/>","<xsl:value-of
                select="csv:field[6]"/>"]<xsl:text/>
            </xsl:for-each>
          </xsl:when>
          <xsl:otherwise>
            <xsl:for-each select="csv:row">
              <xsl:if test="position() &gt; 1">,</xsl:if>
              <xsl:text>[</xsl:text>
              <xsl:for-each select="csv:field">
                <xsl:if test="position() &gt; 1">,</xsl:if>
                <xsl:call-template name="json-string"><xsl:with-param name="s" select="string(.)"/></xsl:call-template>
              </xsl:for-each>
              <xsl:text>]</xsl:text>
            </xsl:for-each>
          </xsl:otherwise>
        </xsl:choose>
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
