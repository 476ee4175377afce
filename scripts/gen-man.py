#!/usr/bin/env python3
"""Write the man page recyclefs(1) from the program's own --help texts, so
the two cannot drift: one section per command, in the order of
`recyclefs --help`, each holding `recyclefs COMMAND --help` verbatim.

usage: scripts/gen-man.py RECYCLEFS_BINARY OUTPUT
"""
import re
import subprocess
import sys

INTRO = """\
recyclefs shows every table of a data lake, its lifecycles (raw, bronze,
silver, ...) and the storage epochs of each lifecycle (date ranges that
lived on different storages: NFS, HDFS, S3, PostgreSQL) as directories of
one FUSE mount. Inside an epoch are the storage's own files. Moving a
folder into .recyclebin archives it: a verified copy to recycle storage,
the partitions dropped from the metastore, then the source removed.
Restoring is a copy back out. A SQLite index keeps the mapping.
"""

MOUNTING = """\
Besides \\fBrecyclefs mount\\fR, the mount(8) helper
\\fBmount.fuse.recyclefs\\fR mounts an index the way other FUSE
filesystems are mounted:
.PP
.nf
.RS
mount \\-t fuse.recyclefs /var/lib/recyclefs/index.db /mnt/lake \\-o allow_other
.RE
.fi
.PP
and in /etc/fstab:
.PP
.nf
.RS
/var/lib/recyclefs/index.db  /mnt/lake  fuse.recyclefs  _netdev,allow_other,x\\-systemd.automount  0 0
.RE
.fi
.PP
The helper passes FUSE options (\\fBallow_other\\fR, \\fBro\\fR,
\\fBdefault_permissions\\fR, \\fBattr_timeout=\\fR\\fIS\\fR, ...) to the
mount; \\fBlog=\\fR\\fIFILE\\fR and \\fBthreads=\\fR\\fIN\\fR become
\\fB\\-\\-log\\fR and \\fB\\-\\-threads\\fR. Options for mount(8) and systemd
are not passed on: \\fB_netdev\\fR (mount after the network is up; use it
for indexes or storages on NFS or S3), \\fBnofail\\fR, \\fBnoauto\\fR,
\\fBx\\-systemd.automount\\fR (mount on first access),
\\fBx\\-systemd.*\\fR, \\fBcomment=\\fR. \\fBallow_other\\fR lets users other
than the one who mounted see the mount; for a non-root mount it needs
\\fBuser_allow_other\\fR in /etc/fuse.conf. An example systemd service
and mount units are installed under the documentation directory's
examples/systemd/.
"""


def roff(text):
    """Verbatim text as roff lines: backslashes and leading dots escaped."""
    out = []
    for line in text.rstrip("\n").split("\n"):
        line = line.replace("\\", "\\e").replace("-", "\\-")
        if line.startswith((".", "'")):
            line = "\\&" + line
        out.append(line)
    return "\n".join(out)


def run(binary, *args):
    r = subprocess.run([binary, *args], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("gen-man: '%s %s' exited %d: %s" %
                 (binary, " ".join(args), r.returncode, r.stderr.strip()))
    return r.stdout


def commands(top_help):
    """(name, summary) of each command, from 'commands:' in --help."""
    block = top_help.split("\ncommands:\n", 1)[1].split("\n\n", 1)[0]
    return [tuple(re.match(r"\s+(\S+)\s+(.*)", l).groups())
            for l in block.splitlines() if l.strip()]


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    binary, output = sys.argv[1:]
    top = run(binary, "--help")
    version = run(binary, "--version").splitlines()[0].split()[-1]
    cmds = commands(top)
    usage, _, rest = top.partition("\ncommands:\n")
    after = rest.split("\n\n", 1)[1] if "\n\n" in rest else ""

    page = [
        "'\\\" t",  # the page has a table: man runs tbl
        '.TH RECYCLEFS 1 "" "recyclefs %s" "User Commands"' % version,
        ".SH NAME",
        "recyclefs \\- archive the data of data\\-lake tables through a "
        "FUSE filesystem",
        ".SH SYNOPSIS", ".nf", roff(usage), ".fi",
        ".SH DESCRIPTION", INTRO.rstrip(),
        ".PP", "The commands:", ".PP", ".TS", "l l.",
    ]
    page += ["\\fB%s\\fR\t%s" % (n, s.replace("\\", "\\e")) for n, s in cmds]
    page += [".TE", ".SH COMMANDS"]
    for name, summary in cmds:
        page += ['.SS "recyclefs %s"' % name, summary.replace("\\", "\\e"),
                 ".PP", ".nf", roff(run(binary, name, "--help")), ".fi"]
    page += [".SH MOUNTING WITH mount(8) AND /etc/fstab", MOUNTING.rstrip()]
    page += [".SH FILES, ENVIRONMENT AND EXIT STATUS", ".nf", roff(after),
             ".fi",
             ".SH SEE ALSO",
             "fusermount3(1), mount.fuse3(8), fstab(5), systemd.mount(5).",
             "The documentation in the source tree: docs/guide.md, "
             "docs/cli.md, docs/recyclebin.md, docs/restore.md."]
    with open(output, "w") as f:
        f.write("\n".join(page) + "\n")


if __name__ == "__main__":
    main()
