// Writing classic single-frame CT/MR instances with dcmdata.
#include "segstation_write.h"
#include "bridge_internal.hpp"
#include <dcmtk/dcmdata/dcuid.h>
#include <cstring>

namespace {

bool put(DcmDataset *ds, const DcmTagKey &tag, const char *value, ssdcm_status *status) {
    if (!value) value = "";
    OFCondition c = ds->putAndInsertString(tag, value);
    if (c.bad()) {
        ssdcm::fail(status, SSDCM_MALFORMED, "cannot set (%04X,%04X) to '%s': %s", tag.getGroup(), tag.getElement(), value, c.text());
        return false;
    }
    return true;
}

std::string decimals(const double *values, int count) {
    std::string out;
    char buffer[32];
    for (int i = 0; i < count; ++i) {
        std::snprintf(buffer, sizeof buffer, "%.10g", values[i]);   // DS holds at most 16 characters
        if (std::strlen(buffer) > 16) std::snprintf(buffer, sizeof buffer, "%.8g", values[i]);
        if (i) out += "\\";
        out += buffer;
    }
    return out;
}

} // namespace

extern "C" void ssdcm_new_uid(const char *root, char *buffer, size_t capacity) {
    char uid[100];
    dcmGenerateUniqueIdentifier(uid, root ? root : SITE_INSTANCE_UID_ROOT);
    std::snprintf(buffer, capacity, "%s", uid);
}

extern "C" int ssdcm_write_slice(const ssdcm_slice_spec *s, const char *path, ssdcm_status *status) {
    ssdcm::initialise();
    if (!s || !path || !s->pixels || s->rows == 0 || s->columns == 0 || s->rows > 65535 || s->columns > 65535) {
        ssdcm::fail(status, SSDCM_MALFORMED, "slice spec needs pixels and 1..65535 rows and columns");
        return SSDCM_MALFORMED;
    }
    DcmFileFormat format;
    DcmDataset *ds = format.getDataset();
    bool isCT = s->modality && std::strcmp(s->modality, "CT") == 0;
    std::string spacing = decimals(s->pixel_spacing_mm, 2);
    std::string position = decimals(s->position_lps, 3);
    std::string orientation = decimals(s->orientation, 6);
    std::string thickness = decimals(&s->slice_thickness_mm, 1);
    std::string slope = decimals(&s->rescale_slope, 1), intercept = decimals(&s->rescale_intercept, 1);
    char number[32];
    bool ok = put(ds, DCM_SpecificCharacterSet, "ISO_IR 192", status)
        && put(ds, DCM_SOPClassUID, s->sop_class_uid, status)
        && put(ds, DCM_SOPInstanceUID, s->sop_instance_uid, status)
        && put(ds, DCM_ImageType, "DERIVED\\SECONDARY", status)
        && put(ds, DCM_Modality, s->modality, status)
        && put(ds, DCM_Manufacturer, "SegStation", status)
        && put(ds, DCM_PatientName, s->patient_name, status)
        && put(ds, DCM_PatientID, s->patient_id, status)
        && put(ds, DCM_PatientBirthDate, s->patient_birth_date, status)
        && put(ds, DCM_PatientSex, s->patient_sex, status)
        && put(ds, DCM_StudyInstanceUID, s->study_uid, status)
        && put(ds, DCM_StudyDate, s->study_date, status)
        && put(ds, DCM_StudyTime, s->study_time, status)
        && put(ds, DCM_StudyID, s->study_id, status)
        && put(ds, DCM_StudyDescription, s->study_description, status)
        && put(ds, DCM_AccessionNumber, s->accession_number, status)
        && put(ds, DCM_ReferringPhysicianName, "", status)
        && put(ds, DCM_SeriesInstanceUID, s->series_uid, status)
        && put(ds, DCM_SeriesDescription, s->series_description, status)
        && put(ds, DCM_BodyPartExamined, s->body_part, status)
        && put(ds, DCM_FrameOfReferenceUID, s->frame_of_reference_uid, status)
        && put(ds, DCM_PositionReferenceIndicator, "", status)
        && put(ds, DCM_PatientPosition, "HFS", status)
        && put(ds, DCM_ImagePositionPatient, position.c_str(), status)
        && put(ds, DCM_ImageOrientationPatient, orientation.c_str(), status)
        && put(ds, DCM_PixelSpacing, spacing.c_str(), status)
        && put(ds, DCM_SliceThickness, thickness.c_str(), status)
        && put(ds, DCM_PhotometricInterpretation, "MONOCHROME2", status)
        && put(ds, DCM_RescaleIntercept, intercept.c_str(), status)
        && put(ds, DCM_RescaleSlope, slope.c_str(), status)
        && put(ds, DCM_RescaleType, isCT ? "HU" : "US", status);
    if (!ok) return status ? status->code : SSDCM_MALFORMED;
    std::snprintf(number, sizeof number, "%d", s->series_number);
    ok = put(ds, DCM_SeriesNumber, number, status);
    std::snprintf(number, sizeof number, "%d", s->instance_number);
    ok = ok && put(ds, DCM_InstanceNumber, number, status);
    if (isCT) {
        ok = ok && put(ds, DCM_KVP, "", status) && put(ds, DCM_AcquisitionNumber, "1", status);
    } else {
        ok = ok && put(ds, DCM_ScanningSequence, "RM", status) && put(ds, DCM_SequenceVariant, "NONE", status)
            && put(ds, DCM_ScanOptions, "", status) && put(ds, DCM_MRAcquisitionType, "3D", status)
            && put(ds, DCM_SequenceName, s->sequence_name, status) && put(ds, DCM_RepetitionTime, "", status)
            && put(ds, DCM_EchoTime, "", status) && put(ds, DCM_EchoTrainLength, "", status)
            && put(ds, DCM_MagneticFieldStrength, "", status);
    }
    if (!ok) return status ? status->code : SSDCM_MALFORMED;
    ds->putAndInsertUint16(DCM_SamplesPerPixel, 1);
    ds->putAndInsertUint16(DCM_Rows, static_cast<Uint16>(s->rows));
    ds->putAndInsertUint16(DCM_Columns, static_cast<Uint16>(s->columns));
    ds->putAndInsertUint16(DCM_BitsAllocated, 16);
    ds->putAndInsertUint16(DCM_BitsStored, 16);
    ds->putAndInsertUint16(DCM_HighBit, 15);
    ds->putAndInsertUint16(DCM_PixelRepresentation, 1);
    OFCondition c = ds->putAndInsertUint16Array(DCM_PixelData, reinterpret_cast<const Uint16 *>(s->pixels),
                                                 static_cast<unsigned long>(s->rows) * s->columns);
    if (c.bad()) { ssdcm::fail(status, SSDCM_MALFORMED, "cannot set PixelData: %s", c.text()); return SSDCM_MALFORMED; }
    c = format.saveFile(path, EXS_LittleEndianExplicit);
    if (c.bad()) { ssdcm::fail(status, SSDCM_IO, "cannot write %s: %s", path, c.text()); return SSDCM_IO; }
    ssdcm::ok(status);
    return SSDCM_OK;
}
