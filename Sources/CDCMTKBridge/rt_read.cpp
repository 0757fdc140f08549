// Reading RT Structure Sets with DCMTK's dcmrt: ROIs in Structure Set ROI Sequence order, joined with the
// ROI Contour and RT ROI Observations items by ROI number; each contour's type, image reference and data.
// Checks are left to the Swift side (RTStructDocument), which names ROI, contour and tag in its errors.
#include "segstation_rt.h"
#include "bridge_internal.hpp"
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>
#include <dcmtk/dcmrt/drtstrct.h>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace {

struct Contour {
    int32_t number = 0;
    std::string type, refInstance;
    int32_t refFrame = 0;
    int32_t pointCount = 0;
    std::vector<double> points;
};

struct ROI {
    int32_t number = 0;
    std::string name, forUID, interpretedType;
    bool hasColor = false;
    uint8_t color[3] = {0, 0, 0};
    std::vector<Contour> contours;
};


void copy(char *out, size_t size, const OFString &value) { std::snprintf(out, size, "%s", value.c_str()); }

/// Calls `body` with each item of a dcmrt sequence, in order. Bounded by the item count: DCMTK 3.6.7's
/// gotoNextItem() reports success once more past the last item (then yielding its empty default item).
template <typename Sequence, typename Body> void forEachItem(Sequence &sequence, Body body) {
    const size_t count = sequence.getNumberOfItems();
    if (count == 0 || sequence.gotoFirstItem().bad()) return;
    for (size_t i = 0; i < count; ++i) {
        if (i > 0 && sequence.gotoNextItem().bad()) return;
        body(sequence.getCurrentItem());
    }
}

} // namespace

struct ssrt_document {
    std::string instanceUID, studyUID, modality, forUID;
    std::vector<ROI> rois;
};

extern "C" int ssrt_read(const char *path, ssrt_document **out, ssdcm_status *err) {
    ssdcm::initialise();   // DCMTK decoders registered, its logger silenced
    *out = nullptr;
    DcmFileFormat file;
    if (file.loadFile(path).bad()) return ssdcm::refuse(err, SSDCM_BAD_INPUT, "not a readable DICOM file");
    DcmDataset &dataset = *file.getDataset();
    OFString modality;
    dataset.findAndGetOFString(DCM_Modality, modality);
    if (modality != "RTSTRUCT")
        return ssdcm::refuse(err, SSDCM_BAD_INPUT, "Modality (0008,0060) is '" + std::string(modality.c_str()) + "', expected RTSTRUCT");
    DRTStructureSetIOD rt;
    OFCondition status = rt.read(dataset);
    if (status.bad()) return ssdcm::refuse(err, SSDCM_BAD_INPUT, std::string("dcmrt cannot read the structure set: ") + status.text());

    auto doc = new ssrt_document;
    OFString value;
    rt.getSOPInstanceUID(value); doc->instanceUID = value.c_str();
    rt.getStudyInstanceUID(value); doc->studyUID = value.c_str();
    doc->modality = modality.c_str();
    DRTReferencedFrameOfReferenceSequence &frames = rt.getReferencedFrameOfReferenceSequence();
    if (frames.getNumberOfItems() > 0 && frames.gotoFirstItem().good()) { frames.getCurrentItem().getFrameOfReferenceUID(value); doc->forUID = value.c_str(); }

    std::map<int32_t, size_t> byNumber;
    DRTStructureSetROISequence &ssrois = rt.getStructureSetROISequence();
    forEachItem(ssrois, [&](DRTStructureSetROISequence::Item &item) {
        ROI roi;
        value.clear(); item.getROINumber(value); roi.number = (int32_t)std::atoi(value.c_str());
        value.clear(); item.getROIName(value); roi.name = value.c_str();
        value.clear(); item.getReferencedFrameOfReferenceUID(value); roi.forUID = value.c_str();
        byNumber[roi.number] = doc->rois.size();
        doc->rois.push_back(roi);
    });
    DRTRTROIObservationsSequence &observations = rt.getRTROIObservationsSequence();
    forEachItem(observations, [&](DRTRTROIObservationsSequence::Item &item) {
        item.getReferencedROINumber(value);
        auto found = byNumber.find((int32_t)std::atoi(value.c_str()));
        if (found == byNumber.end()) return;
        value.clear();
        item.getRTROIInterpretedType(value);
        doc->rois[found->second].interpretedType = value.c_str();
    });
    DRTROIContourSequence &roiContours = rt.getROIContourSequence();
    std::string unknown;
    forEachItem(roiContours, [&](DRTROIContourSequence::Item &item) {
        item.getReferencedROINumber(value);
        auto found = byNumber.find((int32_t)std::atoi(value.c_str()));
        if (found == byNumber.end()) {
            if (unknown.empty()) unknown = value.c_str();
            return;
        }
        ROI &roi = doc->rois[found->second];
        Sint32 rgb[3];
        roi.hasColor = item.getROIDisplayColor(rgb[0], 0).good() && item.getROIDisplayColor(rgb[1], 1).good() &&
                       item.getROIDisplayColor(rgb[2], 2).good();
        for (int i = 0; roi.hasColor && i < 3; ++i) roi.color[i] = (uint8_t)(rgb[i] < 0 ? 0 : (rgb[i] > 255 ? 255 : rgb[i]));
        forEachItem(item.getContourSequence(), [&](DRTContourSequence::Item &ci) {
            Contour contour;
            Sint32 number = 0;
            if (ci.getContourNumber(number).good()) contour.number = number;
            value.clear();
            ci.getContourGeometricType(value);
            contour.type = value.c_str();
            Sint32 count = 0;
            if (ci.getNumberOfContourPoints(count).good()) contour.pointCount = count;
            OFVector<Float64> data;
            ci.getContourData(data);
            contour.points.assign(data.begin(), data.end());
            DRTContourImageSequence &images = ci.getContourImageSequence();
            if (images.getNumberOfItems() > 0 && images.gotoFirstItem().good()) {
                value.clear();
                images.getCurrentItem().getReferencedSOPInstanceUID(value);
                contour.refInstance = value.c_str();
                Sint32 frame = 0;
                if (images.getCurrentItem().getReferencedFrameNumber(frame).good()) contour.refFrame = frame;
            }
            roi.contours.push_back(std::move(contour));
        });
    });
    if (!unknown.empty()) {
        delete doc;
        return ssdcm::refuse(err, SSDCM_BAD_INPUT, "ROI Contour Sequence item references ROI Number " + unknown +
                                              " (3006,0084), which is not in the Structure Set ROI Sequence (3006,0020)");
    }
    *out = doc;
    return SSDCM_OK;
}

extern "C" void ssrt_info_get(const ssrt_document *doc, ssrt_info *out) {
    std::memset(out, 0, sizeof *out);
    copy(out->sop_instance_uid, sizeof out->sop_instance_uid, doc->instanceUID.c_str());
    copy(out->study_uid, sizeof out->study_uid, doc->studyUID.c_str());
    copy(out->modality, sizeof out->modality, doc->modality.c_str());
    copy(out->for_uid, sizeof out->for_uid, doc->forUID.c_str());
    out->roi_count = (int32_t)doc->rois.size();
}

extern "C" int ssrt_roi_get(const ssrt_document *doc, int32_t index, ssrt_roi_info *out) {
    if (index < 0 || (size_t)index >= doc->rois.size()) return SSDCM_INVALID_ARGUMENT;
    const ROI &roi = doc->rois[index];
    std::memset(out, 0, sizeof *out);
    out->number = roi.number;
    copy(out->name, sizeof out->name, roi.name.c_str());
    copy(out->for_uid, sizeof out->for_uid, roi.forUID.c_str());
    out->has_color = roi.hasColor;
    std::memcpy(out->color, roi.color, 3);
    copy(out->interpreted_type, sizeof out->interpreted_type, roi.interpretedType.c_str());
    out->contour_count = (int32_t)roi.contours.size();
    return SSDCM_OK;
}

extern "C" int ssrt_contour_get(const ssrt_document *doc, int32_t roi, int32_t index, ssrt_contour_info *out) {
    if (roi < 0 || (size_t)roi >= doc->rois.size() || index < 0 || (size_t)index >= doc->rois[roi].contours.size())
        return SSDCM_INVALID_ARGUMENT;
    const Contour &c = doc->rois[roi].contours[index];
    std::memset(out, 0, sizeof *out);
    out->number = c.number;
    copy(out->geometric_type, sizeof out->geometric_type, c.type.c_str());
    copy(out->ref_sop_instance_uid, sizeof out->ref_sop_instance_uid, c.refInstance.c_str());
    out->ref_frame_number = c.refFrame;
    out->point_count = c.pointCount;
    out->points = c.points.data();
    out->value_count = (int32_t)c.points.size();
    return SSDCM_OK;
}

extern "C" int ssrt_is_rtstruct(const char *path) {
    ssdcm::initialise();
    DcmFileFormat file;
    // Stop after the Modality: the header is enough to tell.
    if (file.loadFileUntilTag(path, EXS_Unknown, EGL_noChange, 256, ERM_autoDetect, DCM_ModalitiesInStudy).bad()) return 0;
    OFString modality;
    return file.getDataset()->findAndGetOFString(DCM_Modality, modality).good() && modality == "RTSTRUCT";
}

extern "C" void ssrt_free(ssrt_document *doc) { delete doc; }
