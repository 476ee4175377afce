/*
 * SHA-256 over OpenSSL's EVP interface.
 */
#include "util/sha256.h"
#include "util/hex.h"

#include <errno.h>

#include <openssl/evp.h>

int rfs_sha256_init(struct rfs_sha256 *h)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	h->ctx = NULL;
	if (!ctx)
		return -ENOMEM;
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return -ENOMEM;
	}
	h->ctx = ctx;
	return 0;
}

int rfs_sha256_update(struct rfs_sha256 *h, const void *data, size_t n)
{
	if (!h->ctx)
		return -EIO;
	if (n == 0)
		return 0;
	if (EVP_DigestUpdate(h->ctx, data, n) != 1)
		return -EIO;
	return 0;
}

int rfs_sha256_final(struct rfs_sha256 *h, char out[RFS_SHA256_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	int r = 0;

	if (!h->ctx)
		return -EIO;
	if (EVP_DigestFinal_ex(h->ctx, md, &len) != 1 ||
	    len * 2 + 1 != RFS_SHA256_HEX)
		r = -EIO;
	else
		rfs_hex_encode(md, len, out);
	rfs_sha256_release(h);
	return r;
}

void rfs_sha256_release(struct rfs_sha256 *h)
{
	EVP_MD_CTX_free(h->ctx); /* NULL does nothing */
	h->ctx = NULL;
}

int rfs_sha256_buf(const void *data, size_t n, char out[RFS_SHA256_HEX])
{
	struct rfs_sha256 h;
	int r = rfs_sha256_init(&h);

	if (r < 0)
		return r;
	r = rfs_sha256_update(&h, data, n);
	if (r < 0) {
		rfs_sha256_release(&h);
		return r;
	}
	return rfs_sha256_final(&h, out);
}
