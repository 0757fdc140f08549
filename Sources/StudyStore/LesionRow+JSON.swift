import Core

/// GET /lesions writes its rows with `JSONFormat.CompactWriter`: the bytes of
/// `JSONFormat.encoder(pretty: false)` (the keys of the synthesized `Codable` conformance, sorted),
/// five to ten times faster. `LesionRowJSONTests` compares the two on rows with every field set, every
/// optional nil, non-finite numbers and strings that need escaping: a field added to `LesionRow` must
/// be added here too, in sorted order, or that test fails.
extension LesionRow: CompactJSONWritable {
    public func writeJSON(to w: inout JSONFormat.CompactWriter) {
        w.beginObject()
        w.field("bboxMaxI", bboxMaxI)
        w.field("bboxMaxJ", bboxMaxJ)
        w.field("bboxMaxK", bboxMaxK)
        w.field("bboxMinI", bboxMinI)
        w.field("bboxMinJ", bboxMinJ)
        w.field("bboxMinK", bboxMinK)
        w.field("centroidXMM", centroidXMM)
        w.field("centroidYMM", centroidYMM)
        w.field("centroidZMM", centroidZMM)
        w.field("detectionScoreMax", detectionScoreMax)
        w.field("detectionScoreMean", detectionScoreMean)
        w.field("extraJSON", extraJSON)
        w.field("frameOfReferenceUID", frameOfReferenceUID)
        w.field("label", label)
        w.field("labelValue", labelValue)
        w.field("lesionIndex", lesionIndex)
        w.field("maxDiameter3DMM", maxDiameter3DMM)
        w.field("maxIntensity", maxIntensity)
        w.field("meanIntensity", meanIntensity)
        w.field("medianIntensity", medianIntensity)
        w.field("meshVolumeML", meshVolumeML)
        w.field("minIntensity", minIntensity)
        w.field("modelName", modelName)
        w.field("patientID", patientID)
        w.field("recistLongMM", recistLongMM)
        w.field("recistShortMM", recistShortMM)
        w.field("runID", runID)
        w.field("seriesInstanceUID", seriesInstanceUID)
        w.field("sphericity", sphericity)
        w.field("stdIntensity", stdIntensity)
        w.field("studyDate", studyDate)
        w.field("studyInstanceUID", studyInstanceUID)
        w.field("surfaceAreaMM2", surfaceAreaMM2)
        w.field("touchesBorder", touchesBorder)
        w.field("volumeML", volumeML)
        w.field("voxelCount", voxelCount)
        w.endObject()
    }
}
