<?xml version="1.0"?>
<!-- params.xsl: OCF meta-data -> C table of parameter definitions.
     Licence: GPL-2.0-or-later. The meta-data XML is the single source. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:param name="sym"/>

<xsl:template name="cstr">
  <xsl:param name="s"/>
  <xsl:choose>
    <xsl:when test="contains($s, '\')">
      <xsl:call-template name="cstr1"><xsl:with-param name="s" select="substring-before($s, '\')"/></xsl:call-template>
      <xsl:text>\\</xsl:text>
      <xsl:call-template name="cstr"><xsl:with-param name="s" select="substring-after($s, '\')"/></xsl:call-template>
    </xsl:when>
    <xsl:otherwise>
      <xsl:call-template name="cstr1"><xsl:with-param name="s" select="$s"/></xsl:call-template>
    </xsl:otherwise>
  </xsl:choose>
</xsl:template>

<xsl:template name="cstr1">
  <xsl:param name="s"/>
  <xsl:choose>
    <xsl:when test="contains($s, '&quot;')">
      <xsl:value-of select="substring-before($s, '&quot;')"/>
      <xsl:text>\"</xsl:text>
      <xsl:call-template name="cstr1"><xsl:with-param name="s" select="substring-after($s, '&quot;')"/></xsl:call-template>
    </xsl:when>
    <xsl:otherwise><xsl:value-of select="$s"/></xsl:otherwise>
  </xsl:choose>
</xsl:template>

<xsl:template match="/resource-agent">
  <xsl:text>/* Generated from ocf-metadata/</xsl:text><xsl:value-of select="@name"/>
  <xsl:text>.xml by tools/params.xsl: do not edit. */&#10;</xsl:text>
  <xsl:text>#include "config.h"&#10;#include "common/params.h"&#10;&#10;</xsl:text>
  <xsl:text>const struct ra_param_def </xsl:text><xsl:value-of select="$sym"/>
  <xsl:text>_params[] = {&#10;</xsl:text>
  <xsl:for-each select="parameters/parameter">
    <xsl:variable name="n" select="@name"/>
    <xsl:variable name="x" select="/resource-agent/special/param[@name = $n]"/>
    <xsl:text>    { "</xsl:text><xsl:value-of select="$n"/><xsl:text>", </xsl:text>
    <xsl:choose>
      <xsl:when test="$x/@type = 'second'">RA_PARAM_SECOND</xsl:when>
      <xsl:when test="$x/@type = 'path'">RA_PARAM_PATH</xsl:when>
      <xsl:when test="$x/@type = 'name'">RA_PARAM_NAME</xsl:when>
      <xsl:when test="content/@type = 'integer'">RA_PARAM_INTEGER</xsl:when>
      <xsl:when test="content/@type = 'boolean'">RA_PARAM_BOOLEAN</xsl:when>
      <xsl:when test="content/@type = 'select'">RA_PARAM_SELECT</xsl:when>
      <xsl:otherwise>RA_PARAM_STRING</xsl:otherwise>
    </xsl:choose>
    <xsl:text>, </xsl:text>
    <xsl:choose>
      <xsl:when test="content/@default">
        <xsl:text>"</xsl:text>
        <xsl:call-template name="cstr"><xsl:with-param name="s" select="content/@default"/></xsl:call-template>
        <xsl:text>"</xsl:text>
      </xsl:when>
      <xsl:otherwise>NULL</xsl:otherwise>
    </xsl:choose>
    <xsl:text>, </xsl:text>
    <xsl:choose><xsl:when test="@required = '1'">true</xsl:when><xsl:otherwise>false</xsl:otherwise></xsl:choose>
    <xsl:text>, </xsl:text>
    <xsl:choose><xsl:when test="@reloadable = '1'">true</xsl:when><xsl:otherwise>false</xsl:otherwise></xsl:choose>
    <xsl:text>, </xsl:text>
    <xsl:choose>
      <xsl:when test="content/option">
        <xsl:text>"</xsl:text>
        <xsl:for-each select="content/option">
          <xsl:if test="position() > 1">|</xsl:if>
          <xsl:call-template name="cstr"><xsl:with-param name="s" select="@value"/></xsl:call-template>
        </xsl:for-each>
        <xsl:text>"</xsl:text>
      </xsl:when>
      <xsl:otherwise>NULL</xsl:otherwise>
    </xsl:choose>
    <xsl:text>, </xsl:text>
    <xsl:choose><xsl:when test="$x/@min"><xsl:value-of select="$x/@min"/>LL</xsl:when><xsl:otherwise>1LL</xsl:otherwise></xsl:choose>
    <xsl:text>, </xsl:text>
    <xsl:choose><xsl:when test="$x/@max"><xsl:value-of select="$x/@max"/>LL</xsl:when><xsl:otherwise>0LL</xsl:otherwise></xsl:choose>
    <xsl:text> },&#10;</xsl:text>
  </xsl:for-each>
  <xsl:text>    { NULL, RA_PARAM_STRING, NULL, false, false, NULL, 1LL, 0LL },&#10;};&#10;</xsl:text>
</xsl:template>
</xsl:stylesheet>
