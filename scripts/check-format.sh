#!/bin/sh
# Fail when a C file differs from what clang-format makes of it.
set -eu
cd "$(dirname "$0")/.."
bad=
for f in $(git ls-files '*.c' '*.h'); do
	clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || bad="$bad $f"
done
if [ -n "$bad" ]; then
	echo "clang-format differs in:$bad" >&2
	echo "run 'make format'" >&2
	exit 1
fi
echo "format: ok"
