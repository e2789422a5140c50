/*
 * cosine.c — see cosine.h.
 */
#include "util/cosine.h"

#include <math.h>

double ia_cosine(const float *x, const float *y, int dim) {
    double dot = 0, nx = 0, ny = 0;
    for (int i = 0; i < dim; i++) {
        dot += (double)x[i] * y[i];
        nx += (double)x[i] * x[i];
        ny += (double)y[i] * y[i];
    }
    return nx > 0 && ny > 0 ? dot / (sqrt(nx) * sqrt(ny)) : 0.0;
}
