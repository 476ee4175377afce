#!/bin/sh
# Fail when a C file differs from what clang-format makes of it.
set -eu
cd "$(dirname "$0")/.."
# The sources are formatted by clang-format 14 (Debian 12); other major
# versions format some constructs differently, so they cannot judge.
want=14
have=$(clang-format --version | sed -n 's/.*version \([0-9]*\).*/\1/p')
if [ "$have" != "$want" ]; then
	echo "format: not checked: clang-format $have is not the project's formatter (clang-format $want, Debian 12)"
	exit 0
fi
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
