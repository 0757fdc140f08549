/* Measured FP32 FMA peak of this CPU, the denominator of the engine benchmark's "% of peak".
 *
 * Each thread runs 12 independent chains of packed FMAs (enough to cover FMA latency x pipes on
 * current x86 cores) for AVX-512 and for AVX2, and reports GFLOP per CPU-second of that thread
 * (CLOCK_THREAD_CPUTIME_ID: time the hypervisor or other processes take is not counted), plus the
 * wall-clock rate of all threads together. Build: cc -O2 -pthread peak_fma.c -o peak_fma
 * Usage: peak_fma [threads]   prints JSON. */
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static const long iterations = 100000000L;

static double seconds(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

#define DECLARE(T, SET) T a0 = SET(0), a1 = SET(1), a2 = SET(2), a3 = SET(3), a4 = SET(4), a5 = SET(5), \
    a6 = SET(6), a7 = SET(7), a8 = SET(8), a9 = SET(9), a10 = SET(10), a11 = SET(11);
#define STEP(F) a0 = F(a0, b, c); a1 = F(a1, b, c); a2 = F(a2, b, c); a3 = F(a3, b, c); a4 = F(a4, b, c); \
    a5 = F(a5, b, c); a6 = F(a6, b, c); a7 = F(a7, b, c); a8 = F(a8, b, c); a9 = F(a9, b, c); a10 = F(a10, b, c); a11 = F(a11, b, c);
#define SUM(ADD) ADD(ADD(ADD(a0, a1), ADD(a2, a3)), ADD(ADD(ADD(a4, a5), ADD(a6, a7)), ADD(ADD(a8, a9), ADD(a10, a11))))

__attribute__((target("avx512f"))) static float chains512(void) {
    __m512 b = _mm512_set1_ps(1.0000001f), c = _mm512_set1_ps(1e-7f);
    DECLARE(__m512, _mm512_set1_ps)
    for (long n = 0; n < iterations; n++) { STEP(_mm512_fmadd_ps) }
    return _mm512_reduce_add_ps(SUM(_mm512_add_ps));
}

__attribute__((target("avx2,fma"))) static float chains256(void) {
    __m256 b = _mm256_set1_ps(1.0000001f), c = _mm256_set1_ps(1e-7f);
    DECLARE(__m256, _mm256_set1_ps)
    for (long n = 0; n < iterations; n++) { STEP(_mm256_fmadd_ps) }
    float out[8];
    _mm256_storeu_ps(out, SUM(_mm256_add_ps));
    return out[0];
}

struct Job { int wide; double cpuSeconds; float sink; };

static void *work(void *arg) {
    struct Job *job = arg;
    double start = seconds(CLOCK_THREAD_CPUTIME_ID);
    job->sink = job->wide ? chains512() : chains256();
    job->cpuSeconds = seconds(CLOCK_THREAD_CPUTIME_ID) - start;
    return NULL;
}

/* GFLOP per thread-CPU-second (mean over threads) and GFLOP per wall second (all threads). */
static void measure(int wide, int threads, double *perCPUSecond, double *wall) {
    pthread_t ids[64];
    struct Job jobs[64];
    double flopPerThread = iterations * 12.0 * (wide ? 16 : 8) * 2;
    double start = seconds(CLOCK_MONOTONIC);
    for (int i = 0; i < threads; i++) { jobs[i].wide = wide; pthread_create(&ids[i], NULL, work, &jobs[i]); }
    double cpu = 0;
    for (int i = 0; i < threads; i++) { pthread_join(ids[i], NULL); cpu += jobs[i].cpuSeconds; }
    *wall = threads * flopPerThread / (seconds(CLOCK_MONOTONIC) - start) / 1e9;
    *perCPUSecond = threads * flopPerThread / cpu / 1e9;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    if (threads < 1 || threads > 64) { fprintf(stderr, "threads must be 1..64\n"); return 64; }
    double c512, w512, c256, w256;
    measure(1, threads, &c512, &w512);
    measure(0, threads, &c256, &w256);
    printf("{\"threads\": %d, \"avx512PerCPUSecond\": %.1f, \"avx512Wall\": %.1f, \"avx2PerCPUSecond\": %.1f, \"avx2Wall\": %.1f}\n",
           threads, c512, w512, c256, w256);
    return 0;
}
