/*
 * test_quant_stsb.c — the accuracy cost of quantisation on the real task:
 * STS-B dev Spearman of all-MiniLM-L6-v2 quantised at load, against the
 * sentence-transformers fp32 figure in test/fixtures/stsb_reference.json
 * (scripts/make_stsb_reference.py). Bounds are the targets: int8
 * loses < 0.1 %, int4 ≤ 0.3 % (measured: int8 +0.00 %, int4 q4_0 −0.03 %,
 * i.e. a hair better; docs/quantization.md).
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ipfs_accelerate.h"
#include "util/mapped_file.h"

static double reference_spearman(void) {
    char *text = NULL;
    size_t len;
    double v = NAN;
    if (ia_read_text_file(ia_test_source_path("test/fixtures/stsb_reference.json"), 1u << 20, &text, &len) != IA_OK)
        return NAN;
    cJSON *root = cJSON_ParseWithLength(text, len), *x = cJSON_GetObjectItem(root, "spearman_cosine");
    if (cJSON_IsNumber(x)) v = x->valuedouble;
    cJSON_Delete(root);
    free(text);
    return v;
}

static void check_precision(int *ia_failed_, ia_precision p, double max_loss) {
    ia_hardware_profile prof;
    IA_HARDWARE_PROFILE_INIT(&prof);
    ia_model *m = NULL;
    double ref = reference_spearman(), rho = 0;
    size_t pairs = 0;
    REQUIRE(!isnan(ref) && ia_test_model_dir());
    prof.backend = "cpu";
    prof.precision = p;
    CHECK_STATUS(ia_model_open_profile(ia_test_model_dir(), &prof, &m), IA_OK);
    REQUIRE(m);
    CHECK_STATUS(ia_eval_stsb(m, ia_test_source_path("../shared/data/stsb-en-dev.csv"), &rho, &pairs), IA_OK);
    ia_model_free(m);
    CHECK(pairs == 1500);
    double loss = (ref - rho) / ref;
    fprintf(stderr, "  %s: spearman %.4f vs fp32 %.4f, relative loss %.3f %%\n", ia_precision_name(p), 100 * rho,
            100 * ref, 100 * loss);
    CHECK_MSG(loss < max_loss, "%s loses %.3f %% on STS-B (bound %.2f %%)", ia_precision_name(p), 100 * loss,
              100 * max_loss);
}

IA_TEST_HEAVY(quant_stsb_int8_loses_under_0_1_percent) { check_precision(ia_failed_, IA_PRECISION_INT8, 0.001); }

IA_TEST_HEAVY(quant_stsb_int4_loses_at_most_0_3_percent) { check_precision(ia_failed_, IA_PRECISION_INT4, 0.003); }
