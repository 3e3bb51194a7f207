<?xml version="1.0" encoding="UTF-8"?>
<!-- csv-export: canonical query -> a lookup in one of the nightly exports (the key columns of
     each export are set in conf/profiles/csv-export.yaml), or, for a write, the rows of a file
     for the municipality's drop folder. Filters the exports' keys cannot express (year, date,
     service) are applied by response.xsl. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns="urn:egovbus:csv"
    xmlns:c="urn:egovbus:canonical"
    exclude-result-prefixes="c">
  <xsl:param name="ente"/>

  <xsl:template match="/c:tax_positions_query | /c:bookings_query | /c:welfare_status_query">
    <lookup><key name="codice_fiscale"><xsl:value-of select="c:fiscal_code"/></key></lookup>
  </xsl:template>

  <xsl:template match="/c:payment_notice_query">
    <lookup>
      <key name="codice_fiscale"><xsl:value-of select="c:fiscal_code"/></key>
      <key name="id_posizione"><xsl:value-of select="c:position"/></key>
    </lookup>
  </xsl:template>

  <xsl:template match="/c:slots_query">
    <lookup><key name="stato">LIBERO</key></lookup>
  </xsl:template>

  <xsl:template match="/c:catalogue_query">
    <lookup><key name="ente"><xsl:value-of select="$ente"/></key></lookup>
  </xsl:template>

  <xsl:template match="/c:booking_request">
    <rows>
      <row>
        <field name="operazione">PRENOTA</field>
        <field name="pratica"><xsl:value-of select="c:id"/></field>
        <field name="codice_fiscale"><xsl:value-of select="c:fiscal_code"/></field>
        <field name="id_slot"><xsl:value-of select="c:slot"/></field>
      </row>
    </rows>
  </xsl:template>

  <xsl:template match="/c:booking_cancellation">
    <rows>
      <row>
        <field name="operazione">ANNULLA</field>
        <field name="pratica"><xsl:value-of select="c:id"/></field>
        <field name="codice_fiscale"><xsl:value-of select="c:fiscal_code"/></field>
        <field name="id_prenotazione"><xsl:value-of select="c:booking"/></field>
      </row>
    </rows>
  </xsl:template>

  <xsl:template match="/c:welfare_application">
    <rows>
      <row>
        <field name="pratica"><xsl:value-of select="c:id"/></field>
        <field name="codice_fiscale"><xsl:value-of select="c:fiscal_code"/></field>
        <field name="sportello"><xsl:value-of select="translate(c:desk, 'abcdefghijklmnopqrstuvwxyz-', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ_')"/></field>
        <field name="note"><xsl:value-of select="c:notes"/></field>
        <!-- Attachment metadata, one per line: name; media type; size; sha256. -->
        <field name="allegati">
          <xsl:for-each select="c:attachment">
            <xsl:value-of select="concat(c:name, '; ', c:media_type, '; ', c:size, '; ', c:sha256)"/>
            <xsl:if test="position() != last()"><xsl:text>&#10;</xsl:text></xsl:if>
          </xsl:for-each>
        </field>
      </row>
    </rows>
  </xsl:template>

  <xsl:template match="/*" priority="-1">
    <xsl:message terminate="yes">mapping-failed: csv-export has no export for <xsl:value-of select="local-name()"/></xsl:message>
  </xsl:template>
</xsl:stylesheet>
