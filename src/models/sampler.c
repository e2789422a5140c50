/*
 * sampler.c — the sampling chain (see sampler.h and ia_sampling_options).
 *
 * Candidates are (id, logit) pairs. Top-k keeps the k largest with a
 * partial selection, then sorts only those; without top-k the whole
 * vocabulary is sorted once, and only when top-p needs the order. The
 * random stream is xoshiro256** seeded through splitmix64 (the seeding
 * its authors recommend); a draw uses the top 24 bits as a float in
 * [0, 1), so the same seed gives the same tokens on every machine.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "models/sampler.h"
#include "util/error.h"
#include "util/struct_size.h"

typedef struct cand {
    int32_t id;
    float logit;
} cand;

struct ia_sampler {
    ia_sampling_options o;
    int vocab;
    cand *c;          /* [vocab] */
    float *p;         /* [vocab] probabilities of the kept candidates */
    int32_t *counts;  /* [vocab] occurrences in the penalty window */
    uint64_t rng[4];
};

void ia_sampling_options_init(ia_sampling_options *o, size_t struct_size) {
    ia_sampling_options d;
    memset(&d, 0, sizeof d);
    d.struct_size = sizeof d;
    d.temperature = 0.8f; /* llama.cpp's common defaults */
    d.top_k = 40;
    d.top_p = 0.95f;
    d.min_p = 0.05f;
    d.repeat_penalty = 1.0f;
    d.penalty_last_n = 64;
    d.seed = IA_SEED_RANDOM;
    ia_struct_export(o, struct_size, &d, sizeof d);
}

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t next_u64(uint64_t s[4]) {
    uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return r;
}

static float next_unit(uint64_t s[4]) { return (float)(next_u64(s) >> 40) * (1.0f / 16777216.0f); }

ia_status ia_sampler_create(const ia_sampling_options *opts, int vocab, ia_sampler **out) {
    ia_sampling_options o;
    ia_sampler *s;
    ia_status st;
    uint64_t seed;
    *out = NULL;
    IA_SAMPLING_OPTIONS_INIT(&o);
    if (opts && (st = ia_struct_import(&o, sizeof o, opts, "IA_SAMPLING_OPTIONS_INIT")) != IA_OK) return st;
    if (!(o.temperature >= 0.0f && o.temperature <= 100.0f))
        return ia_error(IA_ERR_INVALID_ARG, "sampling: temperature must be in [0, 100]");
    if (o.top_k < 0) return ia_error(IA_ERR_INVALID_ARG, "sampling: top_k must be >= 0");
    if (!(o.top_p > 0.0f && o.top_p <= 1.0f)) return ia_error(IA_ERR_INVALID_ARG, "sampling: top_p must be in (0, 1]");
    if (!(o.min_p >= 0.0f && o.min_p <= 1.0f)) return ia_error(IA_ERR_INVALID_ARG, "sampling: min_p must be in [0, 1]");
    if (!(o.repeat_penalty > 0.0f && o.repeat_penalty <= 100.0f))
        return ia_error(IA_ERR_INVALID_ARG, "sampling: repeat_penalty must be in (0, 100]");
    if (!(fabsf(o.presence_penalty) <= 100.0f) || !(fabsf(o.frequency_penalty) <= 100.0f))
        return ia_error(IA_ERR_INVALID_ARG, "sampling: presence and frequency penalties must be in [-100, 100]");
    if (o.penalty_last_n < -1) return ia_error(IA_ERR_INVALID_ARG, "sampling: penalty_last_n must be >= -1");
    if (vocab < 1) return ia_error(IA_ERR_INVALID_ARG, "sampling: empty vocabulary");
    if (!(s = calloc(1, sizeof *s)) || !(s->c = malloc((size_t)vocab * sizeof *s->c)) ||
        !(s->p = malloc((size_t)vocab * sizeof *s->p)) || !(s->counts = calloc((size_t)vocab, sizeof *s->counts))) {
        ia_sampler_free(s);
        return ia_error(IA_ERR_NOMEM, "sampler");
    }
    s->o = o;
    s->vocab = vocab;
    seed = o.seed;
    if (seed == IA_SEED_RANDOM) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        seed = (uint64_t)ts.tv_sec * 1000000007ull ^ (uint64_t)ts.tv_nsec ^ (uint64_t)(uintptr_t)s;
    }
    for (int i = 0; i < 4; i++) s->rng[i] = splitmix64(&seed);
    *out = s;
    return IA_OK;
}

void ia_sampler_free(ia_sampler *s) {
    if (!s) return;
    free(s->c);
    free(s->p);
    free(s->counts);
    free(s);
}

static void apply_penalties(ia_sampler *s, float *logits, const int32_t *hist, size_t n) {
    const ia_sampling_options *o = &s->o;
    size_t from;
    if (o->repeat_penalty == 1.0f && o->presence_penalty == 0.0f && o->frequency_penalty == 0.0f) return;
    if (o->penalty_last_n == 0 || n == 0) return;
    from = o->penalty_last_n < 0 || (size_t)o->penalty_last_n >= n ? 0 : n - (size_t)o->penalty_last_n;
    for (size_t i = from; i < n; i++)
        if (hist[i] >= 0 && hist[i] < s->vocab) s->counts[hist[i]]++;
    for (size_t i = from; i < n; i++) {
        int32_t t = hist[i];
        int c;
        if (t < 0 || t >= s->vocab || (c = s->counts[t]) == 0) continue;
        logits[t] = logits[t] > 0.0f ? logits[t] / o->repeat_penalty : logits[t] * o->repeat_penalty;
        logits[t] -= (float)c * o->frequency_penalty + o->presence_penalty;
        s->counts[t] = 0; /* once per distinct token; also clears for the next call */
    }
}

static int32_t argmax(const float *x, int n) {
    int32_t best = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[best]) best = i;
    return best;
}

/* Descending logit, then ascending id (a total order: equal logits keep a
 * stable, machine-independent ranking). */
static int cand_cmp(const void *a, const void *b) {
    const cand *x = a, *y = b;
    if (x->logit != y->logit) return x->logit < y->logit ? 1 : -1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Keeps the k best of c[0..n) in c[0..k), sorted. A min-heap of the k
 * best seen so far: O(n log k). */
static int keep_top_k(cand *c, int n, int k) {
    if (k >= n) {
        qsort(c, (size_t)n, sizeof *c, cand_cmp);
        return n;
    }
    /* heap of k with the worst (by cand_cmp) at the root */
    for (int i = 0; i < n; i++) {
        if (i < k) {
            int j = i;
            c[j] = c[i];
            while (j > 0 && cand_cmp(&c[j], &c[(j - 1) / 2]) > 0) {
                cand t = c[j];
                c[j] = c[(j - 1) / 2];
                c[(j - 1) / 2] = t;
                j = (j - 1) / 2;
            }
        } else if (cand_cmp(&c[i], &c[0]) < 0) {
            int j = 0;
            c[0] = c[i];
            for (;;) {
                int l = 2 * j + 1, r = l + 1, w = j;
                if (l < k && cand_cmp(&c[l], &c[w]) > 0) w = l;
                if (r < k && cand_cmp(&c[r], &c[w]) > 0) w = r;
                if (w == j) break;
                cand t = c[j];
                c[j] = c[w];
                c[w] = t;
                j = w;
            }
        }
    }
    qsort(c, (size_t)k, sizeof *c, cand_cmp);
    return k;
}

/* Softmax of the sorted candidates' logits / temp into p; returns Σ. */
static double softmax(const cand *c, int n, float temp, float *p) {
    double sum = 0.0;
    for (int i = 0; i < n; i++) sum += (p[i] = expf((c[i].logit - c[0].logit) / temp));
    return sum;
}

int32_t ia_sampler_sample(ia_sampler *s, float *logits, const int32_t *history, size_t n_hist) {
    const ia_sampling_options *o = &s->o;
    int n = s->vocab, keep;
    double sum, acc;
    float r;
    apply_penalties(s, logits, history, n_hist);
    if (o->temperature <= 0.0f) return argmax(logits, n);
    for (int i = 0; i < n; i++) s->c[i] = (cand){i, logits[i]};
    keep = keep_top_k(s->c, n, o->top_k > 0 ? o->top_k : n);
    /* top-p: the smallest prefix whose probability reaches top_p */
    if (o->top_p < 1.0f) {
        sum = softmax(s->c, keep, 1.0f, s->p);
        acc = 0.0;
        for (int i = 0; i < keep; i++) {
            acc += s->p[i] / sum;
            if (acc >= o->top_p) {
                keep = i + 1;
                break;
            }
        }
    }
    /* min-p: p_i ≥ min_p · p_max, i.e. logit_i ≥ logit_max + ln(min_p) */
    if (o->min_p > 0.0f) {
        float floor = s->c[0].logit + logf(o->min_p);
        int k = 1;
        while (k < keep && s->c[k].logit >= floor) k++;
        keep = k;
    }
    sum = softmax(s->c, keep, o->temperature, s->p);
    r = next_unit(s->rng) * (float)sum;
    acc = 0.0;
    for (int i = 0; i < keep; i++) {
        acc += s->p[i];
        if ((float)acc > r) return s->c[i].id;
    }
    return s->c[keep - 1].id;
}
