#!/usr/bin/env python3
"""Reference SigV4 signatures for tests/unit/backends/test_s3_sign.c.

Computes each case with botocore's S3SigV4Auth (canonical request, string
to sign, signing key chain) at a fixed time, with AWS's documented example
keys. Run: python3 tests/unit/backends/s3_sign_vectors.py
"""
import hashlib
from urllib.parse import quote

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

AK = 'AKIAIOSFODNN7EXAMPLE'
SK = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
STAMP = '20130524T000000Z'
EMPTY = hashlib.sha256(b'').hexdigest()


def sign(name, method, host, path, params, headers, payload, token=None):
    auth = S3SigV4Auth(Credentials(AK, SK, token), 's3', 'us-east-1')
    req = AWSRequest(method=method, url='https://' + host + path,
                     params=params)
    req.headers['Host'] = host
    for k, v in headers:
        req.headers[k] = v
    req.headers['X-Amz-Content-SHA256'] = payload
    req.headers['X-Amz-Date'] = STAMP
    if token:
        req.headers['X-Amz-Security-Token'] = token
    req.context['timestamp'] = STAMP
    cr = auth.canonical_request(req)
    sts = auth.string_to_sign(req, cr)
    sig = auth.signature(sts, req)
    signed = auth.signed_headers(auth.headers_to_sign(req))
    print(f'{name}: SignedHeaders={signed}, Signature={sig}')


def enc(s, safe=''):
    return quote(s.encode(), safe='-_.~' + safe)


if __name__ == '__main__':
    H = 'examplebucket.s3.amazonaws.com'
    # AWS's published examples
    sign('get_object', 'GET', H, '/test.txt', [], [('Range', 'bytes=0-9')],
         EMPTY)
    sign('put_object', 'PUT', H, '/' + enc('test$file.text'), [],
         [('Date', 'Fri, 24 May 2013 00:00:00 GMT'),
          ('x-amz-storage-class', 'REDUCED_REDUNDANCY')],
         hashlib.sha256(b'Welcome to Amazon S3.').hexdigest())
    sign('get_lifecycle', 'GET', H, '/', [('lifecycle', '')], [], EMPTY)
    sign('list_objects', 'GET', H, '/', [('max-keys', '2'), ('prefix', 'J')],
         [], EMPTY)
    # Special characters
    sign('key_space_plus_eq', 'GET', H, '/' + enc('dir/my file+x=y.txt', '/'),
         [], [], EMPTY)
    sign('key_unicode', 'PUT', H, '/' + enc('données/été.parquet', '/'), [],
         [('Content-Type', 'application/octet-stream')], 'UNSIGNED-PAYLOAD')
    long_key = 'a/' + 'é' * 40 + 'k' * 166 + ' +=.bin'
    assert len(long_key.encode()) == 255, len(long_key.encode())
    sign('key_255', 'HEAD', H, '/' + enc(long_key, '/'), [], [], EMPTY)
    sign('list_v2', 'GET', H, '/',
         [('list-type', '2'), ('prefix', 'a/b'), ('delimiter', '/'),
          ('encoding-type', 'url')], [], EMPTY)
    sign('list_token', 'GET', H, '/',
         [('list-type', '2'), ('prefix', 'données/'),
          ('continuation-token', '1ueGc+LPRx1T/rXY=ExHn=='),
          ('max-keys', '1000')], [], EMPTY)
    sign('session_token', 'DELETE', 'localhost:9000', '/bkt/x%20y', [], [],
         EMPTY, token='FQoGZXIvYXdzE+/token=')
    sign('multipart_part', 'PUT', '127.0.0.1:7480',
         '/bkt/big/part%2B1.bin',
         [('partNumber', '2'), ('uploadId', '2~abc+def/ghi=')],
         [('Content-MD5', 'XUFAKrxLKna5cZ2REBfFkg==')], 'UNSIGNED-PAYLOAD')
    sign('uploads_copy', 'POST', H, '/dest/obj', [('uploads', '')],
         [('x-amz-copy-source', '/examplebucket/src%20dir/obj'),
          ('x-amz-meta-mtime', '1700000000.123456789'),
          ('x-amz-metadata-directive', 'REPLACE')], EMPTY)
