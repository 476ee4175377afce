#!/bin/bash
# What `meson install` puts beside the binary: recyclefs(1) covers every
# command with its current --help text and renders cleanly; the bash
# completion offers commands, verbs, options and catalog names.
# usage: install_files.sh RECYCLEFS_BIN MAN_PAGE COMPLETION GEN_MAN
set -u
BIN=$1
MAN=$2
COMPLETION=$3
GEN_MAN=$4
T=$(mktemp -d "${TMPDIR:-/tmp}/rfs-install-files.XXXXXX")
passed=0
failed=0
check() {
	if eval "$2"; then
		passed=$((passed + 1))
		echo "ok: $1"
	else
		failed=$((failed + 1))
		echo "FAILED: $1"
	fi
}

# --- the man page
cmds=$("$BIN" --help | awk '/^commands:/ { f = 1; next } f && /^  [a-z]/ { print $1 }')
check "--help lists commands" "[ $(echo "$cmds" | wc -l) -ge 15 ]"
for c in $cmds; do
	check "man: a section for 'recyclefs $c'" \
		"grep -qx '.SS \"recyclefs $c\"' '$MAN'"
	# the section holds the command's --help, as gen-man.py escapes it
	"$BIN" "$c" --help >"$T/help"
	check "man: 'recyclefs $c' holds its --help text" \
		"python3 - '$GEN_MAN' '$T/help' '$MAN' <<'PY'
import importlib.util, sys
spec = importlib.util.spec_from_file_location('g', sys.argv[1])
g = importlib.util.module_from_spec(spec); spec.loader.exec_module(g)
sys.exit(g.roff(open(sys.argv[2]).read()) not in open(sys.argv[3]).read())
PY"
done
check "man: mount(8) and fstab are documented" \
	"grep -q 'fuse.recyclefs' '$MAN' && grep -q '_netdev' '$MAN' && grep -q 'x\\\\-systemd.automount' '$MAN'"
if command -v groff >/dev/null; then
	groff -t -man -ww -z "$MAN" 2>"$T/groff"
	check "man: groff renders it without a warning: $(head -c 300 "$T/groff")" \
		"[ ! -s '$T/groff' ]"
else
	check "groff is installed (scripts/deps.sh test installs groff-base)" false
fi

# --- bash completion against a small catalog
I=$T/index.db
mkdir -p "$T/data/o"
{
	"$BIN" --index "$I" init &&
		"$BIN" --index "$I" storage add nfs1 "file://$T/data" &&
		"$BIN" --index "$I" table add sales.orders --classification pii &&
		"$BIN" --index "$I" lifecycle add sales.orders bronze &&
		"$BIN" --index "$I" epoch add sales.orders bronze --from 2001-01-01 \
			--storage nfs1 --path o
} >/dev/null || check "setting up the catalog" false
# shellcheck disable=SC1090
. "$COMPLETION"
complete_line() {
	read -r -a COMP_WORDS <<<"$1"
	[[ $1 == *" " ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_WORDS[0]=$BIN
	COMPREPLY=()
	_recyclefs
	echo "${COMPREPLY[*]}"
}
export RECYCLEFS_INDEX=$I
check "completion: 'st' gives status and storage" \
	"[ \"\$(complete_line 'recyclefs st')\" = 'storage status' ]"
check "completion: 'storage ' gives its verbs" \
	"[ \"\$(complete_line 'recyclefs storage ')\" = 'add list remove' ]"
check "completion: '--storage ' gives storage names" \
	"[ \"\$(complete_line 'recyclefs epoch add sales.orders bronze --storage ')\" = 'nfs1' ]"
check "completion: 'archive sales' gives catalog paths" \
	"[ \"\$(complete_line 'recyclefs archive sales')\" = 'sales.orders sales.orders/bronze sales.orders/bronze/2001-01-01..now' ]"
check "completion: 'epoch close sales.orders ' gives its lifecycles" \
	"[ \"\$(complete_line 'recyclefs epoch close sales.orders ')\" = 'bronze' ]"
check "completion: 'restore --to-u' gives --to-uri" \
	"[ \"\$(complete_line 'recyclefs restore --to-u')\" = '--to-uri' ]"
check "completion: --index on the line picks the index" \
	"[ \"\$(RECYCLEFS_INDEX=/nonexistent complete_line \"recyclefs --index $I table classify \")\" = 'sales.orders' ]"
check "completion: 'catalog ' gives its verbs" \
	"[ \"\$(complete_line 'recyclefs catalog ')\" = 'apply export' ]"
check "completion: 'catalog export --format ' gives json" \
	"[ \"\$(complete_line 'recyclefs catalog export --format ')\" = 'json' ]"
touch "$T/cat-file.json"
check "completion: 'catalog apply' completes the catalog file" \
	"[ \"\$(complete_line 'recyclefs catalog apply $T/cat-f')\" = '$T/cat-file.json' ]"
check "completion: 'reindex --f' gives --from" \
	"[ \"\$(complete_line 'recyclefs reindex --f')\" = '--from' ]"
check "completion: 'reindex --from ' gives the storage and recycle URIs" \
	"[ \"\$(complete_line 'recyclefs reindex --from ')\" = 'file://$T/data file://$T/data/.recyclebin file:// s3://' ]"
check "completion: 'reindex --from file://DIR' completes its folders" \
	"[ \"\$(complete_line 'recyclefs reindex --from file://$T/da')\" = 'file://$T/data/' ]"
check "completion: 'reindex ' offers no catalog paths" \
	"[ -z \"\$(complete_line 'recyclefs reindex ')\" ]"
check "completion: 'complete ' offers uris" \
	"complete_line 'recyclefs complete ' | grep -qw uris"
check "completion: no index gives no names and no noise" \
	"[ -z \"\$(RECYCLEFS_INDEX=$T/none.db complete_line 'recyclefs archive s' 2>&1)\" ]"

rm -rf "$T"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
