#include "ckernels.h"

/* Products and sums rounded one at a time, as the Swift loops and onnxruntime round them. */
#pragma clang fp contract(off)

__attribute__((target_clones("avx512f", "avx2", "default")))
void ss_roi_align_average(const float *image, ptrdiff_t channels, const SSRoiSample *samples, ptrdiff_t bins,
                          ptrdiff_t perBin, float divisor, float *restrict acc, float *restrict out) {
    for (ptrdiff_t bin = 0; bin < bins; bin++) {
        for (ptrdiff_t k = 0; k < channels; k++) acc[k] = 0;
        const SSRoiSample *s = samples + bin * perBin;
        for (ptrdiff_t i = 0; i < perBin; i++, s++) {
            const float *restrict a = image + s->p1 * channels, *restrict b = image + s->p2 * channels;
            const float *restrict c = image + s->p3 * channels, *restrict d = image + s->p4 * channels;
            const float w1 = s->w1, w2 = s->w2, w3 = s->w3, w4 = s->w4;
            for (ptrdiff_t k = 0; k < channels; k++) acc[k] += w1 * a[k] + w2 * b[k] + w3 * c[k] + w4 * d[k];
        }
        for (ptrdiff_t k = 0; k < channels; k++) out[k * bins + bin] = acc[k] / divisor;
    }
}
