/* Mount primitives for assembling a container's root inside its own mount namespace.
 * Targets are resolved with openat2(RESOLVE_IN_ROOT) against the new root, so a symlink
 * in an image can never redirect a mount onto the host. Run only in the shim's children. */
#ifndef PODRUN_MOUNTS_H
#define PODRUN_MOUNTS_H

#include "util.h"

enum pr_target_kind { PR_TARGET_DIR, PR_TARGET_FILE };

/* Opens PATH below ROOTFD (creating it, and its parents, when missing); returns an O_PATH fd. */
int pr_open_in_root (int rootfd, const char *path, enum pr_target_kind kind, mode_t mode, struct pr_error *err);
/* mkdir -p below ROOTFD. */
int pr_mkdir_in_root (int rootfd, const char *path, mode_t mode, struct pr_error *err);

/* An O_PATH fd of SOURCE, or of SUB below it (made, as a folder, when missing; it must stay
 * beneath SOURCE); -1 with ERR set. */
int pr_open_source (const char *source, const char *sub, struct pr_error *err);

/* Bind SOURCE (optionally SUB below it, which must stay beneath SOURCE) onto TARGETFD. */
int pr_bind (const char *source, const char *sub, int targetfd, bool readonly, bool recursive, struct pr_error *err);
/* mount(2) of a filesystem onto TARGETFD. */
int pr_mount_fs (const char *fstype, const char *source, int targetfd, unsigned long flags, const char *data,
                 struct pr_error *err);
int pr_make_readonly (int fd, bool recursive, struct pr_error *err);
/* pivot_root(".", ".") into ROOTFD and detach the old root (runc's and crun's sequence). */
int pr_pivot (int rootfd, struct pr_error *err);

#endif
