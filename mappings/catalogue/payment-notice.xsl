<?xml version="1.0" encoding="UTF-8"?>
<!-- pagamenti.avviso, shared by the profiles' response mappings (xsl:import it and call
     "payment-notice"): the canonical payment_notice of one position, with the pagoPA parts
     built by the urn:egovbus:pagopa functions (adapters/pagopa/pagopa_functions.hpp):
     - notice_number: the back-end's own notice number (`notice`), checked (18 digits, known aux
       digit, IUV check digits mod 93), or, for a back-end that keeps only a position number
       (`number`, the IUV base), built from it with the tenant's params pagopa_aux_digit (3 with
       the segregation code, 0 with the application code) and pagopa_code;
     - iuv: the IUV inside the notice number;
     - creditor_fiscal_code and qr_code (PAGOPA|002|<notice>|<fiscal code>|<cents>) when the
       tenant's fiscal code is known; while it is a placeholder both are left out and `note`
       says so: nothing is invented. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns="urn:egovbus:canonical"
    xmlns:pagopa="urn:egovbus:pagopa"
    exclude-result-prefixes="pagopa">
  <xsl:param name="tenant"/>
  <xsl:param name="tenant-fiscal-code"/>
  <xsl:param name="pagopa_aux_digit" select="'3'"/>
  <xsl:param name="pagopa_code"/>

  <xsl:template name="payment-notice">
    <xsl:param name="position"/>
    <xsl:param name="notice" select="''"/>
    <xsl:param name="number" select="''"/>
    <xsl:param name="amount"/>      <!-- euro, e.g. 1109.56 -->
    <xsl:param name="due-date"/>    <!-- yyyy-MM-dd -->
    <xsl:param name="description"/>
    <xsl:param name="status"/>      <!-- payable | paid -->
    <xsl:variable name="notice-number">
      <xsl:choose>
        <xsl:when test="string($notice) != ''">
          <xsl:if test="not(pagopa:valid-notice-number($notice))">
            <xsl:message terminate="yes">backend-invalid: the back-end's notice number <xsl:value-of select="$notice"/> is not a valid pagoPA notice number</xsl:message>
          </xsl:if>
          <xsl:value-of select="$notice"/>
        </xsl:when>
        <xsl:when test="string($number) != ''">
          <xsl:if test="string($pagopa_code) = ''">
            <xsl:message terminate="yes">mapping-failed: the tenant has no pagopa_code param (segregation or application code) to build notice numbers with</xsl:message>
          </xsl:if>
          <xsl:value-of select="pagopa:notice-number($pagopa_aux_digit, $pagopa_code, $number)"/>
        </xsl:when>
        <xsl:otherwise>
          <xsl:message terminate="yes">backend-invalid: the back-end gave neither a notice number nor a position number</xsl:message>
        </xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <xsl:variable name="euro" select="pagopa:amount($amount)"/>
    <payment_notice>
      <tenant><xsl:value-of select="$tenant"/></tenant>
      <position><xsl:value-of select="$position"/></position>
      <notice_number><xsl:value-of select="$notice-number"/></notice_number>
      <iuv><xsl:value-of select="pagopa:iuv($notice-number)"/></iuv>
      <xsl:if test="$tenant-fiscal-code != ''">
        <creditor_fiscal_code><xsl:value-of select="$tenant-fiscal-code"/></creditor_fiscal_code>
      </xsl:if>
      <amount><xsl:value-of select="$euro"/></amount>
      <due_date><xsl:value-of select="$due-date"/></due_date>
      <description><xsl:value-of select="$description"/></description>
      <status><xsl:value-of select="$status"/></status>
      <xsl:choose>
        <xsl:when test="$tenant-fiscal-code != ''">
          <qr_code><xsl:value-of select="pagopa:qr-code($notice-number, $tenant-fiscal-code, $euro)"/></qr_code>
        </xsl:when>
        <xsl:otherwise>
          <note>creditor fiscal code not configured (PLACEHOLDER in the tenant file): no creditor_fiscal_code and no qr_code until it is verified; the notice cannot be paid through pagoPA yet</note>
        </xsl:otherwise>
      </xsl:choose>
    </payment_notice>
  </xsl:template>
</xsl:stylesheet>
