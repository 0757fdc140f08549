import Foundation

/// The lesion query behind `segstation lesions`, `show` and `history`.
///
/// Three statements in one read transaction (one snapshot), each a single pass, instead of one
/// six-table join sorted by SQLite:
/// 1. the runs in scope with their patient/study/series context, in output order
///    (patientID, studyDate, run id) — few rows;
/// 2. the labels of those runs (value and name by label row id);
/// 3. their lesions (`runID IN (ids) AND volumeML >= ?`, through the `lesion_run_volume` index),
///    decoded by column index, then ordered by (run position, label value, lesion index) in Swift.
/// The join built every row's seven context strings again, looked the label up per lesion, and fed
/// 34-column rows through SQLite's sorter: 35 ms for 5,059 rows against 100,000 (Benchmarks/store).
/// The result is the same rows in the same order: (patientID, studyDate, runID, label value,
/// lesion index) is unique, so the order is total.
extension StudyStore {
    /// `listedRuns`: the most runs statements 2 and 3 select by ID (tests lower it to check the other form).
    static func fetchLesions(_ db: any SQLSession, _ filter: LesionFilter, completedRunsOnly: Bool = true,
                             listedRuns: Int = maxListedRuns) throws -> [LesionRow] {
        var scope = Conditions()
        // "+r.status" (SQLite): keep the planner off the low-selectivity run_status index so a patient
        // query starts from the patient key (patient -> study -> series -> run).
        if completedRunsOnly { scope.add("\(db.dialect.noIndex("r.status")) = 'completed'", []) }
        if let id = filter.patientID { scope.add("p.patientID = ?", [id.sqlValue]) }
        if let runID = filter.runID { scope.add("r.id = ?", [runID.sqlValue]) }
        if filter.latestRunsOnly {
            scope.add("""
                NOT EXISTS (SELECT 1 FROM run later WHERE later.seriesRowID = r.seriesRowID AND later.status = 'completed'
                            AND later.modelName = r.modelName AND later.id > r.id)
                """, [])
        }
        let scopeFrom = """
            FROM run r JOIN series x ON x.id = r.seriesRowID JOIN study s ON s.id = x.studyRowID
            JOIN patient p ON p.id = s.patientRowID \(scope.sql)
            """
        struct RunContext { var patientID, studyUID: String; var studyDate: String?; var seriesUID: String; var frameUID: String?; var model: String }
        var runs: [RunContext] = []
        var runIDs: [Int64] = []
        var position: [Int64: Int] = [:]
        for run in try db.fetch("""
            SELECT r.id, p.patientID, s.studyInstanceUID, s.studyDate, x.seriesInstanceUID, x.frameOfReferenceUID, r.modelName
            \(scopeFrom) ORDER BY p.patientID, s.studyDate\(db.dialect.nullsFirst), r.id
            """, scope.arguments) {
            position[run.int64(0) ?? 0] = runs.count
            runIDs.append(run.int64(0) ?? 0)
            runs.append(RunContext(patientID: run.string(1) ?? "", studyUID: run.string(2) ?? "", studyDate: run.string(3),
                                   seriesUID: run.string(4) ?? "", frameUID: run.string(5), model: run.string(6) ?? ""))
        }
        guard !runs.isEmpty else { return [] }

        // Statements 2 and 3 select the runs statement 1 found: by their IDs when they are few (a patient's
        // runs), which spares SQLite the four-table scope join and its temporary list twice per query;
        // by the scope again when they are many (an all-patients query), under the bound-parameter limits.
        let inScope: Conditions = {
            var c = Conditions()
            if runIDs.count <= listedRuns {
                let ids = runIDs.map { _ in "?" }.joined(separator: ", ")
                c.add("runID IN (\(ids))", runIDs.map(\.sqlValue))
            } else {
                c.add("runID IN (SELECT r.id \(scopeFrom))", scope.arguments)
            }
            return c
        }()

        var labelConditions = inScope
        if let name = filter.label { labelConditions.add("upper(name) = upper(?)", [name.sqlValue]) }
        var labels: [Int64: (value: Int, name: String)] = [:]
        for row in try db.fetch("SELECT id, value, name FROM label \(labelConditions.sql)", labelConditions.arguments) {
            labels[row.int64(0) ?? 0] = (row.int(1) ?? 0, row.string(2) ?? "")
        }

        var lesionConditions = inScope
        if let v = filter.minVolumeML { lesionConditions.add("volumeML >= ?", [v.sqlValue]) }
        let measured = lesionMeasurementColumns.joined(separator: ", ")
        // Rows in the order SQLite returns them (by run, then volume), with their sort keys: sorting
        // the small keys and copying each row once is cheaper than sorting the 300-byte rows. Read
        // column by column as they come (`forEachRow`): building an `SQLRow` per lesion cost as much as
        // the rest of the query.
        var found: [LesionRow] = []
        var keys: [(run: Int, label: Int, lesion: Int, row: Int)] = []
        try db.forEachRow("SELECT runID, labelID, \(measured) FROM lesion \(lesionConditions.sql)", lesionConditions.arguments) { row in
            let runID = row.int64(0) ?? 0, labelID = row.int64(1) ?? 0
            guard let label = labels[labelID], let at = position[runID] else { return }  // another label (--label)
            let run = runs[at]
            // Columns 2... follow `lesionMeasurementColumns`.
            let lesionIndex = row.int(2) ?? 0
            keys.append((at, label.value, lesionIndex, found.count))
            found.append(LesionRow(
                runID: runID, patientID: run.patientID, studyInstanceUID: run.studyUID, studyDate: run.studyDate, seriesInstanceUID: run.seriesUID,
                frameOfReferenceUID: run.frameUID, modelName: run.model, labelValue: label.value, label: label.name, lesionIndex: lesionIndex,
                voxelCount: row.int(3) ?? 0, volumeML: row.double(4) ?? 0, meshVolumeML: row.double(5), surfaceAreaMM2: row.double(6),
                sphericity: row.double(7), maxDiameter3DMM: row.double(8), recistLongMM: row.double(9), recistShortMM: row.double(10),
                centroidXMM: row.double(11) ?? 0, centroidYMM: row.double(12) ?? 0, centroidZMM: row.double(13) ?? 0,
                bboxMinI: row.int(14), bboxMinJ: row.int(15), bboxMinK: row.int(16), bboxMaxI: row.int(17), bboxMaxJ: row.int(18),
                bboxMaxK: row.int(19), meanIntensity: row.double(20), stdIntensity: row.double(21), minIntensity: row.double(22),
                maxIntensity: row.double(23), medianIntensity: row.double(24), touchesBorder: row.bool(25) ?? false,
                extraJSON: row.string(26), detectionScoreMean: row.double(27), detectionScoreMax: row.double(28)))
        }
        keys.sort { ($0.run, $0.label, $0.lesion) < ($1.run, $1.label, $1.lesion) }
        return keys.map { found[$0.row] }
    }

    /// Up to this many runs in scope, statements 2 and 3 list their IDs (SQLite allows 32,766 bound
    /// parameters, PostgreSQL 65,535); beyond, they repeat the scope as a subquery.
    static let maxListedRuns = 500

    /// The lesion table's measurement columns, in the order of `LesionRow`'s fields from lesionIndex on.
    static let lesionMeasurementColumns = [
        "lesionIndex", "voxelCount", "volumeML", "meshVolumeML", "surfaceAreaMM2", "sphericity", "maxDiameter3DMM",
        "recistLongMM", "recistShortMM", "centroidXMM", "centroidYMM", "centroidZMM", "bboxMinI", "bboxMinJ",
        "bboxMinK", "bboxMaxI", "bboxMaxJ", "bboxMaxK", "meanIntensity", "stdIntensity", "minIntensity",
        "maxIntensity", "medianIntensity", "touchesBorder", "extraJSON", "detectionScoreMean", "detectionScoreMax",
    ]
}
