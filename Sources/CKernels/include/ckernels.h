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
 * lines (line t * batch + b, tiles * batch in all) of `channels` floats, held for a chunk of lines
 * starting at lineBase, lineStride lines per point:
 *   v[((x * (mc + 2) + y) * lineStride + t * batch + b - lineBase) * channels + c] = (BTr d BTc^T)[x][y]
 * for channel c, with btr ((mr + 2) x (mr + 2)) and btc ((mc + 2) x (mc + 2)) row-major. Writes the
 * points of rows x0 <= x < x1 only, at x - x0 in place of x, and lines line0 ..< line1 (inside the
 * chunk). 2 <= mr, mc <= 4. */
void ss_winograd_input(const float *src, ptrdiff_t ni, ptrdiff_t nj, ptrdiff_t batch, ptrdiff_t channels,
                       int mr, int mc, const float *btr, const float *btc, int x0, int x1, ptrdiff_t line0, ptrdiff_t line1,
                       ptrdiff_t lineBase, ptrdiff_t lineStride, float *v);

/* The inverse, over the points of rows x0 <= x < x1 (m laid out as v above, x - x0 in place of x,
 * with `channels` output channels; atr (mr x (mr + 2)) and atc (mc x (mc + 2)) row-major): for the
 * outputs of lines line0 ..< line1 inside the map, dst[i][j][b][c] = (ATr m ATc^T)[i - i0][j - j0]
 * restricted to those rows, added to dst unless `first`. With `last`, bias[c] is added (bias may be
 * NULL) and, with `activation` set, a negative value multiplied by `slope` (0: Relu). Row groups
 * from first to last make the whole transform. */
void ss_winograd_output(const float *m, ptrdiff_t ni, ptrdiff_t nj, ptrdiff_t batch, ptrdiff_t channels,
                        int mr, int mc, const float *atr, const float *atc, int x0, int x1, int first, int last,
                        const float *bias, int activation, float slope, ptrdiff_t line0, ptrdiff_t line1,
                        ptrdiff_t lineBase, ptrdiff_t lineStride, float *dst);

/* The transformed weights: u[p * elements + e] = sum over the nine taps t of coefficients[p * 9 + t]
 * * w9[t * elements + e] for the points p < `points`, elements element0 ..< element1 (w9: the nine
 * taps' [C x Cout] matrices, elements = C * Cout; coefficients[p * 9 + ky * 3 + kx] = Gr[x][ky] *
 * Gc[y][kx] for p = x * (mc + 2) + y). Reads each tap once per chunk of elements. */
void ss_winograd_weights(const float *w9, ptrdiff_t elements, int points, const float *coefficients, ptrdiff_t element0,
                         ptrdiff_t element1, float *u);

/* The apply pass of InstanceNormalization on a channel-blocked layout: for `positions` positions of
 * `lanes` channels (8 or 16; any count works, slower), y = x * a[lane] + b[lane], then with `leaky`
 * y = y < 0 ? y * slope : y (ReLU: slope 0). Product and sum rounded one at a time (no fused
 * multiply-add). x and y are the same buffer or do not overlap. */
void ss_block_affine(const float *x, float *y, ptrdiff_t positions, int lanes, const float *a, const float *b, int leaky, float slope);

#endif
