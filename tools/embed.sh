#!/bin/sh
# embed.sh: writes a C file defining SYMBOL as the bytes of FILE (the meta-data
# XML, printed byte for byte by the agent).  Licence: GPL-2.0-or-later.
# usage: embed.sh SYMBOL FILE > out.c
set -eu
sym=$1
file=$2
printf '/* Generated from %s by tools/embed.sh: do not edit. */\n' "${file##*/}"
printf 'const char %s[] =\n' "$sym"
sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' -e 's/$/\\n"/' "$file"
printf '    ;\n'
