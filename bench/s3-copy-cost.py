#!/usr/bin/env python3
"""What each way of copying an object into the bin costs a Ceph RGW.

usage: s3-copy-cost.py ENDPOINT RGW_DIR [N [SIZE [THREADS]]]

Puts N objects of SIZE random bytes (2,000 of 256 KiB by default) under
a fresh bucket, then for each way of moving them into a "bin/" prefix
measures the wall time and the CPU time of the server's daemons
(radosgw, ceph-osd, ceph-mon: user + system from /proc/PID/stat, their
pids from RGW_DIR/run/*.pid, as bench/s3.sh reads them), THREADS
requests at once (8):

  copy     GET of the source (If-Match its ETag), then CopyObject
           (x-amz-copy-source-if-match): the server reads the source
           again and writes the copy
  stream   GET of the source (If-Match its ETag), then PUT of the bytes
           read, with Content-MD5 and the signed payload SHA-256
           (x-amz-content-sha256): the server checks both
  rclone   what `rclone move` asks: HEAD, CopyObject, DELETE
  delete   the sources removed by DeleteObjects, 1,000 keys a request
           (after copy and stream; rclone deleted its own)

and, to tell the parts apart: "get" (the GETs alone), "copy-only"
(CopyObject alone), "put-only" (the PUTs alone, of bytes read before).

The credentials are the test keys of scripts/rgw.sh (TESTAK).
"""
import base64
import concurrent.futures
import glob
import hashlib
import os
import sys
import time
import uuid

import boto3
from botocore.config import Config


def rgw_ticks(rgw_dir):
    t = 0
    for pidfile in glob.glob(os.path.join(rgw_dir, "run", "*.pid")):
        try:
            pid = open(pidfile).read().strip()
            f = open("/proc/%s/stat" % pid).read()
        except OSError:
            continue
        fields = f[f.rindex(")") + 2:].split()
        t += int(fields[11]) + int(fields[12])  # utime, stime
    return t


def main():
    ep, rgw_dir = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
    size = int(sys.argv[4]) if len(sys.argv) > 4 else 256 * 1024
    threads = int(sys.argv[5]) if len(sys.argv) > 5 else 8
    hz = os.sysconf("SC_CLK_TCK")
    s3 = boto3.client(
        "s3", endpoint_url=ep, aws_access_key_id="TESTAK",
        aws_secret_access_key="TESTSECRET", region_name="us-east-1",
        config=Config(max_pool_connections=threads * 2,
                      request_checksum_calculation="when_required",
                      response_checksum_validation="when_required",
                      s3={"payload_signing_enabled": True}))
    bucket = "cost-" + uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=bucket)
    pool = concurrent.futures.ThreadPoolExecutor(threads)
    keys = ["src/part-%05d.parquet" % i for i in range(n)]
    etags = {}

    def put_src(k):
        r = s3.put_object(Bucket=bucket, Key=k, Body=os.urandom(size))
        etags[k] = r["ETag"]

    list(pool.map(put_src, keys))

    def get(k):
        b = s3.get_object(Bucket=bucket, Key=k, IfMatch=etags[k])
        data = b["Body"].read()
        return data, hashlib.sha256(data).hexdigest()

    def copy(k):
        get(k)
        r = s3.copy_object(Bucket=bucket, Key="bin/" + k,
                           CopySource={"Bucket": bucket, "Key": k},
                           CopySourceIfMatch=etags[k])
        assert r["CopyObjectResult"]["ETag"].strip('"') == etags[k].strip('"')

    def stream(k):
        data, _ = get(k)
        md5 = hashlib.md5(data).digest()
        r = s3.put_object(Bucket=bucket, Key="bin/" + k, Body=data,
                          ContentMD5=base64.b64encode(md5).decode())
        assert r["ETag"].strip('"') == md5.hex()

    def copy_only(k):
        s3.copy_object(Bucket=bucket, Key="bin/" + k,
                       CopySource={"Bucket": bucket, "Key": k},
                       CopySourceIfMatch=etags[k])

    held = {}

    def get_only(k):
        held[k] = get(k)[0]

    def put_only(k):
        data = held[k]
        md5 = hashlib.md5(data).digest()
        s3.put_object(Bucket=bucket, Key="bin/" + k, Body=data,
                      ContentMD5=base64.b64encode(md5).decode())

    def rclone(k):
        s3.head_object(Bucket=bucket, Key=k)
        s3.copy_object(Bucket=bucket, Key="bin/" + k,
                       CopySource={"Bucket": bucket, "Key": k})
        s3.delete_object(Bucket=bucket, Key=k)

    def delete_sources():
        for i in range(0, n, 1000):
            s3.delete_objects(Bucket=bucket, Delete={
                "Quiet": True,
                "Objects": [{"Key": k} for k in keys[i:i + 1000]]})

    def clear_bin():
        for i in range(0, n, 1000):
            s3.delete_objects(Bucket=bucket, Delete={
                "Quiet": True,
                "Objects": [{"Key": "bin/" + k} for k in keys[i:i + 1000]]})

    def measure(name, fn):
        time.sleep(2)  # let the server settle
        t0, c0 = time.monotonic(), rgw_ticks(rgw_dir)
        fn()
        wall, cpu = time.monotonic() - t0, (rgw_ticks(rgw_dir) - c0) / hz
        print("%-9s %5d objects of %d KiB: wall %6.2f s, server CPU "
              "%6.2f s (%.2f ms per object)  load %s" % (
                  name, n, size // 1024, wall, cpu, 1000 * cpu / n,
                  open("/proc/loadavg").read().split()[0]), flush=True)
        return cpu

    print("load before: %s" % " ".join(
        open("/proc/loadavg").read().split()[:3]), flush=True)
    measure("get", lambda: list(pool.map(get_only, keys)))
    measure("copy-only", lambda: list(pool.map(copy_only, keys)))
    clear_bin()
    measure("put-only", lambda: list(pool.map(put_only, keys)))
    clear_bin()
    held.clear()
    measure("copy", lambda: list(pool.map(copy, keys)))
    clear_bin()
    measure("stream", lambda: list(pool.map(stream, keys)))
    measure("delete", delete_sources)
    list(pool.map(put_src, keys))
    clear_bin()
    measure("rclone", lambda: list(pool.map(rclone, keys)))
    clear_bin()
    print("load after: %s" % " ".join(
        open("/proc/loadavg").read().split()[:3]), flush=True)
    s3.delete_bucket(Bucket=bucket)


if __name__ == "__main__":
    main()
