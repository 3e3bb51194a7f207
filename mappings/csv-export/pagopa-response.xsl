<?xml version="1.0" encoding="UTF-8"?>
<!-- csv-export, pagoPA creditor services: the export's row of the position -> the canonical
     verifyResponse / activateResponse ($service). States: DA PAGARE, PAGATO, SCADUTO,
     ANNULLATO; Italian amounts and dates. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:csv="urn:egovbus:csv"
    xmlns:egov="urn:egovbus"
    extension-element-prefixes="egov"
    exclude-result-prefixes="csv egov">
  <xsl:import href="../catalogue/pagopa-response.xsl"/>

  <xsl:template match="/csv:rows">
    <xsl:variable name="row" select="csv:row[1]"/>
    <xsl:variable name="stato" select="$row/csv:field[@name='stato']"/>
    <xsl:choose>
      <xsl:when test="not($row)">
        <xsl:call-template name="pagopa-response">
          <xsl:with-param name="found" select="false()"/>
          <xsl:with-param name="position" select="'none with this number'"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:when test="not($stato = 'DA PAGARE' or $stato = 'PAGATO' or $stato = 'SCADUTO' or $stato = 'ANNULLATO')">
        <xsl:message terminate="yes">backend-invalid: unknown position state '<xsl:value-of select="$stato"/>'</xsl:message>
      </xsl:when>
      <xsl:otherwise>
        <xsl:call-template name="pagopa-response">
          <xsl:with-param name="found" select="true()"/>
          <xsl:with-param name="state">
            <xsl:choose>
              <xsl:when test="$stato = 'DA PAGARE'">payable</xsl:when>
              <xsl:when test="$stato = 'PAGATO'">paid</xsl:when>
              <xsl:when test="$stato = 'SCADUTO'">expired</xsl:when>
              <xsl:otherwise>cancelled</xsl:otherwise>
            </xsl:choose>
          </xsl:with-param>
          <xsl:with-param name="position" select="string($row/csv:field[@name='id_posizione'])"/>
          <xsl:with-param name="amount" select="egov:parse-decimal($row/csv:field[@name='importo'])"/>
          <xsl:with-param name="due-date" select="egov:format-date($row/csv:field[@name='scadenza'], 'yyyy-MM-dd', 'dd/MM/yyyy')"/>
          <xsl:with-param name="description" select="string($row/csv:field[@name='descrizione'])"/>
          <xsl:with-param name="iban" select="string($row/csv:field[@name='iban'])"/>
          <xsl:with-param name="category" select="string($row/csv:field[@name='tassonomia'])"/>
          <xsl:with-param name="debtor-id" select="string($row/csv:field[@name='codice_fiscale'])"/>
          <xsl:with-param name="debtor-name" select="string($row/csv:field[@name='nominativo'])"/>
        </xsl:call-template>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>
</xsl:stylesheet>
