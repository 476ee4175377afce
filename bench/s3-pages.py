#!/usr/bin/env python3
"""The listing pages of one `ls -l`, from the per-request debug log.

usage: s3-pages.py PREFIX < LOG

LOG holds the lines a `recyclefs -v mount --log FILE` wrote (see
s3-profile.py for their form). For the LIST requests of PREFIX (as it
appears URL-encoded in the query, "data%2Fls%2F") it prints the pages,
the idle gap between the answer of one page and the request of the next
(its start being its answer's time less its duration: median, largest,
sum), the time spent in the LIST requests, and the span from the first
page's request to the last HEAD's answer with the time in it when no LIST
nor HEAD was in flight (the client's own gaps). The LIST of a folder's
stat (max-keys=2) is not a page.
"""
import re
import statistics
import sys
from datetime import datetime

LINE = re.compile(
    r"^(\S+) \S+: s3 ([A-Z]+) '([^']*)'(?: \?(\S+))? on .*"
    r"HTTP (\d+).*\((\d+) us\)\s*$"
)


def when(stamp):
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()


def main():
    prefix = sys.argv[1]
    pages, last_end, spans = [], None, []
    for line in sys.stdin:
        m = LINE.match(line)
        if not m:
            continue
        end = when(m.group(1))
        start = end - int(m.group(6)) / 1e6
        query = m.group(4) or ""
        if (query.startswith("list-type") and "prefix=" + prefix in query
                and "max-keys=2" not in query):
            pages.append((start, end))
            spans.append((start, end))
        elif m.group(2) == "HEAD" and pages:
            last_end = max(last_end or end, end)
            spans.append((start, end))
    if not pages:
        print("no listing page of %s in the log" % prefix)
        return
    pages.sort()
    gaps = [b[0] - a[1] for a, b in zip(pages, pages[1:])]
    spent = sum(e - s for s, e in pages)
    print("  pages: %d, LIST time %.3f s" % (len(pages), spent))
    if gaps:
        print("  gap between pages (ms): median %.1f, max %.1f, sum %.1f"
              % (statistics.median(gaps) * 1e3, max(gaps) * 1e3,
                 sum(gaps) * 1e3))
    end = max(pages[-1][1], last_end or 0)
    # idle: no LIST nor HEAD of the listing in flight
    idle, reach = 0.0, pages[0][0]
    for s, e in sorted(spans):
        if s > reach:
            idle += s - reach
        reach = max(reach, e)
    print("  first LIST to last HEAD: %.3f s, of which idle (no LIST nor "
          "HEAD in flight) %.1f ms" % (end - pages[0][0], idle * 1e3))


main()
