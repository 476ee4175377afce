#!/bin/sh
# An example metastore hook for recyclefs: drops and adds Hive partitions
# with beeline. recyclefs runs it with a JSON document on stdin (the
# exact format is in docs/metastore.md):
#
#   {"action": "drop_partitions" | "add_partitions",
#    "table": "sales.orders", "lifecycle": "bronze",
#    "epoch": "2001-01-01..2010-01-01",
#    "storage": "lake", "storage_uri": "s3://lake/orders/b?region=eu-west-1",
#    "location": "s3a://lake/orders/b", "item": "dt=2001-01-01",
#    "partitions": [{"spec": "dt=2001-01-01", "name": "dt=2001-01-01",
#                    "values": {"dt": "2001-01-01"},
#                    "pairs": [{"key": "dt", "value": "2001-01-01"}],
#                    "location": "s3a://lake/orders/b/dt=2001-01-01",
#                    "uri": "s3://lake/orders/b/dt=2001-01-01?region=..."}]}
#
# It uses each partition's "pairs" (decoded values, in folder order) and
# "location" (what the metastore stores: the decoded path, the scheme set
# with `recyclefs config set metastore.scheme.STORAGE s3a`, no options).
#
# Exit 0 once the metastore reflects the change. "Not found" on drop and
# "already exists" on add count as success, so that retries are harmless.
# Configure it with:
#   recyclefs config set metastore.hook /usr/local/lib/recyclefs/hive-hook.sh
#   recyclefs config set metastore.hook.sales.orders /path/for/one/table
# With HIVE_HOOK_DRY_RUN=1 it prints the HiveQL instead of running it.
set -eu

BEELINE_URL=${BEELINE_URL:-jdbc:hive2://localhost:10000/default}
doc=$(cat)

sql=$(printf '%s' "$doc" | PYTHONIOENCODING=utf-8 python3 -c '
import json, sys


def literal(s):
    """A HiveQL string literal: backslash escapes, control characters
    as u-escapes, everything else (UTF-8) as is."""
    out = []
    for c in s:
        if c in "\\\x27\x22":
            out.append("\\" + c)
        elif ord(c) < 0x20 or ord(c) == 0x7f:
            out.append("\\u%04x" % ord(c))
        else:
            out.append(c)
    return "\x27" + "".join(out) + "\x27"


def ident(s):
    """A HiveQL identifier in backquotes (a backquote doubled)."""
    return "`" + s.replace("`", "``") + "`"


d = json.load(sys.stdin)
table = ".".join(ident(p) for p in d["table"].split(".", 1))
stmts = []
for p in d["partitions"]:
    spec = ", ".join("%s=%s" % (ident(kv["key"]), literal(kv["value"]))
                     for kv in p["pairs"])
    if d["action"] == "drop_partitions":
        stmts.append("ALTER TABLE %s DROP IF EXISTS PARTITION (%s)"
                     % (table, spec))
    else:
        stmts.append("ALTER TABLE %s ADD IF NOT EXISTS PARTITION (%s) "
                     "LOCATION %s" % (table, spec, literal(p["location"])))
sys.stdout.write("".join(s + ";\n" for s in stmts))
')

if [ "${HIVE_HOOK_DRY_RUN:-}" = 1 ]; then
	printf '%s\n' "$sql"
	exit 0
fi
exec beeline -u "$BEELINE_URL" --silent=true -e "$sql"
