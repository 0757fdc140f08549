// C shim over nifticlib (header/volume reading, writing) and zlib (NRRD gzip). See cnifti.h.
#include "cnifti.h"
#include <nifti/nifti2_io.h>
#include <zlib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void cnifti_set_quiet(int quiet) { nifti_set_debug_level(quiet ? 0 : 1); }

static void copy_text(char *dst, const char *src, size_t n) {
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* The fields NIfTI-1 and NIfTI-2 headers share by name (their C types differ: 16-bit vs 64-bit
 * dims, float vs double), copied once for both header structs. */
#define FILL_COMMON_FIELDS(h, out) do { \
    for (int i = 0; i < 8; i++) { (out)->dim[i] = (h)->dim[i]; (out)->pixdim[i] = (h)->pixdim[i]; } \
    (out)->datatype = (h)->datatype; \
    (out)->bitpix = (h)->bitpix; \
    (out)->vox_offset = (double)(h)->vox_offset; \
    (out)->scl_slope = (h)->scl_slope; \
    (out)->scl_inter = (h)->scl_inter; \
    (out)->qform_code = (h)->qform_code; \
    (out)->sform_code = (h)->sform_code; \
    (out)->quatern_b = (h)->quatern_b; (out)->quatern_c = (h)->quatern_c; (out)->quatern_d = (h)->quatern_d; \
    (out)->qoffset_x = (h)->qoffset_x; (out)->qoffset_y = (h)->qoffset_y; (out)->qoffset_z = (h)->qoffset_z; \
    for (int c = 0; c < 4; c++) { \
        (out)->srow[0][c] = (h)->srow_x[c]; (out)->srow[1][c] = (h)->srow_y[c]; (out)->srow[2][c] = (h)->srow_z[c]; \
    } \
    (out)->intent_code = (h)->intent_code; \
    (out)->xyzt_units = (h)->xyzt_units; \
    copy_text((out)->descrip, (h)->descrip, 80); \
    copy_text((out)->intent_name, (h)->intent_name, 16); \
} while (0)

static void fill_from_n1(const nifti_1_header *h, cnifti_header *out) {
    out->version = 1;
    out->is_nifti = NIFTI_VERSION(*h) != 0;
    out->single_file = NIFTI_ONEFILE(*h);
    FILL_COMMON_FIELDS(h, out);
}

static void fill_from_n2(const nifti_2_header *h, cnifti_header *out) {
    out->version = 2;
    out->is_nifti = 1;
    out->single_file = h->magic[1] == '+';
    FILL_COMMON_FIELDS(h, out);
}

int cnifti_read_header(const char *path, cnifti_header *out) {
    memset(out, 0, sizeof(*out));
    int version = 0;
    void *raw = nifti_read_header(path, &version, 0);
    if (raw == NULL) return -1;
    free(raw);
    int swapped = 0;
    if (version == 2) {
        nifti_2_header *h = nifti_read_n2_hdr(path, &swapped, 0);
        if (h == NULL) return -1;
        fill_from_n2(h, out);
        free(h);
    } else {
        nifti_1_header *h = nifti_read_n1_hdr(path, &swapped, 0);
        if (h == NULL) return -1;
        fill_from_n1(h, out);
        free(h);
    }
    out->swapped = swapped != 0;
    return 0;
}

int cnifti_find_image_file(const char *path, char *out, size_t capacity) {
    nifti_image *nim = nifti_image_read(path, 0);
    if (nim == NULL || nim->iname == NULL) { if (nim) nifti_image_free(nim); return -1; }
    size_t n = strlen(nim->iname);
    int ok = n + 1 <= capacity;
    if (ok) memcpy(out, nim->iname, n + 1);
    nifti_image_free(nim);
    return ok ? 0 : -1;
}

#define CONVERT(T)                                                                      \
    {                                                                                   \
        const T *s = (const T *)src;                                                    \
        if (apply_scaling) for (int64_t i = 0; i < count; i++) dst[i] = (float)((double)s[i] * slope + inter); \
        else for (int64_t i = 0; i < count; i++) dst[i] = (float)s[i];                  \
        return 0;                                                                       \
    }

int cnifti_convert_to_float(const void *src, int datatype, int64_t count, float *dst,
                            int apply_scaling, double slope, double inter) {
    switch (datatype) {
    case NIFTI_TYPE_UINT8: CONVERT(uint8_t)
    case NIFTI_TYPE_INT8: CONVERT(int8_t)
    case NIFTI_TYPE_INT16: CONVERT(int16_t)
    case NIFTI_TYPE_UINT16: CONVERT(uint16_t)
    case NIFTI_TYPE_INT32: CONVERT(int32_t)
    case NIFTI_TYPE_UINT32: CONVERT(uint32_t)
    case NIFTI_TYPE_INT64: CONVERT(int64_t)
    case NIFTI_TYPE_UINT64: CONVERT(uint64_t)
    case NIFTI_TYPE_FLOAT32: CONVERT(float)
    case NIFTI_TYPE_FLOAT64: CONVERT(double)
    default: return -3;
    }
}

/// Reads the raw bytes of 3D volume `volume_index` (dims 4..7 follow the 3D block in file order) and
/// swaps them to native order. nifticlib's own readers (nifti_read_collapsed_image, nifti_image_load)
/// replace NaN and infinite floats by 0 without telling the caller, which turned all-NaN images into
/// silent zero statistics (issue 11 point 10); reading through znzlib keeps the values as stored.
/// Returns the bytes read (the caller compares with what it needs), or -1.
static int64_t read_raw_volume(const nifti_image *nim, int64_t volume_index, int64_t bytes, void **out) {
    znzFile fp = znzopen(nim->iname, "rb", nifti_is_gzfile(nim->iname));
    if (znz_isnull(fp)) return -1;
    int64_t offset = (int64_t)nim->iname_offset + volume_index * bytes;
    if (znzseek(fp, (long)offset, SEEK_SET) < 0) { znzclose(fp); return -1; }
    void *buffer = malloc((size_t)bytes);
    if (buffer == NULL) { znzclose(fp); return -1; }
    int64_t got = (int64_t)znzread(buffer, 1, (size_t)bytes, fp);
    znzclose(fp);
    if (got == bytes && nim->swapsize > 1 && nim->byteorder != nifti_short_order())
        nifti_swap_Nbytes((size_t)(bytes / nim->swapsize), nim->swapsize, buffer);
    *out = buffer;
    return got;
}

int cnifti_read_volume_float(const char *path, int64_t volume_index, float *out, int64_t nvox,
                             int apply_scaling, double slope, double inter) {
    nifti_image *nim = nifti_image_read(path, 0);
    if (nim == NULL) return -1;
    if (nim->nx * nim->ny * nim->nz != nvox) { nifti_image_free(nim); return -1; }
    void *raw = NULL;
    int64_t needed = nvox * nim->nbyper;
    int64_t got = read_raw_volume(nim, volume_index, needed, &raw);
    int status = 0;
    if (got != needed || raw == NULL) status = -2;
    else status = cnifti_convert_to_float(raw, nim->datatype, nvox, out, apply_scaling, slope, inter);
    free(raw);
    nifti_image_free(nim);
    return status;
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/// Writes `n` bytes to a new file (gzip when the name ends in .gz) through znzlib; 0 or -1.
/// gzip level 1, nibabel's default for .nii.gz (`Opener.default_compresslevel`): zlib's default, 6, took
/// three times as long (a float BraTS volume 0.9 s against 0.29 s) for smaller files (2.07 MB against 2.25;
/// its whole-tumour mask 28 kB against 75).
static int write_file(const char *path, const void *a, size_t na, const void *b, size_t nb, const void *c, size_t nc) {
    znzFile fp = znzopen(path, "wb1", ends_with(path, ".gz"));
    if (znz_isnull(fp)) return -1;
    int ok = znzwrite(a, 1, na, fp) == na;
    if (ok && nb) ok = znzwrite(b, 1, nb, fp) == nb;
    if (ok && nc) ok = znzwrite(c, 1, nc, fp) == nc;
    ok = (znzclose(fp) == 0) && ok;
    return ok ? 0 : -1;
}

// nifticlib 3.0.1's nifti_image_write treats every type other than NIfTI-1 single-file as a pair
// (a NIfTI-2 .nii loses its header) and reports I/O errors only on stderr. So the header is built
// by nifticlib (nifti_convert_nim2n1hdr / n2hdr: quaternion, sform, dims) and the bytes are written
// here through znzlib, checking every write.
int cnifti_write(const char *path, int nifti_version, const int64_t dims[3], const double spacing[3],
                 int datatype, const void *data, const double affine_ras[3][4],
                 int sform_code, int qform_code, const char *description) {
    return cnifti_write_volumes(path, nifti_version, dims, 1, spacing, datatype, data, affine_ras,
                                sform_code, qform_code, description);
}

int cnifti_write_volumes(const char *path, int nifti_version, const int64_t dims[3], int64_t volumes,
                         const double spacing[3], int datatype, const void *data, const double affine_ras[3][4],
                         int sform_code, int qform_code, const char *description) {
    if (volumes < 1) return -1;
    int64_t all_dims[8] = {volumes > 1 ? 4 : 3, dims[0], dims[1], dims[2], volumes, 1, 1, 1};
    nifti_image *nim = nifti_make_new_nim(all_dims, datatype, 0);
    if (nim == NULL) return -1;
    int pair = ends_with(path, ".hdr") || ends_with(path, ".hdr.gz");
    if (nifti_version == 2) nim->nifti_type = pair ? NIFTI_FTYPE_NIFTI2_2 : NIFTI_FTYPE_NIFTI2_1;
    else nim->nifti_type = pair ? NIFTI_FTYPE_NIFTI1_2 : NIFTI_FTYPE_NIFTI1_1;
    nim->dx = nim->pixdim[1] = spacing[0];
    nim->dy = nim->pixdim[2] = spacing[1];
    nim->dz = nim->pixdim[3] = spacing[2];
    nim->xyz_units = NIFTI_UNITS_MM;
    nim->scl_slope = 1;
    nim->scl_inter = 0;
    nifti_dmat44 m;
    memset(&m, 0, sizeof(m));
    for (int r = 0; r < 3; r++) for (int c = 0; c < 4; c++) m.m[r][c] = affine_ras[r][c];
    m.m[3][3] = 1;
    nim->sform_code = sform_code;
    nim->sto_xyz = m;
    nim->sto_ijk = nifti_dmat44_inverse(m);
    nim->qform_code = qform_code;
    if (qform_code > 0) {
        double dx, dy, dz, qfac;
        nifti_dmat44_to_quatern(m, &nim->quatern_b, &nim->quatern_c, &nim->quatern_d,
                                &nim->qoffset_x, &nim->qoffset_y, &nim->qoffset_z, &dx, &dy, &dz, &qfac);
        nim->qfac = qfac;
        nim->qto_xyz = nifti_quatern_to_dmat44(nim->quatern_b, nim->quatern_c, nim->quatern_d,
                                               nim->qoffset_x, nim->qoffset_y, nim->qoffset_z,
                                               nim->dx, nim->dy, nim->dz, nim->qfac);
        nim->qto_ijk = nifti_dmat44_inverse(nim->qto_xyz);
    }
    if (description) { strncpy(nim->descrip, description, 79); nim->descrip[79] = '\0'; }

    nifti_1_header h1;
    nifti_2_header h2;
    const void *hdr;
    size_t hsize;
    if (nifti_version == 2) {
        if (nifti_convert_nim2n2hdr(nim, &h2) != 0) { nifti_image_free(nim); return -1; }
        memcpy(h2.magic, pair ? "ni2\0\r\n\032\n" : "n+2\0\r\n\032\n", 8);
        h2.vox_offset = pair ? 0 : 544;
        hdr = &h2; hsize = sizeof(h2);
    } else {
        if (nifti_convert_nim2n1hdr(nim, &h1) != 0) { nifti_image_free(nim); return -1; }
        memcpy(h1.magic, pair ? "ni1\0" : "n+1\0", 4);
        h1.vox_offset = pair ? 0 : 352;
        hdr = &h1; hsize = sizeof(h1);
    }
    size_t data_bytes = (size_t)(dims[0] * dims[1] * dims[2]) * (size_t)volumes * (size_t)nim->nbyper;
    nifti_image_free(nim);
    static const char extender[4] = {0, 0, 0, 0};   // "no extensions"
    if (!pair) return write_file(path, hdr, hsize, extender, 4, data, data_bytes);

    size_t n = strlen(path);
    char *image_path = malloc(n + 1);
    if (image_path == NULL) return -1;
    memcpy(image_path, path, n + 1);
    memcpy(strstr(image_path + n - (ends_with(path, ".gz") ? 7 : 4), ".hdr"), ".img", 4);
    int status = write_file(path, hdr, hsize, extender, 4, NULL, 0);
    if (status == 0) status = write_file(image_path, data, data_bytes, NULL, 0, NULL, 0);
    free(image_path);
    return status;
}

void cnifti_swap_bytes(void *data, int64_t count, int size) { nifti_swap_Nbytes(count, size, data); }

int64_t cnifti_gunzip(const void *in, int64_t in_size, void *out, int64_t expected) {
    z_stream s;
    memset(&s, 0, sizeof(s));
    if (inflateInit2(&s, 15 + 32) != Z_OK) return -1;   // 15 + 32: gzip or zlib header, auto-detected
    const unsigned char *src = (const unsigned char *)in;
    unsigned char *dst = (unsigned char *)out;
    int64_t in_left = in_size, produced = 0;
    int rc = Z_OK;
    while (produced < expected) {
        if (s.avail_in == 0 && in_left > 0) {
            uInt chunk = in_left > (1 << 30) ? (1u << 30) : (uInt)in_left;
            s.next_in = (Bytef *)src; s.avail_in = chunk; src += chunk; in_left -= chunk;
        }
        int64_t want = expected - produced;
        s.next_out = dst + produced;
        s.avail_out = want > (1 << 30) ? (1u << 30) : (uInt)want;
        uInt before = s.avail_out;
        rc = inflate(&s, Z_NO_FLUSH);
        produced += before - s.avail_out;
        if (rc == Z_STREAM_END) break;
        if (rc != Z_OK && rc != Z_BUF_ERROR) { inflateEnd(&s); return -1; }
        if (rc == Z_BUF_ERROR && s.avail_in == 0 && in_left == 0) break;   // input exhausted
    }
    inflateEnd(&s);
    return produced < expected ? -2 : produced;
}

int64_t cnifti_gzip(const void *in, int64_t in_size, void **out) {
    *out = NULL;
    if (in_size < 0 || in_size > (int64_t)0xFFFFFFF0u) return -1;   // one deflate call: < 4 GiB
    z_stream s;
    memset(&s, 0, sizeof(s));
    if (deflateInit2(&s, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return -1;   // +16: gzip
    uLong bound = deflateBound(&s, (uLong)in_size) + 64;
    unsigned char *buf = malloc(bound);
    if (buf == NULL) { deflateEnd(&s); return -1; }
    s.next_in = (Bytef *)in; s.avail_in = (uInt)in_size;
    s.next_out = buf; s.avail_out = (uInt)bound;
    int rc = deflate(&s, Z_FINISH);
    int64_t size = (int64_t)s.total_out;
    deflateEnd(&s);
    if (rc != Z_STREAM_END) { free(buf); return -1; }
    *out = buf;
    return size;
}

void cnifti_free(void *p) { free(p); }
