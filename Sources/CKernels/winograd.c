#include "ckernels.h"

/* Winograd F(mr x mc, 3 x 3) transforms over position-major maps (see ckernels.h). Channels run in
 * blocks of SS_WINO_CB so that the per-tile arrays stay in registers and L1; the inner loops run
 * over a block's channels and vectorise. Coefficients that are zero are skipped. */

enum { SS_WINO_CB = 16, SS_WINO_MAX = 6 };

/* Tile t of a (ni x nj) map in tiles of (mr x mc): its first row and column. */
static inline void ss_tile_origin(ptrdiff_t t, ptrdiff_t nj, int mr, int mc, ptrdiff_t *i0, ptrdiff_t *j0) {
    const ptrdiff_t tilesJ = (nj + mc - 1) / mc;
    *i0 = (t / tilesJ) * mr;
    *j0 = (t % tilesJ) * mc;
}

__attribute__((target_clones("avx512f", "avx2", "default")))
void ss_winograd_input(const float *src, ptrdiff_t ni, ptrdiff_t nj, ptrdiff_t batch, ptrdiff_t channels,
                       int mr, int mc, const float *btr, const float *btc, int x0, int x1, ptrdiff_t line0, ptrdiff_t line1,
                       ptrdiff_t lineBase, ptrdiff_t lineStride, float *restrict v) {
    const int ar = mr + 2, ac = mc + 2;
    float d[SS_WINO_MAX][SS_WINO_MAX][SS_WINO_CB], tmp[SS_WINO_MAX][SS_WINO_MAX][SS_WINO_CB];
    for (ptrdiff_t line = line0; line < line1; line++) {
        const ptrdiff_t t = line / batch, b = line % batch;
        ptrdiff_t i0, j0;
        ss_tile_origin(t, nj, mr, mc, &i0, &j0);
        i0 -= 1; j0 -= 1; /* padding 1 on the phase sub-image */
        {
            for (ptrdiff_t c0 = 0; c0 < channels; c0 += SS_WINO_CB) {
                const ptrdiff_t cb = channels - c0 < SS_WINO_CB ? channels - c0 : SS_WINO_CB;
                for (int u = 0; u < ar; u++) {
                    const ptrdiff_t i = i0 + u;
                    for (int w = 0; w < ac; w++) {
                        const ptrdiff_t j = j0 + w;
                        if (i < 0 || i >= ni || j < 0 || j >= nj) {
                            for (ptrdiff_t k = 0; k < SS_WINO_CB; k++) d[u][w][k] = 0;
                        } else {
                            const float *s = src + ((i * nj + j) * batch + b) * channels + c0;
                            for (ptrdiff_t k = 0; k < cb; k++) d[u][w][k] = s[k];
                            for (ptrdiff_t k = cb; k < SS_WINO_CB; k++) d[u][w][k] = 0;
                        }
                    }
                }
                /* tmp = BTr d (rows x0 ..< x1), then V = tmp BTc^T. */
                for (int x = x0; x < x1; x++) {
                    for (int w = 0; w < ac; w++) {
                        float acc[SS_WINO_CB] = {0};
                        for (int u = 0; u < ar; u++) {
                            const float f = btr[x * ar + u];
                            if (f == 0) continue;
                            for (int k = 0; k < SS_WINO_CB; k++) acc[k] += f * d[u][w][k];
                        }
                        for (int k = 0; k < SS_WINO_CB; k++) tmp[x][w][k] = acc[k];
                    }
                }
                for (int x = x0; x < x1; x++) {
                    for (int y = 0; y < ac; y++) {
                        float acc[SS_WINO_CB] = {0};
                        for (int w = 0; w < ac; w++) {
                            const float f = btc[y * ac + w];
                            if (f == 0) continue;
                            for (int k = 0; k < SS_WINO_CB; k++) acc[k] += f * tmp[x][w][k];
                        }
                        float *o = v + ((ptrdiff_t)((x - x0) * ac + y) * lineStride + line - lineBase) * channels + c0;
                        for (ptrdiff_t k = 0; k < cb; k++) o[k] = acc[k];
                    }
                }
            }
        }
    }
}

__attribute__((target_clones("avx512f", "avx2", "default")))
void ss_winograd_output(const float *m, ptrdiff_t ni, ptrdiff_t nj, ptrdiff_t batch, ptrdiff_t channels,
                        int mr, int mc, const float *atr, const float *atc, int x0, int x1, int first, int last,
                        const float *bias, int activation, float slope, ptrdiff_t line0, ptrdiff_t line1,
                        ptrdiff_t lineBase, ptrdiff_t lineStride, float *restrict dst) {
    const int ar = mr + 2, ac = mc + 2;
    float q[SS_WINO_MAX][SS_WINO_MAX][SS_WINO_CB], tmp[SS_WINO_MAX][SS_WINO_MAX][SS_WINO_CB];
    for (ptrdiff_t line = line0; line < line1; line++) {
        const ptrdiff_t t = line / batch, b = line % batch;
        ptrdiff_t i0, j0;
        ss_tile_origin(t, nj, mr, mc, &i0, &j0);
        {
            for (ptrdiff_t c0 = 0; c0 < channels; c0 += SS_WINO_CB) {
                const ptrdiff_t cb = channels - c0 < SS_WINO_CB ? channels - c0 : SS_WINO_CB;
                for (int x = x0; x < x1; x++) {
                    for (int y = 0; y < ac; y++) {
                        const float *s = m + ((ptrdiff_t)((x - x0) * ac + y) * lineStride + line - lineBase) * channels + c0;
                        for (ptrdiff_t k = 0; k < cb; k++) q[x][y][k] = s[k];
                        for (ptrdiff_t k = cb; k < SS_WINO_CB; k++) q[x][y][k] = 0;
                    }
                }
                /* tmp = ATr q, then Y = tmp ATc^T. */
                for (int p = 0; p < mr; p++) {
                    for (int y = 0; y < ac; y++) {
                        float acc[SS_WINO_CB] = {0};
                        for (int x = x0; x < x1; x++) {
                            const float f = atr[p * ar + x];
                            if (f == 0) continue;
                            for (int k = 0; k < SS_WINO_CB; k++) acc[k] += f * q[x][y][k];
                        }
                        for (int k = 0; k < SS_WINO_CB; k++) tmp[p][y][k] = acc[k];
                    }
                }
                for (int p = 0; p < mr && i0 + p < ni; p++) {
                    for (int r = 0; r < mc && j0 + r < nj; r++) {
                        float acc[SS_WINO_CB];
                        for (int k = 0; k < SS_WINO_CB; k++) acc[k] = 0;
                        for (int y = 0; y < ac; y++) {
                            const float f = atc[r * ac + y];
                            if (f == 0) continue;
                            for (int k = 0; k < SS_WINO_CB; k++) acc[k] += f * tmp[p][y][k];
                        }
                        float *o = dst + (((i0 + p) * nj + j0 + r) * batch + b) * channels + c0;
                        for (ptrdiff_t k = 0; k < cb; k++) {
                            float value = first ? acc[k] : o[k] + acc[k];
                            if (last) {
                                if (bias) value += bias[c0 + k];
                                if (activation && value < 0) value *= slope;
                            }
                            o[k] = value;
                        }
                    }
                }
            }
        }
    }
}

__attribute__((target_clones("avx512f", "avx2", "default")))
void ss_winograd_weights(const float *w9, ptrdiff_t elements, int points, const float *coefficients, ptrdiff_t element0,
                         ptrdiff_t element1, float *restrict u) {
    enum { CHUNK = 256 };
    for (ptrdiff_t e0 = element0; e0 < element1; e0 += CHUNK) {
        const ptrdiff_t n = element1 - e0 < CHUNK ? element1 - e0 : CHUNK;
        for (int p = 0; p < points; p++) {
            float acc[CHUNK] = {0};
            for (int t = 0; t < 9; t++) {
                const float f = coefficients[p * 9 + t];
                if (f == 0) continue;
                const float *s = w9 + t * elements + e0;
                for (ptrdiff_t k = 0; k < n; k++) acc[k] += f * s[k];
            }
            float *o = u + p * elements + e0;
            for (ptrdiff_t k = 0; k < n; k++) o[k] = acc[k];
        }
    }
}
