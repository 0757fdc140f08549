#ifndef SEGSTATION_WRITE_H
#define SEGSTATION_WRITE_H
/* Writing single-frame CT/MR image instances (a volume exported as a classic DICOM series).
 * Same status conventions as segstation_dcmtk.h. */
#include <stdint.h>
#include "segstation_dcmtk.h"

#ifdef __cplusplus
extern "C" {
#endif

/// Everything one slice of a classic CT/MR series needs. Strings are UTF-8 (written as ISO_IR 192);
/// NULL or "" leaves an optional attribute empty.
typedef struct {
    const char *sop_class_uid;      /* CT Image Storage or MR Image Storage */
    const char *modality;           /* "CT" or "MR" */
    const char *patient_id, *patient_name, *patient_birth_date, *patient_sex;
    const char *study_uid, *study_date, *study_time, *study_id, *study_description, *accession_number;
    const char *series_uid, *series_description, *frame_of_reference_uid;
    const char *sop_instance_uid;
    const char *sequence_name;      /* MR: ScanningSequence-free label, e.g. "FLAIR" (SequenceName) */
    const char *body_part;
    int32_t series_number, instance_number;
    uint32_t rows, columns;
    double pixel_spacing_mm[2];     /* row spacing (between rows), column spacing (between columns) */
    double slice_thickness_mm;
    double position_lps[3];         /* ImagePositionPatient */
    double orientation[6];          /* ImageOrientationPatient: row direction, column direction */
    double rescale_slope, rescale_intercept;
    const int16_t *pixels;          /* rows x columns, row-major (column index fastest) */
} ssdcm_slice_spec;

/// Writes one instance as explicit VR little endian Part 10 to `path`. Returns 0 or fills `status`.
int ssdcm_write_slice(const ssdcm_slice_spec *spec, const char *path, ssdcm_status *status);

/// A new DICOM UID under DCMTK's site root (or `root` when not NULL), copied into `buffer`.
void ssdcm_new_uid(const char *root, char *buffer, size_t capacity);

#ifdef __cplusplus
}
#endif
#endif
