// Reading DICOM Segmentation objects written by any tool. Metadata (segments, per-frame functional
// groups) is read with dcmdata from the dataset, after structural checks (frame count, functional
// groups, pixel data length). dcmseg's DcmSegmentation loads BINARY and FRACTIONAL objects (checks,
// decompression) and gives the FRACTIONAL frames; BINARY bits (bit-concatenated frames; DCMTK 3.6.7
// misplaces frames not starting on a byte boundary) and LABELMAP frames (Supplement 243, unknown to
// DCMTK 3.6.7) are read from Pixel Data directly.
#include "segstation_seg.h"
#include "bridge_internal.hpp"
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>
#include <dcmtk/dcmseg/segdoc.h>
#include <dcmtk/dcmseg/segutils.h>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

struct ssseg_document {
    ssseg_document_info info;
    std::vector<ssseg_segment_info> segments;
    std::vector<ssseg_frame_info> frames;
    DcmSegmentation *seg = nullptr;   // BINARY, FRACTIONAL
    DcmFileFormat file;               // LABELMAP pixel data
    const Uint8 *labelPixels = nullptr;
    const Uint8 *binaryBits = nullptr;  // BINARY Pixel Data (native, after dcmseg's decompression)
    int bytesPerPixel = 1;
    ~ssseg_document() { delete seg; }
};

namespace {


void get(DcmItem &item, const DcmTagKey &tag, char *dst, size_t size) {
    OFString value;
    item.findAndGetOFString(tag, value);
    std::snprintf(dst, size, "%s", value.c_str());
}

bool doubles(DcmItem *item, const DcmTagKey &tag, double *out, unsigned count) {
    if (!item) return false;
    for (unsigned i = 0; i < count; ++i) {
        Float64 v = 0;
        if (item->findAndGetFloat64(tag, v, i).bad()) return false;
        out[i] = v;
    }
    return true;
}

DcmItem *firstItem(DcmItem *item, const DcmTagKey &sequence) {
    DcmItem *result = nullptr;
    if (!item || item->findAndGetSequenceItem(sequence, result, 0).bad()) return nullptr;
    return result;
}

void code(DcmItem *segment, const DcmTagKey &sequence, char *value, char *scheme, char *meaning) {
    DcmItem *c = firstItem(segment, sequence);
    if (!c) return;
    get(*c, DCM_CodeValue, value, 32);
    get(*c, DCM_CodingSchemeDesignator, scheme, 32);
    get(*c, DCM_CodeMeaning, meaning, 80);
}

int readSegments(DcmDataset &ds, ssseg_document &doc, const std::string &path, ssdcm_status *err) {
    DcmSequenceOfItems *sequence = nullptr;
    if (ds.findAndGetSequence(DCM_SegmentSequence, sequence).bad() || !sequence || sequence->card() == 0)
        return ssdcm::refuse(err, SSDCM_BAD_INPUT, path + ": Segment Sequence (0062,0002) is missing or empty");
    for (unsigned long i = 0; i < sequence->card(); ++i) {
        DcmItem *item = sequence->getItem(i);
        ssseg_segment_info s;
        std::memset(&s, 0, sizeof s);
        if (item->findAndGetUint16(DCM_SegmentNumber, s.number).bad())
            return ssdcm::refuse(err, SSDCM_BAD_INPUT, path + ": segment item " + std::to_string(i + 1) + " has no Segment Number (0062,0004)");
        get(*item, DCM_SegmentLabel, s.label, sizeof s.label);
        get(*item, DCM_SegmentDescription, s.description, sizeof s.description);
        get(*item, DCM_SegmentAlgorithmType, s.algorithm_type, sizeof s.algorithm_type);
        get(*item, DCM_SegmentAlgorithmName, s.algorithm_name, sizeof s.algorithm_name);
        code(item, DCM_SegmentedPropertyCategoryCodeSequence, s.category_value, s.category_scheme, s.category_meaning);
        code(item, DCM_SegmentedPropertyTypeCodeSequence, s.type_value, s.type_scheme, s.type_meaning);
        for (int c = 0; c < 3; ++c)
            if (item->findAndGetUint16(DCM_RecommendedDisplayCIELabValue, s.cielab[c], c).good()) s.has_cielab = (c == 2);
        doc.segments.push_back(s);
    }
    return SSDCM_OK;
}

int readFrames(DcmDataset &ds, ssseg_document &doc, long frameCount, const std::string &path, ssdcm_status *err) {
    DcmItem *shared = firstItem(&ds, DCM_SharedFunctionalGroupsSequence);
    DcmSequenceOfItems *perFrame = nullptr;
    if (ds.findAndGetSequence(DCM_PerFrameFunctionalGroupsSequence, perFrame).bad() || !perFrame)
        return ssdcm::refuse(err, SSDCM_BAD_INPUT, path + ": Per-Frame Functional Groups Sequence (5200,9230) is missing");
    if ((long)perFrame->card() != frameCount)
        return ssdcm::refuse(err, SSDCM_BAD_INPUT, path + ": Number of Frames is " + std::to_string(frameCount) + " but (5200,9230) has " +
                                              std::to_string(perFrame->card()) + " items");
    ssseg_document_info &info = doc.info;
    DcmItem *first = perFrame->getItem(0);
    info.has_orientation = doubles(firstItem(shared, DCM_PlaneOrientationSequence), DCM_ImageOrientationPatient, info.orientation, 6) ||
                           doubles(firstItem(first, DCM_PlaneOrientationSequence), DCM_ImageOrientationPatient, info.orientation, 6);
    double ps[2];
    if (doubles(firstItem(shared, DCM_PixelMeasuresSequence), DCM_PixelSpacing, ps, 2) ||
        doubles(firstItem(first, DCM_PixelMeasuresSequence), DCM_PixelSpacing, ps, 2)) {
        info.has_pixel_spacing = 1;
        info.pixel_spacing[0] = ps[0];
        info.pixel_spacing[1] = ps[1];
    }
    DcmObject *object = nullptr;
    for (long f = 0; f < frameCount; ++f) {
        // In order: getItem(f) would seek from the start of the list each time (quadratic).
        object = perFrame->nextInContainer(object);
        DcmItem *group = static_cast<DcmItem *>(object);
        ssseg_frame_info fr;
        std::memset(&fr, 0, sizeof fr);
        DcmItem *identification = firstItem(group, DCM_SegmentIdentificationSequence);
        if (!identification) identification = firstItem(shared, DCM_SegmentIdentificationSequence);
        if (info.type != 3) {
            if (!identification || identification->findAndGetUint16(DCM_ReferencedSegmentNumber, fr.segment_number).bad())
                return ssdcm::refuse(err, SSDCM_BAD_INPUT, path + ": frame " + std::to_string(f + 1) +
                                                      " has no Segment Identification Sequence (0062,000A) with a Referenced Segment Number");
        }
        fr.has_position = doubles(firstItem(group, DCM_PlanePositionSequence), DCM_ImagePositionPatient, fr.position, 3) ||
                          doubles(firstItem(shared, DCM_PlanePositionSequence), DCM_ImagePositionPatient, fr.position, 3);
        DcmItem *derivation = firstItem(group, DCM_DerivationImageSequence);
        if (!derivation) derivation = firstItem(shared, DCM_DerivationImageSequence);
        if (DcmItem *source = firstItem(derivation, DCM_SourceImageSequence)) {
            get(*source, DCM_ReferencedSOPInstanceUID, fr.ref_sop_instance_uid, sizeof fr.ref_sop_instance_uid);
            Sint32 number = 0;
            if (source->findAndGetSint32(DCM_ReferencedFrameNumber, number).good()) fr.ref_frame_number = number;
        }
        doc.frames.push_back(fr);
    }
    return SSDCM_OK;
}

} // namespace

extern "C" ssseg_document *ssseg_document_read(const char *path, ssdcm_status *err) {
    ssdcm::installLogRouting();
    std::unique_ptr<ssseg_document> doc(new ssseg_document());
    std::memset(&doc->info, 0, sizeof doc->info);
    OFCondition status = doc->file.loadFile(path);
    if (status.bad()) { ssdcm::refuse(err, SSDCM_BAD_INPUT, std::string(path) + ": not readable as DICOM (" + status.text() + ")"); return nullptr; }
    DcmDataset &ds = *doc->file.getDataset();
    ssseg_document_info &info = doc->info;
    get(ds, DCM_SOPClassUID, info.sop_class_uid, sizeof info.sop_class_uid);
    if (std::strcmp(info.sop_class_uid, UID_SegmentationStorage) != 0 && std::strcmp(info.sop_class_uid, "1.2.840.10008.5.1.4.1.1.66.7") != 0) {
        ssdcm::refuse(err, SSDCM_BAD_INPUT, std::string(path) + ": SOP Class UID is '" + info.sop_class_uid + "'; expected Segmentation Storage");
        return nullptr;
    }
    OFString type;
    ds.findAndGetOFString(DCM_SegmentationType, type);
    info.type = type == "BINARY" ? 1 : type == "FRACTIONAL" ? 2 : type == "LABELMAP" ? 3 : 0;
    if (info.type == 0) { ssdcm::refuse(err, SSDCM_UNSUPPORTED, std::string(path) + ": Segmentation Type '" + type.c_str() + "'; expected BINARY, FRACTIONAL or LABELMAP"); return nullptr; }
    long rows = 0, columns = 0, frames = 0, bitsAllocated = 0;
    ds.findAndGetLongInt(DCM_Rows, rows);
    ds.findAndGetLongInt(DCM_Columns, columns);
    ds.findAndGetLongInt(DCM_BitsAllocated, bitsAllocated);
    if (ds.findAndGetLongInt(DCM_NumberOfFrames, frames).bad() || frames < 1 || frames > 10000000) {
        ssdcm::refuse(err, SSDCM_BAD_INPUT, std::string(path) + ": Number of Frames (0028,0008) is missing or out of range (" + std::to_string(frames) + ")");
        return nullptr;
    }
    if (rows < 1 || columns < 1 || rows > 65535 || columns > 65535) {
        ssdcm::refuse(err, SSDCM_BAD_INPUT, std::string(path) + ": Rows/Columns " + std::to_string(rows) + "x" + std::to_string(columns) + " out of range");
        return nullptr;
    }
    info.rows = (int32_t)rows; info.columns = (int32_t)columns; info.frame_count = (int32_t)frames;
    Uint16 maxFractional = 0;
    ds.findAndGetUint16(DCM_MaximumFractionalValue, maxFractional);
    info.max_fractional_value = maxFractional;
    get(ds, DCM_FrameOfReferenceUID, info.for_uid, sizeof info.for_uid);
    get(ds, DCM_SOPInstanceUID, info.sop_instance_uid, sizeof info.sop_instance_uid);
    get(ds, DCM_SeriesInstanceUID, info.series_uid, sizeof info.series_uid);
    get(ds, DCM_StudyInstanceUID, info.study_uid, sizeof info.study_uid);
    if (DcmItem *series = firstItem(&ds, DCM_ReferencedSeriesSequence)) get(*series, DCM_SeriesInstanceUID, info.referenced_series_uid, 80);

    // Pixel data length: BINARY frames are bit-concatenated; others take whole bytes per pixel.
    const unsigned long pixels = (unsigned long)rows * (unsigned long)columns * (unsigned long)frames;
    const unsigned long expected = info.type == 1 ? (pixels + 7) / 8 : pixels * (unsigned long)(bitsAllocated / 8);
    DcmElement *pixelData = nullptr;
    if (ds.findAndGetElement(DCM_PixelData, pixelData).bad() || !pixelData) {
        ssdcm::refuse(err, SSDCM_BAD_INPUT, std::string(path) + ": Pixel Data (7FE0,0010) is missing"); return nullptr;
    }
    if ((info.type == 1 && bitsAllocated != 1) || (info.type == 2 && bitsAllocated != 8) ||
        (info.type == 3 && bitsAllocated != 8 && bitsAllocated != 16)) {
        ssdcm::refuse(err, SSDCM_BAD_INPUT, std::string(path) + ": Bits Allocated " + std::to_string(bitsAllocated) + " for a " + type.c_str() + " segmentation");
        return nullptr;
    }
    if (pixelData->getLength() < expected) {
        ssdcm::refuse(err, SSDCM_BAD_INPUT, std::string(path) + ": Pixel Data has " + std::to_string(pixelData->getLength()) + " bytes; " +
                                       std::to_string(frames) + " frames of " + std::to_string(rows) + "x" + std::to_string(columns) +
                                       " need " + std::to_string(expected));
        return nullptr;
    }
    int rc = readSegments(ds, *doc, path, err);
    if (rc == SSDCM_OK) rc = readFrames(ds, *doc, frames, path, err);
    if (rc != SSDCM_OK) return nullptr;
    info.segment_count = (int32_t)doc->segments.size();

    if (info.type == 3) {
        doc->bytesPerPixel = (int)(bitsAllocated / 8);
        if (pixelData->getUint8Array(const_cast<Uint8 *&>(doc->labelPixels)).bad() || !doc->labelPixels) {
            ssdcm::refuse(err, SSDCM_UNSUPPORTED, std::string(path) + ": LABELMAP pixel data is encapsulated (compressed); expected native");
            return nullptr;
        }
        return doc.release();
    }
    status = DcmSegmentation::loadDataset(ds, doc->seg);
    if (status.bad() || !doc->seg) {
        ssdcm::refuse(err, SSDCM_BAD_INPUT, std::string(path) + ": dcmseg cannot read the segmentation: " + status.text());
        return nullptr;
    }
    if (doc->seg->getNumberOfFrames() != (size_t)frames) {
        ssdcm::refuse(err, SSDCM_BAD_INPUT, std::string(path) + ": dcmseg found " + std::to_string(doc->seg->getNumberOfFrames()) +
                                       " frames; Number of Frames is " + std::to_string(frames));
        return nullptr;
    }
    // BINARY frames are unpacked here from Pixel Data (frame f starts at bit f * rows * columns, least
    // significant bit first; PS3.5 8.1.1, 8.2): DCMTK 3.6.7's frame extraction returns wrong bits for frames
    // that do not start on a byte boundary at some offsets (7x5 frames: SEGPackingTests, checked against
    // pydicom's unpacking).
    if (info.type == 1) {
        DcmElement *native = nullptr;
        Uint8 *bits = nullptr;
        if (ds.findAndGetElement(DCM_PixelData, native).bad() || !native || native->getUint8Array(bits).bad() || !bits ||
            native->getLength() < expected) {
            ssdcm::refuse(err, SSDCM_UNSUPPORTED, std::string(path) + ": BINARY Pixel Data is not readable as native bits");
            return nullptr;
        }
        doc->binaryBits = bits;
    }
    return doc.release();
}

extern "C" void ssseg_document_get_info(const ssseg_document *doc, ssseg_document_info *info) { *info = doc->info; }

extern "C" int ssseg_document_segment(const ssseg_document *doc, int32_t index, ssseg_segment_info *out) {
    if (index < 0 || (size_t)index >= doc->segments.size()) return SSDCM_INVALID_ARGUMENT;
    *out = doc->segments[(size_t)index];
    return SSDCM_OK;
}

extern "C" int ssseg_document_frame(const ssseg_document *doc, int32_t index, ssseg_frame_info *out) {
    if (index < 0 || (size_t)index >= doc->frames.size()) return SSDCM_INVALID_ARGUMENT;
    *out = doc->frames[(size_t)index];
    return SSDCM_OK;
}

extern "C" int ssseg_document_frame_pixels(ssseg_document *doc, int32_t index, uint16_t *out, ssdcm_status *err) {
    const ssseg_document_info &info = doc->info;
    if (index < 0 || index >= info.frame_count) return ssdcm::refuse(err, SSDCM_INVALID_ARGUMENT, "frame " + std::to_string(index) + " out of range");
    const size_t n = (size_t)info.rows * (size_t)info.columns;
    if (info.type == 3) {
        if (doc->bytesPerPixel == 1) {
            const Uint8 *p = doc->labelPixels + n * (size_t)index;
            for (size_t i = 0; i < n; ++i) out[i] = p[i];
        } else {
            const Uint16 *p = reinterpret_cast<const Uint16 *>(doc->labelPixels) + n * (size_t)index;
            for (size_t i = 0; i < n; ++i) out[i] = p[i];
        }
        return SSDCM_OK;
    }
    if (info.type == 2) {
        const DcmIODTypes::Frame *frame = doc->seg->getFrame((size_t)index);
        if (!frame) return ssdcm::refuse(err, SSDCM_BAD_INPUT, "frame " + std::to_string(index + 1) + " has no pixel data");
        if (frame->length < n) return ssdcm::refuse(err, SSDCM_BAD_INPUT, "frame " + std::to_string(index + 1) + " is short");
        for (size_t i = 0; i < n; ++i) out[i] = frame->pixData[i];
        return SSDCM_OK;
    }
    const size_t first = n * (size_t)index;   // bit offset of the frame (length checked on reading)
    for (size_t i = 0; i < n; ++i) out[i] = (doc->binaryBits[(first + i) >> 3] >> ((first + i) & 7)) & 1u;
    return SSDCM_OK;
}

extern "C" void ssseg_document_free(ssseg_document *doc) { delete doc; }
