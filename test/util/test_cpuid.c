/*
 * test_cpuid.c — the CPUID/XCR0 decoder on synthetic registers, bit by bit,
 * and on this CPU against /proc/cpuinfo.
 *
 * The bit of each flag is written here again from the Intel SDM (vol. 2A,
 * CPUID, tables 3-8 and 3-10), not taken from the decoder, so a decoder
 * reading a wrong bit — even one a real CPU sets together with the right
 * one, which no machine test would notice — fails here.
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "util/cpuid.h"

enum { ECX1, EDX1, EBX7, ECX7, EDX7, EAX71 };

/* name (/proc/cpuinfo), register, bit, the flag it needs (Linux's
 * cpuid-deps.c), the XCR0 class it needs: 0 none, 1 YMM, 2 ZMM, 3 AMX. */
static const struct {
    const char *name;
    int reg, bit;
    const char *dep;
    int state;
} sdm[] = {
    {"sse2", EDX1, 26, NULL, 0},
    {"ssse3", ECX1, 9, NULL, 0},
    {"sse4_1", ECX1, 19, NULL, 0},
    {"sse4_2", ECX1, 20, NULL, 0},
    {"avx", ECX1, 28, NULL, 1},
    {"fma", ECX1, 12, "avx", 1},
    {"f16c", ECX1, 29, "avx", 1},
    {"avx2", EBX7, 5, "avx", 1},
    {"avx512f", EBX7, 16, "avx", 2},
    {"avx512dq", EBX7, 17, "avx512f", 2},
    {"avx512ifma", EBX7, 21, "avx512f", 2},
    {"avx512cd", EBX7, 28, "avx512f", 2},
    {"avx512bw", EBX7, 30, "avx512f", 2},
    {"avx512vl", EBX7, 31, "avx512f", 2},
    {"avx512vbmi", ECX7, 1, "avx512f", 2},
    {"avx512_vbmi2", ECX7, 6, "avx512vl", 2},
    {"avx512_vnni", ECX7, 11, "avx512vl", 2},
    {"avx512_bitalg", ECX7, 12, "avx512vl", 2},
    {"avx512_vpopcntdq", ECX7, 14, "avx512f", 2},
    {"avx512_fp16", EDX7, 23, "avx512bw", 2},
    {"avx_vnni", EAX71, 4, "avx2", 1},
    {"avx512_bf16", EAX71, 5, "avx512vl", 2},
    {"amx_tile", EDX7, 24, NULL, 3},
    {"amx_int8", EDX7, 25, "amx_tile", 3},
    {"amx_bf16", EDX7, 22, "amx_tile", 3},
    {"sha_ni", EBX7, 29, "sse2", 0},
};
#define N_SDM ((int)(sizeof sdm / sizeof sdm[0]))

#define OSXSAVE (1u << 27)
#define XCR0_ALL 0x600E7ull /* x87, SSE, AVX, opmask, ZMM_Hi256, Hi16_ZMM, XTILECFG, XTILEDATA */
#define XFD (1u << 4)

static int sdm_index(const char *name) {
    for (int i = 0; i < N_SDM; i++)
        if (strcmp(sdm[i].name, name) == 0) return i;
    return -1;
}

/* The decoder's flag of that name, or -1. */
static int flag_of(const char *name) {
    for (int f = 0; f < IA_CPU_FLAG_COUNT; f++)
        if (strcmp(ia_cpu_flag_name((ia_cpu_flag)f), name) == 0) return f;
    return -1;
}

static int has(ia_cpu_flags fl, const char *name) {
    int f = flag_of(name);
    return f >= 0 && ia_cpu_flags_has(fl, (ia_cpu_flag)f);
}

static uint32_t *reg_of(ia_cpuid_regs *r, int reg) {
    switch (reg) {
    case ECX1: return &r->leaf1_ecx;
    case EDX1: return &r->leaf1_edx;
    case EBX7: return &r->leaf7_ebx;
    case ECX7: return &r->leaf7_ecx;
    case EDX7: return &r->leaf7_edx;
    default: return &r->leaf7_1_eax;
    }
}

/* Every leaf present, OSXSAVE, all state enabled, XFD; no feature bits. */
static ia_cpuid_regs enabled_base(void) {
    ia_cpuid_regs r;
    memset(&r, 0, sizeof r);
    r.max_leaf = 0x20;
    r.leaf7_max_subleaf = 1;
    r.leaf1_ecx = OSXSAVE;
    r.leafd_1_eax = XFD;
    r.xcr0 = XCR0_ALL;
    return r;
}

/* Sets the bits of sdm[i] and of everything it depends on; marks them in
 * chain[] (1 = in the chain). */
static void set_chain(ia_cpuid_regs *r, int i, int *chain) {
    while (i >= 0) {
        *reg_of(r, sdm[i].reg) |= 1u << sdm[i].bit;
        chain[i] = 1;
        i = sdm[i].dep ? sdm_index(sdm[i].dep) : -1;
    }
}

/* The decoder knows exactly the flags of the table above (by name). */
IA_TEST(cpuid_flags_are_the_documented_ones) {
    CHECK_MSG(IA_CPU_FLAG_COUNT == N_SDM, "decoder has %d flags, the SDM table %d", (int)IA_CPU_FLAG_COUNT, N_SDM);
    for (int f = 0; f < IA_CPU_FLAG_COUNT; f++)
        CHECK_MSG(sdm_index(ia_cpu_flag_name((ia_cpu_flag)f)) >= 0, "flag %s is not in the test's table",
                  ia_cpu_flag_name((ia_cpu_flag)f));
    for (int i = 0; i < N_SDM; i++) {
        CHECK_MSG(flag_of(sdm[i].name) >= 0, "decoder lacks %s", sdm[i].name);
        CHECK_MSG(!sdm[i].dep || sdm_index(sdm[i].dep) >= 0, "bad dep of %s", sdm[i].name);
    }
    CHECK(strcmp(ia_cpu_flag_name(IA_CPU_FLAG_COUNT), "?") == 0);
}

/* Each flag lights from its documented bit plus its dependencies' bits,
 * and nothing else lights with them. */
IA_TEST(cpuid_each_flag_from_its_bit) {
    for (int i = 0; i < N_SDM; i++) {
        ia_cpuid_regs r = enabled_base();
        int chain[N_SDM] = {0};
        ia_cpu_flags fl;
        set_chain(&r, i, chain);
        fl = ia_cpuid_decode(&r);
        CHECK_MSG(has(fl, sdm[i].name), "%s: off with its bit (reg %d bit %d) and its dependencies set",
                  sdm[i].name, sdm[i].reg, sdm[i].bit);
        for (int k = 0; k < N_SDM; k++)
            CHECK_MSG(has(fl, sdm[k].name) == chain[k], "%s's bits: %s is %s", sdm[i].name, sdm[k].name,
                      chain[k] ? "off" : "on");
        /* its own bit cleared: off, and so is everything that needs it */
        *reg_of(&r, sdm[i].reg) &= ~(1u << sdm[i].bit);
        CHECK_MSG(!has(ia_cpuid_decode(&r), sdm[i].name), "%s: on without its bit", sdm[i].name);
    }
}

/* A flag stays off when the flag it depends on is off, every other bit of
 * the CPU being set (avx512_vnni needs avx512vl, not just avx512f). */
IA_TEST(cpuid_dependencies) {
    for (int i = 0; i < N_SDM; i++) {
        ia_cpuid_regs r = enabled_base();
        int d = sdm[i].dep ? sdm_index(sdm[i].dep) : -1;
        if (d < 0) continue;
        r.leaf1_ecx = r.leaf1_edx = r.leaf7_ebx = r.leaf7_ecx = r.leaf7_edx = r.leaf7_1_eax = 0xFFFFFFFFu;
        CHECK_MSG(has(ia_cpuid_decode(&r), sdm[i].name), "%s off with every bit set", sdm[i].name);
        *reg_of(&r, sdm[d].reg) &= ~(1u << sdm[d].bit);
        CHECK_MSG(!has(ia_cpuid_decode(&r), sdm[i].name), "%s: on without %s", sdm[i].name, sdm[d].name);
    }
}

/* A register with only the neighbouring bits of a flag set (its
 * dependencies on) does not light the flag: avx512_vnni is ECX bit 11, not
 * 10 or 12 (avx512_bitalg). */
IA_TEST(cpuid_neighbour_bits_do_not_light) {
    for (int i = 0; i < N_SDM; i++) {
        ia_cpuid_regs r = enabled_base();
        int chain[N_SDM] = {0};
        uint32_t *reg;
        set_chain(&r, i, chain);
        reg = reg_of(&r, sdm[i].reg);
        *reg &= ~(1u << sdm[i].bit);
        if (sdm[i].bit > 0) *reg |= 1u << (sdm[i].bit - 1);
        if (sdm[i].bit < 31) *reg |= 1u << (sdm[i].bit + 1);
        CHECK_MSG(!has(ia_cpuid_decode(&r), sdm[i].name), "%s: lit by bit %d or %d", sdm[i].name,
                  sdm[i].bit - 1, sdm[i].bit + 1);
        /* the same bit in another of the registers does not light it either */
        r = enabled_base();
        memset(chain, 0, sizeof chain);
        set_chain(&r, i, chain);
        *reg_of(&r, sdm[i].reg) &= ~(1u << sdm[i].bit);
        for (int g = ECX1; g <= EAX71; g++)
            if (g != sdm[i].reg) *reg_of(&r, g) |= 1u << sdm[i].bit;
        r.leaf1_ecx |= OSXSAVE; /* bit 27 may be the one just moved around */
        CHECK_MSG(!has(ia_cpuid_decode(&r), sdm[i].name), "%s: lit by bit %d of another register", sdm[i].name,
                  sdm[i].bit);
    }
}

/* Every CPUID bit set; which flags XCR0 (and OSXSAVE, XFD) allow. */
static ia_cpu_flags all_bits_with(uint64_t xcr0, int osxsave, int xfd) {
    ia_cpuid_regs r = enabled_base();
    r.leaf1_ecx = r.leaf1_edx = r.leaf7_ebx = r.leaf7_ecx = r.leaf7_edx = r.leaf7_1_eax = 0xFFFFFFFFu;
    if (!osxsave) r.leaf1_ecx &= ~OSXSAVE;
    r.leafd_1_eax = xfd ? XFD : 0;
    r.xcr0 = xcr0;
    return ia_cpuid_decode(&r);
}

/* 1 if exactly the flags of state classes <= max_state (and the AMX class
 * when amx) are on. */
static int states_on(ia_cpu_flags fl, int max_state, int amx, char *why, size_t cap) {
    for (int i = 0; i < N_SDM; i++) {
        int want = sdm[i].state == 3 ? amx : sdm[i].state <= max_state;
        if (has(fl, sdm[i].name) != want) {
            snprintf(why, cap, "%s is %s", sdm[i].name, want ? "off" : "on");
            return 0;
        }
    }
    return 1;
}

IA_TEST(cpuid_xcr0_gates_os_state) {
    static const struct {
        uint64_t xcr0;
        int osxsave, xfd, max_state, amx;
        const char *what;
    } cases[] = {
        {XCR0_ALL, 1, 1, 2, 1, "everything enabled"},
        {XCR0_ALL, 0, 1, 0, 0, "OSXSAVE clear: XCR0 cannot be read, nothing VEX-encoded"},
        {0x7, 1, 1, 1, 0, "x87|SSE|AVX: the AVX class only"},
        {0x3, 1, 1, 0, 0, "no XCR0 bit 2 (upper YMM): no AVX"},
        {0x5, 1, 1, 0, 0, "no XCR0 bit 1 (SSE): no AVX"},
        {0x67, 1, 1, 1, 0, "no XCR0 bit 7 (ZMM16-31): no AVX-512"},
        {0xA7, 1, 1, 1, 0, "no XCR0 bit 6 (ZMM0-15 upper): no AVX-512"},
        {0xC7, 1, 1, 1, 0, "no XCR0 bit 5 (opmask): no AVX-512"},
        {0xE3, 1, 1, 0, 0, "ZMM state without YMM: neither"},
        {0xE7, 1, 1, 2, 0, "no AMX state"},
        {0xE7 | (1ull << 17), 1, 1, 2, 0, "XTILECFG without XTILEDATA: no AMX"},
        {0xE7 | (1ull << 18), 1, 1, 2, 0, "XTILEDATA without XTILECFG: no AMX"},
        {0x7 | XCR0_ALL, 1, 0, 2, 0, "no XFD: no AMX (as Linux)"},
        {0x7 | (1ull << 17) | (1ull << 18), 1, 1, 1, 1, "AMX state without ZMM: AMX, no AVX-512"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char why[96] = "";
        ia_cpu_flags fl = all_bits_with(cases[i].xcr0, cases[i].osxsave, cases[i].xfd);
        CHECK_MSG(states_on(fl, cases[i].max_state, cases[i].amx, why, sizeof why), "xcr0 %#llx, %s: %s",
                  (unsigned long long)cases[i].xcr0, cases[i].what, why);
    }
}

/* Leaves above the maximum are not read: CPUID answers them with other
 * data, not zeros. */
IA_TEST(cpuid_leaf_limits) {
    ia_cpuid_regs r = enabled_base();
    ia_cpu_flags fl;
    r.leaf1_ecx = r.leaf1_edx = r.leaf7_ebx = r.leaf7_ecx = r.leaf7_edx = r.leaf7_1_eax = 0xFFFFFFFFu;
    r.max_leaf = 6;
    fl = ia_cpuid_decode(&r);
    CHECK(has(fl, "avx") && has(fl, "fma") && !has(fl, "avx2") && !has(fl, "avx512f") && !has(fl, "amx_tile"));
    r.max_leaf = 0xC; /* leaf 7 valid, 0xD not: XFD unknown, so no AMX */
    fl = ia_cpuid_decode(&r);
    CHECK(has(fl, "avx2") && has(fl, "avx512_vnni") && !has(fl, "amx_tile"));
    r.max_leaf = 0xD;
    r.leaf7_max_subleaf = 0; /* no leaf 7.1 */
    fl = ia_cpuid_decode(&r);
    CHECK(has(fl, "amx_tile") && !has(fl, "avx_vnni") && !has(fl, "avx512_bf16") && has(fl, "avx512_fp16"));
    r.max_leaf = 0;
    CHECK(ia_cpuid_decode(&r) == 0);
    CHECK(ia_cpuid_decode(NULL) == 0);
}

/* On this machine: the decoded flags are /proc/cpuinfo's, name by name
 * (every decoder name is a /proc/cpuinfo name). */
IA_TEST(cpuid_matches_proc_cpuinfo) {
#if defined(__x86_64__) || defined(__i386__)
    static char line[16384];
    ia_cpuid_regs r;
    ia_cpu_flags fl;
    FILE *f = fopen("/proc/cpuinfo", "r");
    int found = 0;
    REQUIRE(f != NULL); /* the test machine is Linux */
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "flags", 5) == 0 && strchr(line, ':')) {
            found = 1;
            break;
        }
    fclose(f);
    REQUIRE(found);
    line[strcspn(line, "\n")] = ' ';
    ia_cpuid_read(&r);
    fl = ia_cpuid_decode(&r);
    for (int i = 0; i < IA_CPU_FLAG_COUNT; i++) {
        char word[64];
        snprintf(word, sizeof word, " %s ", ia_cpu_flag_name((ia_cpu_flag)i));
        CHECK_MSG(ia_cpu_flags_has(fl, (ia_cpu_flag)i) == (strstr(line, word) != NULL),
                  "%s: decoded %d, /proc/cpuinfo %d", ia_cpu_flag_name((ia_cpu_flag)i),
                  ia_cpu_flags_has(fl, (ia_cpu_flag)i), strstr(line, word) != NULL);
    }
#else
    ia_cpuid_regs r;
    ia_cpuid_read(&r);
    CHECK(ia_cpuid_decode(&r) == 0);
#endif
}
