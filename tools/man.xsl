<?xml version="1.0"?>
<!-- man.xsl: OCF meta-data -> man page ocf_ctfreak_<agent>(7), troff.
     Licence: GPL-2.0-or-later. The meta-data XML is the single source. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:param name="provider" select="'ctfreak'"/>
<xsl:param name="version" select="''"/>
<xsl:strip-space elements="*"/>

<!-- Text safe for troff: escape backslashes, protect leading dots/quotes. -->
<xsl:template name="roff">
  <xsl:param name="s"/>
  <xsl:variable name="t" select="normalize-space($s)"/>
  <xsl:call-template name="bs"><xsl:with-param name="s" select="$t"/></xsl:call-template>
</xsl:template>

<xsl:template name="bs">
  <xsl:param name="s"/>
  <xsl:choose>
    <xsl:when test="contains($s, '\')">
      <xsl:value-of select="substring-before($s, '\')"/><xsl:text>\e</xsl:text>
      <xsl:call-template name="bs"><xsl:with-param name="s" select="substring-after($s, '\')"/></xsl:call-template>
    </xsl:when>
    <xsl:otherwise><xsl:value-of select="$s"/></xsl:otherwise>
  </xsl:choose>
</xsl:template>

<xsl:template name="para">
  <xsl:param name="s"/>
  <xsl:text>\&amp;</xsl:text>
  <xsl:call-template name="roff"><xsl:with-param name="s" select="$s"/></xsl:call-template>
  <xsl:text>&#10;</xsl:text>
</xsl:template>

<xsl:template match="/resource-agent">
  <xsl:text>.\" Generated from ocf-metadata/</xsl:text><xsl:value-of select="@name"/>
  <xsl:text>.xml by tools/man.xsl: do not edit.&#10;</xsl:text>
  <xsl:text>.TH OCF_</xsl:text><xsl:value-of select="translate($provider, 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ')"/>
  <xsl:text>_</xsl:text><xsl:value-of select="translate(@name, 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ')"/>
  <xsl:text> 7 "" "ctfreak-ha </xsl:text><xsl:value-of select="$version"/><xsl:text>" "OCF resource agents"&#10;</xsl:text>
  <xsl:text>.SH NAME&#10;ocf_</xsl:text><xsl:value-of select="$provider"/><xsl:text>_</xsl:text><xsl:value-of select="@name"/>
  <xsl:text> \- </xsl:text>
  <xsl:call-template name="roff"><xsl:with-param name="s" select="shortdesc[@lang='en']"/></xsl:call-template>
  <xsl:text>&#10;.SH SYNOPSIS&#10;.B ocf:</xsl:text><xsl:value-of select="$provider"/><xsl:text>:</xsl:text><xsl:value-of select="@name"/>
  <xsl:text>&#10;[</xsl:text>
  <xsl:for-each select="parameters/parameter[@required='1']">
    <xsl:value-of select="@name"/><xsl:text>=</xsl:text><xsl:value-of select="content/@type"/><xsl:text> </xsl:text>
  </xsl:for-each>
  <xsl:text>...]&#10;.SH DESCRIPTION&#10;</xsl:text>
  <xsl:call-template name="para"><xsl:with-param name="s" select="longdesc[@lang='en']"/></xsl:call-template>
  <xsl:text>.SH PARAMETERS&#10;</xsl:text>
  <xsl:for-each select="parameters/parameter">
    <xsl:text>.TP&#10;.B </xsl:text><xsl:value-of select="@name"/>
    <xsl:text>&#10;</xsl:text>
    <xsl:call-template name="para"><xsl:with-param name="s" select="longdesc[@lang='en']"/></xsl:call-template>
    <xsl:text>.br&#10;Type: </xsl:text><xsl:value-of select="content/@type"/>
    <xsl:if test="content/option">
      <xsl:text> (</xsl:text>
      <xsl:for-each select="content/option"><xsl:if test="position() > 1">, </xsl:if><xsl:value-of select="@value"/></xsl:for-each>
      <xsl:text>)</xsl:text>
    </xsl:if>
    <xsl:if test="content/@default"><xsl:text>; default: </xsl:text>
      <xsl:call-template name="roff"><xsl:with-param name="s" select="content/@default"/></xsl:call-template>
    </xsl:if>
    <xsl:if test="@required='1'"><xsl:text>; required</xsl:text></xsl:if>
    <xsl:if test="@reloadable='1'"><xsl:text>; reloadable</xsl:text></xsl:if>
    <xsl:text>&#10;</xsl:text>
  </xsl:for-each>
  <xsl:text>.SH ACTIONS&#10;</xsl:text>
  <xsl:for-each select="actions/action">
    <xsl:text>.TP&#10;.B </xsl:text><xsl:value-of select="@name"/><xsl:text>&#10;timeout </xsl:text><xsl:value-of select="@timeout"/>
    <xsl:if test="@interval"><xsl:text>, interval </xsl:text><xsl:value-of select="@interval"/></xsl:if>
    <xsl:if test="@depth"><xsl:text>, depth </xsl:text><xsl:value-of select="@depth"/></xsl:if>
    <xsl:if test="@role"><xsl:text>, role </xsl:text><xsl:value-of select="@role"/></xsl:if>
    <xsl:text>&#10;</xsl:text>
  </xsl:for-each>
  <xsl:text>.SH SEE ALSO&#10;crm_mon(8), pcs(8), https://ctfreak.com/docs&#10;</xsl:text>
</xsl:template>
</xsl:stylesheet>
