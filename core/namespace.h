/**
 * @file namespace.h
 * @brief The mount's namespace: path -> node (table, lifecycle, epoch, ...).
 *
 * ```
 * /                                   RFS_NODE_ROOT
 * /T                                  RFS_NODE_TABLE
 * /T/L                                RFS_NODE_LIFECYCLE
 * /T/L/E                              RFS_NODE_EPOCH, rest ""
 * /T/L/E/a/b                          RFS_NODE_EPOCH, rest "a/b"
 * /.recyclebin[/x...]                 RFS_NODE_BIN, rest "x..."
 * /.classifications                   RFS_NODE_CLASSES
 * /.classifications/C                 RFS_NODE_CLASS
 * /.classifications/C/T               RFS_NODE_CLASS_LINK (symlink to ../../T)
 * ```
 *
 * Resolution reads a sealed catalog only, so it is thread-safe.
 */
#ifndef RFS_CORE_NAMESPACE_H
#define RFS_CORE_NAMESPACE_H

struct rfs_catalog;

/** Name of the recycle bin directory at the mount root. */
#define RFS_BIN_DIR ".recyclebin"
/** Name of the classifications directory at the mount root. */
#define RFS_CLASSES_DIR ".classifications"

/** What a path names. */
enum rfs_node_kind {
	RFS_NODE_ROOT,	     /**< the mount root */
	RFS_NODE_TABLE,	     /**< a table's directory */
	RFS_NODE_LIFECYCLE,  /**< a lifecycle's directory */
	RFS_NODE_EPOCH,	     /**< an epoch's directory or something in it */
	RFS_NODE_BIN,	     /**< the recycle bin or something in it */
	RFS_NODE_CLASSES,    /**< the classifications directory */
	RFS_NODE_CLASS,	     /**< one classification's directory */
	RFS_NODE_CLASS_LINK, /**< a table's symlink in a classification */
};

/** A resolved path. Pointers are borrowed from the catalog and the path. */
struct rfs_node {
	enum rfs_node_kind kind;       /**< what the path names */
	const struct rfs_table *table; /**< TABLE and below, CLASS_LINK */
	const struct rfs_lifecycle *lifecycle; /**< LIFECYCLE, EPOCH */
	const struct rfs_epoch *epoch;	       /**< EPOCH */
	const struct rfs_classification *cls;  /**< CLASS, CLASS_LINK */
	const char *rest; /**< EPOCH, BIN: the path below; "" otherwise */
};

/**
 * Resolve a mount path ("/", "/sales.orders/bronze", ...). Only the
 * catalog is consulted: what lies below an epoch or in the bin is not
 * checked, only handed back in rfs_node::rest.
 * @param cat  a sealed catalog; @p node borrows from it
 * @param path absolute or relative; a trailing slash is allowed
 * @param node filled on success, meaningless after a failure; it
 *             borrows from @p cat and @p path
 * @return 0 and fill @p node, or -ENOENT
 */
int rfs_namespace_resolve(const struct rfs_catalog *cat, const char *path,
			  struct rfs_node *node);

#endif
