/*
 * unicode_tables.h — types and declarations of the generated Unicode tables
 * (unicode_tables.c, written by scripts/gen_unicode_tables.py).
 *
 * Only unicode.c reads these; everything else asks unicode.h.
 */
#ifndef IA_TOKENIZE_UNICODE_TABLES_H
#define IA_TOKENIZE_UNICODE_TABLES_H

#include <stddef.h>
#include <stdint.h>

/* Code points first..last all have `value`. */
typedef struct ia_uc_range {
    uint32_t first, last;
    uint8_t value;
} ia_uc_range;

/* first + k*step (<= last) lowercases to itself + delta. */
typedef struct ia_uc_case_run {
    uint32_t first, last;
    uint8_t step;
    int32_t delta;
} ia_uc_case_run;

/* cp lowercases to n (2 or 3) code points. */
typedef struct ia_uc_multi {
    uint32_t cp;
    uint8_t n;
    uint32_t to[3];
} ia_uc_multi;

/* cp decomposes (fully, canonically) to ia_uc_nfd_pool[off .. off+len). */
typedef struct ia_uc_decomp {
    uint32_t cp;
    uint16_t off;
    uint8_t len;
} ia_uc_decomp;

extern const uint8_t ia_uc_ascii_flags[128];
extern const ia_uc_range ia_uc_prop_tab[];
extern const size_t ia_uc_prop_tab_len;
extern const ia_uc_range ia_uc_ccc_tab[];
extern const size_t ia_uc_ccc_tab_len;
extern const ia_uc_case_run ia_uc_lower_tab[];
extern const size_t ia_uc_lower_tab_len;
extern const ia_uc_multi ia_uc_lower_multi_tab[];
extern const size_t ia_uc_lower_multi_tab_len;
extern const ia_uc_decomp ia_uc_nfd_tab[];
extern const size_t ia_uc_nfd_tab_len;
extern const uint32_t ia_uc_nfd_pool[];

/* unicode_cat_tables.c: general category classes (IA_CAT_*). */
extern const ia_uc_range ia_uc_cat_tab[];
extern const size_t ia_uc_cat_tab_len;

#endif
