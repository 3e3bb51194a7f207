<?xml version="1.0" encoding="UTF-8"?>
<!-- vendor-soap-a: canonical query (urn:egovbus:canonical) -> the vendor's SOAP 1.1 request
     (vendor-a.wsdl: Italian element names, dates dd/mm/yyyy, the municipality named by
     codiceEnte = the tenant's cadastral code, param `ente`). One template per service. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns="urn:gestionale-a:servizi-comunali:1"
    xmlns:c="urn:egovbus:canonical"
    xmlns:egov="urn:egovbus"
    extension-element-prefixes="egov"
    exclude-result-prefixes="c egov">
  <xsl:param name="ente"/>

  <xsl:template name="ente"><codiceEnte><xsl:value-of select="$ente"/></codiceEnte></xsl:template>

  <xsl:template match="/c:tax_positions_query">
    <ElencoPosizioni>
      <xsl:call-template name="ente"/>
      <codiceFiscale><xsl:value-of select="c:fiscal_code"/></codiceFiscale>
      <xsl:if test="c:year"><anno><xsl:value-of select="c:year"/></anno></xsl:if>
    </ElencoPosizioni>
  </xsl:template>

  <xsl:template match="/c:payment_notice_query">
    <DatiAvviso>
      <xsl:call-template name="ente"/>
      <codiceFiscale><xsl:value-of select="c:fiscal_code"/></codiceFiscale>
      <idPosizione><xsl:value-of select="c:position"/></idPosizione>
    </DatiAvviso>
  </xsl:template>

  <!-- A fee of the vendor's tariff: ApriPosizione opens it, or returns the open position for
       the same fee and amount (Italian decimals). -->
  <xsl:template match="/c:payment_position_request">
    <ApriPosizione>
      <xsl:call-template name="ente"/>
      <codiceFiscale><xsl:value-of select="c:fiscal_code"/></codiceFiscale>
      <codiceTariffa><xsl:value-of select="c:service"/></codiceTariffa>
      <xsl:if test="c:amount"><importo><xsl:value-of select="egov:format-decimal(c:amount, 2)"/></importo></xsl:if>
    </ApriPosizione>
  </xsl:template>

  <xsl:template match="/c:slots_query">
    <SlotLiberi>
      <xsl:call-template name="ente"/>
      <xsl:if test="c:service"><servizio><xsl:value-of select="c:service"/></servizio></xsl:if>
      <xsl:if test="c:date"><data><xsl:value-of select="egov:format-date(c:date, 'dd/MM/yyyy', 'yyyy-MM-dd')"/></data></xsl:if>
    </SlotLiberi>
  </xsl:template>

  <xsl:template match="/c:booking_request">
    <Prenota>
      <xsl:call-template name="ente"/>
      <idRichiesta><xsl:value-of select="c:id"/></idRichiesta>
      <codiceFiscale><xsl:value-of select="c:fiscal_code"/></codiceFiscale>
      <idSlot><xsl:value-of select="c:slot"/></idSlot>
    </Prenota>
  </xsl:template>

  <xsl:template match="/c:booking_cancellation">
    <AnnullaPrenotazione>
      <xsl:call-template name="ente"/>
      <codiceFiscale><xsl:value-of select="c:fiscal_code"/></codiceFiscale>
      <idPrenotazione><xsl:value-of select="c:booking"/></idPrenotazione>
    </AnnullaPrenotazione>
  </xsl:template>

  <xsl:template match="/c:bookings_query">
    <ElencoPrenotazioni>
      <xsl:call-template name="ente"/>
      <codiceFiscale><xsl:value-of select="c:fiscal_code"/></codiceFiscale>
    </ElencoPrenotazioni>
  </xsl:template>

  <xsl:template match="/c:welfare_application">
    <InviaDomanda>
      <xsl:call-template name="ente"/>
      <pratica><xsl:value-of select="c:id"/></pratica>
      <codiceFiscale><xsl:value-of select="c:fiscal_code"/></codiceFiscale>
      <sportello><xsl:value-of select="translate(c:desk, 'abcdefghijklmnopqrstuvwxyz-', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ_')"/></sportello>
      <xsl:if test="c:notes"><note><xsl:value-of select="c:notes"/></note></xsl:if>
      <xsl:for-each select="c:attachment">
        <allegato>
          <nomeFile><xsl:value-of select="c:name"/></nomeFile>
          <tipoMime><xsl:value-of select="c:media_type"/></tipoMime>
          <dimensione><xsl:value-of select="c:size"/></dimensione>
          <xsl:if test="c:sha256"><impronta><xsl:value-of select="c:sha256"/></impronta></xsl:if>
        </allegato>
      </xsl:for-each>
    </InviaDomanda>
  </xsl:template>

  <xsl:template match="/c:welfare_status_query">
    <StatoDomande>
      <xsl:call-template name="ente"/>
      <codiceFiscale><xsl:value-of select="c:fiscal_code"/></codiceFiscale>
      <xsl:if test="c:application"><pratica><xsl:value-of select="c:application"/></pratica></xsl:if>
    </StatoDomande>
  </xsl:template>

  <xsl:template match="/c:catalogue_query">
    <ServiziAttivi><xsl:call-template name="ente"/></ServiziAttivi>
  </xsl:template>

  <xsl:template match="/*" priority="-1">
    <xsl:message terminate="yes">mapping-failed: vendor-soap-a has no operation for <xsl:value-of select="local-name()"/></xsl:message>
  </xsl:template>
</xsl:stylesheet>
