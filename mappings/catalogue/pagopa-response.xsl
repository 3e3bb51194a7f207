<?xml version="1.0" encoding="UTF-8"?>
<!-- pagopa.verify / pagopa.activate, shared by the catalogue profiles' pagoPA response mappings
     (xsl:import it and call "pagopa-response" with what the back-end said about the position):
     the canonical verifyResponse or activateResponse (schemas/pagopa/canonical.xsd), chosen by
     $service. One transfer to the municipality's own account; the debtor (activate) from the
     position's fiscal code and name. The bus checks the rest (amounts, 1-5 transfers, allCCP)
     and writes the node's answer. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:p="urn:egovbus:pagopa"
    xmlns:pagopa="urn:egovbus:pagopa"
    exclude-result-prefixes="pagopa">
  <xsl:param name="service"/>

  <xsl:template name="pagopa-response">
    <xsl:param name="found"/>        <!-- boolean: the back-end has this position -->
    <xsl:param name="state"/>        <!-- payable | paid | expired | cancelled | in-progress -->
    <xsl:param name="position"/>     <!-- the back-end's id, for the log -->
    <xsl:param name="amount"/>       <!-- euro, e.g. 1109.56 -->
    <xsl:param name="due-date"/>     <!-- yyyy-MM-dd -->
    <xsl:param name="description"/>
    <xsl:param name="iban"/>
    <xsl:param name="category"/>     <!-- taxonomy code -->
    <xsl:param name="debtor-id"/>
    <xsl:param name="debtor-name"/>
    <xsl:variable name="status">
      <xsl:choose>
        <xsl:when test="not($found)">unknown</xsl:when>
        <xsl:otherwise><xsl:value-of select="$state"/></xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <xsl:variable name="root">
      <xsl:choose>
        <xsl:when test="$service = 'pagopa.verify'">verifyResponse</xsl:when>
        <xsl:when test="$service = 'pagopa.activate'">activateResponse</xsl:when>
        <xsl:otherwise>
          <xsl:message terminate="yes">mapping-failed: pagopa-response.xsl serves pagopa.verify and pagopa.activate, not <xsl:value-of select="$service"/></xsl:message>
        </xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <xsl:element name="p:{$root}">
      <p:status><xsl:value-of select="$status"/></p:status>
      <xsl:choose>
        <xsl:when test="$status != 'payable'">
          <p:detail>position <xsl:value-of select="$position"/>: <xsl:value-of select="$status"/></p:detail>
        </xsl:when>
        <xsl:otherwise>
          <xsl:variable name="euro" select="pagopa:amount($amount)"/>
          <xsl:variable name="text" select="substring(normalize-space($description), 1, 140)"/>
          <p:amount><xsl:value-of select="$euro"/></p:amount>
          <p:dueDate><xsl:value-of select="$due-date"/></p:dueDate>
          <p:description><xsl:value-of select="$text"/></p:description>
          <xsl:if test="$root = 'activateResponse' and string($debtor-id) != ''">
            <p:debtor>
              <p:type><xsl:value-of select="substring('GF', 1 + (string-length($debtor-id) = 16), 1)"/></p:type>
              <p:id><xsl:value-of select="$debtor-id"/></p:id>
              <p:fullName><xsl:value-of select="substring(normalize-space($debtor-name), 1, 70)"/></p:fullName>
              <p:country>IT</p:country>
            </p:debtor>
          </xsl:if>
          <p:transfer>
            <p:amount><xsl:value-of select="$euro"/></p:amount>
            <p:iban><xsl:value-of select="$iban"/></p:iban>
            <p:remittanceInformation><xsl:value-of select="$text"/></p:remittanceInformation>
            <p:category><xsl:value-of select="$category"/></p:category>
          </p:transfer>
        </xsl:otherwise>
      </xsl:choose>
    </xsl:element>
  </xsl:template>

  <!-- The IUV base (13 digits) of a verify/activate request's notice, as a number, when the
       notice is one this tenant issues (aux digit and code as its params say); else the
       route stops with not-found (the node gets PAA_PAGAMENTO_SCONOSCIUTO). -->
  <xsl:template name="own-position-number">
    <xsl:param name="request"/>
    <xsl:param name="aux-digit"/>
    <xsl:param name="code"/>
    <xsl:variable name="notice-code" select="concat($request/p:segregationCode, $request/p:applicationCode)"/>
    <xsl:if test="string($request/p:auxDigit) != string($aux-digit) or $notice-code != string($code)">
      <xsl:message terminate="yes">not-found: notice <xsl:value-of select="$request/p:noticeNumber"/> is not one this municipality issues (aux digit <xsl:value-of select="$aux-digit"/>, code <xsl:value-of select="$code"/>)</xsl:message>
    </xsl:if>
    <xsl:choose>
      <xsl:when test="$aux-digit = '3'"><xsl:value-of select="number(substring($request/p:iuv, 3, 13))"/></xsl:when>
      <xsl:otherwise><xsl:value-of select="number(substring($request/p:iuv, 1, 13))"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- What the municipality receives of a receipt: its own transfers' total, in cents. -->
  <xsl:template name="own-cents">
    <xsl:param name="receipt"/>
    <xsl:value-of select="round(sum($receipt/p:transferList/p:transfer[@own = 'true']/p:transferAmount) * 100)"/>
  </xsl:template>
</xsl:stylesheet>
