// Writing RT Structure Sets with DCMTK's dcmrt (DRTStructureSetIOD): patient and study imported from a
// source image, RT Series, General Equipment, Structure Set (Referenced Frame of Reference -> RT Referenced
// Study -> RT Referenced Series -> Contour Image Sequence of every source image; one Structure Set ROI per
// ROI), ROI Contour (display colour, CLOSED_PLANAR contours, each with its one Contour Image), RT ROI
// Observations (interpreted type), SOP Common.
#include "segstation_rt.h"
#include "bridge_internal.hpp"
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>
#include <dcmtk/dcmrt/drtstrct.h>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {


/// Appends `v` as a DS value of at most 16 characters: fixed point, 4 decimals (0.1 micrometre), trailing
/// zeros dropped. |v| < 1e10 is checked by the caller. Hand-rolled because Contour Data holds millions of values.
void appendDS(std::string &out, double v) {
    long long scaled = std::llround(v * 10000.0);
    if (scaled < 0) { out.push_back('-'); scaled = -scaled; }
    long long whole = scaled / 10000, fraction = scaled % 10000;
    char digits[24];
    int n = 0;
    do { digits[n++] = char('0' + whole % 10); whole /= 10; } while (whole > 0);
    while (n > 0) out.push_back(digits[--n]);
    if (fraction == 0) return;
    out.push_back('.');
    char frac[4];
    for (int i = 3; i >= 0; --i) { frac[i] = char('0' + fraction % 10); fraction /= 10; }
    int last = 3;
    while (frac[last] == '0') --last;
    out.append(frac, frac + last + 1);
}

std::string currentDate() {
    OFString value;
    DcmDate::getCurrentDate(value);
    return value.c_str();
}

std::string currentTime() {
    OFString value;
    DcmTime::getCurrentTime(value);
    return value.c_str();
}

#define RT_CHECK(expr, what)                                                                                 \
    do {                                                                                                     \
        OFCondition c_ = (expr);                                                                             \
        if (c_.bad()) return ssdcm::refuse(err, SSDCM_INVALID_ARGUMENT, std::string("dcmrt: ") + (what) + ": " + c_.text()); \
    } while (0)

} // namespace

extern "C" int ssrt_write(const ssrt_write_spec *spec, const char *path, char series_uid[80], char instance_uid[80], ssdcm_status *err) {
    ssdcm::initialise();   // DCMTK decoders registered, its logger silenced
    DcmFileFormat source;
    if (source.loadFile(spec->source_path, EXS_Unknown, EGL_noChange, 4096).bad())
        return ssdcm::refuse(err, SSDCM_BAD_INPUT, std::string(spec->source_path) + ": cannot read the source image");
    DRTStructureSetIOD rt;
    // Patient and General Study from the source (dcmrt reads the modules it knows; unknown attributes stay behind).
    RT_CHECK(rt.readStudyData(*source.getDataset()), "cannot import patient and study from the source");
    RT_CHECK(rt.setStudyInstanceUID(spec->study_uid), "Study Instance UID");
    // Patient Identity Removed YES requires a De-identification Method (type 1C); some sources (dcm_qa_ct GE)
    // state YES with an empty method: say so rather than leave the copied module invalid.
    OFString removed, method;
    rt.getPatientIdentityRemoved(removed);
    rt.getDeidentificationMethod(method);
    if (removed == "YES" && method.empty() && rt.getDeidentificationMethodCodeSequence().getNumberOfItems() == 0)
        RT_CHECK(rt.setDeidentificationMethod("not stated in the source images"), "De-identification Method");
    RT_CHECK(rt.setFrameOfReferenceUID(spec->for_uid), "Frame of Reference UID");

    char uid[100];
    const std::string seriesUID = dcmGenerateUniqueIdentifier(uid, SITE_SERIES_UID_ROOT);
    const std::string instanceUID = dcmGenerateUniqueIdentifier(uid, SITE_INSTANCE_UID_ROOT);
    const std::string date = currentDate(), time = currentTime();
    RT_CHECK(rt.setSOPClassUID(UID_RTStructureSetStorage), "SOP Class UID");
    RT_CHECK(rt.setSOPInstanceUID(instanceUID.c_str()), "SOP Instance UID");
    RT_CHECK(rt.setInstanceCreationDate(date.c_str()), "Instance Creation Date");
    RT_CHECK(rt.setInstanceCreationTime(time.c_str()), "Instance Creation Time");
    RT_CHECK(rt.setModality("RTSTRUCT"), "Modality");
    RT_CHECK(rt.setSeriesInstanceUID(seriesUID.c_str()), "Series Instance UID");
    RT_CHECK(rt.setSeriesNumber(std::to_string(spec->series_number).c_str()), "Series Number");
    RT_CHECK(rt.setSeriesDate(date.c_str()), "Series Date");
    RT_CHECK(rt.setSeriesTime(time.c_str()), "Series Time");
    RT_CHECK(rt.setSeriesDescription(spec->series_description), "Series Description");
    RT_CHECK(rt.setOperatorsName(""), "Operators' Name");
    RT_CHECK(rt.setManufacturer(spec->manufacturer), "Manufacturer");
    RT_CHECK(rt.setManufacturerModelName(spec->model_name), "Manufacturer's Model Name");
    RT_CHECK(rt.setSoftwareVersions(spec->software_versions), "Software Versions");
    RT_CHECK(rt.setInstanceNumber("1"), "Instance Number");
    RT_CHECK(rt.setStructureSetLabel(spec->structure_set_label), "Structure Set Label");
    RT_CHECK(rt.setStructureSetDate(date.c_str()), "Structure Set Date");
    RT_CHECK(rt.setStructureSetTime(time.c_str()), "Structure Set Time");

    // Referenced Frame of Reference -> RT Referenced Study -> RT Referenced Series -> every source image.
    DRTReferencedFrameOfReferenceSequence::Item *frame = nullptr;
    RT_CHECK(rt.getReferencedFrameOfReferenceSequence().addItem(frame), "Referenced Frame of Reference Sequence");
    RT_CHECK(frame->setFrameOfReferenceUID(spec->for_uid), "Frame of Reference UID (3006,0024)");
    DRTRTReferencedStudySequence::Item *study = nullptr;
    RT_CHECK(frame->getRTReferencedStudySequence().addItem(study), "RT Referenced Study Sequence");
    // The Detached Study Management SOP Class (retired), the value planning systems and rt-utils expect.
    RT_CHECK(study->setReferencedSOPClassUID("1.2.840.10008.3.1.2.3.1"), "Referenced SOP Class UID");
    RT_CHECK(study->setReferencedSOPInstanceUID(spec->study_uid), "Referenced SOP Instance UID (study)");
    DRTRTReferencedSeriesSequence::Item *series = nullptr;
    RT_CHECK(study->getRTReferencedSeriesSequence().addItem(series), "RT Referenced Series Sequence");
    RT_CHECK(series->setSeriesInstanceUID(spec->series_uid), "Series Instance UID (source)");
    auto fillImage = [&](DRTContourImageSequence &sequence, const ssrt_image_ref &image) -> OFCondition {
        DRTContourImageSequence::Item *item = nullptr;
        OFCondition c = sequence.addItem(item);
        if (c.good()) c = item->setReferencedSOPClassUID(image.sop_class_uid);
        if (c.good()) c = item->setReferencedSOPInstanceUID(image.sop_instance_uid);
        if (c.good() && image.frame_number > 0) c = item->setReferencedFrameNumber(std::to_string(image.frame_number).c_str());
        return c;
    };
    for (int32_t i = 0; i < spec->image_count; ++i)
        RT_CHECK(fillImage(series->getContourImageSequence(), spec->images[i]), "Contour Image Sequence (series)");

    // One Structure Set ROI, ROI Contour and RT ROI Observations item per ROI, sharing its number.
    std::vector<DRTROIContourSequence::Item *> roiContours(spec->roi_count, nullptr);
    for (int32_t r = 0; r < spec->roi_count; ++r) {
        const ssrt_roi_spec &roi = spec->rois[r];
        const std::string number = std::to_string(roi.number);
        DRTStructureSetROISequence::Item *ssroi = nullptr;
        RT_CHECK(rt.getStructureSetROISequence().addItem(ssroi), "Structure Set ROI Sequence");
        RT_CHECK(ssroi->setROINumber(number.c_str()), "ROI Number");
        RT_CHECK(ssroi->setReferencedFrameOfReferenceUID(spec->for_uid), "Referenced Frame of Reference UID");
        RT_CHECK(ssroi->setROIName(roi.name), std::string("ROI Name '") + roi.name + "'");
        if (roi.description && *roi.description) RT_CHECK(ssroi->setROIDescription(roi.description), "ROI Description");
        RT_CHECK(ssroi->setROIGenerationAlgorithm("AUTOMATIC"), "ROI Generation Algorithm");
        if (roi.algorithm_name && *roi.algorithm_name)
            RT_CHECK(ssroi->setROIGenerationDescription(roi.algorithm_name), "ROI Generation Description");

        RT_CHECK(rt.getROIContourSequence().addItem(roiContours[r]), "ROI Contour Sequence");
        RT_CHECK(roiContours[r]->setReferencedROINumber(number.c_str()), "Referenced ROI Number");
        const std::string color = std::to_string(roi.color[0]) + "\\" + std::to_string(roi.color[1]) + "\\" + std::to_string(roi.color[2]);
        RT_CHECK(roiContours[r]->setROIDisplayColor(color.c_str()), "ROI Display Color");

        DRTRTROIObservationsSequence::Item *observation = nullptr;
        RT_CHECK(rt.getRTROIObservationsSequence().addItem(observation), "RT ROI Observations Sequence");
        RT_CHECK(observation->setObservationNumber(number.c_str()), "Observation Number");
        RT_CHECK(observation->setReferencedROINumber(number.c_str()), "Referenced ROI Number (observation)");
        RT_CHECK(observation->setRTROIInterpretedType(roi.interpreted_type ? roi.interpreted_type : ""),
                 std::string("RT ROI Interpreted Type of ROI '") + roi.name + "'");
        RT_CHECK(observation->setROIInterpreter(""), "ROI Interpreter");
    }

    // Contours, numbered 1, 2, ... within each ROI.
    std::vector<int32_t> contourNumbers(spec->roi_count, 0);
    std::string data;
    for (int32_t c = 0; c < spec->contour_count; ++c) {
        const ssrt_contour_spec &contour = spec->contours[c];
        if (contour.roi_index < 0 || contour.roi_index >= spec->roi_count || contour.image_index < 0 ||
            contour.image_index >= spec->image_count || contour.point_count < 3 || !contour.points)
            return ssdcm::refuse(err, SSDCM_INVALID_ARGUMENT, "contour " + std::to_string(c) + ": bad ROI, image or point count");
        DRTContourSequence::Item *item = nullptr;
        RT_CHECK(roiContours[contour.roi_index]->getContourSequence().addItem(item), "Contour Sequence");
        RT_CHECK(item->setContourNumber(std::to_string(++contourNumbers[contour.roi_index]).c_str()), "Contour Number");
        RT_CHECK(fillImage(item->getContourImageSequence(), spec->images[contour.image_index]), "Contour Image Sequence");
        RT_CHECK(item->setContourGeometricType("CLOSED_PLANAR"), "Contour Geometric Type");
        RT_CHECK(item->setNumberOfContourPoints(std::to_string(contour.point_count).c_str()), "Number of Contour Points");
        data.clear();
        data.reserve(size_t(contour.point_count) * 3 * 12);
        for (int32_t v = 0; v < 3 * contour.point_count; ++v) {
            const double value = contour.points[v];
            if (!std::isfinite(value) || std::fabs(value) >= 1e10)
                return ssdcm::refuse(err, SSDCM_INVALID_ARGUMENT, "contour " + std::to_string(c) + ": coordinate out of DS range");
            if (v) data.push_back('\\');
            appendDS(data, value);
        }
        RT_CHECK(item->setContourData(data.c_str(), OFFalse), "Contour Data");
    }

    DcmFileFormat file;
    OFCondition status = rt.write(*file.getDataset());
    if (status.bad()) return ssdcm::refuse(err, SSDCM_INVALID_ARGUMENT, std::string("dcmrt: cannot build the structure set: ") + status.text());
    status = file.saveFile(path, EXS_LittleEndianExplicit);
    if (status.bad()) return ssdcm::refuse(err, SSDCM_OUTPUT_FAILED, std::string(path) + ": cannot write the structure set: " + status.text());
    std::snprintf(series_uid, 80, "%s", seriesUID.c_str());
    std::snprintf(instance_uid, 80, "%s", instanceUID.c_str());
    return SSDCM_OK;
}
