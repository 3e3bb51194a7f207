<?xml version="1.0" encoding="UTF-8"?>
<!-- db-sqlite: the statement's rows (<rows xmlns="urn:egovbus:db">) -> the canonical reply of
     $service. Amounts are stored in cents, slot starts as "yyyy-MM-dd HH:mm". -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns="urn:egovbus:canonical"
    xmlns:db="urn:egovbus:db"
    exclude-result-prefixes="db">
  <xsl:import href="../catalogue/payment-notice.xsl"/>
  <xsl:param name="tenant"/>
  <xsl:param name="tenant-fiscal-code"/>
  <xsl:param name="service"/>
  <xsl:param name="opening"/>  <!-- "true": pagamenti.avviso opening a position (apri_posizione) -->


  <xsl:template match="/db:rows">
    <xsl:choose>
      <xsl:when test="$service = 'tributi.posizioni'">
        <tax_positions>
          <tenant><xsl:value-of select="$tenant"/></tenant>
          <xsl:for-each select="db:row">
            <position>
              <id><xsl:value-of select="db:field[@name='id']"/></id>
              <tax><xsl:value-of select="db:field[@name='tributo']"/></tax>
              <year><xsl:value-of select="db:field[@name='anno']"/></year>
              <description><xsl:value-of select="db:field[@name='descrizione']"/></description>
              <amount><xsl:value-of select="format-number(db:field[@name='importo_cent'] div 100, '0.00')"/></amount>
              <due_date><xsl:value-of select="db:field[@name='scadenza']"/></due_date>
              <status><xsl:apply-templates select="db:field[@name='stato']"/></status>
            </position>
          </xsl:for-each>
        </tax_positions>
      </xsl:when>
      <xsl:when test="$service = 'pagamenti.avviso'">
        <xsl:if test="not(db:row) and $opening = 'true'">
          <xsl:message terminate="yes">validation-failed: no position opened: the service is not a fee of this municipality's tariff, or the amount is missing (the fee has no fixed amount) or is not the fee's</xsl:message>
        </xsl:if>
        <xsl:if test="not(db:row)">
          <xsl:message terminate="yes">not-found: no such tax position for this fiscal code</xsl:message>
        </xsl:if>
        <xsl:for-each select="db:row[1]">
          <!-- the database keeps the position number (IUV base): the bus builds the notice -->
          <xsl:call-template name="payment-notice">
            <xsl:with-param name="position" select="string(db:field[@name='id'])"/>
            <xsl:with-param name="number" select="string(db:field[@name='numero'])"/>
            <xsl:with-param name="amount" select="format-number(db:field[@name='importo_cent'] div 100, '0.00')"/>
            <xsl:with-param name="due-date" select="string(db:field[@name='scadenza'])"/>
            <xsl:with-param name="description" select="string(db:field[@name='descrizione'])"/>
            <xsl:with-param name="status" select="substring('payablepaid', 1 + 7 * (db:field[@name='stato'] = 'PAG'), 7 - 3 * (db:field[@name='stato'] = 'PAG'))"/>
          </xsl:call-template>
        </xsl:for-each>
      </xsl:when>
      <xsl:when test="$service = 'prenotazioni.disponibilita'">
        <slots>
          <tenant><xsl:value-of select="$tenant"/></tenant>
          <xsl:for-each select="db:row">
            <slot><id><xsl:value-of select="db:field[@name='id']"/></id><xsl:call-template name="slot-fields"/></slot>
          </xsl:for-each>
        </slots>
      </xsl:when>
      <xsl:when test="$service = 'prenotazioni.prenota'">
        <!-- INSERT ... RETURNING: a row when booked; none when the slot was already taken. -->
        <booking_result>
          <tenant><xsl:value-of select="$tenant"/></tenant>
          <xsl:choose>
            <xsl:when test="db:row">
              <status>confirmed</status>
              <xsl:apply-templates select="db:row[1]" mode="booking"/>
            </xsl:when>
            <xsl:otherwise><status>rejected</status><reason>slot already booked</reason></xsl:otherwise>
          </xsl:choose>
        </booking_result>
      </xsl:when>
      <xsl:when test="$service = 'prenotazioni.annulla'">
        <xsl:if test="not(db:row)">
          <xsl:message terminate="yes">not-found: no confirmed booking with this id for this fiscal code</xsl:message>
        </xsl:if>
        <booking_cancelled>
          <tenant><xsl:value-of select="$tenant"/></tenant>
          <booking><xsl:value-of select="db:row[1]/db:field[@name='id']"/></booking>
          <status>cancelled</status>
        </booking_cancelled>
      </xsl:when>
      <xsl:when test="$service = 'prenotazioni.elenco'">
        <bookings>
          <tenant><xsl:value-of select="$tenant"/></tenant>
          <xsl:apply-templates select="db:row" mode="booking"/>
        </bookings>
      </xsl:when>
      <xsl:when test="$service = 'welfare.stato'">
        <welfare_applications>
          <tenant><xsl:value-of select="$tenant"/></tenant>
          <xsl:for-each select="db:row">
            <application>
              <id><xsl:value-of select="db:field[@name='pratica']"/></id>
              <desk><xsl:value-of select="db:field[@name='sportello']"/></desk>
              <submitted><xsl:value-of select="db:field[@name='presentata']"/></submitted>
              <status>
                <xsl:choose>
                  <xsl:when test="db:field[@name='stato'] = 'protocollata'">received</xsl:when>
                  <xsl:when test="db:field[@name='stato'] = 'istruttoria'">in_review</xsl:when>
                  <xsl:when test="db:field[@name='stato'] = 'accolta'">approved</xsl:when>
                  <xsl:otherwise>rejected</xsl:otherwise>
                </xsl:choose>
              </status>
            </application>
          </xsl:for-each>
        </welfare_applications>
      </xsl:when>
      <xsl:when test="$service = 'servizi.catalogo'">
        <service_catalogue>
          <tenant><xsl:value-of select="$tenant"/></tenant>
          <name><xsl:value-of select="db:row[db:field[@name='tipo'] = 'ente']/db:field[@name='nome']"/></name>
          <xsl:for-each select="db:row[db:field[@name='tipo'] = 'servizio']">
            <service>
              <id><xsl:value-of select="db:field[@name='codice']"/></id>
              <available><xsl:value-of select="db:field[@name='attivo'] = '1'"/></available>
              <deferred>false</deferred>
            </service>
          </xsl:for-each>
          <xsl:for-each select="db:row[db:field[@name='tipo'] = 'ufficio']">
            <office>
              <code><xsl:value-of select="db:field[@name='codice']"/></code>
              <name><xsl:value-of select="db:field[@name='nome']"/></name>
              <address><xsl:value-of select="db:field[@name='indirizzo']"/></address>
            </office>
          </xsl:for-each>
        </service_catalogue>
      </xsl:when>
      <xsl:otherwise>
        <xsl:message terminate="yes">mapping-failed: db-sqlite/response.xsl has no service <xsl:value-of select="$service"/></xsl:message>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="db:field[@name='stato']">
    <xsl:choose>
      <xsl:when test=". = 'DAP'">unpaid</xsl:when>
      <xsl:when test=". = 'PAG'">paid</xsl:when>
      <xsl:when test=". = 'SCA'">overdue</xsl:when>
      <xsl:when test=". = 'ANN'">cancelled</xsl:when>
      <xsl:otherwise>
        <xsl:message terminate="yes">backend-invalid: unknown stato <xsl:value-of select="."/></xsl:message>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- Slot start "2026-12-01 09:30" -> date and time. -->
  <xsl:template name="slot-fields">
    <office><xsl:value-of select="db:field[@name='ufficio']"/></office>
    <service><xsl:value-of select="db:field[@name='servizio']"/></service>
    <date><xsl:value-of select="substring(db:field[@name='inizio'], 1, 10)"/></date>
    <time><xsl:value-of select="substring(db:field[@name='inizio'], 12, 5)"/></time>
  </xsl:template>

  <xsl:template match="db:row" mode="booking">
    <booking>
      <id><xsl:value-of select="db:field[@name='id']"/></id>
      <slot><xsl:value-of select="db:field[@name='slot_id']"/></slot>
      <xsl:call-template name="slot-fields"/>
      <status><xsl:value-of select="substring('confirmedcancelled', 1 + 9 * (db:field[@name='stato'] = 'annullata'), 9)"/></status>
    </booking>
  </xsl:template>
</xsl:stylesheet>
