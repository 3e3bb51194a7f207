<?xml version="1.0" encoding="UTF-8"?>
<!-- vendor-soap-b: canonical query (urn:egovbus:canonical) -> the vendor's SOAP 1.2 request
     (vendor-b.wsdl: its own English schema, ISO dates, desks as HOUSING/WORK/SOCIAL). The
     municipality is named by the WS-Security username, not in the body. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns="urn:vendor-b:municipium:2"
    xmlns:c="urn:egovbus:canonical"
    exclude-result-prefixes="c">

  <xsl:template match="/c:tax_positions_query">
    <GetDebtPositionsRequest>
      <TaxpayerId><xsl:value-of select="c:fiscal_code"/></TaxpayerId>
      <xsl:if test="c:year"><Year><xsl:value-of select="c:year"/></Year></xsl:if>
    </GetDebtPositionsRequest>
  </xsl:template>

  <xsl:template match="/c:payment_notice_query">
    <GetPaymentNoticeRequest>
      <TaxpayerId><xsl:value-of select="c:fiscal_code"/></TaxpayerId>
      <DebtCode><xsl:value-of select="c:position"/></DebtCode>
    </GetPaymentNoticeRequest>
  </xsl:template>

  <!-- A fee of the vendor's tariff: OpenDebt opens it, or returns the open debt for the same
       fee and amount. -->
  <xsl:template match="/c:payment_position_request">
    <OpenDebtRequest>
      <TaxpayerId><xsl:value-of select="c:fiscal_code"/></TaxpayerId>
      <FeeCode><xsl:value-of select="c:service"/></FeeCode>
      <xsl:if test="c:amount"><AmountCents><xsl:value-of select="round(c:amount * 100)"/></AmountCents></xsl:if>
    </OpenDebtRequest>
  </xsl:template>

  <xsl:template match="/c:slots_query">
    <ListFreeSlotsRequest>
      <xsl:if test="c:service"><Service><xsl:value-of select="c:service"/></Service></xsl:if>
      <xsl:if test="c:date"><Day><xsl:value-of select="c:date"/></Day></xsl:if>
    </ListFreeSlotsRequest>
  </xsl:template>

  <xsl:template match="/c:booking_request">
    <BookSlotRequest>
      <RequestId><xsl:value-of select="c:id"/></RequestId>
      <TaxpayerId><xsl:value-of select="c:fiscal_code"/></TaxpayerId>
      <SlotId><xsl:value-of select="c:slot"/></SlotId>
    </BookSlotRequest>
  </xsl:template>

  <xsl:template match="/c:booking_cancellation">
    <CancelBookingRequest>
      <TaxpayerId><xsl:value-of select="c:fiscal_code"/></TaxpayerId>
      <BookingId><xsl:value-of select="c:booking"/></BookingId>
    </CancelBookingRequest>
  </xsl:template>

  <xsl:template match="/c:bookings_query">
    <ListBookingsRequest><TaxpayerId><xsl:value-of select="c:fiscal_code"/></TaxpayerId></ListBookingsRequest>
  </xsl:template>

  <xsl:template match="/c:welfare_application">
    <SubmitApplicationRequest>
      <PracticeId><xsl:value-of select="c:id"/></PracticeId>
      <TaxpayerId><xsl:value-of select="c:fiscal_code"/></TaxpayerId>
      <Area>
        <xsl:choose>
          <xsl:when test="c:desk = 'casa'">HOUSING</xsl:when>
          <xsl:when test="c:desk = 'lavoro'">WORK</xsl:when>
          <xsl:otherwise>SOCIAL</xsl:otherwise>
        </xsl:choose>
      </Area>
      <xsl:if test="c:notes"><Notes><xsl:value-of select="c:notes"/></Notes></xsl:if>
      <xsl:for-each select="c:attachment">
        <Document>
          <FileName><xsl:value-of select="c:name"/></FileName>
          <MimeType><xsl:value-of select="c:media_type"/></MimeType>
          <Bytes><xsl:value-of select="c:size"/></Bytes>
          <xsl:if test="c:sha256"><Sha256><xsl:value-of select="c:sha256"/></Sha256></xsl:if>
        </Document>
      </xsl:for-each>
    </SubmitApplicationRequest>
  </xsl:template>

  <xsl:template match="/c:welfare_status_query">
    <GetApplicationsRequest>
      <TaxpayerId><xsl:value-of select="c:fiscal_code"/></TaxpayerId>
      <xsl:if test="c:application"><PracticeId><xsl:value-of select="c:application"/></PracticeId></xsl:if>
    </GetApplicationsRequest>
  </xsl:template>

  <xsl:template match="/c:catalogue_query">
    <GetEnabledServicesRequest/>
  </xsl:template>

  <xsl:template match="/*" priority="-1">
    <xsl:message terminate="yes">mapping-failed: vendor-soap-b has no operation for <xsl:value-of select="local-name()"/></xsl:message>
  </xsl:template>
</xsl:stylesheet>
