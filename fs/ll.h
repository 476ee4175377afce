/**
 * @file ll.h
 * @brief What the low-level entry points share (fs/ll.c, fs/ll_file.c).
 */
#ifndef RFS_FS_LL_H
#define RFS_FS_LL_H

#include "fs/internal.h"

/** A request on one node. */
struct op {
	struct rfs_fs_state *st; /**< the mount */
	struct fs_inode *n;	 /**< a reference */
	char *path;		 /**< its mount path; NULL without a name */
	struct req q;		 /**< resolved when path is set */
};

/** Take node @p ino into @p o; with @p need_path, its path resolved too (a
 * node that lost its name is then ENOENT). @return 0 or -errno */
int rfs_fs_op_begin(fuse_req_t fr, fuse_ino_t ino, struct op *o,
		    bool need_path);

/** End a request started with rfs_fs_op_begin(). */
void rfs_fs_op_end(struct op *o);

/** The handle of an open file. */
struct fs_fh *rfs_fs_fh_of(const struct fuse_file_info *fi);

/** The entry timeout of a node of kind @p k. */
double rfs_fs_entry_timeout(const struct rfs_fs_state *st,
			    const struct fs_kind *k);

/** The attribute timeout of a node of kind @p k. */
double rfs_fs_attr_timeout(const struct rfs_fs_state *st,
			   const struct fs_kind *k);

/** Look @p name up in folder @p dir: its attributes and its node (one
 * more lookup). @return 0 or -errno */
int rfs_fs_entry_of(struct op *dir, const char *name,
		    struct fuse_entry_param *e);

/** The open operation (fuse_lowlevel_ops). */
void rfs_fs_ll_open(fuse_req_t fr, fuse_ino_t ino, struct fuse_file_info *fi);

/** The create operation (fuse_lowlevel_ops). */
void rfs_fs_ll_create(fuse_req_t fr, fuse_ino_t parent, const char *name,
		      mode_t mode, struct fuse_file_info *fi);

/** The read operation (fuse_lowlevel_ops). */
void rfs_fs_ll_read(fuse_req_t fr, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi);

/** The write_buf operation (fuse_lowlevel_ops). */
void rfs_fs_ll_write_buf(fuse_req_t fr, fuse_ino_t ino, struct fuse_bufvec *in,
			 off_t off, struct fuse_file_info *fi);

/** The flush operation (fuse_lowlevel_ops). */
void rfs_fs_ll_flush(fuse_req_t fr, fuse_ino_t ino, struct fuse_file_info *fi);

/** The release operation (fuse_lowlevel_ops). */
void rfs_fs_ll_release(fuse_req_t fr, fuse_ino_t ino,
		       struct fuse_file_info *fi);

/** The fsync operation (fuse_lowlevel_ops). */
void rfs_fs_ll_fsync(fuse_req_t fr, fuse_ino_t ino, int datasync,
		     struct fuse_file_info *fi);

/** The fallocate operation (fuse_lowlevel_ops). */
void rfs_fs_ll_fallocate(fuse_req_t fr, fuse_ino_t ino, int mode, off_t off,
			 off_t len, struct fuse_file_info *fi);

/** The lseek operation (fuse_lowlevel_ops). */
void rfs_fs_ll_lseek(fuse_req_t fr, fuse_ino_t ino, off_t off, int whence,
		     struct fuse_file_info *fi);

/** The copy_file_range operation (fuse_lowlevel_ops). */
void rfs_fs_ll_copy_file_range(fuse_req_t fr, fuse_ino_t ino_in, off_t oin,
			       struct fuse_file_info *fin, fuse_ino_t ino_out,
			       off_t oout, struct fuse_file_info *fout,
			       size_t len, int flags);

/** The opendir operation (fuse_lowlevel_ops). */
void rfs_fs_ll_opendir(fuse_req_t fr, fuse_ino_t ino,
		       struct fuse_file_info *fi);

/** The releasedir operation (fuse_lowlevel_ops). */
void rfs_fs_ll_releasedir(fuse_req_t fr, fuse_ino_t ino,
			  struct fuse_file_info *fi);

/** The readdir operation (fuse_lowlevel_ops). */
void rfs_fs_ll_readdir(fuse_req_t fr, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi);

/** The readdirplus operation (fuse_lowlevel_ops). */
void rfs_fs_ll_readdirplus(fuse_req_t fr, fuse_ino_t ino, size_t size,
			   off_t off, struct fuse_file_info *fi);

#endif
