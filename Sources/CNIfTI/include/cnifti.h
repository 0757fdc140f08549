#ifndef SEGSTATION_CNIFTI_H
#define SEGSTATION_CNIFTI_H
// nifticlib's NIfTI-1/NIfTI-2 API (Debian libnifti2-dev) and zlib, behind a few plain C calls.
// Wrapped by VolumeIO only; nothing else imports this module.
#include <stddef.h>
#include <stdint.h>

/// Silences nifticlib's own stderr chatter; errors are reported by VolumeIO instead.
void cnifti_set_quiet(int quiet);

/// The raw header fields (native byte order, as stored: no fixes applied), NIfTI-1 or NIfTI-2.
typedef struct {
    int version;          ///< 1 (NIfTI-1 or ANALYZE 7.5 layout) or 2
    int is_nifti;         ///< 1 when the magic is n+1/ni1/n+2/ni2, 0 for ANALYZE 7.5
    int single_file;      ///< 1 for n+1/n+2 (.nii), 0 for a .hdr/.img pair
    int swapped;          ///< 1 when the file is in the other byte order than this CPU
    int64_t dim[8];
    double pixdim[8];
    int datatype;
    int bitpix;
    double vox_offset;
    double scl_slope, scl_inter;
    int qform_code, sform_code;
    double quatern_b, quatern_c, quatern_d;
    double qoffset_x, qoffset_y, qoffset_z;
    double srow[3][4];
    int intent_code;
    int xyzt_units;
    char descrip[81];
    char intent_name[17];
} cnifti_header;

/// Reads the header only (nifticlib `nifti_read_header`, no validation). Returns 0, or -1 when the
/// file cannot be opened or holds no recognisable NIfTI-1/2 or ANALYZE header.
int cnifti_read_header(const char *path, cnifti_header *out);

/// The data file nifticlib would read for `path` (the .img of a .hdr, the .nii itself), written into
/// `out` (size `capacity`). Returns 0, or -1 when none exists.
int cnifti_find_image_file(const char *path, char *out, size_t capacity);

/// Reads one 3D volume (index over dims 4..7 flattened, dim 4 fastest) through nifticlib
/// (`nifti_image_read` + `nifti_read_collapsed_image`, which swaps bytes), converts it to float with
/// `value * slope + inter` when `apply_scaling` is nonzero. `out` holds `nvox` floats.
/// Returns 0; -1 when nifticlib rejects the header; -2 when fewer bytes than needed could be read
/// (truncated or corrupt data); -3 for an unsupported datatype.
int cnifti_read_volume_float(const char *path, int64_t volume_index, float *out, int64_t nvox,
                             int apply_scaling, double slope, double inter);

/// Writes a 3D image: the header is built by nifticlib (`nifti_convert_nim2n1hdr`/`n2hdr`, with the
/// quaternion from `nifti_dmat44_to_quatern`), bytes go through znzlib (gzip for a `.gz` suffix);
/// a `.hdr`/`.hdr.gz` path writes a .hdr/.img pair. `affine_ras` is the row-major 3x4 index->RAS
/// map stored in the sform with `sform_code`; when `qform_code` > 0 the qform is derived from it
/// (it must then be a rotation times positive voxel sizes, possibly with a reflection via qfac).
/// `datatype` is a NIfTI DT_* code matching `data`. `nifti_version` is 1 or 2.
/// Returns 0, or -1 when the header could not be built or any write failed.
int cnifti_write(const char *path, int nifti_version, const int64_t dims[3], const double spacing[3],
                 int datatype, const void *data, const double affine_ras[3][4],
                 int sform_code, int qform_code, const char *description);

/// `cnifti_write` for `volumes` >= 1 volumes of dims[0..2] stored one after the other (a 4D image,
/// dim[4] = volumes, when more than one).
int cnifti_write_volumes(const char *path, int nifti_version, const int64_t dims[3], int64_t volumes,
                         const double spacing[3], int datatype, const void *data, const double affine_ras[3][4],
                         int sform_code, int qform_code, const char *description);

/// Converts `count` raw values of NIfTI datatype `datatype` (already in native byte order) to float
/// with `value * slope + inter` when `apply_scaling`. Returns 0, or -3 for an unsupported datatype.
int cnifti_convert_to_float(const void *src, int datatype, int64_t count, float *dst,
                            int apply_scaling, double slope, double inter);

/// Reverses the byte order of `count` values of `size` bytes (2, 4 or 8) in place.
void cnifti_swap_bytes(void *data, int64_t count, int size);

/// Inflates a gzip (or zlib) stream into exactly `expected` bytes at `out`.
/// Returns the number of bytes produced (== expected on success), -1 for a corrupt stream,
/// or -2 when the stream ends before `expected` bytes.
int64_t cnifti_gunzip(const void *in, int64_t in_size, void *out, int64_t expected);

/// Compresses `in` as a gzip stream into a buffer allocated with malloc (freed with `cnifti_free`).
/// Returns the compressed size, or -1 on failure.
int64_t cnifti_gzip(const void *in, int64_t in_size, void **out);
void cnifti_free(void *p);
#endif
