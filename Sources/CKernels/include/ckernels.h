#ifndef SEGSTATION_CKERNELS_H
#define SEGSTATION_CKERNELS_H
/* Hot loops of the engine's own kernels that need the CPU's vector width: Swift compiles for the
 * x86-64 baseline (SSE2), and these are built once per instruction set and chosen when the program
 * loads (target_clones), so one binary runs everywhere and uses AVX-512 where it exists. */
#include <stddef.h>

/* One bilinear sample of RoiAlign: offsets of its four corner pixels (in pixels of a channels-last
 * image) and their weights. */
typedef struct {
    ptrdiff_t p1, p2, p3, p4;
    float w1, w2, w3, w4;
} SSRoiSample;

/* RoiAlign's average mode for one RoI on a channels-last image [h * w, channels]: for every bin
 * (samples[bin * perBin ..< (bin + 1) * perBin]) and channel k,
 *   out[k * bins + bin] = (sum over the bin's samples, in order, of
 *                          w1 * p1[k] + w2 * p2[k] + w3 * p3[k] + w4 * p4[k]) / divisor,
 * each sum and product rounded as written (no fused multiply-add), so the result equals the plain
 * loop's. `acc` is scratch room for `channels` floats. */
void ss_roi_align_average(const float *image, ptrdiff_t channels, const SSRoiSample *samples, ptrdiff_t bins,
                          ptrdiff_t perBin, float divisor, float *acc, float *out);

#endif
