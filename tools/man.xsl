<?xml version="1.0"?>
<!-- man.xsl: OCF meta-data -> man page ocf_ctfreak_<agent>(7), troff.
     Licence: GPL-2.0-or-later. The meta-data XML is the single source. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:param name="provider" select="'ctfreak'"/>
<xsl:param name="version" select="''"/>
<!-- The companion file (absolute path): examples and node attributes. -->
<xsl:param name="extra" select="''"/>
<xsl:variable name="x" select="document($extra)/man"/>
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

<!-- A literal block: backslashes escaped, lines kept. -->
<xsl:template name="literal">
  <xsl:param name="s"/>
  <xsl:text>.PP&#10;.nf&#10;.RS 2&#10;</xsl:text>
  <xsl:call-template name="bs"><xsl:with-param name="s" select="$s"/></xsl:call-template>
  <xsl:text>&#10;.RE&#10;.fi&#10;</xsl:text>
</xsl:template>

<xsl:template name="attributes">
  <xsl:text>.SH NODE ATTRIBUTES&#10;</xsl:text>
  <xsl:text>\&amp;Shown by crm_mon \-A (transient, per node); RSC is the primitive's name.&#10;</xsl:text>
  <xsl:for-each select="$x/attributes/@none">
    <xsl:text>.PP&#10;</xsl:text>
    <xsl:call-template name="para"><xsl:with-param name="s" select="."/></xsl:call-template>
  </xsl:for-each>
  <xsl:for-each select="$x/attributes/attr">
    <xsl:text>.TP&#10;.B </xsl:text><xsl:value-of select="@name"/><xsl:text>&#10;</xsl:text>
    <xsl:text>\&amp;Values: </xsl:text><xsl:call-template name="roff"><xsl:with-param name="s" select="@values"/></xsl:call-template>
    <xsl:text>.&#10;.br&#10;</xsl:text>
    <xsl:call-template name="para"><xsl:with-param name="s" select="."/></xsl:call-template>
  </xsl:for-each>
</xsl:template>

<xsl:template name="examples">
  <xsl:text>.SH EXAMPLES&#10;</xsl:text>
  <xsl:for-each select="$x/example">
    <xsl:text>.PP&#10;With </xsl:text><xsl:value-of select="@tool"/><xsl:text>:&#10;</xsl:text>
    <xsl:call-template name="literal"><xsl:with-param name="s" select="."/></xsl:call-template>
  </xsl:for-each>
</xsl:template>

<xsl:template name="environment">
  <xsl:text>.SH ENVIRONMENT&#10;</xsl:text>
  <xsl:text>.TP&#10;.B HA_LOGFILE&#10;\&amp;A file every log line is appended to (besides stderr), as resource-agents' ocf-shellfuncs does.&#10;</xsl:text>
  <xsl:text>.TP&#10;.B HA_DEBUGLOG&#10;\&amp;A file the debug lines are appended to (with HA_debug).&#10;</xsl:text>
  <xsl:text>.TP&#10;.B HA_debug&#10;\&amp;1 (or yes, true): debug lines too.&#10;</xsl:text>
  <xsl:text>.TP&#10;.B HA_LOGFACILITY&#10;\&amp;A syslog facility: every line to syslog too.&#10;</xsl:text>
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
  <xsl:call-template name="attributes"/>
  <xsl:call-template name="examples"/>
  <xsl:call-template name="environment"/>
  <xsl:text>.SH SEE ALSO&#10;</xsl:text>
  <xsl:for-each select="$x/seealso"><xsl:value-of select="normalize-space(.)"/><xsl:text>, </xsl:text></xsl:for-each>
  <xsl:text>crm_mon(8), pcs(8), crm(8), https://ctfreak.com/docs&#10;</xsl:text>
</xsl:template>
</xsl:stylesheet>
