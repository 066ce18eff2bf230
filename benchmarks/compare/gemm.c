/* C side of compare.sh: the GEMMs of FashionMlp's dense layers through OpenBLAS (cblas_sgemm) and, when built with
 * -DWITH_DNNL, oneDNN (dnnl_sgemm), plus a STREAM-like triad for the memory bandwidth of one core.
 * Row-major, W is [out, in] as in KernelGen: fwd Y = X.W^T (B x out x in), dW = dY^T.X (out x in x B),
 * dX = dY.W (B x in x out). Timing as kernelgen compare: warm-up, a loop calibrated to a minimum duration, median of
 * repeated loops. Prints 'IMPL OP BATCH MICROSECONDS' lines. Usage: gemm [--quick] */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef WITH_DNNL
#include <dnnl.h>
#endif

static double min_s = 0.010;
static int loops = 21;

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }

typedef void (*fn_t)(void *);
static double timed_us(fn_t fn, void *arg)
{
    for (int i = 0; i < 5; i++) fn(arg);
    long reps = 1;
    for (;;) {
        double t = now();
        for (long i = 0; i < reps; i++) fn(arg);
        if (now() - t >= min_s || reps >= (1L << 24)) break;
        reps *= 2;
    }
    double per[64];
    for (int l = 0; l < loops; l++) {
        double t = now();
        for (long i = 0; i < reps; i++) fn(arg);
        per[l] = (now() - t) / reps * 1e6;
    }
    qsort(per, loops, sizeof(double), cmp);
    return per[loops / 2];
}

typedef struct { int pass, b, out, in; float *x, *w, *y, *dy, *dw, *dx; } gemm_t;

static void blas(void *p)
{
    gemm_t *g = p;
    if (g->pass == 0) cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, g->b, g->out, g->in, 1.f, g->x, g->in, g->w, g->in, 0.f, g->y, g->out);
    else if (g->pass == 1) cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, g->out, g->in, g->b, 1.f, g->dy, g->out, g->x, g->in, 0.f, g->dw, g->in);
    else cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, g->b, g->in, g->out, 1.f, g->dy, g->out, g->w, g->in, 0.f, g->dx, g->in);
}

#ifdef WITH_DNNL
static void dnnl(void *p)
{
    gemm_t *g = p; /* dnnl_sgemm is row-major */
    if (g->pass == 0) dnnl_sgemm('N', 'T', g->b, g->out, g->in, 1.f, g->x, g->in, g->w, g->in, 0.f, g->y, g->out);
    else if (g->pass == 1) dnnl_sgemm('T', 'N', g->out, g->in, g->b, 1.f, g->dy, g->out, g->x, g->in, 0.f, g->dw, g->in);
    else dnnl_sgemm('N', 'N', g->b, g->in, g->out, 1.f, g->dy, g->out, g->w, g->in, 0.f, g->dx, g->in);
}
#endif

typedef struct { long n; float *a, *b, *c; } triad_t;
static void triad(void *p)
{
    triad_t *t = p;
    for (long i = 0; i < t->n; i++) t->a[i] = t->b[i] + 3.f * t->c[i];
}

static float *filled(long n, unsigned *seed)
{
    float *p = aligned_alloc(64, ((n * sizeof(float) + 63) / 64) * 64);
    for (long i = 0; i < n; i++) { *seed = *seed * 1664525u + 1013904223u; p[i] = (float)(*seed >> 8) / 16777216.f - 0.5f; }
    return p;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--quick") == 0) { min_s = 0.002; loops = 5; }
    printf("# openblas %s; median of %d loops of >= %g ms\n", openblas_get_config(), loops, min_s * 1000);
    unsigned seed = 1;
    const int layers[3][2] = { { 256, 784 }, { 128, 256 }, { 10, 128 } }; /* out, in */
    const int batches[4] = { 1, 32, 128, 256 };
    const char *names[3] = { "fwd", "dW", "dX" };
    for (int bi = 0; bi < 4; bi++) {
        for (int l = 0; l < 3; l++) {
            gemm_t g = { 0, batches[bi], layers[l][0], layers[l][1] };
            g.x = filled((long)g.b * g.in, &seed); g.w = filled((long)g.out * g.in, &seed); g.y = filled((long)g.b * g.out, &seed);
            g.dy = filled((long)g.b * g.out, &seed); g.dw = filled((long)g.out * g.in, &seed); g.dx = filled((long)g.b * g.in, &seed);
            for (int pass = 0; pass < 3; pass++) {
                if (l == 0 && pass == 2) continue; /* the first layer's dX is never computed */
                g.pass = pass;
                printf("openblas\tgemm.fc%d.%s\t%d\t%.3f\n", l + 1, names[pass], g.b, timed_us(blas, &g));
#ifdef WITH_DNNL
                printf("onednn\tgemm.fc%d.%s\t%d\t%.3f\n", l + 1, names[pass], g.b, timed_us(dnnl, &g));
#endif
                fflush(stdout);
            }
            free(g.x); free(g.w); free(g.y); free(g.dy); free(g.dw); free(g.dx);
        }
    }
    /* 3 x 64 MiB, twice the L3: the triad streams from memory. STREAM counts 12 bytes per element. */
    triad_t t = { 16L << 20 };
    t.a = filled(t.n, &seed); t.b = filled(t.n, &seed); t.c = filled(t.n, &seed);
    double saved = min_s; min_s = 0.05;
    double us = timed_us(triad, &t);
    min_s = saved;
    printf("c\ttriad_gbps\t0\t%.3f\n", 12.0 * t.n / (us * 1e3));
    return 0;
}
