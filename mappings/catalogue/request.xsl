<?xml version="1.0" encoding="UTF-8"?>
<!-- Every catalogue service, first step: the caller's JSON request (query parameters and body,
     in the JSON representation) -> the canonical query of the service ($service), checked.
     A request this refuses never reaches a back-end (bad-request, 400). Shared by all profiles;
     the canonical messages are defined in schemas/canonical/*.xsd. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns="urn:egovbus:canonical"
    xmlns:fn="http://www.w3.org/2005/xpath-functions"
    xmlns:egov="urn:egovbus"
    extension-element-prefixes="egov"
    exclude-result-prefixes="fn egov">
  <xsl:param name="service"/>
  <xsl:param name="exchange-id"/>
  <xsl:param name="method"/>

  <xsl:variable name="in" select="/fn:map"/>
  <xsl:variable name="cf" select="translate(normalize-space($in/fn:string[@key='fiscal_code']),
                                            'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ')"/>

  <xsl:template match="/">
    <xsl:if test="not($in)">
      <xsl:message terminate="yes">bad-request: expected a JSON object</xsl:message>
    </xsl:if>
    <xsl:choose>
      <xsl:when test="$service = 'tributi.posizioni'">
        <tax_positions_query>
          <xsl:call-template name="fiscal-code"/>
          <xsl:call-template name="optional">
            <xsl:with-param name="key" select="'year'"/>
            <xsl:with-param name="pattern" select="'9999'"/>
          </xsl:call-template>
        </tax_positions_query>
      </xsl:when>
      <!-- pagamenti.avviso: the notice of an existing `position`, or (POST) of a fee `service`
           of the municipality's tariff, with `amount` for fees without a fixed one: the
           back-end opens the position, or returns the open one for the same request. -->
      <xsl:when test="$service = 'pagamenti.avviso' and $in/*[@key='position']">
        <xsl:if test="$in/*[@key='service'] or $in/*[@key='amount']">
          <xsl:message terminate="yes">bad-request: give either position (an existing position) or service and amount (a new one), not both</xsl:message>
        </xsl:if>
        <payment_notice_query>
          <xsl:call-template name="fiscal-code"/>
          <xsl:call-template name="id"><xsl:with-param name="key" select="'position'"/></xsl:call-template>
        </payment_notice_query>
      </xsl:when>
      <xsl:when test="$service = 'pagamenti.avviso' and $in/*[@key='service']">
        <xsl:if test="$method != 'POST'">
          <xsl:message terminate="yes">bad-request: opening a position for a service needs POST</xsl:message>
        </xsl:if>
        <payment_position_request>
          <xsl:call-template name="fiscal-code"/>
          <xsl:call-template name="id"><xsl:with-param name="key" select="'service'"/></xsl:call-template>
          <xsl:variable name="amount" select="$in/*[@key='amount']"/>
          <xsl:if test="$amount">
            <xsl:variable name="text" select="normalize-space($amount)"/>
            <xsl:if test="not($amount[self::fn:number or self::fn:string]) or $text = ''
                          or translate($text, '0123456789', '') != '' and translate($text, '0123456789', '') != '.'
                          or string(number($text)) = 'NaN' or number($text) &lt;= 0
                          or contains($text, '.') and string-length(substring-after($text, '.')) &gt; 2">
              <xsl:message terminate="yes">bad-request: amount must be a positive number of euro with at most 2 decimals</xsl:message>
            </xsl:if>
            <amount><xsl:value-of select="format-number($text, '0.00')"/></amount>
          </xsl:if>
        </payment_position_request>
      </xsl:when>
      <xsl:when test="$service = 'pagamenti.avviso'">
        <xsl:message terminate="yes">bad-request: position (an existing position) or service (a fee to pay) is required</xsl:message>
      </xsl:when>
      <xsl:when test="$service = 'prenotazioni.disponibilita'">
        <slots_query>
          <xsl:call-template name="optional"><xsl:with-param name="key" select="'service'"/></xsl:call-template>
          <xsl:call-template name="optional">
            <xsl:with-param name="key" select="'date'"/>
            <xsl:with-param name="pattern" select="'9999-99-99'"/>
          </xsl:call-template>
        </slots_query>
      </xsl:when>
      <xsl:when test="$service = 'prenotazioni.prenota'">
        <booking_request>
          <id><xsl:value-of select="$exchange-id"/></id>
          <xsl:call-template name="fiscal-code"/>
          <xsl:call-template name="id"><xsl:with-param name="key" select="'slot'"/></xsl:call-template>
        </booking_request>
      </xsl:when>
      <xsl:when test="$service = 'prenotazioni.annulla'">
        <booking_cancellation>
          <id><xsl:value-of select="$exchange-id"/></id>
          <xsl:call-template name="fiscal-code"/>
          <xsl:call-template name="id"><xsl:with-param name="key" select="'booking'"/></xsl:call-template>
        </booking_cancellation>
      </xsl:when>
      <xsl:when test="$service = 'prenotazioni.elenco'">
        <bookings_query><xsl:call-template name="fiscal-code"/></bookings_query>
      </xsl:when>
      <xsl:when test="$service = 'welfare.domanda'">
        <xsl:variable name="desk" select="$in/fn:string[@key='desk']"/>
        <xsl:if test="not($desk = 'casa' or $desk = 'lavoro' or $desk = 'servizi-sociali')">
          <xsl:message terminate="yes">bad-request: desk must be casa, lavoro or servizi-sociali</xsl:message>
        </xsl:if>
        <welfare_application>
          <id><xsl:value-of select="$exchange-id"/></id>
          <xsl:call-template name="fiscal-code"/>
          <desk><xsl:value-of select="$desk"/></desk>
          <xsl:call-template name="optional"><xsl:with-param name="key" select="'notes'"/></xsl:call-template>
          <xsl:for-each select="$in/fn:array[@key='attachments']/*">
            <xsl:if test="not(self::fn:map) or not(fn:string[@key='name'] != '')
                          or not(fn:string[@key='media_type']) or not(fn:number[@key='size'])">
              <xsl:message terminate="yes">bad-request: each attachment needs name, media_type and size</xsl:message>
            </xsl:if>
            <attachment>
              <name><xsl:value-of select="fn:string[@key='name']"/></name>
              <media_type><xsl:value-of select="fn:string[@key='media_type']"/></media_type>
              <size><xsl:value-of select="fn:number[@key='size']"/></size>
              <xsl:if test="fn:string[@key='sha256']">
                <sha256><xsl:value-of select="fn:string[@key='sha256']"/></sha256>
              </xsl:if>
            </attachment>
          </xsl:for-each>
        </welfare_application>
      </xsl:when>
      <xsl:when test="$service = 'welfare.stato'">
        <welfare_status_query>
          <xsl:call-template name="fiscal-code"/>
          <xsl:call-template name="optional"><xsl:with-param name="key" select="'application'"/></xsl:call-template>
        </welfare_status_query>
      </xsl:when>
      <xsl:when test="$service = 'anagrafe.residenza'">
        <residence_query>
          <id><xsl:value-of select="$exchange-id"/></id>
          <xsl:call-template name="fiscal-code"/>
          <date>
            <xsl:choose>
              <xsl:when test="$in/*[@key='date']">
                <xsl:if test="translate(normalize-space($in/fn:string[@key='date']), '0123456789', '9999999999') != '9999-99-99'">
                  <xsl:message terminate="yes">bad-request: date must look like nnnn-nn-nn</xsl:message>
                </xsl:if>
                <!-- an impossible date (2026-02-30) is refused by the validate step (xs:date) -->
                <xsl:value-of select="normalize-space($in/fn:string[@key='date'])"/>
              </xsl:when>
              <xsl:otherwise><xsl:value-of select="egov:format-date(egov:now(), 'yyyy-MM-dd')"/></xsl:otherwise>
            </xsl:choose>
          </date>
        </residence_query>
      </xsl:when>
      <xsl:when test="$service = 'servizi.catalogo'">
        <catalogue_query/>
      </xsl:when>
      <xsl:otherwise>
        <xsl:message terminate="yes">mapping-failed: catalogue/request.xsl has no service <xsl:value-of select="$service"/></xsl:message>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template name="fiscal-code">
    <xsl:if test="not(egov:valid-fiscal-code($cf))">
      <xsl:message terminate="yes">bad-request: fiscal_code is missing or not a valid Italian fiscal code</xsl:message>
    </xsl:if>
    <fiscal_code><xsl:value-of select="$cf"/></fiscal_code>
  </xsl:template>

  <!-- A required identifier (string or number in JSON). -->
  <xsl:template name="id">
    <xsl:param name="key"/>
    <xsl:variable name="value" select="normalize-space($in/*[@key=$key][self::fn:string or self::fn:number])"/>
    <xsl:if test="$value = '' or string-length($value) &gt; 64
                  or translate($value, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-', '') != ''">
      <xsl:message terminate="yes">bad-request: <xsl:value-of select="$key"/> is missing or not an identifier</xsl:message>
    </xsl:if>
    <xsl:element name="{$key}"><xsl:value-of select="$value"/></xsl:element>
  </xsl:template>

  <!-- An optional string; with `pattern`, digits must stand where it has 9s. -->
  <xsl:template name="optional">
    <xsl:param name="key"/>
    <xsl:param name="pattern" select="''"/>
    <xsl:variable name="node" select="$in/*[@key=$key]"/>
    <xsl:if test="$node">
      <xsl:variable name="value" select="normalize-space($node)"/>
      <xsl:if test="$pattern != '' and translate($value, '0123456789', '9999999999') != $pattern">
        <xsl:message terminate="yes">bad-request: <xsl:value-of select="$key"/> must look like <xsl:value-of select="translate($pattern, '9', 'n')"/></xsl:message>
      </xsl:if>
      <xsl:if test="$value != ''">
        <xsl:element name="{$key}"><xsl:value-of select="$value"/></xsl:element>
      </xsl:if>
    </xsl:if>
  </xsl:template>
</xsl:stylesheet>
