<?xml version="1.0" encoding="UTF-8"?>
<!-- db-sqlite, pagoPA creditor services: the row of statement pagopa_posizione -> the canonical
     verifyResponse / activateResponse ($service). States: DAP to pay (paid when a receipt with
     outcome OK is registered), PAG paid, SCA expired, ANN cancelled. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:db="urn:egovbus:db"
    exclude-result-prefixes="db">
  <xsl:import href="../catalogue/pagopa-response.xsl"/>

  <xsl:template match="/db:rows">
    <xsl:variable name="row" select="db:row[1]"/>
    <xsl:variable name="stato" select="$row/db:field[@name='stato']"/>
    <xsl:choose>
      <xsl:when test="not($row)">
        <xsl:call-template name="pagopa-response">
          <xsl:with-param name="found" select="false()"/>
          <xsl:with-param name="position" select="'none with this number'"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:when test="not(contains(' DAP PAG SCA ANN ', concat(' ', $stato, ' ')))">
        <xsl:message terminate="yes">backend-invalid: unknown position state '<xsl:value-of select="$stato"/>'</xsl:message>
      </xsl:when>
      <xsl:otherwise>
        <xsl:call-template name="pagopa-response">
          <xsl:with-param name="found" select="true()"/>
          <xsl:with-param name="state">
            <xsl:choose>
              <xsl:when test="$stato = 'PAG' or $row/db:field[@name='pagata'] = '1'">paid</xsl:when>
              <xsl:when test="$stato = 'DAP'">payable</xsl:when>
              <xsl:when test="$stato = 'SCA'">expired</xsl:when>
              <xsl:otherwise>cancelled</xsl:otherwise>
            </xsl:choose>
          </xsl:with-param>
          <xsl:with-param name="position" select="string($row/db:field[@name='id'])"/>
          <xsl:with-param name="amount" select="format-number($row/db:field[@name='importo_cent'] div 100, '0.00')"/>
          <xsl:with-param name="due-date" select="string($row/db:field[@name='scadenza'])"/>
          <xsl:with-param name="description" select="string($row/db:field[@name='descrizione'])"/>
          <xsl:with-param name="iban" select="string($row/db:field[@name='iban'])"/>
          <xsl:with-param name="category" select="string($row/db:field[@name='tassonomia'])"/>
          <xsl:with-param name="debtor-id" select="string($row/db:field[@name='cf'])"/>
          <xsl:with-param name="debtor-name" select="string($row/db:field[@name='nominativo'])"/>
        </xsl:call-template>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>
</xsl:stylesheet>
