/*
 * test_blockstore.c — the block store (put/get/has, every block hashed,
 * v0 and v1 one file, atomic writes), reading DAGs back (add → get is the
 * identity, cat), CAR export/import round trips, and hostile DAGs and
 * CARs: tampered and truncated files leave nothing, duplicate-link and
 * entry bombs hit their limits before writing, bad names, duplicate names,
 * misfiled HAMT entries and cycles are refused.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/cid.h"
#include "formats/dagpb.h"
#include "formats/protobuf.h"
#include "formats/unixfs_pb.h"
#include "harness.h"
#include "ipfs_accelerate.h"
#include "store/blockstore.h"
#include "store/dag_read.h"
#include "store/fsutil.h"
#include "store/hamt.h"

static char *make_tmp(void) {
    char *d = malloc(256);
    snprintf(d, 256, "/tmp/ia_bs_XXXXXX");
    if (!mkdtemp(d)) {
        free(d);
        return NULL;
    }
    return d;
}

static ia_blockstore *open_at(const char *root, const char *sub) {
    char dir[512];
    ia_blockstore_options o;
    ia_blockstore *bs = NULL;
    snprintf(dir, sizeof dir, "%s/%s", root, sub);
    IA_BLOCKSTORE_OPTIONS_INIT(&o);
    o.dir = dir;
    o.fsync = 0; /* scratch stores: the atomic rename is what is tested */
    if (ia_blockstore_open(&o, &bs) != IA_OK) return NULL;
    return bs;
}

/* Files under dir whose name ends in ".data" (recursively), and entries of
 * any kind (to find leftovers). */
static int count_files(const char *dir, const char *suffix) {
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;
    if (!d) return 0;
    while ((de = readdir(d)) != NULL) {
        char p[1024];
        struct stat sb;
        size_t len = strlen(de->d_name);
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        if (lstat(p, &sb) != 0) continue;
        if (S_ISDIR(sb.st_mode)) n += count_files(p, suffix);
        else if (!suffix || (len >= strlen(suffix) && strcmp(de->d_name + len - strlen(suffix), suffix) == 0)) n++;
    }
    closedir(d);
    return n;
}

static int entries_in(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;
    if (!d) return -1;
    while ((de = readdir(d)) != NULL) n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
    closedir(d);
    return n;
}

/* Entries whose names do not start with '.' (what add takes by default). */
static int visible_entries(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;
    if (!d) return -1;
    while ((de = readdir(d)) != NULL) n += de->d_name[0] != '.';
    closedir(d);
    return n;
}

static void write_file(const char *path, const void *p, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return;
    fwrite(p, 1, n, f);
    fclose(f);
}

static uint8_t *pat(size_t n, unsigned seed) {
    uint8_t *b = malloc(n ? n : 1);
    for (size_t i = 0; b && i < n; i++) b[i] = (uint8_t)(i * 7 + (i >> 9) + seed);
    return b;
}

/* 1 when trees a and b hold the same names, bytes and symlink targets
 * (hidden names, which add skips, left out). */
static int same_tree(const char *a, const char *b) {
    struct stat sa, sb;
    if (lstat(a, &sa) != 0 || lstat(b, &sb) != 0) return 0;
    if ((sa.st_mode & S_IFMT) != (sb.st_mode & S_IFMT)) return 0;
    if (S_ISLNK(sa.st_mode)) {
        char ta[512], tb[512];
        ssize_t na = readlink(a, ta, sizeof ta), nb = readlink(b, tb, sizeof tb);
        return na == nb && na >= 0 && memcmp(ta, tb, (size_t)na) == 0;
    }
    if (S_ISREG(sa.st_mode)) {
        size_t na, nb;
        char *da = ia_test_read_file(a, &na), *db = ia_test_read_file(b, &nb);
        int same = da && db && na == nb && memcmp(da, db, na) == 0;
        free(da);
        free(db);
        return same;
    }
    {
        DIR *d = opendir(a);
        struct dirent *de;
        int same = visible_entries(a) == visible_entries(b);
        while (same && d && (de = readdir(d)) != NULL) {
            char pa[1024], pb[1024];
            if (de->d_name[0] == '.') continue;
            snprintf(pa, sizeof pa, "%s/%s", a, de->d_name);
            snprintf(pb, sizeof pb, "%s/%s", b, de->d_name);
            same = same_tree(pa, pb);
        }
        if (d) closedir(d);
        return same;
    }
}

/* ------------------------------------------------------------- put/get */

IA_TEST(blockstore_put_get_has) {
    char *tmp = make_tmp(), v0[IA_CID_TEXT_MAX], v1[IA_CID_TEXT_MAX], path[600];
    static const uint8_t dir_block[] = {0x0a, 0x02, 0x08, 0x01}; /* the empty UnixFS directory */
    ia_blockstore *bs;
    ia_cid c;
    uint8_t *data = NULL;
    size_t n = 0;
    int has = -1;
    REQUIRE(tmp && (bs = open_at(tmp, "blocks")));
    /* QmUNLL... is the empty directory; its CIDv1 names the same block */
    snprintf(v0, sizeof v0, "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn");
    CHECK_STATUS(ia_cid_parse(v0, &c), IA_OK);
    c.version = 1;
    ia_cid_to_string(&c, v1, sizeof v1);
    CHECK_STATUS(ia_blockstore_has(bs, v0, &has), IA_OK);
    CHECK(has == 0);
    CHECK_STATUS(ia_blockstore_get(bs, v0, &data, &n), IA_ERR_NOT_FOUND);
    CHECK(strstr(ia_last_error(), v0) && strstr(ia_last_error(), "car import"));
    CHECK_STATUS(ia_blockstore_put(bs, v0, dir_block, sizeof dir_block), IA_OK);
    CHECK_STATUS(ia_blockstore_has(bs, v1, &has), IA_OK);
    CHECK(has == 1);
    CHECK_STATUS(ia_blockstore_get(bs, v1, &data, &n), IA_OK);
    CHECK(n == sizeof dir_block && data && memcmp(data, dir_block, n) == 0);
    ia_free(data);
    CHECK_STATUS(ia_blockstore_put(bs, v1, dir_block, sizeof dir_block), IA_OK); /* again: fine */
    CHECK(count_files(ia_blockstore_dir(bs), ".data") == 1);                    /* one file for v0 and v1 */
    /* kubo flatfs's name: base32 of the multihash, next-to-last/2 */
    snprintf(path, sizeof path, "%s/blocks/X3/CIQFTFEEHEDF6KLBT32BFAGLXEZL4UWFNWM4LFTLMXQBCERZ6CMLX3Y.data", tmp);
    CHECK_MSG(access(path, F_OK) == 0, "%s", path);
    /* a block whose bytes do not hash to the CID: refused, naming it */
    CHECK_STATUS(ia_blockstore_put(bs, "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e", "hello", 5),
                 IA_ERR_FORMAT);
    CHECK(strstr(ia_last_error(), "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e") != NULL);
    CHECK_STATUS(ia_blockstore_put(bs, "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e", "hello world",
                                   11), IA_OK);
    CHECK(count_files(ia_blockstore_dir(bs), ".data") == 2);
    CHECK(entries_in(tmp) == 1 && count_files(ia_blockstore_dir(bs), NULL) == 3); /* 2 blocks + SHARDING */
    /* changed on disk: verify_on_get refuses it */
    write_file(path, "\x0a\x02\x08\x02", 4);
    CHECK_STATUS(ia_blockstore_get(bs, v0, &data, &n), IA_ERR_FORMAT);
    CHECK(strstr(ia_last_error(), v0) != NULL);
    /* a put of the right bytes repairs a file of another size only; this
     * one has the same size, so it stays until removed */
    unlink(path);
    CHECK_STATUS(ia_blockstore_put(bs, v0, dir_block, sizeof dir_block), IA_OK);
    CHECK_STATUS(ia_blockstore_get(bs, v0, &data, &n), IA_OK);
    ia_free(data);
    /* identity CIDs need no store; other hashes are not trusted */
    CHECK_STATUS(ia_blockstore_has(bs, "bafkqaaa", &has), IA_OK);
    CHECK(has == 1);
    CHECK_STATUS(ia_cid_parse("bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e", &c), IA_OK);
    c.hash = 0x13; /* sha2-512 code with a 32-byte digest: cannot be verified here */
    CHECK_STATUS(ia_bs_put(bs, &c, (const uint8_t *)"x", 1), IA_ERR_UNSUPPORTED);
    CHECK(ia_blockstore_put(bs, "not-a-cid", "x", 1) != IA_OK);
    ia_blockstore_close(bs);
    ia_blockstore_close(NULL);
    ia_fs_remove_tree(tmp);
    free(tmp);
}

IA_TEST(blockstore_default_dir) {
    char buf[512], *old_b = getenv("IA_BLOCK_DIR"), *old_m = getenv("IA_MODEL_DIR");
    char sb[512] = "", sm[512] = "";
    if (old_b) snprintf(sb, sizeof sb, "%s", old_b);
    if (old_m) snprintf(sm, sizeof sm, "%s", old_m);
    setenv("IA_BLOCK_DIR", "/x/my-blocks", 1);
    CHECK_STATUS(ia_blockstore_default_dir(buf, sizeof buf), IA_OK);
    CHECK(strcmp(buf, "/x/my-blocks") == 0);
    unsetenv("IA_BLOCK_DIR");
    setenv("IA_MODEL_DIR", "/data/cache/models/", 1);
    CHECK_STATUS(ia_blockstore_default_dir(buf, sizeof buf), IA_OK);
    CHECK(strcmp(buf, "/data/cache/blocks") == 0);
    setenv("IA_MODEL_DIR", "/models", 1);
    CHECK_STATUS(ia_blockstore_default_dir(buf, sizeof buf), IA_OK);
    CHECK(strcmp(buf, "/blocks") == 0);
    unsetenv("IA_MODEL_DIR");
    if (getenv("HOME")) {
        char want[512];
        snprintf(want, sizeof want, "%s/.cache/ipfs_accelerate/blocks", getenv("HOME"));
        CHECK_STATUS(ia_blockstore_default_dir(buf, sizeof buf), IA_OK);
        CHECK(strcmp(buf, want) == 0);
    }
    if (old_b) setenv("IA_BLOCK_DIR", sb, 1);
    if (old_m) setenv("IA_MODEL_DIR", sm, 1);
}

/* ---------------------------------------------------------- add → get */

/* tree/{big (3 levels at 1000-byte chunks, 3 links), small, empty, l -> small,
 * e/ (empty), h/ (40 files: a HAMT at a 200-byte threshold), d/x} */
static void make_tree(const char *root) {
    char p[512];
    uint8_t *big = pat(20000, 1);
    snprintf(p, sizeof p, "%s/tree", root), mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/tree/big", root), write_file(p, big, 20000);
    snprintf(p, sizeof p, "%s/tree/small", root), write_file(p, "small\n", 6);
    snprintf(p, sizeof p, "%s/tree/empty", root), write_file(p, "", 0);
    snprintf(p, sizeof p, "%s/tree/l", root), symlink("small", p);
    snprintf(p, sizeof p, "%s/tree/e", root), mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/tree/d", root), mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/tree/d/x", root), write_file(p, big, 999);
    snprintf(p, sizeof p, "%s/tree/h", root), mkdir(p, 0755);
    for (int i = 0; i < 40; i++) {
        char q[600];
        snprintf(q, sizeof q, "%s/file-%02d", p, i);
        write_file(q, big + i, (size_t)i * 37);
    }
    free(big);
}

static ia_status add_into(ia_blockstore *bs, const char *path, int v1, char *cid) {
    ia_unixfs_options o;
    IA_UNIXFS_OPTIONS_INIT(&o);
    o.cid_version = v1;
    o.chunk_size = 1000;
    o.max_links = 3;
    o.hamt_threshold = 200;
    o.on_block = ia_blockstore_put_block, o.block_ctx = bs;
    return ia_unixfs_add_path(path, &o, cid, IA_CID_TEXT_MAX);
}

typedef struct {
    uint8_t *p;
    size_t n, cap;
} membuf;

static ia_status to_mem(void *ctx, const void *p, size_t n) {
    membuf *m = ctx;
    if (m->n + n > m->cap) {
        size_t cap = (m->n + n) * 2;
        uint8_t *np = realloc(m->p, cap);
        if (!np) return IA_ERR_NOMEM;
        m->p = np, m->cap = cap;
    }
    memcpy(m->p + m->n, p, n);
    m->n += n;
    return IA_OK;
}

IA_TEST(blockstore_add_then_get_is_identity) {
    char *tmp = make_tmp(), src[512], out[512], cid[IA_CID_TEXT_MAX], fcid[IA_CID_TEXT_MAX];
    ia_blockstore *bs;
    REQUIRE(tmp && (bs = open_at(tmp, "blocks")));
    make_tree(tmp);
    snprintf(src, sizeof src, "%s/tree", tmp);
    for (int v = 0; v < 2; v++) {
        membuf m = {0};
        size_t n;
        char *want;
        CHECK_STATUS(add_into(bs, src, v, cid), IA_OK);
        snprintf(out, sizeof out, "%s/out%d/sub/tree", tmp, v); /* parents are made */
        CHECK_STATUS(ia_unixfs_get(bs, cid, out, NULL), IA_OK);
        CHECK_MSG(same_tree(src, out), "v%d: %s differs from %s", v, out, src);
        snprintf(out, sizeof out, "%s/out%d/sub", tmp, v);
        CHECK(entries_in(out) == 1); /* no temporary name left beside it */
        /* get again: the destination exists */
        snprintf(out, sizeof out, "%s/out%d/sub/tree", tmp, v);
        CHECK_STATUS(ia_unixfs_get(bs, cid, out, NULL), IA_ERR_INVALID_ARG);
        /* cat of the 3-level file */
        snprintf(out, sizeof out, "%s/tree/big", tmp);
        CHECK_STATUS(add_into(bs, out, v, fcid), IA_OK);
        CHECK_STATUS(ia_unixfs_cat(bs, fcid, NULL, to_mem, &m), IA_OK);
        want = ia_test_read_file(out, &n);
        CHECK(want && m.n == n && memcmp(m.p, want, n) == 0);
        free(want);
        free(m.p);
        memset(&m, 0, sizeof m);
        /* a single file got */
        snprintf(out, sizeof out, "%s/big%d", tmp, v);
        CHECK_STATUS(ia_unixfs_get(bs, fcid, out, NULL), IA_OK);
        snprintf(src, sizeof src, "%s/tree/big", tmp);
        CHECK(same_tree(src, out));
        snprintf(src, sizeof src, "%s/tree", tmp);
        /* cat of a directory is refused */
        CHECK_STATUS(ia_unixfs_cat(bs, cid, NULL, to_mem, &m), IA_ERR_INVALID_ARG);
        free(m.p);
    }
    ia_blockstore_close(bs);
    ia_fs_remove_tree(tmp);
    free(tmp);
}

IA_TEST(blockstore_get_missing_block_leaves_nothing) {
    char *tmp = make_tmp(), src[512], out[512], cid[IA_CID_TEXT_MAX], bigcid[IA_CID_TEXT_MAX], path[1024];
    ia_blockstore *bs;
    ia_cid c;
    REQUIRE(tmp && (bs = open_at(tmp, "blocks")));
    make_tree(tmp);
    snprintf(src, sizeof src, "%s/tree", tmp);
    CHECK_STATUS(add_into(bs, src, 1, cid), IA_OK);
    /* remove one leaf of the big file: the 3rd chunk */
    {
        uint8_t *big = pat(20000, 1);
        ia_cid_of_block(1, IA_CODEC_RAW, big + 2000, 1000, &c);
        free(big);
    }
    ia_cid_to_string(&c, bigcid, sizeof bigcid);
    REQUIRE(ia_bs_path(bs, &c, path, sizeof path) == IA_OK);
    CHECK(unlink(path) == 0);
    snprintf(out, sizeof out, "%s/out", tmp);
    mkdir(out, 0755);
    snprintf(out, sizeof out, "%s/out/tree", tmp);
    CHECK_STATUS(ia_unixfs_get(bs, cid, out, NULL), IA_ERR_NOT_FOUND);
    CHECK_MSG(strstr(ia_last_error(), bigcid) != NULL, "%s", ia_last_error());
    snprintf(out, sizeof out, "%s/out", tmp);
    CHECK(entries_in(out) == 0); /* nothing half-written */
    ia_blockstore_close(bs);
    ia_fs_remove_tree(tmp);
    free(tmp);
}

/* -------------------------------------------------------------- CAR */

static ia_status to_fd(void *ctx, const void *p, size_t n) { return ia_fs_write_all(*(int *)ctx, p, n, "car"); }

static int export_to(ia_blockstore *bs, const char *cid, const char *path) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ia_status st;
    if (fd < 0) return 0;
    st = ia_car_export(bs, cid, to_fd, &fd);
    close(fd);
    return st == IA_OK;
}

IA_TEST(car_export_import_round_trip_and_tampering) {
    char *tmp = make_tmp(), src[512], car[512], bad[512], out[512], cid[IA_CID_TEXT_MAX];
    ia_blockstore *a, *b, *c;
    ia_car_import_result r;
    size_t n;
    uint8_t *bytes;
    int blocks_a;
    REQUIRE(tmp && (a = open_at(tmp, "a")) && (b = open_at(tmp, "b")) && (c = open_at(tmp, "c")));
    make_tree(tmp);
    snprintf(src, sizeof src, "%s/tree", tmp);
    CHECK_STATUS(add_into(a, src, 0, cid), IA_OK);
    blocks_a = count_files(ia_blockstore_dir(a), ".data");
    snprintf(car, sizeof car, "%s/t.car", tmp);
    REQUIRE(export_to(a, cid, car));
    IA_CAR_IMPORT_RESULT_INIT(&r);
    CHECK_STATUS(ia_car_import(b, car, &r), IA_OK);
    CHECK(r.roots && strncmp(r.roots, cid, strlen(cid)) == 0 && r.roots[strlen(cid)] == '\n');
    CHECK(r.new_blocks == (uint64_t)blocks_a && r.blocks >= r.new_blocks);
    ia_free(r.roots);
    CHECK(count_files(ia_blockstore_dir(b), ".data") == blocks_a);
    CHECK(count_files(ia_blockstore_dir(b), NULL) == blocks_a + 1); /* + SHARDING: no stage left */
    snprintf(out, sizeof out, "%s/out", tmp);
    CHECK_STATUS(ia_unixfs_get(b, cid, out, NULL), IA_OK);
    CHECK(same_tree(src, out));
    /* again: every block is there already */
    IA_CAR_IMPORT_RESULT_INIT(&r);
    CHECK_STATUS(ia_car_import(b, car, &r), IA_OK);
    CHECK(r.new_blocks == 0);
    ia_free(r.roots);
    /* the export of the imported store is the same file */
    snprintf(bad, sizeof bad, "%s/t2.car", tmp);
    REQUIRE(export_to(b, cid, bad));
    {
        size_t n2;
        char *x = ia_test_read_file(car, &n), *y = ia_test_read_file(bad, &n2);
        CHECK(x && y && n == n2 && memcmp(x, y, n) == 0);
        free(x);
        free(y);
    }
    /* tampered: one byte of the last block flipped → refused, naming a
     * CID and offset; nothing of it is kept */
    bytes = (uint8_t *)ia_test_read_file(car, &n);
    REQUIRE(bytes);
    bytes[n - 1] ^= 1;
    write_file(bad, bytes, n);
    CHECK_STATUS(ia_car_import(c, bad, NULL), IA_ERR_FORMAT);
    CHECK(strstr(ia_last_error(), "do not hash") && strstr(ia_last_error(), "at byte"));
    CHECK(count_files(ia_blockstore_dir(c), NULL) == 1); /* SHARDING only: nothing staged, nothing kept */
    bytes[n - 1] ^= 1;
    /* truncated anywhere in the last section */
    for (size_t cut = n - 30; cut < n; cut += 7) {
        write_file(bad, bytes, cut);
        CHECK_STATUS(ia_car_import(c, bad, NULL), IA_ERR_FORMAT);
        CHECK(strstr(ia_last_error(), "truncated") != NULL);
    }
    CHECK(count_files(ia_blockstore_dir(c), NULL) == 1);
    /* a huge section length after the valid sections */
    write_file(bad, bytes, n);
    {
        FILE *f = fopen(bad, "ab");
        fwrite("\xff\xff\xff\xff\x0f", 1, 5, f);
        fclose(f);
    }
    CHECK_STATUS(ia_car_import(c, bad, NULL), IA_ERR_FORMAT);
    CHECK(count_files(ia_blockstore_dir(c), NULL) == 1);
    CHECK_STATUS(ia_car_import(c, "/nonexistent/x.car", NULL), IA_ERR_NOT_FOUND);
    free(bytes);
    /* an export of a DAG with a missing block fails naming it */
    {
        membuf m = {0};
        CHECK_STATUS(ia_car_export(c, cid, to_mem, &m), IA_ERR_NOT_FOUND);
        free(m.p);
    }
    ia_blockstore_close(a);
    ia_blockstore_close(b);
    ia_blockstore_close(c);
    ia_fs_remove_tree(tmp);
    free(tmp);
}

/* ------------------------------------------------------ hostile DAGs */

/* Puts a dag-pb node (links + UnixFS data) into bs; its CIDv1 text. */
static ia_status put_node(ia_blockstore *bs, const ia_dagpb_link *links, size_t n_links, const ia_unixfs_data *u,
                          ia_cid *out) {
    size_t dlen = ia_unixfs_size(u), size;
    uint8_t *data = malloc(dlen), *block;
    ia_status st;
    ia_unixfs_encode(u, data);
    size = ia_dagpb_size(links, n_links, dlen, 1);
    block = malloc(size);
    ia_dagpb_encode(links, n_links, data, dlen, 1, block);
    if ((st = ia_cid_of_block(1, IA_CODEC_DAG_PB, block, size, out)) == IA_OK) st = ia_bs_put(bs, out, block, size);
    free(data);
    free(block);
    return st;
}

/* A file node linking `count` times to child (blocksize each). */
static ia_status put_fanout_file(ia_blockstore *bs, const ia_cid *child, uint64_t blocksize, size_t count, ia_cid *out) {
    uint8_t cb[IA_CID_MAX_BYTES];
    size_t cl = ia_cid_to_bytes(child, cb, sizeof cb);
    ia_dagpb_link *l = calloc(count, sizeof *l);
    uint64_t *bs_ = malloc(count * sizeof *bs_);
    ia_unixfs_data u;
    ia_status st;
    for (size_t i = 0; i < count; i++) {
        l[i].hash = cb, l[i].hash_len = cl, l[i].has_name = 1, l[i].name = (const uint8_t *)"";
        l[i].has_tsize = 1, l[i].tsize = blocksize;
        bs_[i] = blocksize;
    }
    memset(&u, 0, sizeof u);
    u.type = IA_UNIXFS_FILE, u.has_filesize = 1, u.filesize = blocksize * count;
    u.blocksizes = bs_, u.n_blocksizes = count;
    st = put_node(bs, l, count, &u, out);
    free(l);
    free(bs_);
    return st;
}

/* A basic directory of names[i] -> cids[i]. */
static ia_status put_dir(ia_blockstore *bs, const char *const *names, const ia_cid *cids, size_t n, ia_cid *out) {
    uint8_t cb[64][IA_CID_MAX_BYTES];
    ia_dagpb_link l[64];
    ia_unixfs_data u;
    memset(l, 0, sizeof l);
    for (size_t i = 0; i < n; i++) {
        l[i].hash = cb[i], l[i].hash_len = ia_cid_to_bytes(&cids[i], cb[i], sizeof cb[i]);
        l[i].name = (const uint8_t *)names[i], l[i].name_len = strlen(names[i]), l[i].has_name = 1;
    }
    memset(&u, 0, sizeof u);
    u.type = IA_UNIXFS_DIRECTORY;
    return put_node(bs, l, n, &u, out);
}

static ia_status get_cid(ia_blockstore *bs, const ia_cid *c, const char *dest, const ia_unixfs_get_options *o) {
    char text[IA_CID_TEXT_MAX];
    ia_cid_to_string(c, text, sizeof text);
    return ia_unixfs_get(bs, text, dest, o);
}

IA_TEST(dag_duplicate_link_bomb_hits_the_byte_limit_first) {
    char *tmp = make_tmp(), out[512], text[IA_CID_TEXT_MAX];
    ia_blockstore *bs;
    ia_cid leaf, n1, n2, n3;
    uint8_t *chunk = pat(1000, 3);
    ia_unixfs_get_options o;
    membuf m = {0};
    REQUIRE(tmp && (bs = open_at(tmp, "blocks")));
    /* 1000 B leaf; n1 = 1000 x leaf (1 MB); n2 = 1000 x n1 (1 GB); n3 = 1000 x n2 (1 TB): a 100 KB DAG */
    CHECK_STATUS(ia_cid_of_block(1, IA_CODEC_RAW, chunk, 1000, &leaf), IA_OK);
    CHECK_STATUS(ia_bs_put(bs, &leaf, chunk, 1000), IA_OK);
    CHECK_STATUS(put_fanout_file(bs, &leaf, 1000, 1000, &n1), IA_OK);
    CHECK_STATUS(put_fanout_file(bs, &n1, 1000000, 1000, &n2), IA_OK);
    CHECK_STATUS(put_fanout_file(bs, &n2, 1000000000, 1000, &n3), IA_OK);
    /* n1 is an honest 1 MB file of one chunk repeated (kubo writes such
     * DAGs for files of zeros) */
    ia_cid_to_string(&n1, text, sizeof text);
    CHECK_STATUS(ia_unixfs_cat(bs, text, NULL, to_mem, &m), IA_OK);
    CHECK(m.n == 1000000 && memcmp(m.p + 999000, chunk, 1000) == 0);
    /* n3: 1 TB, over the free space: refused before a byte is written */
    snprintf(out, sizeof out, "%s/out", tmp);
    CHECK_STATUS(get_cid(bs, &n3, out, NULL), IA_ERR_UNSUPPORTED);
    CHECK(!ia_fs_exists(out) && entries_in(tmp) == 1);
    /* n2 with a 10 MB limit: the same */
    IA_UNIXFS_GET_OPTIONS_INIT(&o);
    o.max_bytes = 10000000;
    CHECK_STATUS(get_cid(bs, &n2, out, &o), IA_ERR_UNSUPPORTED);
    CHECK(strstr(ia_last_error(), "limit") != NULL);
    CHECK(!ia_fs_exists(out) && entries_in(tmp) == 1);
    m.n = 0;
    ia_cid_to_string(&n2, text, sizeof text);
    CHECK_STATUS(ia_unixfs_cat(bs, text, &o, to_mem, &m), IA_ERR_UNSUPPORTED);
    CHECK(m.n == 0);
    /* and block reads are bounded too */
    o.max_bytes = 0, o.max_blocks = 500;
    CHECK_STATUS(get_cid(bs, &n1, out, &o), IA_ERR_UNSUPPORTED);
    CHECK(strstr(ia_last_error(), "block reads") != NULL && !ia_fs_exists(out));
    free(m.p);
    free(chunk);
    ia_blockstore_close(bs);
    ia_fs_remove_tree(tmp);
    free(tmp);
}

IA_TEST(dag_hostile_directories) {
    char *tmp = make_tmp(), out[512];
    static const char *names100[64];
    char namebuf[64][8];
    ia_blockstore *bs;
    ia_cid file, d0, d1, d2, cids[64], bad;
    ia_unixfs_get_options o;
    REQUIRE(tmp && (bs = open_at(tmp, "blocks")));
    CHECK_STATUS(ia_cid_of_block(1, IA_CODEC_RAW, "x", 1, &file), IA_OK);
    CHECK_STATUS(ia_bs_put(bs, &file, (const uint8_t *)"x", 1), IA_OK);
    snprintf(out, sizeof out, "%s/out", tmp);
    /* an entry bomb: 64 names for one directory of 64 names for one file */
    for (int i = 0; i < 64; i++) {
        snprintf(namebuf[i], sizeof namebuf[i], "n%02d", i);
        names100[i] = namebuf[i];
        cids[i] = file;
    }
    CHECK_STATUS(put_dir(bs, names100, cids, 64, &d0), IA_OK);
    for (int i = 0; i < 64; i++) cids[i] = d0;
    CHECK_STATUS(put_dir(bs, names100, cids, 64, &d1), IA_OK);
    for (int i = 0; i < 64; i++) cids[i] = d1;
    CHECK_STATUS(put_dir(bs, names100, cids, 64, &d2), IA_OK); /* 262144 files */
    IA_UNIXFS_GET_OPTIONS_INIT(&o);
    o.max_entries = 10000;
    CHECK_STATUS(get_cid(bs, &d2, out, &o), IA_ERR_UNSUPPORTED);
    CHECK(strstr(ia_last_error(), "files, directories") != NULL);
    CHECK(!ia_fs_exists(out) && entries_in(tmp) == 1);
    /* 64^4 = 16.7M entries from a 20 KB DAG, default limits: measured
     * (each distinct block once) and refused before anything is written */
    {
        ia_cid d3;
        for (int i = 0; i < 64; i++) cids[i] = d2;
        CHECK_STATUS(put_dir(bs, names100, cids, 64, &d3), IA_OK);
        CHECK_STATUS(get_cid(bs, &d3, out, NULL), IA_ERR_UNSUPPORTED);
        CHECK(strstr(ia_last_error(), "files, directories") != NULL);
        CHECK(!ia_fs_exists(out) && entries_in(tmp) == 1);
    }
    /* d1 is 4160 entries: fine under the default */
    CHECK_STATUS(get_cid(bs, &d1, out, NULL), IA_OK);
    ia_fs_remove_tree(out);
    /* the same name twice */
    {
        const char *names[] = {"a", "b", "a"};
        ia_cid c3[3] = {file, file, file};
        CHECK_STATUS(put_dir(bs, names, c3, 3, &bad), IA_OK);
        CHECK_STATUS(get_cid(bs, &bad, out, NULL), IA_ERR_FORMAT);
        CHECK(strstr(ia_last_error(), "twice") != NULL && !ia_fs_exists(out) && entries_in(tmp) == 1);
    }
    /* names that are not one path component */
    {
        const char *badnames[] = {"..", ".", "a/b", "", "../x"};
        for (int i = 0; i < 5; i++) {
            CHECK_STATUS(put_dir(bs, &badnames[i], &file, 1, &bad), IA_OK);
            CHECK_STATUS(get_cid(bs, &bad, out, NULL), IA_ERR_FORMAT);
            CHECK(!ia_fs_exists(out) && entries_in(tmp) == 1);
        }
    }
    /* depth: 40 nested directories under a limit of 20 */
    {
        const char *name = "d";
        ia_cid cur = file;
        for (int i = 0; i < 40; i++) CHECK_STATUS(put_dir(bs, &name, &cur, 1, &cur), IA_OK);
        IA_UNIXFS_GET_OPTIONS_INIT(&o);
        o.max_depth = 20;
        CHECK_STATUS(get_cid(bs, &cur, out, &o), IA_ERR_UNSUPPORTED);
        CHECK(!ia_fs_exists(out) && entries_in(tmp) == 1);
        CHECK_STATUS(get_cid(bs, &cur, out, NULL), IA_OK);
    }
    ia_blockstore_close(bs);
    ia_fs_remove_tree(tmp);
    free(tmp);
}

/* A HAMT shard (fanout 256) holding one entry `name` under slot. */
static ia_status put_shard(ia_blockstore *bs, const char *name, unsigned slot, const ia_cid *target, ia_cid *out) {
    uint8_t cb[IA_CID_MAX_BYTES], bitfield[32] = {0};
    char lname[64];
    ia_dagpb_link l;
    ia_unixfs_data u;
    size_t first = 0;
    memset(&l, 0, sizeof l);
    snprintf(lname, sizeof lname, "%02X%s", slot, name);
    l.hash = cb, l.hash_len = ia_cid_to_bytes(target, cb, sizeof cb);
    l.name = (const uint8_t *)lname, l.name_len = strlen(lname), l.has_name = 1;
    bitfield[31 - slot / 8] |= (uint8_t)(1u << (slot % 8));
    while (first < 31 && !bitfield[first]) first++;
    memset(&u, 0, sizeof u);
    u.type = IA_UNIXFS_HAMT_SHARD;
    u.data = bitfield + first, u.data_len = 32 - first, u.has_data = 1;
    u.hash_type = IA_HAMT_HASH_MURMUR3, u.has_hash_type = 1;
    u.fanout = 256, u.has_fanout = 1;
    return put_node(bs, &l, 1, &u, out);
}

IA_TEST(dag_hamt_misfiled_entry_and_cycles) {
    char *tmp = make_tmp(), out[512], p[600];
    ia_blockstore *bs;
    ia_cid file, good, misfiled;
    ia_dag_walk w;
    ia_dag_limits lim;
    unsigned slot = (unsigned)(ia_hamt_hash("name", 4) >> 56);
    REQUIRE(tmp && (bs = open_at(tmp, "blocks")));
    CHECK_STATUS(ia_cid_of_block(1, IA_CODEC_RAW, "x", 1, &file), IA_OK);
    CHECK_STATUS(ia_bs_put(bs, &file, (const uint8_t *)"x", 1), IA_OK);
    CHECK_STATUS(put_shard(bs, "name", slot, &file, &good), IA_OK);
    CHECK_STATUS(put_shard(bs, "name", (slot + 1) % 256, &file, &misfiled), IA_OK);
    snprintf(out, sizeof out, "%s/out", tmp);
    CHECK_STATUS(get_cid(bs, &good, out, NULL), IA_OK);
    snprintf(p, sizeof p, "%s/name", out);
    CHECK(ia_fs_exists(p));
    ia_fs_remove_tree(out);
    CHECK_STATUS(get_cid(bs, &misfiled, out, NULL), IA_ERR_FORMAT);
    CHECK(strstr(ia_last_error(), "does not hash") != NULL && !ia_fs_exists(out));
    /* a cycle cannot be built from verified blocks (a block would hold its
     * own hash); the walk still refuses a CID that is its own ancestor */
    memset(&lim, 0, sizeof lim);
    REQUIRE(ia_dag_walk_init(&w, bs, &lim) == IA_OK);
    CHECK_STATUS(ia_dag_push(&w, &good), IA_OK);
    CHECK_STATUS(ia_dag_push(&w, &file), IA_OK);
    CHECK_STATUS(ia_dag_push(&w, &good), IA_ERR_FORMAT);
    CHECK(strstr(ia_last_error(), "cycle") != NULL);
    ia_dag_walk_free(&w);
    ia_blockstore_close(bs);
    ia_fs_remove_tree(tmp);
    free(tmp);
}

IA_TEST(dag_file_node_inconsistent_sizes) {
    char *tmp = make_tmp(), out[512];
    ia_blockstore *bs;
    ia_cid leaf, node;
    ia_unixfs_data u;
    uint8_t cb[IA_CID_MAX_BYTES];
    ia_dagpb_link l;
    uint64_t sizes[1] = {4};
    REQUIRE(tmp && (bs = open_at(tmp, "blocks")));
    CHECK_STATUS(ia_cid_of_block(1, IA_CODEC_RAW, "abc", 3, &leaf), IA_OK);
    CHECK_STATUS(ia_bs_put(bs, &leaf, (const uint8_t *)"abc", 3), IA_OK);
    memset(&l, 0, sizeof l);
    l.hash = cb, l.hash_len = ia_cid_to_bytes(&leaf, cb, sizeof cb);
    memset(&u, 0, sizeof u);
    u.type = IA_UNIXFS_FILE, u.blocksizes = sizes, u.n_blocksizes = 1, u.has_filesize = 1, u.filesize = 4;
    CHECK_STATUS(put_node(bs, &l, 1, &u, &node), IA_OK); /* says 4 bytes, the leaf has 3 */
    snprintf(out, sizeof out, "%s/out", tmp);
    CHECK_STATUS(get_cid(bs, &node, out, NULL), IA_ERR_FORMAT);
    CHECK(!ia_fs_exists(out) && entries_in(tmp) == 1);
    u.filesize = 5; /* filesize disagreeing with the blocksizes */
    CHECK_STATUS(put_node(bs, &l, 1, &u, &node), IA_OK);
    CHECK_STATUS(get_cid(bs, &node, out, NULL), IA_ERR_FORMAT);
    u.n_blocksizes = 0, u.filesize = 0; /* a link without a blocksize */
    CHECK_STATUS(put_node(bs, &l, 1, &u, &node), IA_OK);
    CHECK_STATUS(get_cid(bs, &node, out, NULL), IA_ERR_FORMAT);
    CHECK(!ia_fs_exists(out) && entries_in(tmp) == 1);
    ia_blockstore_close(bs);
    ia_fs_remove_tree(tmp);
    free(tmp);
}

/* ---------------------------------------------------------- models by CID */

/* Sets $IA_BLOCK_DIR and $IA_MODEL_DIR for a test, and puts them back. */
typedef struct {
    char block[512], model[512];
    int had_block, had_model;
} env_save;

static void env_push(env_save *s, const char *block_dir, const char *model_dir) {
    const char *b = getenv("IA_BLOCK_DIR"), *m = getenv("IA_MODEL_DIR");
    s->had_block = b != NULL, s->had_model = m != NULL;
    snprintf(s->block, sizeof s->block, "%s", b ? b : "");
    snprintf(s->model, sizeof s->model, "%s", m ? m : "");
    setenv("IA_BLOCK_DIR", block_dir, 1);
    setenv("IA_MODEL_DIR", model_dir, 1);
}

static void env_pop(const env_save *s) {
    if (s->had_block) setenv("IA_BLOCK_DIR", s->block, 1);
    else unsetenv("IA_BLOCK_DIR");
    if (s->had_model) setenv("IA_MODEL_DIR", s->model, 1);
    else unsetenv("IA_MODEL_DIR");
}

IA_TEST(model_by_cid_embeds_as_the_directory) {
    static const char *texts[] = {"A man is playing a guitar.", "The new movie is awesome."};
    char *tmp = make_tmp(), blocks[512], models[512], cid[IA_CID_TEXT_MAX], path[1024], want[1024];
    const char *src = ia_test_model_dir();
    ia_blockstore *bs;
    ia_model *a = NULL, *b = NULL;
    ia_model_options mo;
    float va[2 * 384], vb[2 * 384];
    env_save env;
    REQUIRE(tmp && src);
    snprintf(blocks, sizeof blocks, "%s/blocks", tmp);
    snprintf(models, sizeof models, "%s/models", tmp);
    REQUIRE((bs = open_at(tmp, "blocks")));
    {
        ia_unixfs_options o; /* kubo's default import: a Qm... CID */
        IA_UNIXFS_OPTIONS_INIT(&o);
        o.on_block = ia_blockstore_put_block, o.block_ctx = bs;
        CHECK_STATUS(ia_unixfs_add_path(src, &o, cid, sizeof cid), IA_OK);
    }
    ia_blockstore_close(bs);
    CHECK(strcmp(cid, "QmbMQipS4UP2ZZJFwH9LbvhTHGr8QxCvfxsbKkDTRjohmu") == 0); /* docs/unixfs.md, kubo's */
    env_push(&env, blocks, models);
    CHECK_STATUS(ia_model_resolve(cid, path, sizeof path), IA_OK);
    snprintf(want, sizeof want, "%s/by-cid/bafybeigblgy6hobnsskahh5rxjk53ybiafnxjtny7a4c64557kj6btl6dq", models);
    CHECK_MSG(strcmp(path, want) == 0, "%s", path);
    CHECK(same_tree(src, path));
    /* the CIDv1 and /ipfs/ spellings name the same materialised copy */
    CHECK_STATUS(ia_model_resolve("/ipfs/bafybeigblgy6hobnsskahh5rxjk53ybiafnxjtny7a4c64557kj6btl6dq", path,
                                  sizeof path), IA_OK);
    CHECK(strcmp(path, want) == 0);
    snprintf(want, sizeof want, "%s/by-cid", models);
    CHECK(entries_in(want) == 1);
    IA_MODEL_OPTIONS_INIT(&mo);
    mo.device = "cpu";
    CHECK_STATUS(ia_model_open(cid, &mo, &b), IA_OK);
    CHECK_STATUS(ia_model_open(src, &mo, &a), IA_OK);
    if (a && b) {
        CHECK_STATUS(ia_model_embed(a, texts, 2, va), IA_OK);
        CHECK_STATUS(ia_model_embed(b, texts, 2, vb), IA_OK);
        CHECK(memcmp(va, vb, sizeof va) == 0);
    }
    ia_model_free(a);
    ia_model_free(b);
    /* a CID whose blocks are not there: NOT_FOUND naming it and how to get it */
    CHECK_STATUS(ia_model_resolve("bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354", path, sizeof path),
                 IA_ERR_NOT_FOUND);
    CHECK(strstr(ia_last_error(), "bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354") &&
          strstr(ia_last_error(), "car import"));
    CHECK(entries_in(want) == 1);
    /* a file that is not GGUF is not a model */
    {
        char fcid[IA_CID_TEXT_MAX];
        REQUIRE((bs = open_at(tmp, "blocks")));
        {
            ia_unixfs_options o;
            IA_UNIXFS_OPTIONS_INIT(&o);
            o.on_block = ia_blockstore_put_block, o.block_ctx = bs;
            CHECK_STATUS(ia_unixfs_add_bytes("not a model", 11, &o, fcid, sizeof fcid), IA_OK);
        }
        ia_blockstore_close(bs);
        CHECK_STATUS(ia_model_resolve(fcid, path, sizeof path), IA_ERR_UNSUPPORTED);
        CHECK(strstr(ia_last_error(), "GGUF") != NULL && entries_in(want) == 1);
    }
    env_pop(&env);
    ia_fs_remove_tree(tmp);
    free(tmp);
}

IA_TEST(model_by_cid_gguf_file) {
    char *tmp = make_tmp(), blocks[512], models[512], cid[IA_CID_TEXT_MAX], path[1024], src[1024];
    const char *home = getenv("HOME"), *mdir = getenv("IA_MODEL_DIR");
    ia_blockstore *bs;
    env_save env;
    struct stat a, b;
    REQUIRE(tmp);
    snprintf(src, sizeof src, "%s/smollm2/model.gguf", mdir && *mdir ? mdir : "");
    if (!(mdir && *mdir)) snprintf(src, sizeof src, "%s/.cache/ipfs_accelerate/models/smollm2/model.gguf", home);
    if (stat(src, &a) != 0) {
        ia_fs_remove_tree(tmp);
        free(tmp);
        SKIP("%s is absent (scripts/fetch_model.sh smollm2)", src);
    }
    snprintf(blocks, sizeof blocks, "%s/blocks", tmp);
    snprintf(models, sizeof models, "%s/models", tmp);
    REQUIRE((bs = open_at(tmp, "blocks")));
    {
        ia_unixfs_options o;
        IA_UNIXFS_OPTIONS_INIT(&o);
        o.profile = "unixfs-v1-2025"; /* raw leaves, 1 MiB chunks: a bafy... root */
        o.on_block = ia_blockstore_put_block, o.block_ctx = bs;
        CHECK_STATUS(ia_unixfs_add_path(src, &o, cid, sizeof cid), IA_OK);
    }
    ia_blockstore_close(bs);
    env_push(&env, blocks, models);
    CHECK_STATUS(ia_model_resolve(cid, path, sizeof path), IA_OK);
    CHECK(strlen(path) > 5 && strcmp(path + strlen(path) - 5, ".gguf") == 0 && strstr(path, cid));
    CHECK(stat(path, &b) == 0 && b.st_size == a.st_size && same_tree(src, path));
    env_pop(&env);
    ia_fs_remove_tree(tmp);
    free(tmp);
}
