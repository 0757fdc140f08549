#include "ckernels.h"

/* Product, then sum, each rounded: the values of the Swift loop this replaces on every CPU. */
#pragma clang fp contract(off)

/* One position's lanes through a local copy: x and y may be the same buffer (in place). */
#define SS_AFFINE(L)                                                                   \
    for (ptrdiff_t p = 0; p < positions; p++) {                                        \
        float v[L];                                                                    \
        for (int l = 0; l < L; l++) v[l] = x[p * L + l] * a[l] + b[l];                 \
        if (leaky) for (int l = 0; l < L; l++) v[l] = v[l] < 0 ? v[l] * slope : v[l];  \
        for (int l = 0; l < L; l++) y[p * L + l] = v[l];                               \
    }

__attribute__((target_clones("avx512f", "avx2", "default")))
void ss_block_affine(const float *x, float *y, ptrdiff_t positions, int lanes, const float *a, const float *b, int leaky, float slope) {
    if (lanes == 16) {
        SS_AFFINE(16)
    } else if (lanes == 8) {
        SS_AFFINE(8)
    } else {
        for (ptrdiff_t p = 0; p < positions; p++) {
            for (int l = 0; l < lanes; l++) {
                float v = x[p * lanes + l] * a[l] + b[l];
                y[p * lanes + l] = leaky && v < 0 ? v * slope : v;
            }
        }
    }
}
