/*
 * model_id.c — the model fingerprint (contract in model_id.h).
 *
 * Why not hash the whole weights file: a 90 MB model would cost ~0.3 s of
 * SHA-256 and a 7 GB one half a minute, on every device choice; the
 * header plus samples cost well under a millisecond of reading and still
 * tell apart every pair of models we care about (other architectures by
 * the header, other values of the same architecture by the samples and
 * the config). Why not the base name: two models named the same are not
 * the same model, and one model copied elsewhere still is.
 */
#include "formats/model_id.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/error.h"
#include "util/mapped_file.h"
#include "util/sha256.h"

#define TAG "ia-model-fingerprint-v1\n"
#define CONFIG_MAX (16 << 20)          /* config.json larger than this is not one */
#define HEADER_MAX ((int64_t)16 << 20) /* header bytes hashed at most */
#define GGUF_HEADER ((int64_t)1 << 20)
#define SAMPLE ((int64_t)64 << 10)

/* Hashes the 8-byte little-endian length n, so field boundaries are part
 * of the digest ("ab" + "c" never equals "a" + "bc"). */
static void put_len(ia_sha256 *h, uint64_t n) {
    uint8_t b[8];
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(n >> (8 * i));
    ia_sha256_update(h, b, 8);
}

/* Hashes len and then bytes [off, off + len) of f. */
static ia_status put_range(ia_sha256 *h, FILE *f, const char *path, int64_t off, int64_t len) {
    uint8_t buf[16384];
    put_len(h, (uint64_t)len);
    if (fseeko(f, (off_t)off, SEEK_SET) != 0) return ia_error(IA_ERR_IO, "%s: seek: %s", path, strerror(errno));
    while (len > 0) {
        size_t want = len < (int64_t)sizeof buf ? (size_t)len : sizeof buf;
        if (fread(buf, 1, want, f) != want) return ia_error(IA_ERR_IO, "%s: short read", path);
        ia_sha256_update(h, buf, want);
        len -= (int64_t)want;
    }
    return IA_OK;
}

ia_status ia_model_fingerprint(const char *dir, char out[IA_MODEL_FINGERPRINT_LEN + 1]) {
    char path[4200], *config = NULL;
    const char *file = "model.safetensors";
    size_t config_len = 0;
    struct stat sb;
    int64_t size, header, data0;
    uint8_t digest[32];
    ia_sha256 h;
    FILE *f = NULL;
    ia_status st;
    if (!dir || !out) return ia_error(IA_ERR_INVALID_ARG, "model fingerprint: NULL argument");
    out[0] = '\0';
    /* A GGUF file alone (or alone in its directory) is a model: its
     * metadata, inside the hashed header, stands for config.json. */
    if (stat(dir, &sb) == 0 && S_ISREG(sb.st_mode)) {
        file = "model.gguf";
        snprintf(path, sizeof path, "%s", dir);
    } else {
        snprintf(path, sizeof path, "%s/config.json", dir);
        if ((st = ia_read_text_file(path, CONFIG_MAX, &config, &config_len)) != IA_OK) {
            if (st != IA_ERR_NOT_FOUND) return st;
            ia_error_clear();
            config = NULL;
            config_len = 0;
        }
        snprintf(path, sizeof path, "%s/%s", dir, file);
        if (stat(path, &sb) != 0) {
            file = "model.gguf";
            snprintf(path, sizeof path, "%s/%s", dir, file);
            if (stat(path, &sb) != 0) {
                free(config);
                return ia_error(IA_ERR_NOT_FOUND, "%s: no model.safetensors or model.gguf", dir);
            }
        }
        if (!config && strcmp(file, "model.gguf") != 0)
            return ia_error(IA_ERR_NOT_FOUND, "%s: no config.json beside model.safetensors", dir);
    }
    size = (int64_t)sb.st_size;
    if (!(f = fopen(path, "rb"))) {
        free(config);
        return ia_error(IA_ERR_IO, "%s: %s", path, strerror(errno));
    }
    ia_sha256_init(&h);
    ia_sha256_update(&h, TAG, strlen(TAG));
    put_len(&h, config_len);
    if (config_len) ia_sha256_update(&h, config, config_len);
    put_len(&h, strlen(file));
    ia_sha256_update(&h, file, strlen(file));
    put_len(&h, (uint64_t)size);

    /* The header: safetensors says its length in its first 8 bytes (taken
     * as a hint only: clamped to the file and to HEADER_MAX). */
    header = size < GGUF_HEADER ? size : GGUF_HEADER;
    if (file[6] == 's' && size >= 8) {
        uint8_t b[8];
        uint64_t n = 0;
        if (fread(b, 1, 8, f) != 8) {
            st = ia_error(IA_ERR_IO, "%s: short read", path);
            goto done;
        }
        for (int i = 0; i < 8; i++) n |= (uint64_t)b[i] << (8 * i);
        header = n > (uint64_t)(size - 8) ? size : (int64_t)n + 8;
    }
    if (header > HEADER_MAX) header = HEADER_MAX;
    if ((st = put_range(&h, f, path, 0, header)) != IA_OK) goto done;
    /* Samples of the data: where it starts, its middle, its end (they may
     * overlap on small files, which is harmless). */
    data0 = header;
    {
        int64_t rest = size - data0, take = rest < SAMPLE ? rest : SAMPLE;
        const int64_t at[3] = {data0, data0 + (rest - take) / 2, size - take};
        for (int i = 0; i < 3 && st == IA_OK; i++) st = put_range(&h, f, path, at[i], take);
    }
    if (st != IA_OK) goto done;
    ia_sha256_final(&h, digest);
    ia_sha256_hex(digest, 32, out);
done:
    fclose(f);
    free(config);
    return st;
}
