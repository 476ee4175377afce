#!/usr/bin/env python3
"""Print one line per file, folder and symlink below ROOT (ROOT itself
as "."), in byte order: type, mode, owner, size, mtime and atime in ns,
extended attributes (every namespace, values in hex), link count, the
first name of the same inode when it has several, SHA-256 (files) or
target (symlinks). Nothing it reads changes an access time: files and
folders are opened with O_NOATIME (the caller must own them or be root).
The atime of a symlink is left out: reading its target sets it (the
kernel's rule for readlink, which has no O_NOATIME).

usage: tree_signature.py ROOT
"""
import hashlib
import os
import stat
import sys


def noatime_fd(path, flags):
    return os.open(path, flags | os.O_NOATIME | os.O_NOFOLLOW)


def sha256(path):
    h = hashlib.sha256()
    fd = noatime_fd(path, os.O_RDONLY)
    try:
        while True:
            b = os.read(fd, 1 << 20)
            if not b:
                break
            h.update(b)
    finally:
        os.close(fd)
    return h.hexdigest()


def names(root):
    """Every relative path below root, stat'ed before its folder is read."""
    out = []
    todo = ["."]
    while todo:
        rel = todo.pop()
        path = os.path.join(root, rel)
        st = os.lstat(path)
        out.append((rel, st))
        if stat.S_ISDIR(st.st_mode):
            fd = noatime_fd(path, os.O_RDONLY | os.O_DIRECTORY)
            try:
                kids = os.listdir(fd)
            finally:
                os.close(fd)
            todo.extend(os.path.normpath(os.path.join(rel, k)) for k in kids)
    return sorted(out, key=lambda x: x[0].encode())


def main():
    root = sys.argv[1]
    first = {}
    for rel, st in names(root):
        path = os.path.join(root, rel)
        kind = ("d" if stat.S_ISDIR(st.st_mode) else
                "l" if stat.S_ISLNK(st.st_mode) else
                "f" if stat.S_ISREG(st.st_mode) else "?")
        xs = []
        for n in sorted(os.listxattr(path, follow_symlinks=False)):
            v = os.getxattr(path, n, follow_symlinks=False)
            xs.append("%s=%s" % (n, v.hex()))
        fields = [rel, kind, "%04o" % stat.S_IMODE(st.st_mode),
                  "%d:%d" % (st.st_uid, st.st_gid),
                  "size=%d" % (st.st_size if kind != "d" else 0),
                  "mtime=%d" % st.st_mtime_ns,
                  # reading a symlink's target (readlink) sets its atime
                  "atime=%s" % (st.st_atime_ns if kind != "l" else "-"),
                  "xattrs=[%s]" % ",".join(xs),
                  "nlink=%d" % st.st_nlink]
        if kind == "f" and st.st_nlink > 1:
            fields.append("inode_of=%s"
                          % first.setdefault((st.st_dev, st.st_ino), rel))
        if kind == "f":
            fields.append("sha256=" + sha256(path))
        if kind == "l":
            fields.append("target=" + os.readlink(path))
        print(" ".join(fields))


if __name__ == "__main__":
    main()
