/*
 * test_model_id.c — the model fingerprint is content, not a name: the
 * same files under another name give the same fingerprint, another
 * config or other weight values under the same name give another; it
 * is cheap; hostile headers cannot make it read past the file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "formats/model_id.h"
#include "harness.h"

static int write_file(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(data, 1, n, f) == n;
    if (f) ok &= fclose(f) == 0;
    return ok;
}

/* A small safetensors-shaped file: length word, header, n data bytes
 * (byte i = i * 7 % 251), with byte `flip` (if >= 0) changed. */
static int write_weights(const char *path, size_t n, long flip) {
    const char hdr[] = "{\"w\":{\"dtype\":\"U8\",\"shape\":[300000],\"data_offsets\":[0,300000]}}";
    size_t hn = sizeof hdr - 1, total = 8 + hn + n;
    unsigned char *b = malloc(total);
    int ok;
    if (!b) return 0;
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)((uint64_t)hn >> (8 * i));
    memcpy(b + 8, hdr, hn);
    for (size_t i = 0; i < n; i++) b[8 + hn + i] = (unsigned char)(i * 7 % 251);
    if (flip >= 0) b[8 + hn + (size_t)flip] ^= 0x5a;
    ok = write_file(path, b, total);
    free(b);
    return ok;
}

IA_TEST(model_fingerprint_is_content_not_name) {
    char root[] = "/tmp/ia_fp_XXXXXX", a[128], b[128], c[128], p[256], fa[65], fb[65], fc[65];
    const char *cfg = "{\"model_type\": \"bert\", \"hidden_size\": 8}";
    REQUIRE(mkdtemp(root));
    snprintf(a, sizeof a, "%s/one/model", root);
    snprintf(b, sizeof b, "%s/renamed", root);
    snprintf(c, sizeof c, "%s/two/model", root); /* same base name as a */
    snprintf(p, sizeof p, "%s/one", root), mkdir(p, 0700), mkdir(a, 0700);
    snprintf(p, sizeof p, "%s/two", root), mkdir(p, 0700), mkdir(c, 0700);
    mkdir(b, 0700);
    for (int i = 0; i < 2; i++) {
        const char *d = i ? b : a;
        snprintf(p, sizeof p, "%s/config.json", d);
        REQUIRE(write_file(p, cfg, strlen(cfg)));
        snprintf(p, sizeof p, "%s/model.safetensors", d);
        REQUIRE(write_weights(p, 300000, -1));
    }
    CHECK_STATUS(ia_model_fingerprint(a, fa), IA_OK);
    CHECK_STATUS(ia_model_fingerprint(b, fb), IA_OK);
    CHECK(strlen(fa) == IA_MODEL_FINGERPRINT_LEN);
    CHECK_MSG(strcmp(fa, fb) == 0, "same files, other name: %s vs %s", fa, fb);

    /* Same base name, one config key more: another model. */
    snprintf(p, sizeof p, "%s/config.json", c);
    REQUIRE(write_file(p, "{\"model_type\": \"bert\", \"hidden_size\": 8, \"x\": 1}", 48));
    snprintf(p, sizeof p, "%s/model.safetensors", c);
    REQUIRE(write_weights(p, 300000, -1));
    CHECK_STATUS(ia_model_fingerprint(c, fc), IA_OK);
    CHECK_MSG(strcmp(fa, fc) != 0, "another config, same name, same fingerprint");

    /* Same config and header, one weight value changed in the middle. */
    snprintf(p, sizeof p, "%s/config.json", c);
    REQUIRE(write_file(p, cfg, strlen(cfg)));
    snprintf(p, sizeof p, "%s/model.safetensors", c);
    REQUIRE(write_weights(p, 300000, 150000));
    CHECK_STATUS(ia_model_fingerprint(c, fc), IA_OK);
    CHECK_MSG(strcmp(fa, fc) != 0, "other weight values, same fingerprint");

    /* A length word far past the file is a hint, not a command. */
    {
        unsigned char junk[64];
        memset(junk, 0xff, sizeof junk);
        REQUIRE(write_file(p, junk, sizeof junk));
        CHECK_STATUS(ia_model_fingerprint(c, fc), IA_OK);
    }
    /* No weights: not found, naming the directory. */
    unlink(p);
    CHECK_STATUS(ia_model_fingerprint(c, fc), IA_ERR_NOT_FOUND);
    CHECK(strstr(ia_last_error(), c) != NULL);
    snprintf(p, sizeof p, "rm -rf '%s'", root);
    CHECK(system(p) == 0);
}

IA_TEST(model_fingerprint_of_minilm_is_cheap_and_stable) {
    const char *dir = ia_test_model_dir();
    char f1[65], f2[65];
    struct timespec t0, t1;
    double ms;
    REQUIRE(dir);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_STATUS(ia_model_fingerprint(dir, f1), IA_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ms = 1e3 * (double)(t1.tv_sec - t0.tv_sec) + 1e-6 * (double)(t1.tv_nsec - t0.tv_nsec);
    CHECK_STATUS(ia_model_fingerprint(dir, f2), IA_OK);
    CHECK(strcmp(f1, f2) == 0);
    /* reading ~300 KiB: far below the 0.3 s a full SHA-256 of 90 MB takes */
    CHECK_MSG(ms < 50, "fingerprint took %.1f ms", ms);
    printf("  fingerprint %.16s... in %.2f ms\n", f1, ms);
}
