// DICOM SR TID 1500 Measurement Report with DCMTK's dcmsr/cmr: the device observer, an image library of
// the source images, and one TID 1411 volumetric ROI group per lesion referencing its SEG segment and
// the source series, with volume (mL), RECIST long and short axes (mm), maximum 3D diameter (mm) and mean intensity;
// tracking identifier and UID as the caller gives them (the same for one lesion across studies, issue 13).
#include "segstation_seg.h"
#include "bridge_internal.hpp"
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>
#include <dcmtk/dcmsr/cmr/init.h>
#include <dcmtk/dcmsr/cmr/tid1500.h>
#include <dcmtk/dcmsr/dsrdoc.h>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace {


std::string str(const char *s) { return s ? std::string(s) : std::string(); }

OFString number(double value) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.6g", value);
    return OFString(buffer);
}

DSRCodedEntryValue coded(const ssseg_code &c) {
    return DSRCodedEntryValue(str(c.code_value).c_str(), str(c.coding_scheme).c_str(), str(c.code_meaning).c_str());
}

std::string text(DcmItem &item, const DcmTagKey &tag) {
    OFString value;
    item.findAndGetOFString(tag, value);
    return value.c_str();
}

#define CHECK(expression, what)                                                                                   \
    do {                                                                                                          \
        OFCondition _status = (expression);                                                                       \
        if (_status.bad()) return ssdcm::refuse(err, SSDCM_INVALID_ARGUMENT, std::string(what) + ": " + _status.text()); \
    } while (0)

} // namespace

extern "C" int ssseg_sr_write(const ssseg_sr_spec *spec, const ssseg_sr_measurement *items, int32_t count,
                              const char *path, char instance_uid[80], ssdcm_status *err) {
    ssdcm::installLogRouting();
    // DCMTK's content mapping resource fills its context groups' code lists lazily and without locking;
    // the service writes SRs from several workers at once (a race seen as "No Measurement Report" under
    // ServiceEndToEndTests' four concurrent senders). Fill them once, before any SR is built.
    static std::once_flag contextGroups;
    std::call_once(contextGroups, [] { CMR_ContentMappingResource::initializeAllContextGroups(); });
    DcmFileFormat segFile;
    if (segFile.loadFile(str(spec->seg_path).c_str(), EXS_Unknown, EGL_noChange, 4096).bad())
        return ssdcm::refuse(err, SSDCM_BAD_INPUT, str(spec->seg_path) + ": not readable as DICOM");
    DcmDataset &seg = *segFile.getDataset();
    std::vector<std::unique_ptr<DcmFileFormat>> sources;
    for (int32_t i = 0; i < spec->source_count; ++i) {
        std::unique_ptr<DcmFileFormat> file(new DcmFileFormat());
        if (file->loadFile(spec->source_paths[i], EXS_Unknown, EGL_noChange, 4096).bad())
            return ssdcm::refuse(err, SSDCM_BAD_INPUT, str(spec->source_paths[i]) + ": not readable as DICOM");
        // Badly anonymised files may have empty SOP UIDs in the dataset; the meta header keeps them.
        DcmDataset &ds = *file->getDataset();
        DcmMetaInfo &meta = *file->getMetaInfo();
        if (text(ds, DCM_SOPClassUID).empty()) ds.putAndInsertString(DCM_SOPClassUID, text(meta, DCM_MediaStorageSOPClassUID).c_str());
        if (text(ds, DCM_SOPInstanceUID).empty()) ds.putAndInsertString(DCM_SOPInstanceUID, text(meta, DCM_MediaStorageSOPInstanceUID).c_str());
        sources.push_back(std::move(file));
    }

    TID1500_MeasurementReport report(CMR_CID7021::ImagingMeasurementReport);
    CHECK(report.setLanguage(CID5000_Languages::English), "language");
    CHECK(report.getObservationContext().addDeviceObserver(str(spec->device_uid).c_str(), str(spec->device_name).c_str(),
                                                           str(spec->manufacturer).c_str(), str(spec->model_name).c_str()),
          "device observer");
    CHECK(report.addProcedureReported(DSRCodedEntryValue("363679005", "SCT", "Imaging procedure"), OFFalse), "procedure reported");
    CHECK(report.getImageLibrary().createNewImageLibrary(), "image library");
    CHECK(report.getImageLibrary().addImageGroup(), "image library group");
    for (auto &file : sources)
        CHECK(report.getImageLibrary().addImageEntry(*file->getDataset(), TID1600_ImageLibrary::withAllDescriptors, TID1600_ImageLibrary::ConceptNameList(), OFFalse),
              "image library entry");

    typedef TID1500_MeasurementReport::TID1411_Measurements Group;
    for (int32_t i = 0; i < count; ++i) {
        const ssseg_sr_measurement &item = items[i];
        const std::string lesion = "lesion " + std::to_string(item.lesion_index);
        CHECK(report.addVolumetricROIMeasurements(), lesion);
        Group &group = report.getVolumetricROIMeasurements();
        char uid[100];
        const std::string identifier = item.tracking_identifier ? str(item.tracking_identifier) : "Lesion " + std::to_string(item.lesion_index);
        CHECK(group.setTrackingIdentifier(identifier.c_str()), lesion + " tracking identifier");
        CHECK(group.setTrackingUniqueIdentifier(item.tracking_uid ? item.tracking_uid : dcmGenerateUniqueIdentifier(uid, SITE_INSTANCE_UID_ROOT)),
              lesion + " tracking UID");
        CHECK(group.setFinding(coded(item.finding), OFFalse), lesion + " finding");
        CHECK(group.setReferencedSegment(seg, item.segment_number, OFFalse), lesion + " referenced segment " + std::to_string(item.segment_number));
        CHECK(group.setSourceSeriesForSegmentation(str(spec->source_series_uid).c_str()), lesion + " source series");
        const CID7181_AbstractMultiDimensionalImageModelComponentUnits mm(DSRCodedEntryValue("mm", "UCUM", "millimeter"));
        Group::MeasurementValue volume(number(item.volume_ml), CID7181_AbstractMultiDimensionalImageModelComponentUnits(DSRCodedEntryValue("ml", "UCUM", "milliliter")), OFFalse);
        CHECK(group.addMeasurement(CID7469_GenericIntensityAndSizeMeasurements(DSRCodedEntryValue("118565006", "SCT", "Volume")), volume), lesion + " volume");
        if (item.has_recist) {
            // RECIST 1.1: the longest in-slice diameter and the longest diameter perpendicular to it (docs/RECIST.md).
            Group::MeasurementValue longAxis(number(item.recist_long_mm), mm, OFFalse);
            CHECK(group.addMeasurement(CID7469_GenericIntensityAndSizeMeasurements(DSRCodedEntryValue("103339001", "SCT", "Long Axis")), longAxis, OFFalse), lesion + " long axis");
            Group::MeasurementValue shortAxis(number(item.recist_short_mm), mm, OFFalse);
            CHECK(group.addMeasurement(CID7469_GenericIntensityAndSizeMeasurements(DSRCodedEntryValue("103340004", "SCT", "Short Axis")), shortAxis, OFFalse), lesion + " short axis");
        }
        // The maximum 3D diameter (Feret) is a Diameter with the TID 1419 derivation Maximum, not a "Long Axis".
        Group::MeasurementValue diameter(number(item.max_3d_diameter_mm), mm, OFFalse);
        CHECK(group.addMeasurement(CID7469_GenericIntensityAndSizeMeasurements(DSRCodedEntryValue("81827009", "SCT", "Diameter")), diameter, OFFalse), lesion + " maximum 3D diameter");
        CHECK(group.getMeasurement().setDerivation(CID7464_GeneralRegionOfInterestMeasurementModifiers(CID7464_GeneralRegionOfInterestMeasurementModifiers::Maximum), OFFalse),
              lesion + " maximum 3D diameter derivation");
        if (item.has_mean_intensity) {
            Group::MeasurementValue mean(number(item.mean_intensity), CID7181_AbstractMultiDimensionalImageModelComponentUnits(coded(item.intensity_unit)), OFFalse);
            CHECK(group.addMeasurement(CID7469_GenericIntensityAndSizeMeasurements(DSRCodedEntryValue("373098007", "SCT", "Mean")), mean, OFFalse), lesion + " mean intensity");
        }
        if (item.has_detection_score) {
            // A detector's score per instance (mean and maximum over its slices), as CAD's "Certainty of Finding" in percent.
            const std::pair<double, CID7464_GeneralRegionOfInterestMeasurementModifiers::EnumType> scores[] = {
                {item.detection_score_mean, CID7464_GeneralRegionOfInterestMeasurementModifiers::Mean},
                {item.detection_score_max, CID7464_GeneralRegionOfInterestMeasurementModifiers::Maximum}};
            for (const auto &score : scores) {
                Group::MeasurementValue value(number(score.first * 100), CID7181_AbstractMultiDimensionalImageModelComponentUnits(DSRCodedEntryValue("%", "UCUM", "Percent")), OFFalse);
                CHECK(group.addMeasurement(CID7469_GenericIntensityAndSizeMeasurements(DSRCodedEntryValue("111012", "DCM", "Certainty of Finding")), value, OFFalse),
                      lesion + " detection score");
                CHECK(group.getMeasurement().setDerivation(CID7464_GeneralRegionOfInterestMeasurementModifiers(score.second), OFFalse), lesion + " detection score derivation");
            }
        }
    }

    DSRDocument document(DSRTypes::DT_ComprehensiveSR);
    CHECK(document.setTreeFromRootTemplate(report, OFTrue), "TID 1500 tree");
    const std::string studyUID = text(seg, DCM_StudyInstanceUID);
    CHECK(document.createNewSeriesInStudy(studyUID.c_str()), "series");
    document.setPatientName(text(seg, DCM_PatientName).c_str(), OFFalse);
    document.setPatientID(text(seg, DCM_PatientID).c_str(), OFFalse);
    document.setPatientBirthDate(text(seg, DCM_PatientBirthDate).c_str(), OFFalse);
    document.setPatientSex(text(seg, DCM_PatientSex).c_str(), OFFalse);
    document.setStudyDate(text(seg, DCM_StudyDate).c_str(), OFFalse);
    document.setStudyTime(text(seg, DCM_StudyTime).c_str(), OFFalse);
    document.setStudyID(text(seg, DCM_StudyID).c_str(), OFFalse);
    document.setAccessionNumber(text(seg, DCM_AccessionNumber).c_str(), OFFalse);
    document.setReferringPhysicianName(text(seg, DCM_ReferringPhysicianName).c_str(), OFFalse);
    document.setManufacturer(str(spec->manufacturer).c_str(), OFFalse);
    document.setManufacturerModelName(str(spec->model_name).c_str(), OFFalse);
    document.setSeriesDescription(str(spec->series_description).c_str(), OFFalse);
    document.setSeriesNumber(std::to_string(spec->series_number).c_str(), OFFalse);
    document.setInstanceNumber(std::to_string(spec->instance_number).c_str(), OFFalse);
    DSRSOPInstanceReferenceList &evidence = document.getCurrentRequestedProcedureEvidence();
    CHECK(evidence.addItem(studyUID.c_str(), text(seg, DCM_SeriesInstanceUID).c_str(), text(seg, DCM_SOPClassUID).c_str(),
                           text(seg, DCM_SOPInstanceUID).c_str()), "evidence (SEG)");
    for (auto &file : sources) {
        DcmDataset &ds = *file->getDataset();
        std::string sopClass = text(ds, DCM_SOPClassUID), sopInstance = text(ds, DCM_SOPInstanceUID);
        if (sopInstance.empty() || sopClass.empty()) continue;
        CHECK(evidence.addItem(text(ds, DCM_StudyInstanceUID).empty() ? studyUID.c_str() : text(ds, DCM_StudyInstanceUID).c_str(),
                               str(spec->source_series_uid).c_str(), sopClass.c_str(), sopInstance.c_str()), "evidence (source)");
    }

    DcmFileFormat out;
    CHECK(document.write(*out.getDataset()), "SR document");
    out.getDataset()->putAndInsertString(DCM_SoftwareVersions, str(spec->software_version).c_str());
    if (out.saveFile(path, EXS_LittleEndianExplicit).bad()) return ssdcm::refuse(err, SSDCM_OUTPUT_FAILED, std::string(path) + ": cannot write the SR");
    OFString value;
    document.getSOPInstanceUID(value);
    std::snprintf(instance_uid, 80, "%s", value.c_str());
    return SSDCM_OK;
}
