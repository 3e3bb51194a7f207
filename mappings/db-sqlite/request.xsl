<?xml version="1.0" encoding="UTF-8"?>
<!-- db-sqlite: canonical query -> a named statement of the `gestionale` db endpoint (the SQL
     lives in conf/profiles/db-sqlite.yaml; values are bound, never pasted into SQL). -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns="urn:egovbus:db"
    xmlns:c="urn:egovbus:canonical"
    exclude-result-prefixes="c">

  <!-- <param name="$name">value</param>, or null when the canonical field is absent. -->
  <xsl:template name="param">
    <xsl:param name="name"/>
    <xsl:param name="value"/>
    <param name="{$name}">
      <xsl:choose>
        <xsl:when test="$value"><xsl:value-of select="$value"/></xsl:when>
        <xsl:otherwise><xsl:attribute name="null">true</xsl:attribute></xsl:otherwise>
      </xsl:choose>
    </param>
  </xsl:template>

  <xsl:template match="/c:tax_positions_query">
    <query statement="posizioni">
      <param name="cf"><xsl:value-of select="c:fiscal_code"/></param>
      <xsl:call-template name="param">
        <xsl:with-param name="name" select="'anno'"/><xsl:with-param name="value" select="c:year"/>
      </xsl:call-template>
    </query>
  </xsl:template>

  <xsl:template match="/c:payment_notice_query">
    <query statement="avviso">
      <param name="cf"><xsl:value-of select="c:fiscal_code"/></param>
      <param name="id"><xsl:value-of select="c:position"/></param>
    </query>
  </xsl:template>

  <!-- A fee of the tariff for the citizen: statement apri_posizione opens it, or returns the
       open position for the same fee and amount (amount in cents; null: the tariff's). -->
  <xsl:template match="/c:payment_position_request">
    <query statement="apri_posizione">
      <param name="cf"><xsl:value-of select="c:fiscal_code"/></param>
      <param name="servizio"><xsl:value-of select="c:service"/></param>
      <xsl:choose>
        <xsl:when test="c:amount"><param name="importo"><xsl:value-of select="round(c:amount * 100)"/></param></xsl:when>
        <xsl:otherwise><param name="importo" null="true"/></xsl:otherwise>
      </xsl:choose>
    </query>
  </xsl:template>

  <xsl:template match="/c:slots_query">
    <query statement="slot_liberi">
      <xsl:call-template name="param">
        <xsl:with-param name="name" select="'servizio'"/><xsl:with-param name="value" select="c:service"/>
      </xsl:call-template>
      <xsl:call-template name="param">
        <xsl:with-param name="name" select="'data'"/><xsl:with-param name="value" select="c:date"/>
      </xsl:call-template>
    </query>
  </xsl:template>

  <xsl:template match="/c:booking_request">
    <query statement="prenota">
      <param name="richiesta"><xsl:value-of select="c:id"/></param>
      <param name="cf"><xsl:value-of select="c:fiscal_code"/></param>
      <param name="slot"><xsl:value-of select="c:slot"/></param>
    </query>
  </xsl:template>

  <xsl:template match="/c:booking_cancellation">
    <query statement="annulla">
      <param name="cf"><xsl:value-of select="c:fiscal_code"/></param>
      <param name="id"><xsl:value-of select="c:booking"/></param>
    </query>
  </xsl:template>

  <xsl:template match="/c:bookings_query">
    <query statement="prenotazioni"><param name="cf"><xsl:value-of select="c:fiscal_code"/></param></query>
  </xsl:template>

  <xsl:template match="/c:welfare_application">
    <query statement="domanda">
      <param name="pratica"><xsl:value-of select="c:id"/></param>
      <param name="cf"><xsl:value-of select="c:fiscal_code"/></param>
      <param name="sportello"><xsl:value-of select="c:desk"/></param>
      <xsl:call-template name="param">
        <xsl:with-param name="name" select="'note'"/><xsl:with-param name="value" select="c:notes"/>
      </xsl:call-template>
      <!-- Attachment metadata, one per line: name; media type; size; sha256. -->
      <param name="allegati">
        <xsl:for-each select="c:attachment">
          <xsl:value-of select="concat(c:name, '; ', c:media_type, '; ', c:size, '; ', c:sha256)"/>
          <xsl:if test="position() != last()"><xsl:text>&#10;</xsl:text></xsl:if>
        </xsl:for-each>
      </param>
    </query>
  </xsl:template>

  <xsl:template match="/c:welfare_status_query">
    <query statement="domande">
      <param name="cf"><xsl:value-of select="c:fiscal_code"/></param>
      <xsl:call-template name="param">
        <xsl:with-param name="name" select="'pratica'"/><xsl:with-param name="value" select="c:application"/>
      </xsl:call-template>
    </query>
  </xsl:template>

  <xsl:template match="/c:catalogue_query">
    <query statement="servizi"/>
  </xsl:template>

  <xsl:template match="/*" priority="-1">
    <xsl:message terminate="yes">mapping-failed: db-sqlite has no statement for <xsl:value-of select="local-name()"/></xsl:message>
  </xsl:template>
</xsl:stylesheet>
