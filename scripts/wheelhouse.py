#!/usr/bin/env python3
"""Pack installed Python distributions back into wheels, with their
dependencies, so that a machine without a package index can still run
`pip install` of them (scripts/fresh-root.sh gives such a directory to its
Debian root as pip's --find-links).

usage: scripts/wheelhouse.py OUTDIR REQUIREMENT...

Each REQUIREMENT is a distribution name with optional extras ("moto",
"moto[server]"). Only files the distribution recorded under its
site-packages are packed; scripts are made again by pip from the entry
points. A distribution that is not installed here is an error.
"""
import base64
import csv
import hashlib
import importlib.metadata as md
import io
import os
import re
import sys
import zipfile

from pip._vendor.packaging.requirements import Requirement


def norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def closure(reqs):
    seen = {}
    todo = [Requirement(r) for r in reqs]
    while todo:
        req = todo.pop()
        if norm(req.name) in seen:
            continue
        dist = md.distribution(req.name)
        seen[norm(req.name)] = dist
        for r in dist.requires or []:
            dep = Requirement(r)
            extras = ("",) + tuple(req.extras)
            if dep.marker is None or any(
                    dep.marker.evaluate({"extra": e}) for e in extras):
                todo.append(dep)
    return seen.values()


def record_hash(data):
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def pack(dist, outdir):
    info = dist._path  # the .dist-info folder
    site = os.path.dirname(info)
    tags = [l.split(":", 1)[1].strip()
            for l in (dist.read_text("WHEEL") or "").splitlines()
            if l.startswith("Tag:")] or ["py3-none-any"]
    # the compressed tag set of the file name: py2.py3-none-any
    parts = [sorted({t.split("-")[i] for t in tags}) for i in range(3)]
    tag = "-".join(".".join(p) for p in parts)
    name = re.sub(r"[-.]+", "_", dist.metadata["Name"])
    whl = os.path.join(outdir, "%s-%s-%s.whl" % (name, dist.version, tag))
    rows = []
    record_name = os.path.join(os.path.basename(info), "RECORD")
    with zipfile.ZipFile(whl, "w", zipfile.ZIP_DEFLATED) as z:
        for row in csv.reader(io.StringIO(dist.read_text("RECORD") or "")):
            rel = row[0]
            path = os.path.normpath(os.path.join(site, rel))
            if (rel.startswith("..") or "__pycache__" in rel
                    or rel == record_name or not os.path.isfile(path)):
                continue
            if os.path.basename(rel) in ("INSTALLER", "REQUESTED",
                                         "direct_url.json"):
                continue
            with open(path, "rb") as f:
                data = f.read()
            z.writestr(rel, data)
            rows.append((rel, record_hash(data), str(len(data))))
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerows(rows)
        w.writerow((record_name, "", ""))
        z.writestr(record_name, out.getvalue())
    return whl


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    try:
        dists = list(closure(sys.argv[2:]))
    except md.PackageNotFoundError as e:
        sys.exit("wheelhouse: %s is not installed here" % e)
    for d in dists:
        pack(d, outdir)
    print("wheelhouse: %d wheels in %s" % (len(dists), outdir))


if __name__ == "__main__":
    main()
