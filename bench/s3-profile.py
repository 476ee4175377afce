#!/usr/bin/env python3
"""Profile one archive from the per-request debug log of recyclefs.

usage: s3-profile.py NAME SECONDS < LOG

LOG holds the lines a `recyclefs -v mount --log FILE` wrote while the
archive of the folder NAME ran (SECONDS long, from the `mv` to the end of
`recyclefs wait`): "TIME recyclefs[debug]: s3 METHOD 'KEY' [?QUERY] on
'STORAGE': HTTP STATUS (N us)", TIME being when the answer came. Each
request is put in a kind (the sources' GETs, the copies, the listings,
the batch deletes, the manifest, the rest); for each kind it prints the
count, when the first and the last ended (seconds from the first request
of the log), the time spent in them, and how many were in flight on
average (time spent / the span from the first start to the last end) and
at most. The bench prints it after each recyclefs archive (PROFILE=1).
"""
import re
import sys
from datetime import datetime

LINE = re.compile(
    r"^(\S+) \S+: s3 ([A-Z]+) '([^']*)'(?: \?(\S+))? on .*"
    r"HTTP (\d+).*\((\d+) us\)\s*$"
)


def kind(name, method, key, query):
    if "/.recyclefs/" in key or key.endswith("/.recyclefs"):
        return "manifest, journal"
    if query and query.startswith("list-type"):
        return "LIST"
    if method == "POST" and query == "delete":
        return "DeleteObjects"
    in_bin = "/.recyclebin/" in "/" + key
    if ("/%s/" % name) in "/" + key and not key.endswith("/"):
        if method == "GET" and not in_bin:
            return "GET source"
        if method == "HEAD" and not in_bin:
            return "HEAD source"
        if method == "PUT" and in_bin:
            return "PUT copy" + (" part" if query else "")
        if method == "HEAD" and in_bin:
            return "HEAD copy"
        if method == "DELETE":
            return "DELETE"
    return method + " folder, other"


def when(stamp):
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()


def in_flight(spans):
    """Mean and most requests in flight over [first start, last end]."""
    if not spans:
        return 0.0, 0
    ev = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
    now = most = 0
    for _, d in ev:
        now += d
        most = max(most, now)
    lo = min(s for s, _ in spans)
    hi = max(e for _, e in spans)
    busy = sum(e - s for s, e in spans)
    return (busy / (hi - lo) if hi > lo else float(len(spans))), most


def main():
    name, secs = sys.argv[1], float(sys.argv[2])
    reqs = []
    for line in sys.stdin:
        m = LINE.match(line)
        if not m:
            continue
        end = when(m.group(1))
        dur = int(m.group(6)) / 1e6
        reqs.append((kind(name, m.group(2), m.group(3), m.group(4)),
                     end - dur, end))
    if not reqs:
        print("profile of %s: no request in the log (mount with -v)" % name)
        return
    t0 = min(s for _, s, _ in reqs)
    print("profile of the archive of %s: %d requests in %.2f s "
          "(the mv to the end of wait)" % (name, len(reqs), secs))
    print("  %-22s %6s %8s %8s %9s %8s %5s" % (
        "kind", "count", "first", "last", "time in", "mean in", "most"))
    print("  %-22s %6s %8s %8s %9s %8s %5s" % (
        "", "", "end s", "end s", "them s", "flight", ""))
    kinds = sorted({k for k, _, _ in reqs},
                   key=lambda k: min(s for kk, s, _ in reqs if kk == k))
    for k in kinds + [None]:
        spans = [(s, e) for kk, s, e in reqs if k is None or kk == k]
        mean, most = in_flight(spans)
        print("  %-22s %6d %8.2f %8.2f %9.2f %8.1f %5d" % (
            k or "all", len(spans), min(e for _, e in spans) - t0,
            max(e for _, e in spans) - t0, sum(e - s for s, e in spans),
            mean, most))


if __name__ == "__main__":
    main()
