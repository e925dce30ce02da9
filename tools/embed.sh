#!/bin/sh
# embed.sh: writes a C file defining SYMBOL as the bytes of FILE (the meta-data
# XML, printed byte for byte by the agent), with @VERSION@ replaced by VERSION
# (the release, as the resource-agent's version attribute).
# Licence: GPL-2.0-or-later.
# usage: embed.sh SYMBOL FILE VERSION > out.c
set -eu
sym=$1
file=$2
version=$3
case $version in
*[!A-Za-z0-9.~+_-]*|'') echo "embed.sh: bad version '$version'" >&2; exit 1 ;;
esac
printf '/* Generated from %s by tools/embed.sh: do not edit. */\n' "${file##*/}"
printf 'const char %s[] =\n' "$sym"
sed -e "s/@VERSION@/$version/g" -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' \
    -e 's/$/\\n"/' "$file"
printf '    ;\n'
