<?xml version="1.0" encoding="UTF-8"?>
<!-- vendor-soap-a: the vendor's SOAP reply (the Body's child) -> the canonical reply.
     Amounts arrive as Italian decimals (1.109,56), dates as dd/mm/yyyy, statuses as codes. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns="urn:egovbus:canonical"
    xmlns:a="urn:gestionale-a:servizi-comunali:1"
    xmlns:egov="urn:egovbus"
    extension-element-prefixes="egov"
    exclude-result-prefixes="a egov">
  <xsl:import href="../catalogue/payment-notice.xsl"/>
  <xsl:param name="tenant"/>
  <xsl:param name="tenant-fiscal-code"/>

  <xsl:template name="head">
    <tenant><xsl:value-of select="$tenant"/></tenant>
  </xsl:template>
  <xsl:template name="date">
    <xsl:param name="it"/>
    <xsl:value-of select="egov:format-date($it, 'yyyy-MM-dd', 'dd/MM/yyyy')"/>
  </xsl:template>

  <xsl:template match="/a:ElencoPosizioniRisposta">
    <tax_positions>
      <xsl:call-template name="head"/>
      <xsl:for-each select="a:posizione">
        <position>
          <id><xsl:value-of select="a:idPosizione"/></id>
          <tax><xsl:value-of select="a:tributo"/></tax>
          <year><xsl:value-of select="a:anno"/></year>
          <description><xsl:value-of select="a:descrizione"/></description>
          <amount><xsl:value-of select="egov:parse-decimal(a:importo)"/></amount>
          <due_date><xsl:call-template name="date"><xsl:with-param name="it" select="a:scadenza"/></xsl:call-template></due_date>
          <status>
            <xsl:choose>
              <xsl:when test="a:stato = 'P'">paid</xsl:when>
              <xsl:when test="a:stato = 'N'">unpaid</xsl:when>
              <xsl:when test="a:stato = 'S'">overdue</xsl:when>
              <xsl:when test="a:stato = 'A'">cancelled</xsl:when>
              <xsl:otherwise>
                <xsl:message terminate="yes">backend-invalid: unknown stato <xsl:value-of select="a:stato"/></xsl:message>
              </xsl:otherwise>
            </xsl:choose>
          </status>
        </position>
      </xsl:for-each>
    </tax_positions>
  </xsl:template>

  <xsl:template match="/a:ApriPosizioneRisposta">
    <xsl:choose>
      <xsl:when test="a:esito = 'APERTA' or a:esito = 'GIA_APERTA'"><xsl:call-template name="avviso"/></xsl:when>
      <xsl:when test="a:esito = 'TARIFFA_INESISTENTE'">
        <xsl:message terminate="yes">validation-failed: no position opened: the service is not a fee of this municipality's tariff</xsl:message>
      </xsl:when>
      <xsl:when test="a:esito = 'IMPORTO_MANCANTE'">
        <xsl:message terminate="yes">validation-failed: no position opened: this fee has no fixed amount, give amount</xsl:message>
      </xsl:when>
      <xsl:when test="a:esito = 'IMPORTO_ERRATO'">
        <xsl:message terminate="yes">validation-failed: no position opened: the amount is not the fee's</xsl:message>
      </xsl:when>
      <xsl:otherwise>
        <xsl:message terminate="yes">backend-invalid: unknown esito <xsl:value-of select="a:esito"/></xsl:message>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="/a:DatiAvvisoRisposta">
    <xsl:if test="a:esito != 'OK'">
      <xsl:message terminate="yes">not-found: no such tax position for this fiscal code</xsl:message>
    </xsl:if>
    <xsl:call-template name="avviso"/>
  </xsl:template>

  <xsl:template name="avviso">
    <!-- vendor A issues the notice numbers itself -->
    <xsl:call-template name="payment-notice">
      <xsl:with-param name="position" select="a:avviso/a:idPosizione"/>
      <xsl:with-param name="notice" select="string(a:avviso/a:numeroAvviso)"/>
      <xsl:with-param name="amount" select="egov:parse-decimal(a:avviso/a:importo)"/>
      <xsl:with-param name="due-date"><xsl:call-template name="date"><xsl:with-param name="it" select="a:avviso/a:scadenza"/></xsl:call-template></xsl:with-param>
      <xsl:with-param name="description" select="string(a:avviso/a:causale)"/>
      <xsl:with-param name="status" select="substring('payablepaid', 1 + 7 * (a:avviso/a:pagato = 'S'), 7 - 3 * (a:avviso/a:pagato = 'S'))"/>
    </xsl:call-template>
  </xsl:template>

  <xsl:template name="slot-fields">
    <office><xsl:value-of select="a:ufficio"/></office>
    <service><xsl:value-of select="a:servizio"/></service>
    <date><xsl:call-template name="date"><xsl:with-param name="it" select="a:data"/></xsl:call-template></date>
    <time><xsl:value-of select="a:ora"/></time>
  </xsl:template>

  <xsl:template match="/a:SlotLiberiRisposta">
    <slots>
      <xsl:call-template name="head"/>
      <xsl:for-each select="a:slot">
        <slot><id><xsl:value-of select="a:idSlot"/></id><xsl:call-template name="slot-fields"/></slot>
      </xsl:for-each>
    </slots>
  </xsl:template>

  <xsl:template match="/a:PrenotaRisposta">
    <booking_result>
      <xsl:call-template name="head"/>
      <xsl:choose>
        <xsl:when test="a:esito = 'CONFERMATA'">
          <status>confirmed</status>
          <xsl:for-each select="a:prenotazione">
            <booking>
              <id><xsl:value-of select="a:idPrenotazione"/></id>
              <slot><xsl:value-of select="a:idSlot"/></slot>
              <xsl:call-template name="slot-fields"/>
              <status>confirmed</status>
            </booking>
          </xsl:for-each>
        </xsl:when>
        <xsl:when test="a:esito = 'POSTO_NON_DISPONIBILE'">
          <status>rejected</status><reason>slot already booked</reason>
        </xsl:when>
        <xsl:when test="a:esito = 'SLOT_INESISTENTE'">
          <xsl:message terminate="yes">not-found: no such slot</xsl:message>
        </xsl:when>
        <xsl:otherwise>
          <xsl:message terminate="yes">backend-invalid: unknown esito <xsl:value-of select="a:esito"/></xsl:message>
        </xsl:otherwise>
      </xsl:choose>
    </booking_result>
  </xsl:template>

  <xsl:template match="/a:AnnullaPrenotazioneRisposta">
    <xsl:if test="a:esito != 'ANNULLATA'">
      <xsl:message terminate="yes">not-found: no confirmed booking with this id for this fiscal code</xsl:message>
    </xsl:if>
    <booking_cancelled>
      <xsl:call-template name="head"/>
      <booking><xsl:value-of select="a:idPrenotazione"/></booking>
      <status>cancelled</status>
    </booking_cancelled>
  </xsl:template>

  <xsl:template match="/a:ElencoPrenotazioniRisposta">
    <bookings>
      <xsl:call-template name="head"/>
      <xsl:for-each select="a:prenotazione">
        <booking>
          <id><xsl:value-of select="a:idPrenotazione"/></id>
          <slot><xsl:value-of select="a:idSlot"/></slot>
          <xsl:call-template name="slot-fields"/>
          <status><xsl:value-of select="substring('confirmedcancelled', 1 + 9 * (a:stato = 'ANNULLATA'), 9)"/></status>
        </booking>
      </xsl:for-each>
    </bookings>
  </xsl:template>

  <xsl:template match="/a:StatoDomandeRisposta">
    <welfare_applications>
      <xsl:call-template name="head"/>
      <xsl:for-each select="a:domanda">
        <application>
          <id><xsl:value-of select="a:pratica"/></id>
          <desk><xsl:value-of select="translate(a:sportello, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ_', 'abcdefghijklmnopqrstuvwxyz-')"/></desk>
          <submitted><xsl:call-template name="date"><xsl:with-param name="it" select="a:dataPresentazione"/></xsl:call-template></submitted>
          <status>
            <xsl:choose>
              <xsl:when test="a:stato = 'PROTOCOLLATA'">received</xsl:when>
              <xsl:when test="a:stato = 'IN_ISTRUTTORIA'">in_review</xsl:when>
              <xsl:when test="a:stato = 'ACCOLTA'">approved</xsl:when>
              <xsl:otherwise>rejected</xsl:otherwise>
            </xsl:choose>
          </status>
        </application>
      </xsl:for-each>
    </welfare_applications>
  </xsl:template>

  <xsl:template match="/a:ServiziAttiviRisposta">
    <service_catalogue>
      <xsl:call-template name="head"/>
      <name><xsl:value-of select="a:denominazione"/></name>
      <xsl:for-each select="a:servizio">
        <service>
          <id><xsl:value-of select="a:codice"/></id>
          <available><xsl:value-of select="a:attivo = 'S'"/></available>
          <deferred>false</deferred>
        </service>
      </xsl:for-each>
      <xsl:for-each select="a:ufficio">
        <office>
          <code><xsl:value-of select="a:codice"/></code>
          <name><xsl:value-of select="a:nome"/></name>
          <address><xsl:value-of select="a:indirizzo"/></address>
        </office>
      </xsl:for-each>
    </service_catalogue>
  </xsl:template>

  <xsl:template match="/*" priority="-1">
    <xsl:message terminate="yes">backend-invalid: unexpected reply <xsl:value-of select="local-name()"/></xsl:message>
  </xsl:template>
</xsl:stylesheet>
