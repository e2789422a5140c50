/*
 * blockstore.c — blocks as files named by their multihash (see
 * blockstore.h), and the public ia_blockstore_* calls over them.
 *
 * Why the multihash and not the CID: a CIDv0 and its CIDv1 (and a raw and
 * a dag-pb CID over the same bytes) name the same bytes; the codec only
 * says how to decode them, and the reader has it in its own CID.
 */
#include "store/blockstore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "formats/dagpb.h"
#include "formats/multibase.h"
#include "formats/varint.h"
#include "util/error.h"
#include "util/sha256.h"
#include "util/struct_size.h"

/* Longest key: base32 of a multihash (2 varints + a 64-byte digest). */
#define KEY_MAX 128
/* A block file larger than any block we accept is damage, not a block. */
#define MAX_BLOCK IA_DAGPB_MAX_BLOCK
/* Stages left by an import that died are removed after this long. */
#define STALE_STAGE_SECONDS (24 * 3600)

static const char sharding_text[] = "/repo/flatfs/shard/v1/next-to-last/2\n";

/* ---------------------------------------------------------------- keys */

static void cid_text(const ia_cid *c, char *out, size_t cap) {
    if (!ia_cid_to_string(c, out, cap)) snprintf(out, cap, "(unprintable CID)");
}

/* KEY (see blockstore.h) into out; its length, or 0. */
static size_t key_of(const ia_cid *c, char *out, size_t cap) {
    uint8_t mh[IA_CID_MAX_BYTES];
    size_t n = 0, len;
    if (c->digest_len > IA_CID_MAX_DIGEST) return 0;
    n += ia_varint_put(mh + n, c->hash);
    n += ia_varint_put(mh + n, c->digest_len);
    memcpy(mh + n, c->digest, c->digest_len);
    n += c->digest_len;
    if (!(len = ia_base32_encode(mh, n, out, cap)) || len < 3) return 0;
    for (size_t i = 0; i < len; i++)
        if (out[i] >= 'a' && out[i] <= 'z') out[i] = (char)(out[i] - 'a' + 'A');
    return len;
}

ia_status ia_bs_path(const ia_blockstore *bs, const ia_cid *c, char *out, size_t cap) {
    char key[KEY_MAX];
    size_t len = key_of(c, key, sizeof key);
    int n;
    if (!len) return ia_error(IA_ERR_INVALID_ARG, "block store: a CID without a key");
    n = snprintf(out, cap, "%s/%.2s/%s.data", bs->dir, key + len - 3, key);
    if (n < 0 || (size_t)n >= cap) return ia_error(IA_ERR_INVALID_ARG, "block store: path too long under %s", bs->dir);
    return IA_OK;
}

/* ------------------------------------------------------------ checking */

ia_status ia_bs_verify(const ia_cid *c, const uint8_t *block, size_t n) {
    char text[IA_CID_MAX_TEXT];
    uint8_t d[32];
    ia_sha256 s;
    if (c->hash == IA_MH_IDENTITY) {
        if (n == c->digest_len && (n == 0 || memcmp(block, c->digest, n) == 0)) return IA_OK;
    } else if (c->hash == IA_MH_SHA2_256) {
        ia_sha256_init(&s);
        ia_sha256_update(&s, block, n);
        ia_sha256_final(&s, d);
        if (c->digest_len == 32 && memcmp(d, c->digest, 32) == 0) return IA_OK;
    } else {
        cid_text(c, text, sizeof text);
        return ia_error(IA_ERR_UNSUPPORTED, "%s: hash function 0x%llx cannot be verified here (sha2-256 only): "
                        "refused", text, (unsigned long long)c->hash);
    }
    cid_text(c, text, sizeof text);
    return ia_error(IA_ERR_FORMAT, "%s: the block's %zu bytes do not hash to this CID (tampered or corrupt): refused",
                    text, n);
}

ia_status ia_bs_missing(const ia_blockstore *bs, const ia_cid *c) {
    char text[IA_CID_MAX_TEXT];
    cid_text(c, text, sizeof text);
    return ia_error(IA_ERR_NOT_FOUND, "block %s is not in the block store %s: import a CAR file that holds it "
                    "(ipfs-accelerate car import FILE.car; made by `ipfs dag export` or `ipfs-accelerate car "
                    "export`) or add the files it was made from (ipfs-accelerate add PATH)", text, bs->dir);
}

/* ------------------------------------------------------------ has/get/put */

ia_status ia_bs_has(ia_blockstore *bs, const ia_cid *c, int *has) {
    char path[IA_FS_PATH_MAX];
    struct stat sb;
    ia_status st;
    *has = 0;
    if (c->hash == IA_MH_IDENTITY) {
        *has = 1;
        return IA_OK;
    }
    if ((st = ia_bs_path(bs, c, path, sizeof path)) != IA_OK) return st;
    if (stat(path, &sb) == 0) *has = S_ISREG(sb.st_mode);
    else if (errno != ENOENT && errno != ENOTDIR) return ia_error(IA_ERR_IO, "%s: %s", path, strerror(errno));
    return IA_OK;
}

ia_status ia_bs_get(ia_blockstore *bs, const ia_cid *c, int verify, uint8_t **data, size_t *n) {
    char path[IA_FS_PATH_MAX];
    struct stat sb;
    uint8_t *buf = NULL;
    size_t have = 0;
    int fd;
    ia_status st;
    *data = NULL, *n = 0;
    if (c->hash == IA_MH_IDENTITY) { /* the bytes are the digest */
        if (!(buf = malloc(c->digest_len ? c->digest_len : 1))) return ia_error(IA_ERR_NOMEM, "block");
        memcpy(buf, c->digest, c->digest_len);
        *data = buf, *n = c->digest_len;
        return IA_OK;
    }
    if ((st = ia_bs_path(bs, c, path, sizeof path)) != IA_OK) return st;
    if ((fd = open(path, O_RDONLY)) < 0) {
        if (errno == ENOENT || errno == ENOTDIR) return ia_bs_missing(bs, c);
        return ia_error(IA_ERR_IO, "%s: %s", path, strerror(errno));
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size > MAX_BLOCK) {
        st = ia_error(IA_ERR_FORMAT, "%s: not a block file (over %u bytes or not a file)", path, MAX_BLOCK);
        goto done;
    }
    if (!(buf = malloc(sb.st_size ? (size_t)sb.st_size : 1))) {
        st = ia_error(IA_ERR_NOMEM, "block of %lld bytes", (long long)sb.st_size);
        goto done;
    }
    while (have < (size_t)sb.st_size) {
        ssize_t r = read(fd, buf + have, (size_t)sb.st_size - have);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            st = ia_error(IA_ERR_IO, "%s: read: %s", path, r < 0 ? strerror(errno) : "the file shrank");
            goto done;
        }
        have += (size_t)r;
    }
    if ((verify || bs->verify_on_get) && (st = ia_bs_verify(c, buf, have)) != IA_OK) {
        ia_error_prefix(st, "block store %s", path);
        goto done;
    }
    *data = buf, *n = have;
    buf = NULL;
    st = IA_OK;
done:
    free(buf);
    close(fd);
    return st;
}

/* Writes block to a new file at tmp_dir, fsyncs it when asked and renames
 * it to path (whose directory exists). The temporary file goes on any
 * failure. */
static ia_status write_atomic(const char *tmp_dir, const char *path, const uint8_t *block, size_t n, int sync) {
    char tmp[IA_FS_PATH_MAX];
    int fd = -1;
    ia_status st = ia_fs_temp(tmp_dir, "put-", 0, tmp, sizeof tmp, &fd);
    if (st != IA_OK) return st;
    if ((st = ia_fs_write_all(fd, block, n, tmp)) == IA_OK && sync) st = ia_fs_fsync(fd, tmp);
    if (close(fd) != 0 && st == IA_OK) st = ia_error(IA_ERR_IO, "%s: close: %s", tmp, strerror(errno));
    if (st == IA_OK && rename(tmp, path) != 0) st = ia_error(IA_ERR_IO, "%s: rename: %s", path, strerror(errno));
    if (st != IA_OK) unlink(tmp);
    return st;
}

/* The shard directory of a block path (the path up to its last '/'). */
static ia_status make_parent(const char *path) {
    char dir[IA_FS_PATH_MAX];
    const char *slash = strrchr(path, '/');
    size_t len = slash ? (size_t)(slash - path) : 0;
    if (!len || len >= sizeof dir) return ia_error(IA_ERR_INVALID_ARG, "%s: no directory", path);
    memcpy(dir, path, len);
    dir[len] = '\0';
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) return ia_error(IA_ERR_IO, "%s: mkdir: %s", dir, strerror(errno));
    return IA_OK;
}

ia_status ia_bs_put(ia_blockstore *bs, const ia_cid *c, const uint8_t *block, size_t n) {
    char path[IA_FS_PATH_MAX], tmp_dir[IA_FS_PATH_MAX];
    struct stat sb;
    ia_status st;
    if (n > MAX_BLOCK) {
        char text[IA_CID_MAX_TEXT];
        cid_text(c, text, sizeof text);
        return ia_error(IA_ERR_INVALID_ARG, "%s: a block of %zu bytes (at most %u)", text, n, MAX_BLOCK);
    }
    if ((st = ia_bs_verify(c, block, n)) != IA_OK) return st;
    if (c->hash == IA_MH_IDENTITY) return IA_OK; /* nothing to keep */
    if ((st = ia_bs_path(bs, c, path, sizeof path)) != IA_OK) return st;
    /* a file of the right size was written whole (writes are atomic);
     * one of another size is damage, replaced */
    if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && (uint64_t)sb.st_size == n) return IA_OK;
    if ((st = make_parent(path)) != IA_OK) return st;
    if (IA_FS_TRUNCATED(tmp_dir, "%s/.tmp", bs->dir)) return ia_error(IA_ERR_INVALID_ARG, "block store: path too long");
    return write_atomic(tmp_dir, path, block, n, bs->fsync);
}

/* ------------------------------------------------------------- staging */

/* Removes stages older than STALE_STAGE_SECONDS (an import that died). */
static void remove_stale_stages(const char *stage_root) {
    char path[IA_FS_PATH_MAX];
    DIR *d = opendir(stage_root);
    struct dirent *de;
    struct stat sb;
    time_t now = time(NULL);
    if (!d) return;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.') continue;
        if (IA_FS_TRUNCATED(path, "%s/%s", stage_root, de->d_name)) continue;
        if (lstat(path, &sb) == 0 && now - sb.st_mtime > STALE_STAGE_SECONDS) ia_fs_remove_tree(path);
    }
    closedir(d);
    ia_error_clear();
}

ia_status ia_bs_stage_begin(ia_blockstore *bs, ia_bs_stage *s) {
    char root[IA_FS_PATH_MAX];
    ia_status st;
    memset(s, 0, sizeof *s);
    if (IA_FS_TRUNCATED(root, "%s/.staging", bs->dir)) return ia_error(IA_ERR_INVALID_ARG, "block store: path too long");
    if ((st = ia_fs_mkdirs(root)) != IA_OK) return st;
    remove_stale_stages(root);
    if ((st = ia_fs_temp(root, "car-", 1, s->dir, sizeof s->dir, NULL)) != IA_OK) return st;
    s->bs = bs;
    return IA_OK;
}

ia_status ia_bs_stage_put(ia_bs_stage *s, const ia_cid *c, const uint8_t *block, size_t n, int *is_new) {
    char key[KEY_MAX], path[IA_FS_PATH_MAX];
    int has = 0, fd;
    ia_status st;
    *is_new = 0;
    if ((st = ia_bs_verify(c, block, n)) != IA_OK) return st;
    if (c->hash == IA_MH_IDENTITY) return IA_OK;
    if ((st = ia_bs_has(s->bs, c, &has)) != IA_OK || has) return st;
    if (!key_of(c, key, sizeof key)) return ia_error(IA_ERR_INVALID_ARG, "block store: a CID without a key");
    if (IA_FS_TRUNCATED(path, "%s/%s.data", s->dir, key)) return ia_error(IA_ERR_INVALID_ARG, "%s: path too long", s->dir);
    if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644)) < 0) {
        if (errno == EEXIST) return IA_OK; /* the CAR holds it twice */
        return ia_error(IA_ERR_IO, "%s: %s", path, strerror(errno));
    }
    st = ia_fs_write_all(fd, block, n, path);
    /* with syncfs, the commit makes the whole stage durable in one call */
    if (st == IA_OK && s->bs->fsync && !IA_FS_HAVE_SYNCFS) st = ia_fs_fsync(fd, path);
    if (close(fd) != 0 && st == IA_OK) st = ia_error(IA_ERR_IO, "%s: close: %s", path, strerror(errno));
    if (st != IA_OK) {
        unlink(path);
        return st;
    }
    s->staged++;
    *is_new = 1;
    return IA_OK;
}

/* base32's alphabet position of an upper-case key character (0..31). */
static int b32_index(char ch) { return ch >= 'A' && ch <= 'Z' ? ch - 'A' : ch >= '2' && ch <= '7' ? ch - '2' + 26 : 0; }

ia_status ia_bs_stage_commit(ia_bs_stage *s) {
    static const size_t suffix = 5; /* ".data" */
    char from[IA_FS_PATH_MAX], to[IA_FS_PATH_MAX];
    uint8_t touched[32 * 32] = {0};
    DIR *d;
    struct dirent *de;
    int synced = 0;
    ia_status st = IA_OK;
    /* the staged bytes durable before any name points at them */
    if (s->bs->fsync && (st = ia_fs_syncfs(s->dir, &synced)) != IA_OK) return st;
    if (!(d = opendir(s->dir))) return ia_error(IA_ERR_IO, "%s: %s", s->dir, strerror(errno));
    while (st == IA_OK && (de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (de->d_name[0] == '.' || len < suffix + 3 || len - suffix >= KEY_MAX) continue;
        if (IA_FS_TRUNCATED(from, "%s/%s", s->dir, de->d_name) ||
            IA_FS_TRUNCATED(to, "%s/%.2s/%s", s->bs->dir, de->d_name + len - suffix - 3, de->d_name)) {
            st = ia_error(IA_ERR_INVALID_ARG, "%s: path too long", s->dir);
            break;
        }
        if ((st = make_parent(to)) != IA_OK) break;
        if (rename(from, to) != 0) st = ia_error(IA_ERR_IO, "%s: rename: %s", to, strerror(errno));
        touched[b32_index(de->d_name[len - suffix - 3]) * 32 + b32_index(de->d_name[len - suffix - 2])] = 1;
    }
    closedir(d);
    /* the renames are durable once their directories are synced */
    if (st == IA_OK && synced) st = ia_fs_syncfs(s->bs->dir, &synced);
    for (int i = 0; st == IA_OK && s->bs->fsync && !synced && i < 32 * 32; i++) {
        static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        if (!touched[i]) continue;
        snprintf(to, sizeof to, "%s/%c%c", s->bs->dir, b32[i / 32], b32[i % 32]);
        st = ia_fs_fsync_dir(to);
    }
    if (st != IA_OK) return st;
    ia_bs_stage_abort(s); /* the stage is empty now: removes it */
    return IA_OK;
}

void ia_bs_stage_abort(ia_bs_stage *s) {
    char msg[1024];
    if (!s || !s->dir[0]) return;
    /* keep the caller's error: removal is best effort */
    snprintf(msg, sizeof msg, "%s", ia_last_error());
    ia_fs_remove_tree(s->dir);
    (void)ia_error(IA_OK, "%s", msg);
    s->dir[0] = '\0';
}

/* -------------------------------------------------------------- public */

void ia_blockstore_options_init(ia_blockstore_options *o, size_t struct_size) {
    ia_blockstore_options d;
    memset(&d, 0, sizeof d);
    d.struct_size = sizeof d;
    d.verify_on_get = 1;
    d.fsync = 1;
    ia_struct_export(o, struct_size, &d, sizeof d);
}

ia_status ia_blockstore_default_dir(char *buf, size_t cap) {
    const char *env = getenv("IA_BLOCK_DIR"), *models = getenv("IA_MODEL_DIR"), *home = getenv("HOME");
    int n;
    if (!buf || cap == 0) return ia_error(IA_ERR_INVALID_ARG, "block store: no room for the path");
    if (env && *env) {
        n = snprintf(buf, cap, "%s", env);
    } else if (models && *models) {
        /* beside the model cache: its parent's "blocks" */
        char m[IA_FS_PATH_MAX];
        size_t len = strlen(models);
        const char *slash;
        if (len >= sizeof m) return ia_error(IA_ERR_INVALID_ARG, "$IA_MODEL_DIR is too long");
        memcpy(m, models, len + 1);
        while (len > 1 && m[len - 1] == '/') m[--len] = '\0';
        slash = strrchr(m, '/');
        if (!slash) n = snprintf(buf, cap, "blocks");              /* "models" → ./blocks */
        else if (slash == m) n = snprintf(buf, cap, "/blocks");    /* "/models" → /blocks */
        else n = snprintf(buf, cap, "%.*s/blocks", (int)(slash - m), m);
    } else if (home && *home) {
        n = snprintf(buf, cap, "%s/.cache/ipfs_accelerate/blocks", home);
    } else {
        return ia_error(IA_ERR_NOT_FOUND, "block store: no $IA_BLOCK_DIR, $IA_MODEL_DIR or $HOME to put it under");
    }
    if (n < 0 || (size_t)n >= cap) return ia_error(IA_ERR_INVALID_ARG, "block store: path too long");
    return IA_OK;
}

ia_status ia_blockstore_open(const ia_blockstore_options *opt, ia_blockstore **out) {
    ia_blockstore_options o;
    ia_blockstore *bs = NULL;
    char dir[IA_FS_PATH_MAX], sub[IA_FS_PATH_MAX];
    int fd;
    ia_status st;
    if (!out) return ia_error(IA_ERR_INVALID_ARG, "ia_blockstore_open: out is NULL");
    *out = NULL;
    IA_BLOCKSTORE_OPTIONS_INIT(&o);
    if (opt && (st = ia_struct_import(&o, sizeof o, opt, "IA_BLOCKSTORE_OPTIONS_INIT")) != IA_OK) return st;
    if (o.dir && *o.dir) {
        if (strlen(o.dir) >= sizeof dir - 200) return ia_error(IA_ERR_INVALID_ARG, "block store: path too long");
        snprintf(dir, sizeof dir, "%s", o.dir);
    } else if ((st = ia_blockstore_default_dir(dir, sizeof dir - 200)) != IA_OK) {
        return st;
    }
    if ((st = ia_fs_mkdirs(dir)) != IA_OK) return ia_error_prefix(st, "block store");
    if (IA_FS_TRUNCATED(sub, "%s/.tmp", dir)) return ia_error(IA_ERR_INVALID_ARG, "block store: path too long");
    if ((st = ia_fs_mkdirs(sub)) != IA_OK) return ia_error_prefix(st, "block store");
    if (IA_FS_TRUNCATED(sub, "%s/SHARDING", dir)) return ia_error(IA_ERR_INVALID_ARG, "block store: path too long");
    if ((fd = open(sub, O_WRONLY | O_CREAT | O_EXCL, 0644)) >= 0) {
        st = ia_fs_write_all(fd, sharding_text, sizeof sharding_text - 1, sub);
        close(fd);
        if (st != IA_OK) return st;
    }
    if (!(bs = calloc(1, sizeof *bs)) || !(bs->dir = strdup(dir))) {
        free(bs);
        return ia_error(IA_ERR_NOMEM, "block store");
    }
    bs->verify_on_get = o.verify_on_get != 0;
    bs->fsync = o.fsync != 0;
    *out = bs;
    return IA_OK;
}

void ia_blockstore_close(ia_blockstore *bs) {
    if (!bs) return;
    free(bs->dir);
    free(bs);
}

const char *ia_blockstore_dir(const ia_blockstore *bs) { return bs ? bs->dir : ""; }

static ia_status parse(ia_blockstore *bs, const char *cid, ia_cid *c) {
    if (!bs || !cid) return ia_error(IA_ERR_INVALID_ARG, "block store: no store or no CID");
    return ia_cid_parse(cid, c);
}

ia_status ia_blockstore_has(ia_blockstore *bs, const char *cid, int *has) {
    ia_cid c;
    ia_status st;
    if (!has) return ia_error(IA_ERR_INVALID_ARG, "ia_blockstore_has: has is NULL");
    *has = 0;
    if ((st = parse(bs, cid, &c)) != IA_OK) return st;
    return ia_bs_has(bs, &c, has);
}

ia_status ia_blockstore_get(ia_blockstore *bs, const char *cid, uint8_t **data, size_t *n) {
    ia_cid c;
    ia_status st;
    if (!data || !n) return ia_error(IA_ERR_INVALID_ARG, "ia_blockstore_get: data or n is NULL");
    *data = NULL, *n = 0;
    if ((st = parse(bs, cid, &c)) != IA_OK) return st;
    return ia_bs_get(bs, &c, 0, data, n);
}

ia_status ia_blockstore_put(ia_blockstore *bs, const char *cid, const void *data, size_t n) {
    ia_cid c;
    ia_status st;
    if (!data && n) return ia_error(IA_ERR_INVALID_ARG, "ia_blockstore_put: no data");
    if ((st = parse(bs, cid, &c)) != IA_OK) return st;
    return ia_bs_put(bs, &c, data ? data : (const void *)"", n);
}

ia_status ia_blockstore_put_block(void *ctx, const uint8_t *cid, size_t cid_len, const uint8_t *block, size_t n) {
    ia_blockstore *bs = ctx;
    ia_cid c;
    ia_status st;
    if (!bs) return ia_error(IA_ERR_INVALID_ARG, "ia_blockstore_put_block: block_ctx is not a store");
    if ((st = ia_cid_from_bytes(cid, cid_len, &c)) != IA_OK) return st;
    return ia_bs_put(bs, &c, block ? block : (const uint8_t *)"", n);
}
