/*
 * profile.c — hardware profiles: defaults, precision names, memory sizes.
 * Enforcement happens where the model is opened (models/model.c), because
 * only there are the weights' size and the backend known together.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/error.h"
#include "util/struct_size.h"

static const char *const precision_names[] = {"fp32", "fp16", "bf16", "int8", "int4", "int2"};

void ia_hardware_profile_init(ia_hardware_profile *p, size_t struct_size) {
    ia_hardware_profile d;
    memset(&d, 0, sizeof d);
    d.struct_size = sizeof d;
    d.backend = "auto";
    d.precision = IA_PRECISION_FP32;
    d.optimization_level = 2;
    ia_struct_export(p, struct_size, &d, sizeof d);
}

const char *ia_precision_name(ia_precision p) {
    return (unsigned)p < sizeof precision_names / sizeof *precision_names ? precision_names[p] : "?";
}

ia_status ia_precision_parse(const char *name, ia_precision *out) {
    for (size_t i = 0; name && i < sizeof precision_names / sizeof *precision_names; i++)
        if (strcasecmp(name, precision_names[i]) == 0) {
            *out = (ia_precision)i;
            return IA_OK;
        }
    return ia_error(IA_ERR_INVALID_ARG, "unknown precision '%s' (fp32, fp16, bf16, int8, int4, int2)",
                    name ? name : "(null)");
}

ia_status ia_parse_memory_size(const char *text, int64_t *bytes) {
    static const struct {
        const char *unit;
        double scale;
    } units[] = {
        {"", 1.0},        {"b", 1.0},           {"kb", 1e3},          {"mb", 1e6},
        {"gb", 1e9},      {"tb", 1e12},         {"k", 1024.0},        {"m", 1048576.0},
        {"g", 1073741824.0}, {"t", 1099511627776.0}, {"kib", 1024.0}, {"mib", 1048576.0},
        {"gib", 1073741824.0}, {"tib", 1099511627776.0},
    };
    char *end;
    double v;
    if (!text || !bytes) return ia_error(IA_ERR_INVALID_ARG, "memory size: NULL argument");
    v = strtod(text, &end);
    if (end == text || !(v >= 0) || isinf(v)) goto bad;
    while (isspace((unsigned char)*end)) end++;
    for (size_t i = 0; i < sizeof units / sizeof *units; i++)
        if (strcasecmp(end, units[i].unit) == 0) {
            double b = v * units[i].scale;
            if (b >= 9.2e18) goto bad;
            /* round up: "0.5" must not become 0, which means "no limit" */
            *bytes = (int64_t)ceil(b);
            return IA_OK;
        }
bad:
    return ia_error(IA_ERR_INVALID_ARG, "memory size '%s' is not a size such as 4GB, 512MiB or 1000000", text);
}
