// Reading the few header attributes a DICOM-SEG needs from its source images (dcmdata only; pixel
// data is never loaded). Single-frame instances give one frame; enhanced multi-frame instances give one
// frame per item of the Per-Frame Functional Groups Sequence, with positions from the per-frame or
// shared Plane Position / Plane Orientation / Pixel Measures sequences.
#include "segstation_seg.h"
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

int fail(ssseg_error *err, int status, const std::string &message) {
    if (err) std::snprintf(err->message, sizeof err->message, "%s", message.c_str());
    return status;
}

void copyString(char *dst, size_t size, const OFString &value) {
    std::snprintf(dst, size, "%s", value.c_str());
}

/// Reads `count` DS values of `tag` directly in `item`; false when absent or short.
bool readDoubles(DcmItem &item, const DcmTagKey &tag, double *out, unsigned count) {
    for (unsigned i = 0; i < count; ++i) {
        Float64 v = 0;
        if (item.findAndGetFloat64(tag, v, i).bad()) return false;
        out[i] = v;
    }
    return true;
}

/// Looks for `tag` inside the first item of `sequence` within `group` (a functional group item).
bool readFromMacro(DcmItem *group, const DcmTagKey &sequence, const DcmTagKey &tag, double *out, unsigned count) {
    if (!group) return false;
    DcmItem *macro = nullptr;
    if (group->findAndGetSequenceItem(sequence, macro, 0).bad() || !macro) return false;
    return readDoubles(*macro, tag, out, count);
}

/// The 1-based frames of an enhanced instance.
int readEnhancedFrames(DcmDataset &ds, long frames, ssseg_source_file *out, const std::string &path, ssseg_error *err) {
    DcmItem *shared = nullptr;
    ds.findAndGetSequenceItem(DCM_SharedFunctionalGroupsSequence, shared, 0);
    DcmSequenceOfItems *perFrame = nullptr;
    if (ds.findAndGetSequence(DCM_PerFrameFunctionalGroupsSequence, perFrame).bad() || !perFrame)
        return fail(err, SSSEG_BAD_INPUT, path + ": NumberOfFrames is " + std::to_string(frames) +
                                              " but the Per-Frame Functional Groups Sequence (5200,9230) is missing");
    if ((long)perFrame->card() != frames)
        return fail(err, SSSEG_BAD_INPUT, path + ": NumberOfFrames is " + std::to_string(frames) + " but (5200,9230) has " +
                                              std::to_string(perFrame->card()) + " items");
    if (!out->has_pixel_spacing) {
        double ps[2];
        if (readFromMacro(shared, DCM_PixelMeasuresSequence, DCM_PixelSpacing, ps, 2) ||
            readFromMacro(perFrame->getItem(0), DCM_PixelMeasuresSequence, DCM_PixelSpacing, ps, 2)) {
            out->has_pixel_spacing = 1;
            out->pixel_spacing[0] = ps[0];
            out->pixel_spacing[1] = ps[1];
        }
        double t = 0;
        if (readFromMacro(shared, DCM_PixelMeasuresSequence, DCM_SliceThickness, &t, 1) ||
            readFromMacro(perFrame->getItem(0), DCM_PixelMeasuresSequence, DCM_SliceThickness, &t, 1))
            out->slice_thickness = t;
    }
    out->frames = (ssseg_source_frame *)std::calloc((size_t)frames, sizeof(ssseg_source_frame));
    out->frame_count = (int32_t)frames;
    double sharedOrientation[6];
    bool hasSharedOrientation = readFromMacro(shared, DCM_PlaneOrientationSequence, DCM_ImageOrientationPatient, sharedOrientation, 6);
    for (long f = 0; f < frames; ++f) {
        ssseg_source_frame &fr = out->frames[f];
        copyString(fr.sop_class_uid, sizeof fr.sop_class_uid, OFString(out->sop_class_uid));
        fr.frame_number = (int32_t)(f + 1);
        DcmItem *group = perFrame->getItem((unsigned long)f);
        fr.has_position = readFromMacro(group, DCM_PlanePositionSequence, DCM_ImagePositionPatient, fr.position, 3) ||
                          readFromMacro(shared, DCM_PlanePositionSequence, DCM_ImagePositionPatient, fr.position, 3);
        if (readFromMacro(group, DCM_PlaneOrientationSequence, DCM_ImageOrientationPatient, fr.orientation, 6)) {
            fr.has_orientation = 1;
        } else if (hasSharedOrientation) {
            fr.has_orientation = 1;
            std::memcpy(fr.orientation, sharedOrientation, sizeof sharedOrientation);
        }
    }
    return SSSEG_OK;
}

} // namespace

extern "C" int ssseg_source_file_read(const char *path, ssseg_source_file *out, ssseg_error *err) {
    std::memset(out, 0, sizeof *out);
    DcmFileFormat file;
    // Elements longer than 4 KiB (pixel data) stay on disk.
    OFCondition status = file.loadFile(path, EXS_Unknown, EGL_noChange, 4096);
    if (status.bad()) return fail(err, SSSEG_NOT_DICOM, std::string(path) + ": not readable as DICOM (" + status.text() + ")");
    DcmDataset &ds = *file.getDataset();
    OFString value;
    long rows = 0, columns = 0, frames = 1;
    ds.findAndGetLongInt(DCM_Rows, rows);
    ds.findAndGetLongInt(DCM_Columns, columns);
    if (rows <= 0 || columns <= 0 || rows > 65535 || columns > 65535)
        return fail(err, SSSEG_BAD_INPUT, std::string(path) + ": Rows/Columns " + std::to_string(rows) + "x" +
                                              std::to_string(columns) + "; expected an image with 1..65535 rows and columns");
    out->rows = (int32_t)rows;
    out->columns = (int32_t)columns;
    ds.findAndGetOFString(DCM_StudyInstanceUID, value); copyString(out->study_uid, sizeof out->study_uid, value);
    ds.findAndGetOFString(DCM_SeriesInstanceUID, value); copyString(out->series_uid, sizeof out->series_uid, value);
    value.clear(); ds.findAndGetOFString(DCM_FrameOfReferenceUID, value); copyString(out->for_uid, sizeof out->for_uid, value);
    // Some anonymisers empty SOP Class/Instance UID in the dataset; the file meta header keeps them.
    DcmMetaInfo &meta = *file.getMetaInfo();
    value.clear();
    if (ds.findAndGetOFString(DCM_SOPClassUID, value).bad() || value.empty()) meta.findAndGetOFString(DCM_MediaStorageSOPClassUID, value);
    copyString(out->sop_class_uid, sizeof out->sop_class_uid, value);
    OFString instance;
    if (ds.findAndGetOFString(DCM_SOPInstanceUID, instance).bad() || instance.empty())
        meta.findAndGetOFString(DCM_MediaStorageSOPInstanceUID, instance);
    if (instance.empty())
        return fail(err, SSSEG_BAD_INPUT, std::string(path) + ": SOP Instance UID (0008,0018) and (0002,0003) are missing");
    value.clear();
    if (ds.findAndGetOFString(DCM_LossyImageCompression, value).good() && value == "01") {
        out->lossy = 1;
        ds.findAndGetOFStringArray(DCM_LossyImageCompressionRatio, value); copyString(out->lossy_ratio, sizeof out->lossy_ratio, value);
        ds.findAndGetOFStringArray(DCM_LossyImageCompressionMethod, value); copyString(out->lossy_method, sizeof out->lossy_method, value);
    }
    if (readDoubles(ds, DCM_PixelSpacing, out->pixel_spacing, 2)) out->has_pixel_spacing = 1;
    Float64 thickness = 0;
    if (ds.findAndGetFloat64(DCM_SliceThickness, thickness).good()) out->slice_thickness = thickness;
    if (ds.findAndGetLongInt(DCM_NumberOfFrames, frames).bad()) frames = 1;
    if (frames < 1 || frames > 1000000)
        return fail(err, SSSEG_BAD_INPUT, std::string(path) + ": NumberOfFrames " + std::to_string(frames) + "; expected 1..1000000");

    if (ds.tagExists(DCM_PerFrameFunctionalGroupsSequence) || ds.tagExists(DCM_SharedFunctionalGroupsSequence)) {
        int rc = readEnhancedFrames(ds, frames, out, path, err);
        if (rc != SSSEG_OK) { ssseg_source_file_free(out); return rc; }
        for (int32_t f = 0; f < out->frame_count; ++f)
            copyString(out->frames[f].sop_instance_uid, sizeof out->frames[f].sop_instance_uid, instance);
        return SSSEG_OK;
    }
    // Classic attributes. A multi-frame instance without functional groups (e.g. pydicom-data's
    // emri_small.dcm) gets frames 1...N, each with the instance's position and orientation if any
    // (the Swift side accepts such frames only when the instance has no patient geometry at all).
    out->frames = (ssseg_source_frame *)std::calloc((size_t)frames, sizeof(ssseg_source_frame));
    out->frame_count = (int32_t)frames;
    for (long f = 0; f < frames; ++f) {
        ssseg_source_frame &fr = out->frames[f];
        copyString(fr.sop_class_uid, sizeof fr.sop_class_uid, OFString(out->sop_class_uid));
        copyString(fr.sop_instance_uid, sizeof fr.sop_instance_uid, instance);
        fr.frame_number = frames > 1 ? (int32_t)(f + 1) : 0;
        fr.has_position = readDoubles(ds, DCM_ImagePositionPatient, fr.position, 3);
        fr.has_orientation = readDoubles(ds, DCM_ImageOrientationPatient, fr.orientation, 6);
    }
    return SSSEG_OK;
}

extern "C" void ssseg_source_file_free(ssseg_source_file *file) {
    if (!file) return;
    std::free(file->frames);
    file->frames = nullptr;
    file->frame_count = 0;
}
