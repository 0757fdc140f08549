#ifndef SEGSTATION_SEG_H
#define SEGSTATION_SEG_H
/* The C face of SegStation's DICOM-SEG and SR TID 1500 bridge (DCMTK dcmseg, dcmfg, dcmiod, dcmsr).
 * Status convention of segstation_dcmtk.h: every fallible function returns SSDCM_OK (0) on success,
 * else its nonzero `ssdcm_code`, and fills the `ssdcm_status` it is given (code and message). */
#include <stdint.h>
#include "segstation_dcmtk.h"
#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- colours */

/// sRGB (0...1 each) to DICOM-scaled CIELab (L 0...65535 for 0...100; a, b 0...65535 for -128...127), D65.
void ssseg_rgb_to_dicom_lab(double r, double g, double b, uint16_t lab[3]);
/// DICOM-scaled CIELab to sRGB (0...1 each, clamped).
void ssseg_dicom_lab_to_rgb(const uint16_t lab[3], double rgb[3]);

/* ---------------------------------------------------------------- writing */

typedef struct {
    const char *code_value, *coding_scheme, *code_meaning;
} ssseg_code;

typedef struct {
    const char *label;
    const char *description;      ///< may be NULL
    ssseg_code category, type;
    const char *algorithm_name, *algorithm_version;
    const char *tracking_id;      ///< may be NULL
    uint16_t cielab[3];           ///< DICOM-scaled L*a*b*
} ssseg_segment_spec;

typedef struct {
    int32_t fractional;            ///< 0 BINARY, 1 FRACTIONAL (PROBABILITY)
    uint16_t max_fractional_value; ///< for FRACTIONAL (255)
    int32_t rows, columns;
    const char *manufacturer, *model_name, *device_serial, *software_versions;
    const char *series_description, *content_label, *content_description, *content_creator;
    int32_t series_number, instance_number;
    double orientation[6];
    double pixel_spacing[2];
    double slice_thickness;        ///< <= 0: omitted
    double spacing_between_slices; ///< <= 0: omitted (frames not evenly spaced)
    const char *source_path;       ///< a source file: patient, study and frame of reference are copied
    const char *study_uid, *for_uid; ///< used when the source's are empty (badly anonymised sources)
    const char *lossy_ratio, *lossy_method; ///< non-NULL when a source was lossy compressed
    int32_t has_geometry;          ///< 0: source without patient geometry (no frame of reference, plane
                                   ///< position, orientation or pixel measures; frames by source frame)
} ssseg_writer_spec;

typedef struct ssseg_writer ssseg_writer;

ssseg_writer *ssseg_writer_create(const ssseg_writer_spec *spec, ssdcm_status *err);
/// Adds a segment; its number is the order of addition (1, 2, ...), returned in `number`.
int ssseg_writer_add_segment(ssseg_writer *w, const ssseg_segment_spec *segment, uint16_t *number, ssdcm_status *err);
/// Adds a referenced source instance (Referenced Series Sequence of the Common Instance Reference module).
int ssseg_writer_add_reference(ssseg_writer *w, const char *series_uid, const char *sop_class_uid,
                               const char *sop_instance_uid, ssdcm_status *err);
/// FRACTIONAL: adds one frame, `pixels` being rows*columns stored values. `source_frame` is the 1-based frame
/// of an enhanced source or 0. `position_index` is 1-based; the plane position and derivation groups built
/// for an index are reused for later frames with the same index, position and source.
int ssseg_writer_add_frame(ssseg_writer *w, uint16_t segment_number, const uint8_t *pixels,
                           const double position[3], uint32_t position_index,
                           const char *source_class_uid, const char *source_instance_uid, int32_t source_frame,
                           ssdcm_status *err);
/// BINARY, three steps: reserve the number of frames (once), add each frame's groups in frame order (same
/// arguments as ssseg_writer_add_frame), and pack each frame's pixels by frame index (0-based, any order):
/// `pixels` is rows*columns bytes, set where equal to `label`, or where nonzero when `label` is 0.
int ssseg_writer_reserve_frames(ssseg_writer *w, int32_t frame_count, ssdcm_status *err);
int ssseg_writer_add_frame_groups(ssseg_writer *w, uint16_t segment_number, const double position[3],
                                  uint32_t position_index, const char *source_class_uid,
                                  const char *source_instance_uid, int32_t source_frame, ssdcm_status *err);
int ssseg_writer_pack_frame(ssseg_writer *w, int32_t frame_index, const uint8_t *pixels, uint8_t label, ssdcm_status *err);
/// Writes the file (explicit VR little endian); returns the new series and SOP instance UIDs.
int ssseg_writer_save(ssseg_writer *w, const char *path, char series_uid[80], char instance_uid[80], ssdcm_status *err);
void ssseg_writer_free(ssseg_writer *w);

/* ---------------------------------------------------------------- reading */

typedef struct {
    uint16_t number;
    char label[80], description[256], algorithm_type[32], algorithm_name[80];
    char category_value[32], category_scheme[32], category_meaning[80];
    char type_value[32], type_scheme[32], type_meaning[80];
    int32_t has_cielab;
    uint16_t cielab[3];
} ssseg_segment_info;

typedef struct {
    uint16_t segment_number;      ///< 0 for LABELMAP frames
    int32_t has_position;
    double position[3];
    char ref_sop_instance_uid[80]; ///< first source image of the derivation image sequence ("" if none)
    int32_t ref_frame_number;      ///< 0 when absent
} ssseg_frame_info;

typedef struct {
    int32_t type;                  ///< 1 BINARY, 2 FRACTIONAL, 3 LABELMAP
    int32_t rows, columns, frame_count, segment_count;
    uint16_t max_fractional_value;
    int32_t has_orientation;
    double orientation[6];
    int32_t has_pixel_spacing;
    double pixel_spacing[2];
    char for_uid[80], sop_instance_uid[80], sop_class_uid[80], series_uid[80], study_uid[80];
    char referenced_series_uid[80];
} ssseg_document_info;

typedef struct ssseg_document ssseg_document;

ssseg_document *ssseg_document_read(const char *path, ssdcm_status *err);
void ssseg_document_get_info(const ssseg_document *doc, ssseg_document_info *info);
int ssseg_document_segment(const ssseg_document *doc, int32_t index, ssseg_segment_info *out);
int ssseg_document_frame(const ssseg_document *doc, int32_t index, ssseg_frame_info *out);
/// Copies frame `index` into `out` (rows*columns values): BINARY 0/1, FRACTIONAL raw, LABELMAP segment numbers.
int ssseg_document_frame_pixels(ssseg_document *doc, int32_t index, uint16_t *out, ssdcm_status *err);
void ssseg_document_free(ssseg_document *doc);

/* ---------------------------------------------------------------- SR TID 1500 */

typedef struct {
    int32_t lesion_index;          ///< 1-based, used as Tracking Identifier "Lesion N" (unless tracking_identifier)
    uint16_t segment_number;       ///< the SEG segment the measurements describe
    ssseg_code finding;            ///< e.g. the segment's property type
    double volume_ml;
    double max_3d_diameter_mm;     ///< SCT Diameter with derivation SCT Maximum
    int32_t has_mean_intensity;
    double mean_intensity;
    ssseg_code intensity_unit;     ///< UCUM, e.g. [hnsf'U] / UCUM / Hounsfield unit
    int32_t has_recist;            ///< issue 13: RECIST long axis (SCT Long Axis) and short axis (SCT Short Axis), mm
    double recist_long_mm, recist_short_mm;
    const char *tracking_identifier; ///< issue 13: Tracking Identifier text; NULL: "Lesion <lesion_index>"
    const char *tracking_uid;      ///< issue 13: Tracking Unique Identifier; NULL: a new UID
    int32_t has_detection_score;   ///< issue 17: a detector's score, 0-1, as DCM Certainty of Finding (%), derivations Mean and Maximum
    double detection_score_mean, detection_score_max;
} ssseg_sr_measurement;

typedef struct {
    const char *seg_path;          ///< the SEG the measurements refer to (patient/study copied from it)
    const char *const *source_paths; ///< source image files: image library entries and evidence
    int32_t source_count;
    const char *source_series_uid;
    const char *device_uid, *device_name, *manufacturer, *model_name, *software_version;
    const char *series_description;
    int32_t series_number, instance_number;
} ssseg_sr_spec;

/// Writes a Comprehensive SR with a TID 1500 Measurement Report: one TID 1411 volumetric group per item.
int ssseg_sr_write(const ssseg_sr_spec *spec, const ssseg_sr_measurement *items, int32_t count,
                   const char *path, char instance_uid[80], ssdcm_status *err);

#ifdef __cplusplus
}
#endif
#endif
