/*
 * multibase.c — base58btc and base32 (lower, unpadded), see multibase.h.
 */
#include "formats/multibase.h"

#include <string.h>

#include "util/error.h"

static const char B58[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
static const char B32[] = "abcdefghijklmnopqrstuvwxyz234567";

/* Base conversion by long division, digits kept little-endian in a small
 * scratch array: inputs are CIDs (tens of bytes), so O(n^2) is nothing.
 * Leading zero bytes become leading '1's, as in Bitcoin's encoding. */
size_t ia_base58btc_encode(const uint8_t *in, size_t n, char *out, size_t cap) {
    uint8_t digits[IA_MULTIBASE_MAX_TEXT];
    size_t zeros = 0, nd = 0, len;
    while (zeros < n && in[zeros] == 0) zeros++;
    /* log(256)/log(58) < 1.37: the digit count is bounded by n * 1.37 + 1 */
    if (n > (sizeof digits - 1) * 100 / 137) return 0;
    for (size_t i = zeros; i < n; i++) {
        unsigned carry = in[i];
        for (size_t j = 0; j < nd; j++) {
            carry += (unsigned)digits[j] << 8;
            digits[j] = (uint8_t)(carry % 58);
            carry /= 58;
        }
        while (carry) {
            digits[nd++] = (uint8_t)(carry % 58);
            carry /= 58;
        }
    }
    len = zeros + nd;
    if (len + 1 > cap) return 0;
    memset(out, '1', zeros);
    for (size_t i = 0; i < nd; i++) out[zeros + i] = B58[digits[nd - 1 - i]];
    out[len] = '\0';
    return len;
}

ia_status ia_base58btc_decode(const char *s, size_t len, uint8_t *out, size_t cap, size_t *out_n) {
    uint8_t bytes[IA_MULTIBASE_MAX_TEXT];
    size_t zeros = 0, nb = 0;
    if (len > IA_MULTIBASE_MAX_TEXT) return ia_error(IA_ERR_FORMAT, "base58btc text of %zu chars is too long", len);
    while (zeros < len && s[zeros] == '1') zeros++;
    for (size_t i = zeros; i < len; i++) {
        const char *d = s[i] ? strchr(B58, s[i]) : NULL;
        unsigned carry;
        if (!d) return ia_error(IA_ERR_FORMAT, "base58btc: character %zu is not in the alphabet", i);
        carry = (unsigned)(d - B58);
        for (size_t j = 0; j < nb; j++) {
            carry += (unsigned)bytes[j] * 58;
            bytes[j] = (uint8_t)carry;
            carry >>= 8;
        }
        while (carry) {
            bytes[nb++] = (uint8_t)carry; /* nb < len <= sizeof bytes: 58 < 256 */
            carry >>= 8;
        }
    }
    if (zeros + nb > cap) return ia_error(IA_ERR_INVALID_ARG, "base58btc: %zu bytes do not fit in %zu", zeros + nb, cap);
    memset(out, 0, zeros);
    for (size_t i = 0; i < nb; i++) out[zeros + i] = bytes[nb - 1 - i];
    *out_n = zeros + nb;
    return IA_OK;
}

size_t ia_base32_encode(const uint8_t *in, size_t n, char *out, size_t cap) {
    size_t len = (n * 8 + 4) / 5, o = 0;
    uint32_t acc = 0;
    int bits = 0;
    if (len + 1 > cap) return 0;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out[o++] = B32[(acc >> bits) & 31];
        }
    }
    if (bits) out[o++] = B32[(acc << (5 - bits)) & 31];
    out[o] = '\0';
    return o;
}

ia_status ia_base32_decode(const char *s, size_t len, uint8_t *out, size_t cap, size_t *out_n) {
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    if (len > IA_MULTIBASE_MAX_TEXT) return ia_error(IA_ERR_FORMAT, "base32 text of %zu chars is too long", len);
    /* 1, 3 and 6 characters past a multiple of 8 cannot end a byte string */
    if (len % 8 == 1 || len % 8 == 3 || len % 8 == 6) return ia_error(IA_ERR_FORMAT, "base32: %zu chars is no byte length", len);
    for (size_t i = 0; i < len; i++) {
        unsigned c = (unsigned char)s[i], v;
        if (c >= 'a' && c <= 'z') v = c - 'a';
        else if (c >= '2' && c <= '7') v = c - '2' + 26;
        else return ia_error(IA_ERR_FORMAT, "base32: character %zu is not in the lower-case alphabet", i);
        acc = (acc << 5) | v;
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            if (o >= cap) return ia_error(IA_ERR_INVALID_ARG, "base32: more than %zu bytes", cap);
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    if (acc & ((1u << bits) - 1)) return ia_error(IA_ERR_FORMAT, "base32: non-zero trailing bits");
    *out_n = o;
    return IA_OK;
}

ia_status ia_multibase_decode(const char *s, uint8_t *out, size_t cap, size_t *out_n, char *base) {
    size_t len = strnlen(s, IA_MULTIBASE_MAX_TEXT + 2);
    if (len == 0) return ia_error(IA_ERR_FORMAT, "multibase: empty text");
    *base = s[0];
    if (s[0] == 'z') return ia_base58btc_decode(s + 1, len - 1, out, cap, out_n);
    if (s[0] == 'b') return ia_base32_decode(s + 1, len - 1, out, cap, out_n);
    return ia_error(IA_ERR_UNSUPPORTED, "multibase prefix '%c' (0x%02x): only 'z' (base58btc) and 'b' (base32) are known",
                    s[0] >= 0x20 && s[0] < 0x7f ? s[0] : '?', (unsigned char)s[0]);
}
