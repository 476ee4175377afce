#!/usr/bin/env python3
"""Sum the results of meson test runs into one closing line: Criterion's
synthesis, or the plain "N passed, M failed" line of a script test.
Each test run that failed is named first, with the lines of its output
that say why (Criterion's failing cases, sanitizer reports, the exit
status), so the end of a long log is enough to start from."""
import json
import re
import sys

SYNTH = re.compile(r"Synthesis: Tested: (\d+) \| Passing: (\d+) \| "
                   r"Failing: (\d+) \| Crashing: (\d+)")
PLAIN = re.compile(r"^(\d+) passed, (\d+) failed$", re.M)


WHY = re.compile(r"\[(FAIL|ERR|WARN)\]|^\[----\]\s+\S|ERROR: |SUMMARY: |"
                 r"runtime error|Timed out|crashed|signal|Leak|gave up", re.I)


def why(out, most=16):
    """The lines of a failed run's output that explain it: those WHY
    matches, else its last lines."""
    lines = re.sub(r"\x1b\[[0-9;]*m", "", out).splitlines()
    hits = [l[:300] for l in lines if WHY.search(l)]
    return (hits or lines[-15:])[:most]


def main(builds):
    passed = failed = 0
    bad = []
    for build in builds:
        try:
            with open(f"{build}/meson-logs/testlog.json") as f:
                lines = f.readlines()
        except OSError as e:
            print(f"{build}: no test log ({e.strerror})")
            failed += 1
            continue
        for line in lines:
            t = json.loads(line)
            out = (t.get("stdout") or "") + (t.get("stderr") or "")
            m = SYNTH.findall(re.sub(r"\x1b\[[0-9;]*m", "", out))
            plain = PLAIN.findall(out)
            if not m and plain:
                p, f = map(int, plain[-1])
                m = [(p + f, p, f, 0)]
            if m:
                tested, passing, failing, crashing = map(int, m[-1])
                passed += passing
                failed += tested - passing
                if t["result"] not in ("OK", "SKIP") and tested == passing:
                    failed += 1  # every case passed, the run did not
            elif t["result"] == "OK":
                passed += 1
            else:
                failed += 1
            if t["result"] not in ("OK", "SKIP"):
                bad.append((f"{build}: {t['name']} ({t['result']}, "
                            f"exit {t.get('returncode')})", why(out)))
    for b, lines in bad:
        print("failed:", b)
        for line in lines:
            print("   ", line)
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and not bad else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
