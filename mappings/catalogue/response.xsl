<?xml version="1.0" encoding="UTF-8"?>
<!-- Every catalogue service, last step: the canonical reply (validated against
     schemas/canonical/catalogue.xsd just before) -> the JSON the portal reads. Shared by all
     profiles, so every municipality answers a service in the same JSON shape. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns="http://www.w3.org/2005/xpath-functions"
    xmlns:c="urn:egovbus:canonical"
    exclude-result-prefixes="c">

  <!-- Fields that are JSON numbers or booleans; every other leaf is a string. -->
  <xsl:template match="c:year | c:amount | c:size" mode="field">
    <number key="{local-name()}"><xsl:value-of select="number(.)"/></number>
  </xsl:template>
  <xsl:template match="c:resident | c:available | c:deferred" mode="field">
    <boolean key="{local-name()}"><xsl:value-of select=". = 'true' or . = '1'"/></boolean>
  </xsl:template>
  <xsl:template match="*" mode="field">
    <string key="{local-name()}"><xsl:value-of select="."/></string>
  </xsl:template>
  <!-- A structure: its leaves as fields (children that repeat are handled by the caller). -->
  <xsl:template match="*" mode="object">
    <xsl:param name="key"/>
    <map>
      <xsl:if test="$key"><xsl:attribute name="key"><xsl:value-of select="$key"/></xsl:attribute></xsl:if>
      <xsl:apply-templates select="*[not(*)]" mode="field"/>
      <xsl:for-each select="*[*]">
        <xsl:apply-templates select="." mode="object">
          <xsl:with-param name="key" select="local-name()"/>
        </xsl:apply-templates>
      </xsl:for-each>
    </map>
  </xsl:template>
  <xsl:template name="list">
    <xsl:param name="key"/>
    <xsl:param name="items"/>
    <array key="{$key}">
      <xsl:apply-templates select="$items" mode="object"/>
    </array>
  </xsl:template>

  <xsl:template match="/c:tax_positions">
    <map>
      <xsl:apply-templates select="c:tenant" mode="field"/>
      <xsl:call-template name="list">
        <xsl:with-param name="key" select="'positions'"/>
        <xsl:with-param name="items" select="c:position"/>
      </xsl:call-template>
    </map>
  </xsl:template>

  <xsl:template match="/c:slots">
    <map>
      <xsl:apply-templates select="c:tenant" mode="field"/>
      <xsl:call-template name="list">
        <xsl:with-param name="key" select="'slots'"/>
        <xsl:with-param name="items" select="c:slot"/>
      </xsl:call-template>
    </map>
  </xsl:template>

  <xsl:template match="/c:bookings">
    <map>
      <xsl:apply-templates select="c:tenant" mode="field"/>
      <xsl:call-template name="list">
        <xsl:with-param name="key" select="'bookings'"/>
        <xsl:with-param name="items" select="c:booking"/>
      </xsl:call-template>
    </map>
  </xsl:template>

  <xsl:template match="/c:welfare_applications">
    <map>
      <xsl:apply-templates select="c:tenant" mode="field"/>
      <xsl:call-template name="list">
        <xsl:with-param name="key" select="'applications'"/>
        <xsl:with-param name="items" select="c:application"/>
      </xsl:call-template>
    </map>
  </xsl:template>

  <xsl:template match="/c:service_catalogue">
    <map>
      <xsl:apply-templates select="c:tenant | c:name" mode="field"/>
      <xsl:call-template name="list">
        <xsl:with-param name="key" select="'services'"/>
        <xsl:with-param name="items" select="c:service"/>
      </xsl:call-template>
      <xsl:call-template name="list">
        <xsl:with-param name="key" select="'offices'"/>
        <xsl:with-param name="items" select="c:office"/>
      </xsl:call-template>
    </map>
  </xsl:template>

  <!-- payment_notice, booking_result, booking_cancelled, residence: one object. -->
  <xsl:template match="/*" priority="-1">
    <xsl:apply-templates select="." mode="object"/>
  </xsl:template>
</xsl:stylesheet>
