<?xml version="1.0" encoding="UTF-8"?>
<!-- vendor-soap-b: the vendor's SOAP 1.2 reply (the Body's child) -> the canonical reply.
     Amounts arrive in cents, times as ISO date-times, taxes and statuses as codes. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns="urn:egovbus:canonical"
    xmlns:b="urn:vendor-b:municipium:2"
    exclude-result-prefixes="b">
  <xsl:import href="../catalogue/payment-notice.xsl"/>
  <xsl:param name="tenant"/>
  <xsl:param name="tenant-fiscal-code"/>

  <xsl:template name="cents">
    <xsl:param name="value"/>
    <xsl:value-of select="format-number($value div 100, '0.00')"/>
  </xsl:template>

  <xsl:template match="/b:GetDebtPositionsResponse">
    <tax_positions>
      <tenant><xsl:value-of select="$tenant"/></tenant>
      <xsl:for-each select="b:Debt">
        <position>
          <id><xsl:value-of select="b:Code"/></id>
          <tax>
            <xsl:choose>
              <xsl:when test="b:Kind = 1">TARI</xsl:when>
              <xsl:when test="b:Kind = 2">IMU</xsl:when>
              <xsl:when test="b:Kind = 3">CANONE_UNICO</xsl:when>
              <xsl:otherwise>ALTRO</xsl:otherwise>
            </xsl:choose>
          </tax>
          <year><xsl:value-of select="b:Year"/></year>
          <description><xsl:value-of select="b:Reason"/></description>
          <amount><xsl:call-template name="cents"><xsl:with-param name="value" select="b:AmountCents"/></xsl:call-template></amount>
          <due_date><xsl:value-of select="b:DueDate"/></due_date>
          <status><xsl:apply-templates select="b:State"/></status>
        </position>
      </xsl:for-each>
    </tax_positions>
  </xsl:template>

  <xsl:template match="b:State">
    <xsl:choose>
      <xsl:when test=". = 'OPEN'">unpaid</xsl:when>
      <xsl:when test=". = 'PAID'">paid</xsl:when>
      <xsl:when test=". = 'EXPIRED'">overdue</xsl:when>
      <xsl:when test=". = 'VOID'">cancelled</xsl:when>
      <xsl:otherwise>
        <xsl:message terminate="yes">backend-invalid: unknown State <xsl:value-of select="."/></xsl:message>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="/b:OpenDebtResponse">
    <xsl:choose>
      <xsl:when test="b:Outcome = 'OPENED' or b:Outcome = 'EXISTING'">
        <xsl:apply-templates select="b:Notice"/>
      </xsl:when>
      <xsl:when test="b:Outcome = 'UNKNOWN_FEE'">
        <xsl:message terminate="yes">validation-failed: no position opened: the service is not a fee of this municipality's tariff</xsl:message>
      </xsl:when>
      <xsl:when test="b:Outcome = 'AMOUNT_REQUIRED'">
        <xsl:message terminate="yes">validation-failed: no position opened: this fee has no fixed amount, give amount</xsl:message>
      </xsl:when>
      <xsl:when test="b:Outcome = 'AMOUNT_MISMATCH'">
        <xsl:message terminate="yes">validation-failed: no position opened: the amount is not the fee's</xsl:message>
      </xsl:when>
      <xsl:otherwise>
        <xsl:message terminate="yes">backend-invalid: unknown Outcome <xsl:value-of select="b:Outcome"/></xsl:message>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="/b:GetPaymentNoticeResponse">
    <xsl:if test="b:Found != 'true'">
      <xsl:message terminate="yes">not-found: no such tax position for this fiscal code</xsl:message>
    </xsl:if>
    <xsl:apply-templates select="b:Notice"/>
  </xsl:template>

  <xsl:template match="b:Notice">
    <!-- vendor B issues the notice numbers itself -->
    <xsl:call-template name="payment-notice">
      <xsl:with-param name="position" select="string(b:DebtCode)"/>
      <xsl:with-param name="notice" select="string(b:NoticeCode)"/>
      <xsl:with-param name="amount"><xsl:call-template name="cents"><xsl:with-param name="value" select="b:AmountCents"/></xsl:call-template></xsl:with-param>
      <xsl:with-param name="due-date" select="string(b:DueDate)"/>
      <xsl:with-param name="description" select="string(b:Reason)"/>
      <xsl:with-param name="status">
        <xsl:choose>
          <xsl:when test="b:State = 'PAID'">paid</xsl:when>
          <xsl:otherwise>payable</xsl:otherwise>
        </xsl:choose>
      </xsl:with-param>
    </xsl:call-template>
  </xsl:template>

  <!-- Start "2026-12-01T09:30:00" -> date and time. -->
  <xsl:template name="slot-fields">
    <office><xsl:value-of select="b:Desk"/></office>
    <service><xsl:value-of select="b:Service"/></service>
    <date><xsl:value-of select="substring(b:Start, 1, 10)"/></date>
    <time><xsl:value-of select="substring(b:Start, 12, 5)"/></time>
  </xsl:template>

  <xsl:template match="/b:ListFreeSlotsResponse">
    <slots>
      <tenant><xsl:value-of select="$tenant"/></tenant>
      <xsl:for-each select="b:Slot">
        <slot><id><xsl:value-of select="b:SlotId"/></id><xsl:call-template name="slot-fields"/></slot>
      </xsl:for-each>
    </slots>
  </xsl:template>

  <xsl:template match="b:Booking">
    <booking>
      <id><xsl:value-of select="b:BookingId"/></id>
      <slot><xsl:value-of select="b:SlotId"/></slot>
      <xsl:call-template name="slot-fields"/>
      <status><xsl:value-of select="substring('confirmedcancelled', 1 + 9 * (b:State = 'CANCELLED'), 9)"/></status>
    </booking>
  </xsl:template>

  <xsl:template match="/b:BookSlotResponse">
    <booking_result>
      <tenant><xsl:value-of select="$tenant"/></tenant>
      <xsl:choose>
        <xsl:when test="b:Outcome = 'BOOKED'">
          <status>confirmed</status>
          <xsl:apply-templates select="b:Booking"/>
        </xsl:when>
        <xsl:when test="b:Outcome = 'TAKEN'">
          <status>rejected</status><reason>slot already booked</reason>
        </xsl:when>
        <xsl:when test="b:Outcome = 'UNKNOWN_SLOT'">
          <xsl:message terminate="yes">not-found: no such slot</xsl:message>
        </xsl:when>
        <xsl:otherwise>
          <xsl:message terminate="yes">backend-invalid: unknown Outcome <xsl:value-of select="b:Outcome"/></xsl:message>
        </xsl:otherwise>
      </xsl:choose>
    </booking_result>
  </xsl:template>

  <xsl:template match="/b:CancelBookingResponse">
    <xsl:if test="b:Outcome != 'CANCELLED'">
      <xsl:message terminate="yes">not-found: no confirmed booking with this id for this fiscal code</xsl:message>
    </xsl:if>
    <booking_cancelled>
      <tenant><xsl:value-of select="$tenant"/></tenant>
      <booking><xsl:value-of select="b:BookingId"/></booking>
      <status>cancelled</status>
    </booking_cancelled>
  </xsl:template>

  <xsl:template match="/b:ListBookingsResponse">
    <bookings>
      <tenant><xsl:value-of select="$tenant"/></tenant>
      <xsl:apply-templates select="b:Booking"/>
    </bookings>
  </xsl:template>

  <xsl:template match="/b:GetApplicationsResponse">
    <welfare_applications>
      <tenant><xsl:value-of select="$tenant"/></tenant>
      <xsl:for-each select="b:Application">
        <application>
          <id><xsl:value-of select="b:PracticeId"/></id>
          <desk>
            <xsl:choose>
              <xsl:when test="b:Area = 'HOUSING'">casa</xsl:when>
              <xsl:when test="b:Area = 'WORK'">lavoro</xsl:when>
              <xsl:otherwise>servizi-sociali</xsl:otherwise>
            </xsl:choose>
          </desk>
          <submitted><xsl:value-of select="b:SubmittedOn"/></submitted>
          <status>
            <xsl:choose>
              <xsl:when test="b:State = 'SUBMITTED'">received</xsl:when>
              <xsl:when test="b:State = 'PROCESSING'">in_review</xsl:when>
              <xsl:when test="b:State = 'GRANTED'">approved</xsl:when>
              <xsl:otherwise>rejected</xsl:otherwise>
            </xsl:choose>
          </status>
        </application>
      </xsl:for-each>
    </welfare_applications>
  </xsl:template>

  <xsl:template match="/b:GetEnabledServicesResponse">
    <service_catalogue>
      <tenant><xsl:value-of select="$tenant"/></tenant>
      <name><xsl:value-of select="b:EntityName"/></name>
      <xsl:for-each select="b:Feature">
        <service>
          <id><xsl:value-of select="b:Name"/></id>
          <available><xsl:value-of select="b:Enabled"/></available>
          <deferred>false</deferred>
        </service>
      </xsl:for-each>
      <xsl:for-each select="b:Desk">
        <office>
          <code><xsl:value-of select="b:Code"/></code>
          <name><xsl:value-of select="b:Name"/></name>
          <address><xsl:value-of select="b:Address"/></address>
        </office>
      </xsl:for-each>
    </service_catalogue>
  </xsl:template>

  <xsl:template match="/*" priority="-1">
    <xsl:message terminate="yes">backend-invalid: unexpected reply <xsl:value-of select="local-name()"/></xsl:message>
  </xsl:template>
</xsl:stylesheet>
