#!/bin/sh
# An example metastore hook for recyclefs: drops and adds Hive partitions
# with beeline. recyclefs runs it with a JSON document on stdin:
#
#   {"action": "drop_partitions" | "add_partitions",
#    "table": "sales.orders", "lifecycle": "bronze",
#    "epoch": "2001-01-01..2010-01-01", "location": "s3://lake/orders/...",
#    "item": "dt=2001-01-01",
#    "partitions": [{"spec": "dt=2001-01-01", "values": {"dt": "2001-01-01"},
#                    "location": "s3://lake/orders/.../dt=2001-01-01"}]}
#
# Exit 0 once the metastore reflects the change. "Not found" on drop and
# "already exists" on add count as success, so that retries are harmless.
# Configure it with:
#   recyclefs config set metastore.hook /usr/local/lib/recyclefs/hive-hook.sh
#   recyclefs config set metastore.hook.sales.orders /path/for/one/table
set -eu

BEELINE_URL=${BEELINE_URL:-jdbc:hive2://localhost:10000/default}
doc=$(cat)

sql=$(printf '%s' "$doc" | python3 -c '
import json, sys
d = json.load(sys.stdin)
table = d["table"]
stmts = []
for p in d["partitions"]:
    spec = ", ".join("%s=\x27%s\x27" % (k, v.replace("\x27", "\x27\x27"))
                     for k, v in p["values"].items())
    if d["action"] == "drop_partitions":
        stmts.append("ALTER TABLE %s DROP IF EXISTS PARTITION (%s)" % (table, spec))
    else:
        stmts.append("ALTER TABLE %s ADD IF NOT EXISTS PARTITION (%s) LOCATION \x27%s\x27"
                     % (table, spec, p["location"]))
print(";\n".join(stmts) + ";")
')

exec beeline -u "$BEELINE_URL" --silent=true -e "$sql"
