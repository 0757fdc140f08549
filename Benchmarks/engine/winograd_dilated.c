// Issue 16 (session 15): oneDNN's direct 3x3 convolution (brgconv on this AVX-512 Xeon) with
// dilation d vs Winograd on its space-to-batch form (the d*d phase sub-images x[a::d, b::d] as the
// batch of one non-dilated 3x3 Winograd convolution), Relu fused in both, interleaved runs, best of
// REPS each; plus the max |difference| between the two outputs and the cost of a plain gather of the
// sub-images (nChw16c vectors). FLOP/s count only taps inside the map (oneDNN skips padded taps).
//   cc -O2 Benchmarks/engine/winograd_dilated.c -ldnnl -lm -o /tmp/winograd_dilated
//   OMP_NUM_THREADS=1 /tmp/winograd_dilated C K H W DILATION [REPS [WINOGRAD_IMPL_INDEX]]
// WINOGRAD_IMPL_INDEX picks among the Winograd implementations oneDNN offers for the shape, in its
// order (for batch 1: 0 = jit_fp32_wino_2x3, 1 = jit_wino_4x3; for larger batches 0 = jit_wino_4x3).
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>
#define CK(x) do { dnnl_status_t s_ = (x); if (s_ != dnnl_success) { fprintf(stderr, "%s:%d status %d: %s\n", __FILE__, __LINE__, s_, #x); exit(1);} } while (0)
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
static dnnl_engine_t eng; static dnnl_stream_t strm;
static dnnl_memory_t mk(const dnnl_memory_desc_t *md) { dnnl_memory_t m; CK(dnnl_memory_create(&m, md, eng, DNNL_MEMORY_ALLOCATE)); return m; }
static float *ptr(dnnl_memory_t m) { void *p; CK(dnnl_memory_get_data_handle(m, &p)); return p; }
static void reorder(dnnl_memory_t a, dnnl_memory_t b) {
  const dnnl_memory_desc_t *amd, *bmd; CK(dnnl_memory_get_memory_desc(a, &amd)); CK(dnnl_memory_get_memory_desc(b, &bmd));
  dnnl_primitive_desc_t pd; CK(dnnl_reorder_primitive_desc_create(&pd, amd, eng, bmd, eng, NULL));
  dnnl_primitive_t p; CK(dnnl_primitive_create(&p, pd));
  dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, a}, {DNNL_ARG_TO, b}};
  CK(dnnl_primitive_execute(p, strm, 2, args)); CK(dnnl_stream_wait(strm));
  dnnl_primitive_destroy(p); dnnl_primitive_desc_destroy(pd);
}
static const char *impl(dnnl_primitive_desc_t pd) { const char *s; CK(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &s)); return s; }
// conv of (N,C,H,W) -> (N,K,H,W), 3x3, dilation dl (oneDNN: dl-1), pad dl; returns pd
static dnnl_primitive_desc_t convpd(dnnl_alg_kind_t alg, int N, int C, int K, int H, int W, int dl, int relu, int idx) {
  dnnl_memory_desc_t s, w, b, d;
  dnnl_dims_t sd = {N, C, H, W}, wd = {K, C, 3, 3}, bd = {K}, dd = {N, K, H, W};
  CK(dnnl_memory_desc_init_by_tag(&s, 4, sd, dnnl_f32, dnnl_format_tag_any));
  CK(dnnl_memory_desc_init_by_tag(&w, 4, wd, dnnl_f32, dnnl_format_tag_any));
  CK(dnnl_memory_desc_init_by_tag(&b, 1, bd, dnnl_f32, dnnl_x));
  CK(dnnl_memory_desc_init_by_tag(&d, 4, dd, dnnl_f32, dnnl_format_tag_any));
  dnnl_dims_t st = {1, 1}, dil = {dl - 1, dl - 1}, pad = {dl, dl};
  dnnl_convolution_desc_t cd;
  CK(dnnl_dilated_convolution_forward_desc_init(&cd, dnnl_forward_inference, alg, &s, &w, &b, &d, st, dil, pad, pad));
  dnnl_primitive_attr_t attr; CK(dnnl_primitive_attr_create(&attr));
  if (relu) { dnnl_post_ops_t po; CK(dnnl_post_ops_create(&po)); CK(dnnl_post_ops_append_eltwise(po, 1.f, dnnl_eltwise_relu, 0, 0)); CK(dnnl_primitive_attr_set_post_ops(attr, po)); dnnl_post_ops_destroy(po); }
  dnnl_primitive_desc_iterator_t it; dnnl_status_t st2 = dnnl_primitive_desc_iterator_create(&it, &cd, attr, eng, NULL);
  dnnl_primitive_attr_destroy(attr);
  if (st2 != dnnl_success) return NULL;
  for (int i = 0; i < idx; i++) if (dnnl_primitive_desc_iterator_next(it) != dnnl_success) { dnnl_primitive_desc_iterator_destroy(it); return NULL; }
  dnnl_primitive_desc_t pd = dnnl_primitive_desc_iterator_fetch(it);
  dnnl_primitive_desc_iterator_destroy(it);
  return pd;
}
typedef struct { dnnl_primitive_t p; dnnl_memory_t s, w, b, d; } run_t;
static run_t setup(dnnl_primitive_desc_t pd, dnnl_memory_t splain, dnnl_memory_t wplain, dnnl_memory_t bplain) {
  run_t r; CK(dnnl_primitive_create(&r.p, pd));
  r.s = mk(dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0));
  r.w = mk(dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0));
  r.d = mk(dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0));
  r.b = bplain;
  if (splain) reorder(splain, r.s);
  reorder(wplain, r.w);
  return r;
}
static double timeit(run_t *r, int reps) {
  dnnl_exec_arg_t a[4] = {{DNNL_ARG_SRC, r->s}, {DNNL_ARG_WEIGHTS, r->w}, {DNNL_ARG_BIAS, r->b}, {DNNL_ARG_DST, r->d}};
  CK(dnnl_primitive_execute(r->p, strm, 4, a)); CK(dnnl_stream_wait(strm));
  double best = 1e9;
  for (int i = 0; i < reps; i++) { double t = now(); CK(dnnl_primitive_execute(r->p, strm, 4, a)); CK(dnnl_stream_wait(strm)); t = now() - t; if (t < best) best = t; }
  return best;
}
static const char *fmt(const dnnl_memory_desc_t *m) { static char buf[8][64]; static int k; char *b = buf[k++ & 7]; if (m->format_kind != dnnl_blocked) { snprintf(b, 64, "kind%d", m->format_kind); return b; } const dnnl_blocking_desc_t *bl = &m->format_desc.blocking; snprintf(b, 64, "str[%ld,%ld,%ld,%ld] blk%d:%ld@%d", (long)bl->strides[0], (long)bl->strides[1], (long)bl->strides[2], (long)bl->strides[3], bl->inner_nblks, bl->inner_nblks ? (long)bl->inner_blks[0] : 0L, bl->inner_nblks ? bl->inner_idxs[0] : -1); return b; }
int main(int argc, char **argv) {
  int C = atoi(argv[1]), K = atoi(argv[2]), H = atoi(argv[3]), W = atoi(argv[4]), dl = atoi(argv[5]), reps = argc > 6 ? atoi(argv[6]) : 5;
  CK(dnnl_engine_create(&eng, dnnl_cpu, 0)); CK(dnnl_stream_create(&strm, eng, dnnl_stream_default_flags));
  // plain data
  dnnl_memory_desc_t xmd, wmd, bmd, ymd;
  dnnl_dims_t xd = {1, C, H, W}, wd = {K, C, 3, 3}, bd = {K}, yd = {1, K, H, W};
  CK(dnnl_memory_desc_init_by_tag(&xmd, 4, xd, dnnl_f32, dnnl_nchw)); CK(dnnl_memory_desc_init_by_tag(&wmd, 4, wd, dnnl_f32, dnnl_oihw));
  CK(dnnl_memory_desc_init_by_tag(&bmd, 1, bd, dnnl_f32, dnnl_x)); CK(dnnl_memory_desc_init_by_tag(&ymd, 4, yd, dnnl_f32, dnnl_nchw));
  dnnl_memory_t X = mk(&xmd), Wt = mk(&wmd), B = mk(&bmd), Y1 = mk(&ymd);
  srand(1); float *x = ptr(X), *w = ptr(Wt), *b = ptr(B);
  for (long i = 0; i < (long)C * H * W; i++) x[i] = (float)rand() / RAND_MAX; // post-ReLU-like, nonnegative
  float ws = 1.f / sqrtf(9.f * C);
  for (long i = 0; i < (long)K * C * 9; i++) w[i] = ws * (2.f * rand() / RAND_MAX - 1.f);
  for (int i = 0; i < K; i++) b[i] = 0.1f * (2.f * rand() / RAND_MAX - 1.f);
  double flops = 0; // counting only taps inside the map
  for (int i = 0; i < H; i++) for (int j = 0; j < W; j++) { int t = 0; for (int a = -1; a <= 1; a++) for (int c = -1; c <= 1; c++) { int ii = i + a * dl, jj = j + c * dl; if (ii >= 0 && ii < H && jj >= 0 && jj < W) t++; } flops += 2.0 * C * K * t; }
  // direct
  dnnl_primitive_desc_t dpd = convpd(dnnl_convolution_direct, 1, C, K, H, W, dl, 1, 0);
  run_t dr = setup(dpd, X, Wt, B);
  reorder(dr.d, Y1);
  // space-to-batch winograd
  int Hs = (H + dl - 1) / dl, Ws = (W + dl - 1) / dl, N = dl * dl;
  int widx = argc > 7 ? atoi(argv[7]) : 0;
  dnnl_primitive_desc_t wpd = convpd(dnnl_convolution_winograd, N, C, K, Hs, Ws, 1, 1, widx);
  if (!wpd) { printf("winograd impl %d unsupported\n", widx); return 0; }
  // build batched plain input
  dnnl_memory_desc_t xbmd, ybmd; dnnl_dims_t xbd = {N, C, Hs, Ws}, ybd = {N, K, Hs, Ws};
  CK(dnnl_memory_desc_init_by_tag(&xbmd, 4, xbd, dnnl_f32, dnnl_nchw)); CK(dnnl_memory_desc_init_by_tag(&ybmd, 4, ybd, dnnl_f32, dnnl_nchw));
  dnnl_memory_t XB = mk(&xbmd), YB = mk(&ybmd); float *xb = ptr(XB);
  for (int a = 0; a < dl; a++) for (int c2 = 0; c2 < dl; c2++) for (int ch = 0; ch < C; ch++) for (int i = 0; i < Hs; i++) for (int j = 0; j < Ws; j++) {
    int ii = a + i * dl, jj = c2 + j * dl;
    xb[(((long)(a * dl + c2) * C + ch) * Hs + i) * Ws + j] = (ii < H && jj < W) ? x[((long)ch * H + ii) * W + jj] : 0.f;
  }
  run_t wr = setup(wpd, XB, Wt, B);
  double td = 1e9, tw = 1e9;
  for (int r = 0; r < reps; r++) { double a = timeit(&dr, 1), c = timeit(&wr, 1); if (a < td) td = a; if (c < tw) tw = c; }
  reorder(dr.d, Y1);
  reorder(wr.d, YB);
  float *y1 = ptr(Y1), *yb = ptr(YB); double maxabs = 0, maxrel = 0, ymax = 0;
  for (int a = 0; a < dl; a++) for (int c2 = 0; c2 < dl; c2++) for (int k = 0; k < K; k++) for (int i = 0; i < Hs; i++) for (int j = 0; j < Ws; j++) {
    int ii = a + i * dl, jj = c2 + j * dl; if (ii >= H || jj >= W) continue;
    double r = y1[((long)k * H + ii) * W + jj], v = yb[(((long)(a * dl + c2) * K + k) * Hs + i) * Ws + j];
    double e = fabs(r - v); if (e > maxabs) maxabs = e; if (fabs(r) > ymax) ymax = fabs(r);
  }
  // time a blocked-layout rearrangement (memcpy of 16-float vectors) as the s2b cost estimate
  long vecs = (long)C / 16 * H * W; float *src = malloc(vecs * 64), *dst = malloc(vecs * 64 + 64);
  memset(src, 0, vecs * 64); double tr = 1e9;
  for (int rep = 0; rep < 5; rep++) { double t = now();
    for (int cb = 0; cb < C / 16; cb++) for (int a = 0; a < dl; a++) for (int i = 0; i < Hs; i++) { int ii = a + i * dl; if (ii >= H) continue;
      for (int c2 = 0; c2 < dl; c2++) for (int j = 0; j < Ws; j++) { int jj = c2 + j * dl; if (jj >= W) continue;
        memcpy(dst + ((((long)(a * dl + c2) * (C / 16) + cb) * Hs + i) * Ws + j) * 16, src + (((long)cb * H + ii) * W + jj) * 16, 64); } }
    t = now() - t; if (t < tr) tr = t; }
  printf("C=%d K=%d H=%d d=%d | direct %.2f ms %.0f GF/s (%s src %s) | wino N=%d %dx%d %.2f ms (%s src %s) | speedup %.2fx | s2b copy %.2f ms | max abs err %.2e (|y|max %.2f, rel %.2e)\n",
    C, K, H, dl, td * 1e3, flops / td * 1e-9, impl(dpd), fmt(dnnl_primitive_desc_query_md(dpd, dnnl_query_src_md, 0)),
    N, Hs, Ws, tw * 1e3, impl(wpd), fmt(dnnl_primitive_desc_query_md(wpd, dnnl_query_src_md, 0)), td / tw, tr * 1e3, maxabs, ymax, maxabs / ymax);
  return 0;
}
