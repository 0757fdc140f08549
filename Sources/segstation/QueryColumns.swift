import StudyStore

// The columns of the query commands' rows, in CSV order; names equal the rows' JSON keys.

extension StudySummary: QueryRow {
    static let columns: [Column<StudySummary>] = [
        Column("patientID") { .text($0.patientID) },
        Column("issuer") { .text($0.issuer) },
        Column("studyInstanceUID") { .text($0.studyInstanceUID) },
        Column("studyDate") { .optional($0.studyDate, Cell.text) },
        Column("studyDescription") { .optional($0.studyDescription, Cell.text) },
        Column("accessionNumber") { .optional($0.accessionNumber, Cell.text) },
        Column("modalities") { .text($0.modalities) },
        Column("seriesCount") { .integer(Int64($0.seriesCount)) },
        Column("runCount") { .integer(Int64($0.runCount)) },
        Column("completedRunCount") { .integer(Int64($0.completedRunCount)) },
        Column("folderName") { .text($0.folderName) },
    ]
    static let tableColumns = ["patientID", "studyDate", "modalities", "seriesCount", "runCount",
                               "completedRunCount", "studyInstanceUID"]
}

extension RunSummary: QueryRow {
    static let columns: [Column<RunSummary>] = [
        Column("runID") { .integer($0.runID) },
        Column("status") { .text($0.status.rawValue) },
        Column("patientID") { .text($0.patientID) },
        Column("studyInstanceUID") { .text($0.studyInstanceUID) },
        Column("studyDate") { .optional($0.studyDate, Cell.text) },
        Column("seriesInstanceUID") { .text($0.seriesInstanceUID) },
        Column("modality") { .text($0.modality) },
        Column("modelName") { .text($0.modelName) },
        Column("modelVersion") { .text($0.modelVersion) },
        Column("startedAt") { .date($0.startedAt) },
        Column("endedAt") { .optional($0.endedAt, Cell.date) },
        Column("durationSeconds") { .optional($0.durationSeconds, Cell.decimal) },
        Column("lesionCount") { .integer(Int64($0.lesionCount)) },
        Column("errorMessage") { .optional($0.errorMessage, Cell.text) },
    ]
    static let tableColumns = ["runID", "status", "patientID", "studyDate", "modality", "modelName",
                               "modelVersion", "startedAt", "durationSeconds", "lesionCount"]
}

extension LesionRow: QueryRow {
    static let columns: [Column<LesionRow>] = [
        Column("runID") { .integer($0.runID) },
        Column("patientID") { .text($0.patientID) },
        Column("studyInstanceUID") { .text($0.studyInstanceUID) },
        Column("studyDate") { .optional($0.studyDate, Cell.text) },
        Column("seriesInstanceUID") { .text($0.seriesInstanceUID) },
        Column("frameOfReferenceUID") { .optional($0.frameOfReferenceUID, Cell.text) },
        Column("modelName") { .text($0.modelName) },
        Column("labelValue") { .integer(Int64($0.labelValue)) },
        Column("label") { .text($0.label) },
        Column("lesionIndex") { .integer(Int64($0.lesionIndex)) },
        Column("voxelCount") { .integer(Int64($0.voxelCount)) },
        Column("volumeML") { .decimal($0.volumeML) },
        Column("meshVolumeML") { .optional($0.meshVolumeML, Cell.decimal) },
        Column("surfaceAreaMM2") { .optional($0.surfaceAreaMM2, Cell.decimal) },
        Column("sphericity") { .optional($0.sphericity, Cell.decimal) },
        Column("maxDiameter3DMM") { .optional($0.maxDiameter3DMM, Cell.decimal) },
        Column("recistLongMM") { .optional($0.recistLongMM, Cell.decimal) },
        Column("recistShortMM") { .optional($0.recistShortMM, Cell.decimal) },
        Column("centroidXMM") { .decimal($0.centroidXMM) },
        Column("centroidYMM") { .decimal($0.centroidYMM) },
        Column("centroidZMM") { .decimal($0.centroidZMM) },
        Column("bboxMinI") { .optional($0.bboxMinI) { .integer(Int64($0)) } },
        Column("bboxMinJ") { .optional($0.bboxMinJ) { .integer(Int64($0)) } },
        Column("bboxMinK") { .optional($0.bboxMinK) { .integer(Int64($0)) } },
        Column("bboxMaxI") { .optional($0.bboxMaxI) { .integer(Int64($0)) } },
        Column("bboxMaxJ") { .optional($0.bboxMaxJ) { .integer(Int64($0)) } },
        Column("bboxMaxK") { .optional($0.bboxMaxK) { .integer(Int64($0)) } },
        Column("meanIntensity") { .optional($0.meanIntensity, Cell.decimal) },
        Column("stdIntensity") { .optional($0.stdIntensity, Cell.decimal) },
        Column("minIntensity") { .optional($0.minIntensity, Cell.decimal) },
        Column("maxIntensity") { .optional($0.maxIntensity, Cell.decimal) },
        Column("medianIntensity") { .optional($0.medianIntensity, Cell.decimal) },
        Column("touchesBorder") { .flag($0.touchesBorder) },
        Column("extraJSON") { .optional($0.extraJSON, Cell.text) },
        Column("detectionScoreMean") { .optional($0.detectionScoreMean, Cell.decimal) },
        Column("detectionScoreMax") { .optional($0.detectionScoreMax, Cell.decimal) },
    ]
    static let tableColumns = ["runID", "patientID", "studyDate", "label", "lesionIndex", "volumeML",
                               "maxDiameter3DMM", "recistLongMM", "recistShortMM", "centroidXMM",
                               "centroidYMM", "centroidZMM"]
}
