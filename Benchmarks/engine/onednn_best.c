// What oneDNN itself reaches on this CPU, for comparison with the engine (benchdnn is not packaged).
//
//   cc -O2 onednn_best.c -ldnnl -o onednn_best
//   OMP_NUM_THREADS=2 ./onednn_best conv  CIN COUT D H W STRIDE [RUNS]   # 3x3x3 conv, pad 1
//   OMP_NUM_THREADS=2 ./onednn_best matmul M K N [RUNS]
//
// conv: creates the forward-inference convolution with the source in each of `any` (oneDNN's own
// choice), nCdhw16c (nCdhw8c without AVX-512) and ndhwc, weights and destination `any`, and times each (median of RUNS after
// one warm-up); prints one JSON line per layout with the implementation oneDNN picked, and the best.
// matmul: f32 [M,K] x [K,N], every layout `any`, same timing. GFLOP = 2 * MACs.
#include <dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }
#define CHECK(x) do { dnnl_status_t s_ = (x); if (s_ != dnnl_success) { fprintf(stderr, "%s failed: %d\n", #x, s_); exit(1); } } while (0)

static dnnl_memory_t mem(dnnl_engine_t eng, const dnnl_memory_desc_t *md) {
    dnnl_memory_t m;
    CHECK(dnnl_memory_create(&m, md, eng, DNNL_MEMORY_ALLOCATE));
    void *p; CHECK(dnnl_memory_get_data_handle(m, &p));
    size_t n = dnnl_memory_desc_get_size(md);
    for (size_t i = 0; i < n / 4; i++) ((float *)p)[i] = (float)((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
    return m;
}

/// Median seconds of `runs` executions of `prim` after one warm-up.
static double time_primitive(dnnl_primitive_t prim, dnnl_stream_t st, int nargs, dnnl_exec_arg_t *args, int runs) {
    double *t = malloc(sizeof(double) * runs);
    CHECK(dnnl_primitive_execute(prim, st, nargs, args)); CHECK(dnnl_stream_wait(st));
    for (int r = 0; r < runs; r++) {
        double t0 = now();
        CHECK(dnnl_primitive_execute(prim, st, nargs, args)); CHECK(dnnl_stream_wait(st));
        t[r] = now() - t0;
    }
    qsort(t, runs, sizeof(double), cmp);
    double m = t[runs / 2];
    free(t);
    return m;
}

static const char *impl(const_dnnl_primitive_desc_t pd) {
    const char *name = NULL;
    dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name);
    return name ? name : "?";
}

static void conv(dnnl_engine_t eng, dnnl_stream_t st, int argc, char **argv) {
    if (argc < 8) { fprintf(stderr, "conv CIN COUT D H W STRIDE [RUNS]\n"); exit(64); }
    int ci = atoi(argv[2]), co = atoi(argv[3]), d = atoi(argv[4]), h = atoi(argv[5]), w = atoi(argv[6]), s = atoi(argv[7]);
    int runs = argc > 8 ? atoi(argv[8]) : 5;
    int od = (d + 2 - 3) / s + 1, oh = (h + 2 - 3) / s + 1, ow = (w + 2 - 3) / s + 1;
    dnnl_dims_t src = {1, ci, d, h, w}, wei = {co, ci, 3, 3, 3}, dst = {1, co, od, oh, ow}, bia = {co};
    dnnl_dims_t strides = {s, s, s}, dil = {0, 0, 0}, pad = {1, 1, 1};
    double gflop = 2.0 * co * ci * 27.0 * od * oh * ow / 1e9;
    // The channel-blocked layout at the CPU's block width: oneDNN 2.6's 16-channel kernels need AVX-512 and
    // run its reference kernel on AVX2 (minutes for the first 1 -> 32 layer), whose blocks are 8 channels.
    int avx512 = dnnl_get_effective_cpu_isa() >= dnnl_cpu_isa_avx512_core;
    const char *names[] = {"any", avx512 ? "nCdhw16c" : "nCdhw8c", "ndhwc"};
    dnnl_format_tag_t tags[] = {dnnl_format_tag_any, avx512 ? dnnl_aBcde16b : dnnl_aBcde8b, dnnl_acdeb};
    double best = 0; const char *bestName = "";
    for (int i = 0; i < 3; i++) {
        dnnl_memory_desc_t smd, wmd, dmd, bmd;
        CHECK(dnnl_memory_desc_init_by_tag(&smd, 5, src, dnnl_f32, tags[i]));
        CHECK(dnnl_memory_desc_init_by_tag(&wmd, 5, wei, dnnl_f32, dnnl_format_tag_any));
        CHECK(dnnl_memory_desc_init_by_tag(&dmd, 5, dst, dnnl_f32, dnnl_format_tag_any));
        CHECK(dnnl_memory_desc_init_by_tag(&bmd, 1, bia, dnnl_f32, dnnl_a));
        dnnl_convolution_desc_t cd;
        CHECK(dnnl_dilated_convolution_forward_desc_init(&cd, dnnl_forward_inference, dnnl_convolution_direct, &smd, &wmd, &bmd, &dmd,
                                                         strides, dil, pad, pad));
        dnnl_primitive_desc_t pd;
        CHECK(dnnl_primitive_desc_create(&pd, &cd, NULL, eng, NULL));
        if (strncmp(impl(pd), "ref", 3) == 0) {  // oneDNN's reference kernel: never the best, and minutes at 128^3
            printf("{\"src\": \"%s\", \"impl\": \"%s\", \"seconds\": null, \"gflops\": 0}\n", names[i], impl(pd));
            dnnl_primitive_desc_destroy(pd);
            continue;
        }
        dnnl_primitive_t prim; CHECK(dnnl_primitive_create(&prim, pd));
        dnnl_memory_t ms = mem(eng, dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0));
        dnnl_memory_t mw = mem(eng, dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0));
        dnnl_memory_t mb = mem(eng, dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 1));
        dnnl_memory_t md = mem(eng, dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0));
        dnnl_exec_arg_t args[] = {{DNNL_ARG_SRC, ms}, {DNNL_ARG_WEIGHTS, mw}, {DNNL_ARG_BIAS, mb}, {DNNL_ARG_DST, md}};
        double sec = time_primitive(prim, st, 4, args, runs);
        printf("{\"src\": \"%s\", \"impl\": \"%s\", \"seconds\": %.5f, \"gflops\": %.1f}\n", names[i], impl(pd), sec, gflop / sec);
        if (gflop / sec > best) { best = gflop / sec; bestName = names[i]; }
        dnnl_primitive_destroy(prim); dnnl_primitive_desc_destroy(pd);
        dnnl_memory_destroy(ms); dnnl_memory_destroy(mw); dnnl_memory_destroy(mb); dnnl_memory_destroy(md);
    }
    printf("{\"best\": \"%s\", \"gflops\": %.1f, \"gflop\": %.3f}\n", bestName, best, gflop);
}

static void matmul(dnnl_engine_t eng, dnnl_stream_t st, int argc, char **argv) {
    if (argc < 5) { fprintf(stderr, "matmul M K N [RUNS]\n"); exit(64); }
    long m = atol(argv[2]), k = atol(argv[3]), n = atol(argv[4]);
    int runs = argc > 5 ? atoi(argv[5]) : 10;
    dnnl_dims_t a = {m, k}, b = {k, n}, c = {m, n};
    dnnl_memory_desc_t amd, bmd, cmd;
    CHECK(dnnl_memory_desc_init_by_tag(&amd, 2, a, dnnl_f32, dnnl_format_tag_any));
    CHECK(dnnl_memory_desc_init_by_tag(&bmd, 2, b, dnnl_f32, dnnl_format_tag_any));
    CHECK(dnnl_memory_desc_init_by_tag(&cmd, 2, c, dnnl_f32, dnnl_format_tag_any));
    dnnl_matmul_desc_t mdsc;
    CHECK(dnnl_matmul_desc_init(&mdsc, &amd, &bmd, NULL, &cmd));
    dnnl_primitive_desc_t pd;
    CHECK(dnnl_primitive_desc_create(&pd, &mdsc, NULL, eng, NULL));
    dnnl_primitive_t prim; CHECK(dnnl_primitive_create(&prim, pd));
    dnnl_memory_t ma = mem(eng, dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0));
    dnnl_memory_t mb = mem(eng, dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0));
    dnnl_memory_t mc = mem(eng, dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0));
    dnnl_exec_arg_t args[] = {{DNNL_ARG_SRC, ma}, {DNNL_ARG_WEIGHTS, mb}, {DNNL_ARG_DST, mc}};
    double sec = time_primitive(prim, st, 3, args, runs);
    double gflop = 2.0 * m * k * n / 1e9;
    printf("{\"impl\": \"%s\", \"seconds\": %.5f, \"gflops\": %.1f}\n", impl(pd), sec, gflop / sec);
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: onednn_best conv|matmul ...\n"); return 64; }
    dnnl_engine_t eng; CHECK(dnnl_engine_create(&eng, dnnl_cpu, 0));
    dnnl_stream_t st; CHECK(dnnl_stream_create(&st, eng, dnnl_stream_default_flags));
    if (!strcmp(argv[1], "conv")) conv(eng, st, argc, argv);
    else if (!strcmp(argv[1], "matmul")) matmul(eng, st, argc, argv);
    else { fprintf(stderr, "unknown mode %s\n", argv[1]); return 64; }
    dnnl_stream_destroy(st); dnnl_engine_destroy(eng);
    return 0;
}
