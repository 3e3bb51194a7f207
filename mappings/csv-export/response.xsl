<?xml version="1.0" encoding="UTF-8"?>
<!-- csv-export: rows found in a nightly export (<rows xmlns="urn:egovbus:csv">) -> the
     canonical reply of $service. The exports carry Italian amounts (1.234,56), dates
     dd/mm/yyyy and upper-case statuses. A lookup matches only its key columns, so the query's
     other filters (year, date, service, application) are applied here, from the caller's
     request fields (params request.*). -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns="urn:egovbus:canonical"
    xmlns:csv="urn:egovbus:csv"
    xmlns:egov="urn:egovbus"
    extension-element-prefixes="egov"
    exclude-result-prefixes="csv egov">
  <xsl:import href="../catalogue/payment-notice.xsl"/>
  <xsl:param name="tenant"/>
  <xsl:param name="tenant-fiscal-code"/>
  <xsl:param name="service"/>
  <xsl:param name="request.year"/>
  <xsl:param name="request.date"/>
  <xsl:param name="request.service"/>
  <xsl:param name="request.application"/>

  <xsl:template name="date">
    <xsl:param name="it"/>
    <xsl:value-of select="egov:format-date($it, 'yyyy-MM-dd', 'dd/MM/yyyy')"/>
  </xsl:template>

  <xsl:template match="/csv:rows">
    <xsl:choose>
      <xsl:when test="$service = 'tributi.posizioni'">
        <tax_positions>
          <tenant><xsl:value-of select="$tenant"/></tenant>
          <xsl:for-each select="csv:row[$request.year = '' or csv:field[@name='anno'] = $request.year]">
            <position>
              <id><xsl:value-of select="csv:field[@name='id_posizione']"/></id>
              <tax><xsl:value-of select="csv:field[@name='tributo']"/></tax>
              <year><xsl:value-of select="csv:field[@name='anno']"/></year>
              <description><xsl:value-of select="csv:field[@name='descrizione']"/></description>
              <amount><xsl:value-of select="egov:parse-decimal(csv:field[@name='importo'])"/></amount>
              <due_date><xsl:call-template name="date"><xsl:with-param name="it" select="csv:field[@name='scadenza']"/></xsl:call-template></due_date>
              <status><xsl:apply-templates select="csv:field[@name='stato']"/></status>
            </position>
          </xsl:for-each>
        </tax_positions>
      </xsl:when>
      <xsl:when test="$service = 'pagamenti.avviso'">
        <xsl:if test="not(csv:row)">
          <xsl:message terminate="yes">not-found: no such tax position for this fiscal code</xsl:message>
        </xsl:if>
        <xsl:for-each select="csv:row[1]">
          <!-- the export carries the position number (IUV base): the bus builds the notice -->
          <xsl:call-template name="payment-notice">
            <xsl:with-param name="position" select="string(csv:field[@name='id_posizione'])"/>
            <xsl:with-param name="number" select="string(csv:field[@name='numero'])"/>
            <xsl:with-param name="amount" select="egov:parse-decimal(csv:field[@name='importo'])"/>
            <xsl:with-param name="due-date"><xsl:call-template name="date"><xsl:with-param name="it" select="csv:field[@name='scadenza']"/></xsl:call-template></xsl:with-param>
            <xsl:with-param name="description" select="string(csv:field[@name='descrizione'])"/>
            <xsl:with-param name="status" select="substring('payablepaid', 1 + 7 * (csv:field[@name='stato'] = 'PAGATO'), 7 - 3 * (csv:field[@name='stato'] = 'PAGATO'))"/>
          </xsl:call-template>
        </xsl:for-each>
      </xsl:when>
      <xsl:when test="$service = 'prenotazioni.disponibilita'">
        <slots>
          <tenant><xsl:value-of select="$tenant"/></tenant>
          <xsl:for-each select="csv:row[($request.service = '' or csv:field[@name='servizio'] = $request.service)
                                        and ($request.date = '' or egov:format-date(csv:field[@name='data'], 'yyyy-MM-dd', 'dd/MM/yyyy') = $request.date)]">
            <slot><id><xsl:value-of select="csv:field[@name='id_slot']"/></id><xsl:call-template name="slot-fields"/></slot>
          </xsl:for-each>
        </slots>
      </xsl:when>
      <xsl:when test="$service = 'prenotazioni.elenco'">
        <bookings>
          <tenant><xsl:value-of select="$tenant"/></tenant>
          <xsl:for-each select="csv:row">
            <booking>
              <id><xsl:value-of select="csv:field[@name='id_prenotazione']"/></id>
              <slot><xsl:value-of select="csv:field[@name='id_slot']"/></slot>
              <xsl:call-template name="slot-fields"/>
              <status>
                <xsl:choose>
                  <xsl:when test="csv:field[@name='stato'] = 'CONFERMATA'">confirmed</xsl:when>
                  <xsl:when test="csv:field[@name='stato'] = 'ANNULLATA'">cancelled</xsl:when>
                  <xsl:otherwise>rejected</xsl:otherwise>
                </xsl:choose>
              </status>
            </booking>
          </xsl:for-each>
        </bookings>
      </xsl:when>
      <xsl:when test="$service = 'welfare.stato'">
        <welfare_applications>
          <tenant><xsl:value-of select="$tenant"/></tenant>
          <xsl:for-each select="csv:row[$request.application = '' or csv:field[@name='pratica'] = $request.application]">
            <application>
              <id><xsl:value-of select="csv:field[@name='pratica']"/></id>
              <desk><xsl:value-of select="translate(csv:field[@name='sportello'], 'ABCDEFGHIJKLMNOPQRSTUVWXYZ_', 'abcdefghijklmnopqrstuvwxyz-')"/></desk>
              <submitted><xsl:call-template name="date"><xsl:with-param name="it" select="csv:field[@name='data_presentazione']"/></xsl:call-template></submitted>
              <status>
                <xsl:choose>
                  <xsl:when test="csv:field[@name='stato'] = 'PROTOCOLLATA'">received</xsl:when>
                  <xsl:when test="csv:field[@name='stato'] = 'IN ISTRUTTORIA'">in_review</xsl:when>
                  <xsl:when test="csv:field[@name='stato'] = 'ACCOLTA'">approved</xsl:when>
                  <xsl:otherwise>rejected</xsl:otherwise>
                </xsl:choose>
              </status>
            </application>
          </xsl:for-each>
        </welfare_applications>
      </xsl:when>
      <xsl:when test="$service = 'servizi.catalogo'">
        <service_catalogue>
          <tenant><xsl:value-of select="$tenant"/></tenant>
          <name><xsl:value-of select="csv:row[csv:field[@name='tipo'] = 'ENTE']/csv:field[@name='nome']"/></name>
          <xsl:for-each select="csv:row[csv:field[@name='tipo'] = 'SERVIZIO']">
            <xsl:variable name="id" select="csv:field[@name='codice']"/>
            <service>
              <id><xsl:value-of select="$id"/></id>
              <available><xsl:value-of select="csv:field[@name='attivo'] = 'S'"/></available>
              <!-- Writes go through the drop folder: accepted now, decided by the import. -->
              <deferred><xsl:value-of select="$id = 'prenotazioni.prenota' or $id = 'prenotazioni.annulla' or $id = 'welfare.domanda'"/></deferred>
            </service>
          </xsl:for-each>
          <xsl:for-each select="csv:row[csv:field[@name='tipo'] = 'UFFICIO']">
            <office>
              <code><xsl:value-of select="csv:field[@name='codice']"/></code>
              <name><xsl:value-of select="csv:field[@name='nome']"/></name>
              <address><xsl:value-of select="csv:field[@name='indirizzo']"/></address>
            </office>
          </xsl:for-each>
        </service_catalogue>
      </xsl:when>
      <xsl:otherwise>
        <xsl:message terminate="yes">mapping-failed: csv-export/response.xsl has no service <xsl:value-of select="$service"/></xsl:message>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="csv:field[@name='stato']">
    <xsl:choose>
      <xsl:when test=". = 'DA PAGARE'">unpaid</xsl:when>
      <xsl:when test=". = 'PAGATO'">paid</xsl:when>
      <xsl:when test=". = 'SCADUTO'">overdue</xsl:when>
      <xsl:when test=". = 'ANNULLATO'">cancelled</xsl:when>
      <xsl:otherwise>
        <xsl:message terminate="yes">backend-invalid: unknown stato <xsl:value-of select="."/></xsl:message>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template name="slot-fields">
    <office><xsl:value-of select="csv:field[@name='ufficio']"/></office>
    <service><xsl:value-of select="csv:field[@name='servizio']"/></service>
    <date><xsl:call-template name="date"><xsl:with-param name="it" select="csv:field[@name='data']"/></xsl:call-template></date>
    <time><xsl:value-of select="csv:field[@name='ora']"/></time>
  </xsl:template>
</xsl:stylesheet>
