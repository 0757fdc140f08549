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

/* Winograd F(mr x mc, 3 x 3) on a batch of (ni x nj) maps, padding 1, stride 1, position-major:
 * src [ni][nj][batch][channels]. Tiles of (mr x mc) outputs, row-major over the map (tile t covers
 * rows (t / tilesJ) * mr ..., tilesJ = ceil(nj / mc)); a tile reads (mr + 2) x (mc + 2) inputs, zero
 * outside the map. The transform points (x, y), x < mr + 2, y < mc + 2, are matrices of
 * rows = tiles * batch lines (line t * batch + b) of `channels` floats:
 *   v[((x * (mc + 2) + y) * rows + t * batch + b) * channels + c] = (BTr d BTc^T)[x][y] for channel c,
 * with btr ((mr + 2) x (mr + 2)) and btc ((mc + 2) x (mc + 2)) row-major. Writes lines line0 ..< line1.
 * 2 <= mr, mc <= 4. */
void ss_winograd_input(const float *src, ptrdiff_t ni, ptrdiff_t nj, ptrdiff_t batch, ptrdiff_t channels,
                       int mr, int mc, const float *btr, const float *btc, ptrdiff_t line0, ptrdiff_t line1, float *v);

/* The inverse: dst[i][j][b][c] = (ATr m ATc^T)[i - i0][j - j0] + bias[c] for the outputs of tiles
 * the given lines inside the map, m laid out as v above with `channels` output channels, atr (mr x
 * (mr + 2)) and atc (mc x (mc + 2)) row-major; bias may be NULL. With `activation` set, a negative
 * value is multiplied by `slope` (0: Relu). Writes the outputs of lines line0 ..< line1. */
void ss_winograd_output(const float *m, ptrdiff_t ni, ptrdiff_t nj, ptrdiff_t batch, ptrdiff_t channels,
                        int mr, int mc, const float *atr, const float *atc, const float *bias, int activation,
                        float slope, ptrdiff_t line0, ptrdiff_t line1, float *dst);

#endif
