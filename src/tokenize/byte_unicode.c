/*
 * byte_unicode.c — GPT-2's byte <-> code point map (see byte_unicode.h),
 * computed from the rule rather than stored: the bytes '!'..'~',
 * 0xA1..0xAC and 0xAE..0xFF are kept; the other 68 take U+0100 + their
 * rank among the bytes not kept.
 */
#include "tokenize/byte_unicode.h"

static int kept(unsigned b) {
    return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

uint32_t ia_byte_to_cp(uint8_t b) {
    if (kept(b)) return b;
    /* rank of b among the bytes not kept: 0x00..0x20 (33), 0x7F..0xA0 (34), 0xAD */
    unsigned r = b <= 0x20 ? b : b <= 0xA0 ? 33u + (b - 0x7Fu) : 67u;
    return 0x100u + r;
}

int ia_cp_to_byte(uint32_t cp) {
    if (cp < 0x100) return kept(cp) ? (int)cp : -1;
    if (cp > 0x143) return -1;
    unsigned r = cp - 0x100u;
    return r < 33 ? (int)r : r < 67 ? (int)(0x7F + r - 33) : 0xAD;
}
