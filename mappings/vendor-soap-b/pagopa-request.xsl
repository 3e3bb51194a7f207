<?xml version="1.0" encoding="UTF-8"?>
<!-- vendor-soap-b, pagoPA creditor services: the canonical pagoPA request -> the vendor's
     SOAP 1.2 operation (demo/vendor-b.wsdl; the municipality is the WS-Security username).
     pagopa.verify / pagopa.activate: FindNotice by the notice code the vendor issued;
     pagopa.receipt (at delivery): RecordPayment, the amount in cents being what this
     municipality receives (its own transfers), the role and outcome as the vendor's codes. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns="urn:vendor-b:municipium:2"
    xmlns:p="urn:egovbus:pagopa"
    exclude-result-prefixes="p">
  <xsl:import href="../catalogue/pagopa-response.xsl"/>

  <xsl:template match="/p:verifyRequest | /p:activateRequest">
    <FindNoticeRequest>
      <NoticeCode><xsl:value-of select="p:noticeNumber"/></NoticeCode>
    </FindNoticeRequest>
  </xsl:template>

  <xsl:template match="/p:receipt">
    <RecordPaymentRequest>
      <ReceiptId><xsl:value-of select="p:receiptId"/></ReceiptId>
      <NoticeCode><xsl:value-of select="p:noticeNumber"/></NoticeCode>
      <Role><xsl:value-of select="translate(@role, 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ')"/></Role>
      <AmountCents><xsl:call-template name="own-cents"><xsl:with-param name="receipt" select="."/></xsl:call-template></AmountCents>
      <xsl:if test="p:paymentDateTime"><PaidAt><xsl:value-of select="p:paymentDateTime"/></PaidAt></xsl:if>
      <Provider><xsl:value-of select="p:PSPCompanyName"/></Provider>
      <Succeeded><xsl:value-of select="p:outcome = 'OK'"/></Succeeded>
    </RecordPaymentRequest>
  </xsl:template>

  <xsl:template match="/*" priority="-1">
    <xsl:message terminate="yes">mapping-failed: vendor-soap-b has no pagoPA operation for <xsl:value-of select="local-name()"/></xsl:message>
  </xsl:template>
</xsl:stylesheet>
