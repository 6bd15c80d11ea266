#!/usr/bin/env bash
# The layer rule of user/ (user/README.md), checked on every `make test-unit`:
#   lib < event < scan < detect < soc < control < agent < cmd
# A file may include headers of its own folder and of lower layers only, and
# no two folders may include each other (directly or around a cycle).  Prints
# every offending include line and exits 1; exits 0 when the tree is clean.
# USER_DIR overrides the tree checked (tests of this script).
set -u
cd "$(dirname "$0")/.."
dir=${USER_DIR:-user}
layers=(lib event scan detect soc control agent cmd)

rank() {
	local i
	for i in "${!layers[@]}"; do
		[ "${layers[$i]}" = "$1" ] && { echo "$i"; return; }
	done
	echo -1
}

bad=0
edges=$(mktemp)
trap 'rm -f "$edges"' EXIT
for f in "$dir"/*/*.[ch]; do
	from=$(basename "$(dirname "$f")")
	rf=$(rank "$from")
	if [ "$rf" -lt 0 ]; then
		echo "layers: $f: folder '$from' is not a layer (user/README.md lists them)"
		bad=1
		continue
	fi
	while IFS=: read -r line inc; do
		to=${inc%%/*}
		[ "$to" = "$inc" ] && continue		# same folder: "rules.h"
		rt=$(rank "$to")
		[ "$rt" -lt 0 ] && continue		# include/cprwatch/..., generated headers
		[ "$to" != "$from" ] && echo "$from $to" >> "$edges"
		if [ "$rt" -gt "$rf" ]; then
			echo "layers: $f:$line: $from/ includes \"$inc\" from the higher layer $to/"
			bad=1
		fi
	done < <(grep -n '^#[[:space:]]*include[[:space:]]*"' "$f" |
		 sed -E 's/^([0-9]+):#[[:space:]]*include[[:space:]]*"([^"]+)".*/\1:\2/')
done
# tsort finds a cycle among the folder edges, whatever the ranks say
if ! sort -u "$edges" | tsort > /dev/null 2> "$edges.err"; then
	echo "layers: folders include each other in a cycle:"
	sed 's/^/  /' "$edges.err"
	bad=1
fi
rm -f "$edges.err"
[ "$bad" -eq 0 ] && echo "layers: user/ includes follow lib < event < scan < detect < soc < control < agent < cmd"
exit "$bad"
