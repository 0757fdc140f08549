#ifndef SEGSTATION_RT_H
#define SEGSTATION_RT_H
/* The C face of SegStation's RT Structure Set bridge (DCMTK dcmrt, DRTStructureSetIOD).
 * Status convention of segstation_dcmtk.h: 0 (SSDCM_OK) on success, else the nonzero `ssdcm_code`,
 * with the `ssdcm_status` filled (a message naming the tag, ROI or contour). */
#include <stdint.h>
#include "segstation_seg.h"
#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- writing */

/// One source image a contour can lie on (Contour Image Sequence item).
typedef struct {
    const char *sop_class_uid, *sop_instance_uid;
    int32_t frame_number;          ///< 1-based frame of an enhanced multi-frame source; 0 for single-frame
} ssrt_image_ref;

/// One ROI: Structure Set ROI, ROI Contour and RT ROI Observations items share its number.
typedef struct {
    int32_t number;                ///< ROI Number (1, 2, ...)
    const char *name;              ///< ROI Name (LO, at most 64 characters)
    const char *description;       ///< ROI Description; may be NULL
    uint8_t color[3];              ///< ROI Display Color (sRGB)
    const char *interpreted_type;  ///< RT ROI Interpreted Type (CS; "" = type 2 empty)
    const char *algorithm_name;    ///< ROI Generation Description (the model); may be NULL
} ssrt_roi_spec;

/// One CLOSED_PLANAR contour: `point_count` LPS points (x, y, z in mm, 3 * point_count doubles).
typedef struct {
    int32_t roi_index;             ///< 0-based index into the ROI array
    int32_t image_index;           ///< 0-based index into the image array (Contour Image Sequence)
    int32_t point_count;
    const double *points;
} ssrt_contour_spec;

typedef struct {
    const char *source_path;       ///< a source image file: patient and study are copied from it
    const char *study_uid, *series_uid, *for_uid; ///< source study / series / frame of reference
    const char *manufacturer, *model_name, *software_versions;
    const char *series_description, *structure_set_label;
    int32_t series_number;
    int32_t image_count;
    const ssrt_image_ref *images;
    int32_t roi_count;
    const ssrt_roi_spec *rois;
    int32_t contour_count;
    const ssrt_contour_spec *contours;
} ssrt_write_spec;

/// Builds the structure set with dcmrt and writes it to `path` (explicit VR little endian); returns the
/// new series and SOP instance UIDs.
int ssrt_write(const ssrt_write_spec *spec, const char *path, char series_uid[80], char instance_uid[80], ssdcm_status *err);

/* ---------------------------------------------------------------- reading */

typedef struct ssrt_document ssrt_document;

typedef struct {
    char sop_instance_uid[80], study_uid[80], modality[32];
    char for_uid[80];              ///< Referenced Frame of Reference UID (3006,0024) of the first item; "" if absent
    int32_t roi_count;
} ssrt_info;

typedef struct {
    int32_t number;                ///< ROI Number (3006,0022)
    char name[80];                 ///< ROI Name (3006,0026), truncated
    char for_uid[80];              ///< Referenced Frame of Reference UID of the ROI (3006,0024)
    int32_t has_color;
    uint8_t color[3];              ///< ROI Display Color (3006,002A)
    char interpreted_type[32];     ///< RT ROI Interpreted Type (3006,00A4) or ""
    int32_t contour_count;
} ssrt_roi_info;

typedef struct {
    int32_t number;                ///< Contour Number (3006,0048), or 0 when absent
    char geometric_type[32];       ///< Contour Geometric Type (3006,0042)
    char ref_sop_instance_uid[80]; ///< first Contour Image Sequence item's (0008,1155), or ""
    int32_t ref_frame_number;      ///< its Referenced Frame Number, or 0
    int32_t point_count;           ///< Number of Contour Points (3006,0046)
    const double *points;          ///< the Contour Data (3006,0050) values, 3 * point_count; owned by the document
    int32_t value_count;           ///< number of Contour Data values actually present
} ssrt_contour_info;

/// Reads an RT Structure Set with dcmrt. Files that are not RTSTRUCT are refused (SSDCM_BAD_INPUT).
int ssrt_read(const char *path, ssrt_document **out, ssdcm_status *err);
void ssrt_info_get(const ssrt_document *doc, ssrt_info *out);
/// ROIs in the order of the Structure Set ROI Sequence.
int ssrt_roi_get(const ssrt_document *doc, int32_t roi, ssrt_roi_info *out);
int ssrt_contour_get(const ssrt_document *doc, int32_t roi, int32_t contour, ssrt_contour_info *out);
void ssrt_free(ssrt_document *doc);
/// 1 when `path` is a DICOM file with Modality RTSTRUCT (reads the header only), else 0.
int ssrt_is_rtstruct(const char *path);

#ifdef __cplusplus
}
#endif
#endif
