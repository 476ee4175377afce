/**
 * @file http_priv.h
 * @brief What http.c and client.c share: the client and its handle pool
 *        (backends/s3/ only).
 */
#ifndef RFS_BACKENDS_S3_HTTP_PRIV_H
#define RFS_BACKENDS_S3_HTTP_PRIV_H

#include "backends/s3/s3_priv.h"

#include <curl/curl.h>
#include <pthread.h>

/** Idle handles kept for keep-alive; more are made and freed on demand. */
#define RFS_S3_POOL_MAX 64

/** A client (see rfs_s3_client_new()). */
struct rfs_s3_client {
	struct rfs_s3_conf conf;     /**< a deep copy, owned */
	char *name;		     /**< the storage, for messages */
	char *base;		     /**< "http://host:port", no final '/' */
	char *host;		     /**< the Host header */
	char *path_root;	     /**< "/bucket" (path style) or "" */
	pthread_mutex_t lock;	     /**< guards the pool */
	CURL *pool[RFS_S3_POOL_MAX]; /**< idle handles */
	size_t n_pool;		     /**< how many */
};

/**
 * Take a handle for one request: an idle one, reset (its connections
 * kept), or a new one. Thread-safe.
 * @return the handle, or NULL on out-of-memory
 */
CURL *rfs_s3_handle_get(struct rfs_s3_client *c);

/**
 * Give a handle back after a request. @p keep false closes it (its
 * transfer failed midway and its connection may be broken).
 */
void rfs_s3_handle_put(struct rfs_s3_client *c, CURL *h, bool keep);

#endif
