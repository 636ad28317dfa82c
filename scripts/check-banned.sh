#!/usr/bin/env bash
# Fails when C sources use a banned function or a VLA-prone construct
# (STYLE.md, rule 7). Comments and strings are not stripped: keep the banned
# names out of them too.
set -euo pipefail
cd "$(dirname "$0")/.."

banned='gets|strcpy|strcat|strncpy|sprintf|vsprintf|strtok|atoi|sscanf|system|popen|alloca|rand'
status=0
while IFS= read -r -d '' f; do
	# A call is the name followed by "(", not preceded by an identifier
	# character, "." or "->" (struct members), or "_" (wk_rand...).
	if grep -nE "(^|[^A-Za-z0-9_.>])($banned)[[:space:]]*\(" "$f" |
	    grep -vE '^\s*[0-9]+:\s*(\*|//)'; then
		echo "  ^ banned function in $f" >&2
		status=1
	fi
done < <(find src tests fuzz bench -name '*.c' -print0 -o -name '*.h' -print0 2>/dev/null)
if [ "$status" -ne 0 ]; then
	echo "check-banned: banned functions used (see STYLE.md rule 7)" >&2
else
	echo "check-banned: ok"
fi
exit "$status"
