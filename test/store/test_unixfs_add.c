/*
 * test_unixfs_add.c — the UnixFS importer against CIDs kubo computed.
 *
 * Every CID written here came from kubo v0.43.1 (`ipfs add --only-hash`,
 * with the flags or `ipfs config` settings named beside it) on the same
 * bytes the test generates: pat(n) below, or the small trees make_tree()
 * writes. The oracle suite (test/unixfs_oracle) compares far more cases
 * against js-ipfs-unixfs's importer at test time; these keep kubo's own
 * answers in the C tests. The structure tests decode every block the
 * importer hands out: each named by its hash, children before parents.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/cid.h"
#include "formats/dagpb.h"
#include "formats/unixfs_pb.h"
#include "harness.h"
#include "ipfs_accelerate.h"
#include "util/murmur3.h"

/* the test bytes: byte i of a file of any length */
static uint8_t *pat(size_t n) {
    uint8_t *b = malloc(n ? n : 1);
    for (size_t i = 0; b && i < n; i++) b[i] = (uint8_t)(i * 7 + (i >> 10));
    return b;
}

static ia_status add_bytes(const void *d, size_t n, const ia_unixfs_options *o, char *cid) {
    return ia_unixfs_add_bytes(d, n, o, cid, IA_CID_TEXT_MAX);
}

IA_TEST(unixfs_known_small_files) {
    ia_unixfs_options o;
    char cid[IA_CID_TEXT_MAX];
    IA_UNIXFS_OPTIONS_INIT(&o);
    /* `echo -n "hello world" | ipfs add` and with --cid-version 1 */
    CHECK_STATUS(add_bytes("hello world", 11, &o, cid), IA_OK);
    CHECK_MSG(strcmp(cid, "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD") == 0, "%s", cid);
    CHECK_STATUS(add_bytes("", 0, &o, cid), IA_OK); /* the empty file: no Data field, filesize 0 */
    CHECK_MSG(strcmp(cid, "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH") == 0, "%s", cid);
    o.cid_version = 1;
    CHECK_STATUS(add_bytes("hello world", 11, &o, cid), IA_OK);
    CHECK_MSG(strcmp(cid, "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e") == 0, "%s", cid);
    CHECK_STATUS(add_bytes("", 0, &o, cid), IA_OK); /* an empty raw block */
    CHECK_MSG(strcmp(cid, "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku") == 0, "%s", cid);
    IA_UNIXFS_OPTIONS_INIT(&o);
    o.profile = "unixfs-v1-2025";
    CHECK_STATUS(add_bytes("hello world", 11, &o, cid), IA_OK);
    CHECK(strcmp(cid, "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e") == 0);
}

IA_TEST(unixfs_known_multi_chunk_files) {
    static const struct {
        size_t n;
        const char *profile;
        int cid_version;
        size_t chunk;
        int links;
        const char *want;
    } cases[] = {
        /* ipfs add: 4 chunks + 1 byte */
        {1048577, NULL, -1, 0, 0, "QmU7myqhKLBGYoS1wzEYora1uuuZsJHL6XY7r6m9h8S2Ne"},
        /* ipfs add --cid-version 1 */
        {1048577, NULL, 1, 0, 0, "bafybeia26cknliq4lfgsnbpo2i7sk3mmbfmng2phuzxfchjefykyg5qham"},
        /* ipfs config profile apply unixfs-v1-2025; ipfs add */
        {3 * 1048576 + 5, "unixfs-v1-2025", -1, 0, 0, "bafybeigt4ybo42kdx2dyyhu3igf6l32kx3akvq7fy2uc5nuqtvyjzzmpeq"},
        /* ipfs add --chunker size-1024 --max-file-links 3: 49 leaves, 4 levels */
        {50000, NULL, -1, 1024, 3, "QmcJdq4w37K4rV3CTngZ5SWdddf5CUrAJDx2Q2qgvJ2iEz"},
        /* the same with --cid-version 1 */
        {50000, NULL, 1, 1024, 3, "bafybeibkzqhobiw25j7anid7xuzgnqtmtx6gjxnrg7rhwar2os2xtadare"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ia_unixfs_options o;
        char cid[IA_CID_TEXT_MAX];
        uint8_t *d = pat(cases[i].n);
        REQUIRE(d != NULL);
        IA_UNIXFS_OPTIONS_INIT(&o);
        o.profile = cases[i].profile;
        o.cid_version = cases[i].cid_version;
        o.chunk_size = cases[i].chunk;
        o.max_links = cases[i].links;
        CHECK_STATUS(add_bytes(d, cases[i].n, &o, cid), IA_OK);
        CHECK_MSG(strcmp(cid, cases[i].want) == 0, "case %zu: %s, kubo %s", i, cid, cases[i].want);
        free(d);
    }
}

/* ---- every block decoded ---------------------------------------------- */

typedef struct {
    ia_cid seen[4096];
    size_t n;
    int bad;
    int hamt_shards, leaves, inner;
} blocks;

static int was_seen(const blocks *b, const ia_cid *c) {
    for (size_t i = 0; i < b->n; i++)
        if (ia_cid_equal(&b->seen[i], c)) return 1;
    return 0;
}

/* Checks one block: its CID is its hash, it decodes, every link names a
 * block handed out before it. */
static ia_status on_block(void *ctx, const uint8_t *cidb, size_t cid_len, const uint8_t *block, size_t len) {
    blocks *b = ctx;
    ia_cid c, h;
    if (ia_cid_from_bytes(cidb, cid_len, &c) != IA_OK || ia_cid_of_block(c.version, c.codec, block, len, &h) != IA_OK ||
        !ia_cid_equal(&c, &h)) {
        b->bad++;
        return IA_OK;
    }
    if (c.codec == IA_CODEC_DAG_PB) {
        ia_dagpb_node node;
        ia_unixfs_data u;
        if (ia_dagpb_decode(block, len, &node) != IA_OK || ia_unixfs_decode(node.data, node.data_len, &u) != IA_OK) {
            b->bad++;
            ia_dagpb_node_free(&node);
            return IA_OK;
        }
        for (size_t i = 0; i < node.n_links; i++) {
            ia_cid lc;
            if (ia_cid_from_bytes(node.links[i].hash, node.links[i].hash_len, &lc) != IA_OK || !was_seen(b, &lc)) b->bad++;
        }
        if (u.type == IA_UNIXFS_HAMT_SHARD) {
            b->hamt_shards++;
            if (u.fanout != 256 || u.hash_type != 0x22 || !u.has_data) b->bad++;
        } else if (u.type == IA_UNIXFS_FILE) {
            if (node.n_links) b->inner++;
            else b->leaves++;
            if (node.n_links != u.n_blocksizes) b->bad++;
        }
        ia_unixfs_data_free(&u);
        ia_dagpb_node_free(&node);
    } else {
        b->leaves++;
    }
    if (b->n < sizeof b->seen / sizeof *b->seen) b->seen[b->n++] = c;
    return IA_OK;
}

IA_TEST(unixfs_blocks_decode_children_first) {
    static blocks b;
    ia_unixfs_options o;
    char cid[IA_CID_TEXT_MAX];
    uint8_t *d = pat(50000);
    REQUIRE(d != NULL);
    IA_UNIXFS_OPTIONS_INIT(&o);
    o.chunk_size = 1024, o.max_links = 3;
    o.on_block = on_block, o.block_ctx = &b;
    memset(&b, 0, sizeof b);
    CHECK_STATUS(add_bytes(d, 50000, &o, cid), IA_OK);
    CHECK(b.bad == 0);
    CHECK_MSG(b.leaves == 49, "%d leaves", b.leaves);
    /* 49 leaves, 3 a node: 17 + 6 + 2 + 1 inner nodes */
    CHECK_MSG(b.inner == 26, "%d inner nodes", b.inner);
    free(d);
}

/* ---- directories ------------------------------------------------------- */

static char tmpdir[256];

static int write_file(const char *rel, const char *text) {
    char p[512];
    FILE *f;
    snprintf(p, sizeof p, "%s/%s", tmpdir, rel);
    if (!(f = fopen(p, "wb"))) return -1;
    fputs(text, f);
    return fclose(f);
}

static int mk(const char *rel) {
    char p[512];
    snprintf(p, sizeof p, "%s/%s", tmpdir, rel);
    return mkdir(p, 0755);
}

static void rm_rf(const char *path) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    if (system(cmd) != 0) fprintf(stderr, "  could not remove %s\n", path);
}

/* tree/{a.txt, b/{c.txt, e/}, l -> a.txt, .hid} */
static int make_tree(void) {
    char l[512];
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ia_unixfs_XXXXXX");
    if (!mkdtemp(tmpdir)) return -1;
    snprintf(l, sizeof l, "%s/tree/l", tmpdir);
    return mk("tree") || write_file("tree/a.txt", "alpha\n") || mk("tree/b") || write_file("tree/b/c.txt", "gamma\n") ||
           mk("tree/b/e") || symlink("a.txt", l) || write_file("tree/.hid", "x");
}

typedef struct {
    char lines[16][160];
    int n;
} entries;

static ia_status on_entry(void *ctx, const char *path, const char *cid, uint64_t size) {
    entries *e = ctx;
    if (e->n < 16) snprintf(e->lines[e->n++], sizeof e->lines[0], "%s %s", cid, path);
    return IA_OK;
}

IA_TEST(unixfs_tree_in_kubos_order) {
    /* ipfs add -r tree, line by line */
    static const char *want[] = {
        "QmV4STRyo1dygxGhZcr877TQ1M9AZuXhfm6HrXjxW1TYNP tree/a.txt",
        "QmQdhrHbCWGfqod5SVjqPkW9vtknS7azYXEAH3FRzGstpU tree/b/c.txt",
        "QmS9U51FvTAqDDVLJ5okMzeLjsEeg8JEG1rPmSq2oPahF6 tree/l",
        "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn tree/b/e",
        "QmYHK1AjLHRn3WBTaphSQEjJze3L5bigZiHfppEFF4cP1T tree/b",
        "Qmd6ViYv9HrvDvAD3Zmw9b1QRZSi3gVPE9BieCsrnhPKPy tree",
    };
    ia_unixfs_options o;
    entries e;
    char path[512], cid[IA_CID_TEXT_MAX];
    REQUIRE(make_tree() == 0);
    memset(&e, 0, sizeof e);
    IA_UNIXFS_OPTIONS_INIT(&o);
    o.on_entry = on_entry, o.entry_ctx = &e;
    snprintf(path, sizeof path, "%s/tree/", tmpdir); /* a trailing slash changes nothing */
    CHECK_STATUS(ia_unixfs_add_path(path, &o, cid, sizeof cid), IA_OK);
    CHECK(e.n == 6);
    for (int i = 0; i < 6 && i < e.n; i++) CHECK_MSG(strcmp(e.lines[i], want[i]) == 0, "line %d: %s", i, e.lines[i]);
    CHECK(strcmp(cid, "Qmd6ViYv9HrvDvAD3Zmw9b1QRZSi3gVPE9BieCsrnhPKPy") == 0);
    /* ipfs add -r --hidden tree */
    o.hidden = 1;
    CHECK_STATUS(ia_unixfs_add_path(path, &o, cid, sizeof cid), IA_OK);
    CHECK_MSG(strcmp(cid, "QmT6uySQZWccK3LJVaeVTqRQ6CzTfqQE1K2GbTZYXvtho6") == 0, "%s", cid);
    /* a file added alone is named by its last component */
    memset(&e, 0, sizeof e);
    o.hidden = 0;
    snprintf(path, sizeof path, "%s/tree/b/c.txt", tmpdir);
    CHECK_STATUS(ia_unixfs_add_path(path, &o, cid, sizeof cid), IA_OK);
    CHECK(e.n == 1 && strcmp(e.lines[0], "QmQdhrHbCWGfqod5SVjqPkW9vtknS7azYXEAH3FRzGstpU c.txt") == 0);
    rm_rf(tmpdir);
}

IA_TEST(unixfs_hamt_directories) {
    /* hamt/file-000..099 holding "x<i>\n": with Import.UnixFSHAMTDirectorySizeThreshold
     * 1KiB, kubo's default import and the unixfs-v1-2025 profile */
    static blocks b;
    ia_unixfs_options o;
    char path[512], cid[IA_CID_TEXT_MAX];
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ia_unixfs_XXXXXX");
    REQUIRE(mkdtemp(tmpdir) != NULL);
    REQUIRE(mk("hamt") == 0);
    for (int i = 0; i < 100; i++) {
        char rel[64], text[16];
        snprintf(rel, sizeof rel, "hamt/file-%03d", i);
        snprintf(text, sizeof text, "x%d\n", i);
        REQUIRE(write_file(rel, text) == 0);
    }
    snprintf(path, sizeof path, "%s/hamt", tmpdir);
    IA_UNIXFS_OPTIONS_INIT(&o);
    o.hamt_threshold = 1024;
    o.on_block = on_block, o.block_ctx = &b;
    memset(&b, 0, sizeof b);
    CHECK_STATUS(ia_unixfs_add_path(path, &o, cid, sizeof cid), IA_OK);
    CHECK_MSG(strcmp(cid, "QmbkcuLwuGUWzHo6xitbhRwZqqZ6MHoZUkAPEDM1tQmqrA") == 0, "%s", cid);
    CHECK(b.bad == 0 && b.hamt_shards >= 1);
    o.profile = "unixfs-v1-2025";
    memset(&b, 0, sizeof b);
    CHECK_STATUS(ia_unixfs_add_path(path, &o, cid, sizeof cid), IA_OK);
    CHECK_MSG(strcmp(cid, "bafybeifjmjpowghbmnssu4otju4fy4qsmrzmzp2ypoeemvrt75rqn74n7u") == 0, "%s", cid);
    CHECK(b.bad == 0 && b.hamt_shards >= 1);
    /* below the threshold the same directory is a basic one */
    o.hamt_threshold = 0;
    memset(&b, 0, sizeof b);
    CHECK_STATUS(ia_unixfs_add_path(path, &o, cid, sizeof cid), IA_OK);
    CHECK(b.bad == 0 && b.hamt_shards == 0);
    rm_rf(tmpdir);
}

/* the last lines reported */
typedef struct {
    char lines[6][160];
    int n;
} tail6;

static ia_status keep_tail(void *ctx, const char *path, const char *cid, uint64_t size) {
    tail6 *t = ctx;
    (void)size;
    memmove(t->lines[0], t->lines[1], sizeof t->lines - sizeof t->lines[0]);
    snprintf(t->lines[5], sizeof t->lines[5], "%s %s", cid, path);
    t->n++;
    return IA_OK;
}

/* Under a HAMT directory kubo reports subdirectories in the shard's order
 * (by name hash), not by name: hamt2 = the hamt directory above plus
 * zeta/f, alpha/f, alpha/inner/g, mid/f, Beta/f; `ipfs add -r` with the
 * 1 KiB threshold ends with these lines. */
IA_TEST(unixfs_hamt_reports_in_shard_order) {
    static const char *want[] = {
        "QmYJknbr2GyHkYk15CA8WpnWdRJxJvDKy1jAGWQVBZy5d9 hamt2/mid",
        "Qmbvq2YZY6GznXfx9tAPNqDShr6tCR4Aq6vmT5mMvkfuWH hamt2/zeta",
        "QmSo5fBt1VRENQqThYvQjQ81rLuYz5acfgknLoDYWLRCoe hamt2/Beta",
        "QmbScueYVbkXoKv5oMrWe9JusgmT43hqkEnk1thk9YEWBc hamt2/alpha/inner",
        "QmQegHykwNURda7FyXs7C6wfRFwtajH5AnTgA3g6N5dWXk hamt2/alpha",
        "QmXu7kYHARw6NToDKKBYVuDWdT95aBUeijjxRvMtXhg1pm hamt2",
    };
    static const char *dirs[] = {"zeta", "alpha", "mid", "Beta"};
    ia_unixfs_options o;
    tail6 t;
    char path[512], cid[IA_CID_TEXT_MAX];
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ia_unixfs_XXXXXX");
    REQUIRE(mkdtemp(tmpdir) != NULL);
    REQUIRE(mk("hamt2") == 0);
    for (int i = 0; i < 100; i++) {
        char rel[64], text[16];
        snprintf(rel, sizeof rel, "hamt2/file-%03d", i);
        snprintf(text, sizeof text, "x%d\n", i);
        REQUIRE(write_file(rel, text) == 0);
    }
    for (int i = 0; i < 4; i++) {
        char rel[64], text[16];
        snprintf(rel, sizeof rel, "hamt2/%s", dirs[i]);
        REQUIRE(mk(rel) == 0);
        snprintf(rel, sizeof rel, "hamt2/%s/f", dirs[i]);
        snprintf(text, sizeof text, "%s\n", dirs[i]);
        REQUIRE(write_file(rel, text) == 0);
    }
    REQUIRE(mk("hamt2/alpha/inner") == 0 && write_file("hamt2/alpha/inner/g", "i\n") == 0);
    snprintf(path, sizeof path, "%s/hamt2", tmpdir);
    memset(&t, 0, sizeof t);
    IA_UNIXFS_OPTIONS_INIT(&o);
    o.hamt_threshold = 1024;
    o.on_entry = keep_tail, o.entry_ctx = &t;
    CHECK_STATUS(ia_unixfs_add_path(path, &o, cid, sizeof cid), IA_OK);
    CHECK(t.n == 105 + 6); /* files (100 + 4 f + g), then the directories */
    for (int i = 0; i < 6; i++) CHECK_MSG(strcmp(t.lines[i], want[i]) == 0, "line %d: %s", i, t.lines[i]);
    rm_rf(tmpdir);
}

IA_TEST(unixfs_murmur3_vectors) {
    /* MurmurHash3_x64_128 seed 0, first half: the reference's outputs
     * ("The quick brown fox..." is 6c1b07bc7bbc4be3 47939ac4a93c437a as
     * little-endian bytes) */
    CHECK(ia_murmur3_x64_64("", 0, 0) == 0);
    CHECK(ia_murmur3_x64_64("hello", 5, 0) == 0xcbd8a7b341bd9b02ull);
    CHECK(ia_murmur3_x64_64("The quick brown fox jumps over the lazy dog", 43, 0) == 0xe34bbc7bbc071b6cull);
}

static ia_status refuse(void *ctx, const uint8_t *c, size_t cl, const uint8_t *b, size_t bl) {
    (void)ctx, (void)c, (void)cl, (void)b, (void)bl;
    return IA_ERR_IO;
}

IA_TEST(unixfs_add_errors) {
    ia_unixfs_options o;
    char cid[IA_CID_TEXT_MAX];
    IA_UNIXFS_OPTIONS_INIT(&o);
    o.profile = "unixfs-v2-2030";
    CHECK(add_bytes("x", 1, &o, cid) == IA_ERR_INVALID_ARG);
    CHECK(strstr(ia_last_error(), "unixfs-v2-2030") != NULL);
    IA_UNIXFS_OPTIONS_INIT(&o);
    o.cid_version = 2;
    CHECK(add_bytes("x", 1, &o, cid) == IA_ERR_INVALID_ARG);
    IA_UNIXFS_OPTIONS_INIT(&o);
    o.max_links = 1;
    CHECK(add_bytes("x", 1, &o, cid) == IA_ERR_INVALID_ARG);
    IA_UNIXFS_OPTIONS_INIT(&o);
    o.chunk_size = 4u << 20;
    CHECK(add_bytes("x", 1, &o, cid) == IA_ERR_INVALID_ARG);
    IA_UNIXFS_OPTIONS_INIT(&o);
    o.struct_size = 0;
    CHECK(add_bytes("x", 1, &o, cid) == IA_ERR_INVALID_ARG);
    CHECK(strstr(ia_last_error(), "IA_UNIXFS_OPTIONS_INIT") != NULL);
    CHECK(ia_unixfs_add_bytes("x", 1, NULL, cid, 10) == IA_ERR_INVALID_ARG); /* no room for the CID */
    CHECK_STATUS(ia_unixfs_add_bytes("x", 1, NULL, cid, sizeof cid), IA_OK);  /* NULL options: defaults */
    IA_UNIXFS_OPTIONS_INIT(&o);
    o.on_block = refuse; /* a block store's error stops the add */
    CHECK(add_bytes("x", 1, &o, cid) == IA_ERR_IO);
    CHECK(ia_unixfs_add_path("/no/such/path/at/all", NULL, cid, sizeof cid) == IA_ERR_NOT_FOUND);
    CHECK(strstr(ia_last_error(), "/no/such/path/at/all") != NULL);
    {
        char fifo[300];
        snprintf(tmpdir, sizeof tmpdir, "/tmp/ia_unixfs_XXXXXX");
        REQUIRE(mkdtemp(tmpdir) != NULL);
        snprintf(fifo, sizeof fifo, "%s/fifo", tmpdir);
        if (mkfifo(fifo, 0600) == 0) {
            CHECK(ia_unixfs_add_path(tmpdir, NULL, cid, sizeof cid) == IA_ERR_UNSUPPORTED);
            CHECK(strstr(ia_last_error(), "fifo") != NULL);
        }
        rm_rf(tmpdir);
    }
}

IA_TEST(sha256_implementation_is_named) {
    const char *s = ia_sha256_implementation();
    CHECK(strcmp(s, "sha-ni") == 0 || strcmp(s, "portable") == 0);
}
