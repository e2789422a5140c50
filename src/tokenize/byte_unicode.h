/*
 * byte_unicode.h — GPT-2's reversible map between the 256 byte values and
 * 256 printable code points (bytes_to_unicode() in OpenAI's encoder.py),
 * which byte-level BPE vocabularies are written in: printable Latin-1 bytes
 * map to themselves, the others to U+0100.. in byte order ("Ġ" is space).
 *
 * Pure functions over a constant rule: thread-safe.
 */
#ifndef IA_TOKENIZE_BYTE_UNICODE_H
#define IA_TOKENIZE_BYTE_UNICODE_H

#include <stdint.h>

/* The code point byte b is written as. */
uint32_t ia_byte_to_cp(uint8_t b);

/* The byte code point cp stands for, or -1 when cp is not in the map. */
int ia_cp_to_byte(uint32_t cp);

#endif
