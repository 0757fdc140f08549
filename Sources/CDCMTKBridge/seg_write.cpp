// Writing DICOM Segmentation objects with DCMTK's dcmseg: segments, shared plane orientation and pixel
// measures, per-frame plane position, frame content (dimension index: segment number, position) and
// derivation image (source image reference to the exact instance and frame), referenced series,
// patient/study/frame-of-reference copied from a source file.
#include "segstation_seg.h"
#include "bridge_internal.hpp"
#include "seg_packed.hpp"
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>
#include <dcmtk/dcmfg/fgderimg.h>
#include <dcmtk/dcmfg/fgfracon.h>
#include <dcmtk/dcmfg/fgpixmsr.h>
#include <dcmtk/dcmfg/fgplanor.h>
#include <dcmtk/dcmfg/fgplanpo.h>
#include <dcmtk/dcmiod/cielabutil.h>
#include <dcmtk/dcmiod/iodreferences.h>
#include <dcmtk/dcmiod/iodutil.h>
#include <dcmtk/dcmseg/segdoc.h>
#include <dcmtk/dcmseg/segment.h>
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace ssseg {

/// The plane position and derivation image groups of one source frame (the same for every segment on it).
struct SourceFrameGroups {
    double position[3] = {0, 0, 0};
    std::string sopClass, sopInstance;
    int32_t frame = 0;
    std::unique_ptr<FGPlanePosPatient> plane;
    std::unique_ptr<FGDerivationImage> derivation;

    bool matches(const double p[3], const char *cls, const char *instance, int32_t f) const {
        return plane && p[0] == position[0] && p[1] == position[1] && p[2] == position[2] && frame == f &&
               sopClass == cls && sopInstance == instance;
    }
};

} // namespace ssseg

struct ssseg_writer {
    DcmSegmentation *seg = nullptr;
    ssseg::PrepackedBinarySegmentation *binary = nullptr;   ///< `seg` when BINARY (frames packed here)
    std::string studyUID, patientID;
    struct Reference { std::string series, sopClass, sopInstance; };
    std::vector<Reference> references;
    std::string dimensionUID;
    int32_t rows = 0, columns = 0;
    bool hasGeometry = true;   ///< false: no frame of reference, plane positions, orientation, pixel measures
    /// Functional groups of source frames by position index, built once and copied by DCMTK into each frame.
    std::vector<ssseg::SourceFrameGroups> groupsByPosition;
    ~ssseg_writer() { delete seg; }
};

namespace {


std::string str(const char *s) { return s ? std::string(s) : std::string(); }

/// DS value with enough digits to keep positions exact to 1e-6 mm, within DS's 16 characters.
OFString ds(double value) {
    char buffer[32];
    for (int precision = 10; precision >= 4; --precision) {
        std::snprintf(buffer, sizeof buffer, "%.*g", precision, value);
        if (std::strlen(buffer) <= 16) break;
    }
    return OFString(buffer);
}

CodeSequenceMacro code(const ssseg_code &c) {
    return CodeSequenceMacro(str(c.code_value).c_str(), str(c.coding_scheme).c_str(), str(c.code_meaning).c_str());
}

} // namespace

extern "C" ssseg_writer *ssseg_writer_create(const ssseg_writer_spec *spec, ssdcm_status *err) {
    ssdcm::installLogRouting();
    if (spec->rows <= 0 || spec->columns <= 0 || spec->rows > 65535 || spec->columns > 65535) {
        ssdcm::refuse(err, SSDCM_INVALID_ARGUMENT, "frame size " + std::to_string(spec->rows) + "x" + std::to_string(spec->columns) + " out of range");
        return nullptr;
    }
    std::unique_ptr<ssseg_writer> w(new ssseg_writer());
    w->rows = spec->rows;
    w->columns = spec->columns;
    IODGeneralEquipmentModule::EquipmentInfo equipment(str(spec->manufacturer).c_str(), str(spec->model_name).c_str(),
                                                       str(spec->device_serial).c_str(), str(spec->software_versions).c_str());
    ContentIdentificationMacro content;
    content.setInstanceNumber(std::to_string(spec->instance_number).c_str());
    content.setContentLabel(str(spec->content_label).c_str());
    content.setContentDescription(str(spec->content_description).c_str());
    content.setContentCreatorName(str(spec->content_creator).c_str());
    OFCondition status;
    if (spec->fractional)
        status = DcmSegmentation::createFractionalSegmentation(w->seg, (Uint16)spec->rows, (Uint16)spec->columns,
                                                               DcmSegTypes::SFT_PROBABILITY, spec->max_fractional_value,
                                                               equipment, content);
    else {
        status = ssseg::PrepackedBinarySegmentation::create(w->binary, (Uint16)spec->rows, (Uint16)spec->columns, equipment, content);
        w->seg = w->binary;
    }
    if (status.bad()) { ssdcm::refuse(err, SSDCM_INVALID_ARGUMENT, std::string("dcmseg: cannot create the segmentation: ") + status.text()); return nullptr; }

    w->hasGeometry = spec->has_geometry != 0;
    if (w->hasGeometry) {
        status = w->seg->importFromSourceImage(str(spec->source_path).c_str(), OFTrue);
    } else {
        // No plane position can be given, so the SEG has no Frame of Reference module: PS3.3 A.51 requires
        // it only when the Derivation Image functional group is absent (ours is always present). DCMTK
        // 3.6.7 writes the module as mandatory; its rules are made conditional for this object.
        DcmFileFormat source;
        status = source.loadFile(str(spec->source_path).c_str(), EXS_Unknown, EGL_noChange, 4096);
        if (status.good()) {
            source.getDataset()->findAndDeleteElement(DCM_FrameOfReferenceUID);
            status = w->seg->importFromSourceImage(*source.getDataset(), OFTrue);
        }
        IODRule *forUID = w->seg->getRules()->getByTag(DCM_FrameOfReferenceUID);
        IODRule *indicator = w->seg->getRules()->getByTag(DCM_PositionReferenceIndicator);
        if (status.good() && (!forUID || !indicator || !forUID->setType("1C") || !indicator->setType("1C"))) status = EC_IllegalCall;
    }
    if (status.bad()) {
        ssdcm::refuse(err, SSDCM_BAD_INPUT, str(spec->source_path) + ": cannot import patient, study and frame of reference: " + status.text());
        return nullptr;
    }
    // The study and frame of reference are the loaded series' (the files' own, or derived when the
    // files lack them: dcmseg would otherwise invent a new study UID for an absent one).
    OFString value;
    if (spec->study_uid && *spec->study_uid) w->seg->getStudy().setStudyInstanceUID(spec->study_uid);
    if (w->hasGeometry && spec->for_uid && *spec->for_uid) w->seg->getFrameOfReference().setFrameOfReferenceUID(spec->for_uid);
    w->seg->getStudy().getStudyInstanceUID(value); w->studyUID = value.c_str();
    w->seg->getPatient().getPatientID(value); w->patientID = value.c_str();
    w->seg->getSeries().setSeriesDescription(str(spec->series_description).c_str());
    w->seg->getSeries().setSeriesNumber(std::to_string(spec->series_number).c_str());
    w->seg->getSeries().setSeriesInstanceUID(DcmIODUtil::createUID(2));
    w->seg->getSOPCommon().setSOPInstanceUID(DcmIODUtil::createUID(3));
    if (spec->lossy_ratio && spec->lossy_method)
        w->seg->setLossyImageCompressionFlag(spec->lossy_ratio, spec->lossy_method, OFFalse);

    FGPixelMeasures pixelMeasures;
    pixelMeasures.setPixelSpacing((ds(spec->pixel_spacing[0]) + "\\" + ds(spec->pixel_spacing[1])));
    if (spec->slice_thickness > 0) pixelMeasures.setSliceThickness(ds(spec->slice_thickness));
    if (spec->spacing_between_slices > 0) pixelMeasures.setSpacingBetweenSlices(ds(spec->spacing_between_slices));
    const double *o = spec->orientation;
    std::unique_ptr<FGPlaneOrientationPatient> orientation(
        FGPlaneOrientationPatient::createMinimal(ds(o[0]), ds(o[1]), ds(o[2]), ds(o[3]), ds(o[4]), ds(o[5])));
    if (w->hasGeometry && (!orientation || w->seg->addForAllFrames(pixelMeasures).bad() || w->seg->addForAllFrames(*orientation).bad())) {
        ssdcm::refuse(err, SSDCM_INVALID_ARGUMENT, "dcmseg: cannot set the shared plane orientation / pixel measures");
        return nullptr;
    }
    w->dimensionUID = DcmIODUtil::createUID(0).c_str();
    IODMultiframeDimensionModule &dims = w->seg->getDimensions();
    if (dims.addDimensionIndex(DCM_ReferencedSegmentNumber, w->dimensionUID.c_str(), DCM_SegmentIdentificationSequence,
                               "ReferencedSegmentNumber").bad() ||
        (w->hasGeometry ? dims.addDimensionIndex(DCM_ImagePositionPatient, w->dimensionUID.c_str(), DCM_PlanePositionSequence,
                                                 "ImagePositionPatient")
                        : dims.addDimensionIndex(DCM_InStackPositionNumber, w->dimensionUID.c_str(), DCM_FrameContentSequence,
                                                 "InStackPositionNumber")).bad()) {
        ssdcm::refuse(err, SSDCM_INVALID_ARGUMENT, "dcmseg: cannot define the dimension index");
        return nullptr;
    }
    // Checks scale with frames x frames in DCMTK 3.6.7; our frames are built consistently (see docs/DICOM-SEG.md).
    w->seg->setCheckFGOnWrite(OFFalse);
    w->seg->setCheckDimensionsOnWrite(OFFalse);
    return w.release();
}

extern "C" int ssseg_writer_add_segment(ssseg_writer *w, const ssseg_segment_spec *s, uint16_t *number, ssdcm_status *err) {
    DcmSegment *segment = nullptr;
    OFCondition status = DcmSegment::create(segment, str(s->label).c_str(), code(s->category), code(s->type),
                                            DcmSegTypes::SAT_AUTOMATIC, str(s->algorithm_name).c_str());
    if (status.bad() || !segment)
        return ssdcm::refuse(err, SSDCM_INVALID_ARGUMENT, "segment '" + str(s->label) + "': " + status.text());
    std::unique_ptr<DcmSegment> owner(segment);
    if (s->description && *s->description) segment->setSegmentDescription(s->description, OFFalse);
    if (s->tracking_id && *s->tracking_id) segment->setTrackingID(s->tracking_id, OFFalse);
    segment->setRecommendedDisplayCIELabValue(s->cielab[0], s->cielab[1], s->cielab[2]);
    AlgorithmIdentificationMacro algorithm;
    algorithm.getAlgorithmFamilyCode().set("123110", "DCM", "Artificial Intelligence");
    algorithm.setAlgorithmName(str(s->algorithm_name).c_str());
    algorithm.setAlgorithmVersion(str(s->algorithm_version).c_str());
    segment->setSegmentationAlgorithmIdentification(algorithm, OFFalse);
    Uint16 assigned = 0;
    status = w->seg->addSegment(segment, assigned);
    if (status.bad()) return ssdcm::refuse(err, SSDCM_INVALID_ARGUMENT, "segment '" + str(s->label) + "': " + status.text());
    owner.release();
    *number = assigned;
    return SSDCM_OK;
}

extern "C" int ssseg_writer_add_reference(ssseg_writer *w, const char *series_uid, const char *sop_class_uid,
                                          const char *sop_instance_uid, ssdcm_status *err) {
    if (!series_uid || !*series_uid || !sop_class_uid || !*sop_class_uid || !sop_instance_uid || !*sop_instance_uid)
        return ssdcm::refuse(err, SSDCM_INVALID_ARGUMENT, "a referenced instance needs series, SOP class and SOP instance UIDs");
    w->references.push_back({series_uid, sop_class_uid, sop_instance_uid});
    return SSDCM_OK;
}

static ssseg::SourceFrameGroups *groupsFor(ssseg_writer *w, uint32_t position_index, const double position[3], const char *source_class_uid,
                                    const char *source_instance_uid, int32_t source_frame) {
    auto &table = w->groupsByPosition;
    if (position_index >= table.size()) table.resize(position_index + 1);
    ssseg::SourceFrameGroups &g = table[position_index];
    if (g.matches(position, source_class_uid, source_instance_uid, source_frame)) return &g;
    g = ssseg::SourceFrameGroups();
    std::copy(position, position + 3, g.position);
    g.sopClass = source_class_uid;
    g.sopInstance = source_instance_uid;
    g.frame = source_frame;
    g.plane.reset(FGPlanePosPatient::createMinimal(ds(position[0]), ds(position[1]), ds(position[2])));
    ImageSOPInstanceReferenceMacro source;
    source.setReferencedSOPClassUID(source_class_uid, OFFalse);
    source.setReferencedSOPInstanceUID(source_instance_uid, OFFalse);
    if (source_frame > 0) source.addReferencedFrameNumber((Uint16)source_frame, OFFalse);
    OFVector<ImageSOPInstanceReferenceMacro> sources;
    sources.push_back(source);
    g.derivation.reset(DcmSegmentation::createDerivationImageFG(sources, ""));
    return g.plane && g.derivation ? &g : nullptr;
}

namespace {

/// Plane position, frame content (dimension index) and derivation image groups of one frame.
struct FrameGroups {
    FGFrameContent content;
    OFVector<FGBase *> groups;
};

bool frameGroups(ssseg_writer *w, uint16_t segment_number, const double position[3], uint32_t position_index,
                 const char *source_class_uid, const char *source_instance_uid, int32_t source_frame, FrameGroups &out) {
    ssseg::SourceFrameGroups *source = groupsFor(w, position_index, position, source_class_uid, source_instance_uid, source_frame);
    if (!source) return false;
    out.content.setDimensionIndexValues(segment_number, 0);
    out.content.setDimensionIndexValues(position_index, 1);
    if (w->hasGeometry) {
        out.groups.push_back(source->plane.get());
    } else {   // frames addressed by source frame only: one stack in source frame order
        out.content.setStackID("1");
        out.content.setInStackPositionNumber(position_index);
    }
    out.groups.push_back(&out.content);
    out.groups.push_back(source->derivation.get());
    return true;
}

int frameFailure(ssdcm_status *err, uint16_t segment_number, uint32_t position_index, const OFCondition &status) {
    return ssdcm::refuse(err, SSDCM_INVALID_ARGUMENT, "segment " + std::to_string(segment_number) + ", position " +
                                                 std::to_string(position_index) + ": " + status.text());
}

} // namespace

extern "C" int ssseg_writer_add_frame(ssseg_writer *w, uint16_t segment_number, const uint8_t *pixels,
                                      const double position[3], uint32_t position_index,
                                      const char *source_class_uid, const char *source_instance_uid, int32_t source_frame,
                                      ssdcm_status *err) {
    if (w->binary) return ssdcm::refuse(err, SSDCM_INVALID_ARGUMENT, "BINARY frames are added with ssseg_writer_add_frame_groups");
    FrameGroups g;
    if (!frameGroups(w, segment_number, position, position_index, source_class_uid, source_instance_uid, source_frame, g))
        return ssdcm::refuse(err, SSDCM_INVALID_ARGUMENT, "cannot build the functional groups of a frame");
    OFCondition status = w->seg->addFrame(const_cast<Uint8 *>(pixels), segment_number, g.groups);
    return status.good() ? SSDCM_OK : frameFailure(err, segment_number, position_index, status);
}

extern "C" int ssseg_writer_reserve_frames(ssseg_writer *w, int32_t frame_count, ssdcm_status *err) {
    if (!w->binary) return ssdcm::refuse(err, SSDCM_INVALID_ARGUMENT, "only BINARY frames are reserved");
    if (frame_count <= 0) return ssdcm::refuse(err, SSDCM_INVALID_ARGUMENT, "a SEG needs at least one frame");
    OFCondition status = w->binary->reserveFrames(static_cast<size_t>(frame_count));
    if (status.bad())
        return ssdcm::refuse(err, SSDCM_INVALID_ARGUMENT, std::to_string(frame_count) + " frames: " + status.text());
    return SSDCM_OK;
}

extern "C" int ssseg_writer_add_frame_groups(ssseg_writer *w, uint16_t segment_number, const double position[3],
                                             uint32_t position_index, const char *source_class_uid,
                                             const char *source_instance_uid, int32_t source_frame, ssdcm_status *err) {
    if (!w->binary) return ssdcm::refuse(err, SSDCM_INVALID_ARGUMENT, "FRACTIONAL frames are added with ssseg_writer_add_frame");
    FrameGroups g;
    if (!frameGroups(w, segment_number, position, position_index, source_class_uid, source_instance_uid, source_frame, g))
        return ssdcm::refuse(err, SSDCM_INVALID_ARGUMENT, "cannot build the functional groups of a frame");
    OFCondition status = w->binary->addFrameGroups(segment_number, g.groups);
    return status.good() ? SSDCM_OK : frameFailure(err, segment_number, position_index, status);
}

extern "C" int ssseg_writer_pack_frame(ssseg_writer *w, int32_t frame_index, const uint8_t *pixels, uint8_t label,
                                       ssdcm_status *err) {
    if (!w->binary) return ssdcm::refuse(err, SSDCM_INVALID_ARGUMENT, "only BINARY frames are packed");
    OFCondition status = frame_index < 0 ? OFCondition(EC_IllegalCall) : w->binary->packFrame(static_cast<size_t>(frame_index), pixels, label);
    if (status.bad())
        return ssdcm::refuse(err, SSDCM_INVALID_ARGUMENT, "frame " + std::to_string(frame_index) + " is not reserved or already packed");
    return SSDCM_OK;
}

namespace {

/// Referenced Series Sequence (Common Instance Reference module), one item per series, in the order given.
/// Written with dcmdata: dcmiod's IODReferences rejects references of sources without a Patient ID.
OFCondition writeReferencedSeries(DcmItem &dataset, const std::vector<ssseg_writer::Reference> &references) {
    std::vector<std::string> series;
    for (const auto &r : references)
        if (std::find(series.begin(), series.end(), r.series) == series.end()) series.push_back(r.series);
    dataset.findAndDeleteElement(DCM_ReferencedSeriesSequence);
    for (size_t s = 0; s < series.size(); ++s) {
        DcmItem *item = nullptr;
        OFCondition status = dataset.findOrCreateSequenceItem(DCM_ReferencedSeriesSequence, item, (long)s);
        if (status.bad()) return status;
        item->putAndInsertString(DCM_SeriesInstanceUID, series[s].c_str());
        long index = 0;
        for (const auto &r : references) {
            if (r.series != series[s]) continue;
            DcmItem *instance = nullptr;
            status = item->findOrCreateSequenceItem(DCM_ReferencedInstanceSequence, instance, index++);
            if (status.bad()) return status;
            instance->putAndInsertString(DCM_ReferencedSOPClassUID, r.sopClass.c_str());
            instance->putAndInsertString(DCM_ReferencedSOPInstanceUID, r.sopInstance.c_str());
        }
    }
    return EC_Normal;
}

/// Spatial Locations Preserved = YES in every Source Image Sequence item: SEG frames are written on the
/// exact pixel grid of the referenced source frame (masks on other grids are resampled onto it first).
void markSpatialLocationsPreserved(DcmItem &dataset) {
    DcmSequenceOfItems *perFrame = nullptr;
    if (dataset.findAndGetSequence(DCM_PerFrameFunctionalGroupsSequence, perFrame).bad() || !perFrame) return;
    // Walk the items in order: getItem(f) seeks from the start of the list (quadratic for many frames).
    for (DcmObject *object = perFrame->nextInContainer(nullptr); object; object = perFrame->nextInContainer(object)) {
        DcmItem *group = static_cast<DcmItem *>(object);
        DcmSequenceOfItems *derivations = nullptr;
        if (group->findAndGetSequence(DCM_DerivationImageSequence, derivations).bad() || !derivations) continue;
        for (unsigned long d = 0; d < derivations->card(); ++d) {
            DcmSequenceOfItems *sources = nullptr;
            if (derivations->getItem(d)->findAndGetSequence(DCM_SourceImageSequence, sources).bad() || !sources) continue;
            for (unsigned long s = 0; s < sources->card(); ++s) sources->getItem(s)->putAndInsertString(DCM_SpatialLocationsPreserved, "YES");
        }
    }
}

} // namespace

extern "C" int ssseg_writer_save(ssseg_writer *w, const char *path, char series_uid[80], char instance_uid[80], ssdcm_status *err) {
    DcmFileFormat file;
    OFCondition status = w->binary ? w->binary->writeDatasetPacked(*file.getDataset()) : w->seg->writeDataset(*file.getDataset());
    if (status.good()) status = writeReferencedSeries(*file.getDataset(), w->references);
    if (status.good()) markSpatialLocationsPreserved(*file.getDataset());
    // General Image: Patient Orientation (type 2C) is required when there is no Image Orientation
    // (Patient); the source does not have one either, so it is empty.
    if (status.good() && !w->hasGeometry && !file.getDataset()->tagExists(DCM_PatientOrientation))
        status = file.getDataset()->insertEmptyElement(DCM_PatientOrientation);
    if (status.bad()) return ssdcm::refuse(err, SSDCM_INVALID_ARGUMENT, std::string("dcmseg: cannot build the segmentation dataset: ") + status.text());
    status = file.saveFile(path, EXS_LittleEndianExplicit);
    if (status.bad()) return ssdcm::refuse(err, SSDCM_OUTPUT_FAILED, std::string(path) + ": cannot write the segmentation: " + status.text());
    OFString value;
    w->seg->getSeries().getSeriesInstanceUID(value);
    std::snprintf(series_uid, 80, "%s", value.c_str());
    w->seg->getSOPCommon().getSOPInstanceUID(value);
    std::snprintf(instance_uid, 80, "%s", value.c_str());
    return SSDCM_OK;
}

extern "C" void ssseg_writer_free(ssseg_writer *w) { delete w; }

extern "C" void ssseg_rgb_to_dicom_lab(double r, double g, double b, uint16_t lab[3]) {
    double L = 0, A = 0, B = 0;
    IODCIELabUtil::rgb2DicomLab(L, A, B, r, g, b);
    const double values[3] = {L, A, B};
    for (int i = 0; i < 3; ++i) {
        double v = values[i] < 0 ? 0 : (values[i] > 65535 ? 65535 : values[i]);
        lab[i] = (uint16_t)(v + 0.5);
    }
}

extern "C" void ssseg_dicom_lab_to_rgb(const uint16_t lab[3], double rgb[3]) {
    IODCIELabUtil::dicomLab2RGB(rgb[0], rgb[1], rgb[2], lab[0], lab[1], lab[2]);
    for (int i = 0; i < 3; ++i) rgb[i] = rgb[i] < 0 ? 0 : (rgb[i] > 1 ? 1 : rgb[i]);
}
