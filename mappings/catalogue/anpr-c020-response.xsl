<?xml version="1.0" encoding="UTF-8"?>
<!-- anagrafe.residenza: ANPR RispostaE002OK -> canonical residence. `resident` says whether
     the residence ANPR holds is in this municipality (tenant-istat). -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns="urn:egovbus:canonical"
    xmlns:fn="http://www.w3.org/2005/xpath-functions"
    exclude-result-prefixes="fn">
  <xsl:param name="tenant"/>
  <xsl:param name="tenant-istat"/>

  <xsl:template match="/fn:map">
    <xsl:variable name="subject" select="fn:map[@key='listaSoggetti']/fn:array[@key='datiSoggetto']/fn:map[1]"/>
    <xsl:if test="not($subject)">
      <xsl:message terminate="yes">not-found: ANPR knows no person with this fiscal code</xsl:message>
    </xsl:if>
    <xsl:variable name="address" select="$subject/fn:array[@key='residenza']/fn:map[1]/fn:map[@key='indirizzo']"/>
    <xsl:variable name="municipality" select="$address/fn:map[@key='comune']"/>
    <residence>
      <tenant><xsl:value-of select="$tenant"/></tenant>
      <fiscal_code><xsl:value-of select="$subject/fn:map[@key='generalita']/fn:map[@key='codiceFiscale']/fn:string[@key='codFiscale']"/></fiscal_code>
      <resident><xsl:value-of select="$municipality/fn:string[@key='codiceIstat'] = $tenant-istat"/></resident>
      <xsl:if test="$address">
        <municipality><xsl:value-of select="$municipality/fn:string[@key='nomeComune']"/></municipality>
        <address>
          <xsl:value-of select="concat($address/fn:map[@key='toponimo']/fn:string[@key='specie'], ' ',
                                       $address/fn:map[@key='toponimo']/fn:string[@key='denominazioneToponimo'], ' ',
                                       $address/fn:map[@key='numeroCivico']/fn:string[@key='numero'])"/>
        </address>
        <postal_code><xsl:value-of select="$address/fn:string[@key='cap']"/></postal_code>
      </xsl:if>
    </residence>
  </xsl:template>
</xsl:stylesheet>
