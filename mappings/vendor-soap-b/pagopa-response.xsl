<?xml version="1.0" encoding="UTF-8"?>
<!-- vendor-soap-b, pagoPA creditor services: FindNoticeResponse -> the canonical verifyResponse
     / activateResponse ($service). Amounts in cents, ISO dates; states OPEN, PAID, EXPIRED,
     VOID (any other is backend-invalid). -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:b="urn:vendor-b:municipium:2"
    exclude-result-prefixes="b">
  <xsl:import href="../catalogue/pagopa-response.xsl"/>

  <xsl:template match="/b:FindNoticeResponse">
    <xsl:variable name="notice" select="b:Notice"/>
    <xsl:variable name="found" select="b:Found = 'true' or b:Found = '1'"/>
    <xsl:if test="$found and not(contains(' OPEN PAID EXPIRED VOID ', concat(' ', $notice/b:State, ' ')))">
      <xsl:message terminate="yes">backend-invalid: unknown State '<xsl:value-of select="$notice/b:State"/>'</xsl:message>
    </xsl:if>
    <xsl:if test="$found and not(translate($notice/b:AmountCents, '0123456789', '') = '' and string($notice/b:AmountCents) != '')">
      <xsl:message terminate="yes">backend-invalid: AmountCents '<xsl:value-of select="$notice/b:AmountCents"/>' is not a number of cents</xsl:message>
    </xsl:if>
    <xsl:call-template name="pagopa-response">
      <xsl:with-param name="found" select="$found"/>
      <xsl:with-param name="state">
        <xsl:choose>
          <xsl:when test="$notice/b:State = 'OPEN'">payable</xsl:when>
          <xsl:when test="$notice/b:State = 'PAID'">paid</xsl:when>
          <xsl:when test="$notice/b:State = 'EXPIRED'">expired</xsl:when>
          <xsl:otherwise>cancelled</xsl:otherwise>
        </xsl:choose>
      </xsl:with-param>
      <xsl:with-param name="position">
        <xsl:choose>
          <xsl:when test="$found"><xsl:value-of select="$notice/b:DebtCode"/></xsl:when>
          <xsl:otherwise>notice not found</xsl:otherwise>
        </xsl:choose>
      </xsl:with-param>
      <xsl:with-param name="amount" select="format-number($notice/b:AmountCents div 100, '0.00')"/>
      <xsl:with-param name="due-date" select="string($notice/b:DueDate)"/>
      <xsl:with-param name="description" select="string($notice/b:Reason)"/>
      <xsl:with-param name="iban" select="string($notice/b:PayeeIban)"/>
      <xsl:with-param name="category" select="string($notice/b:CategoryCode)"/>
      <xsl:with-param name="debtor-id" select="string($notice/b:TaxpayerId)"/>
      <xsl:with-param name="debtor-name" select="string($notice/b:TaxpayerName)"/>
    </xsl:call-template>
  </xsl:template>

  <xsl:template match="/*" priority="-1">
    <xsl:message terminate="yes">backend-invalid: unexpected reply <xsl:value-of select="local-name()"/></xsl:message>
  </xsl:template>
</xsl:stylesheet>
