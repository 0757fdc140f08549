import Foundation
import GRDB

/// The lesion query behind `segstation lesions`, `show` and `history`.
///
/// Three statements in one read transaction (one snapshot), each a single pass, instead of one
/// six-table join sorted by SQLite:
/// 1. the runs in scope with their patient/study/series context, in output order
///    (patientID, studyDate, run id) — few rows;
/// 2. the labels of those runs (value and name by label row id);
/// 3. their lesions (`runID IN (scope) AND volumeML >= ?`, through the `lesion_run_volume` index),
///    decoded by column index, then ordered by (run position, label value, lesion index) in Swift.
/// The join built every row's seven context strings again, looked the label up per lesion, and fed
/// 34-column rows through SQLite's sorter: 35 ms for 5,059 rows against 100,000 (Benchmarks/store).
/// The result is the same rows in the same order: (patientID, studyDate, runID, label value,
/// lesion index) is unique, so the order is total.
extension StudyStore {
    static func fetchLesions(_ db: Database, _ filter: LesionFilter, completedRunsOnly: Bool = true) throws -> [LesionRow] {
        var scope = Conditions()
        // "+r.status": keep the planner off the low-selectivity run_status index so a patient query
        // starts from the patient key (patient -> study -> series -> run).
        if completedRunsOnly { scope.add("+r.status = 'completed'", []) }
        if let id = filter.patientID { scope.add("p.patientID = ?", [id]) }
        if let runID = filter.runID { scope.add("r.id = ?", [runID]) }
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
        var position: [Int64: Int] = [:]
        let runCursor = try Row.fetchCursor(db, sql: """
            SELECT r.id, p.patientID, s.studyInstanceUID, s.studyDate, x.seriesInstanceUID, x.frameOfReferenceUID, r.modelName
            \(scopeFrom) ORDER BY p.patientID, s.studyDate, r.id
            """, arguments: scope.arguments)
        while let run = try runCursor.next() {
            position[run[0]] = runs.count
            runs.append(RunContext(patientID: run[1], studyUID: run[2], studyDate: run[3], seriesUID: run[4], frameUID: run[5], model: run[6]))
        }
        guard !runs.isEmpty else { return [] }

        var labelConditions = Conditions()
        labelConditions.add("runID IN (SELECT r.id \(scopeFrom))", [])
        labelConditions.arguments += scope.arguments
        if let name = filter.label { labelConditions.add("name = ? COLLATE NOCASE", [name]) }
        var labels: [Int64: (value: Int, name: String)] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT id, value, name FROM label \(labelConditions.sql)", arguments: labelConditions.arguments) {
            labels[row[0]] = (row[1], row[2])
        }

        var lesionConditions = Conditions()
        lesionConditions.add("runID IN (SELECT r.id \(scopeFrom))", [])
        lesionConditions.arguments += scope.arguments
        if let v = filter.minVolumeML { lesionConditions.add("volumeML >= ?", [v]) }
        let measured = lesionMeasurementColumns.joined(separator: ", ")
        let cursor = try Row.fetchCursor(db, sql: "SELECT runID, labelID, \(measured) FROM lesion \(lesionConditions.sql)",
                                         arguments: lesionConditions.arguments)
        // Rows in the order SQLite returns them (by run, then volume), with their sort keys: sorting
        // the small keys and copying each row once is cheaper than sorting the 300-byte rows.
        var found: [LesionRow] = []
        var keys: [(run: Int, label: Int, lesion: Int, row: Int)] = []
        while let row = try cursor.next() {
            let runID: Int64 = row[0], labelID: Int64 = row[1]
            guard let label = labels[labelID], let at = position[runID] else { continue }  // another label (--label)
            let run = runs[at]
            // Columns 2... follow `lesionMeasurementColumns`.
            keys.append((at, label.value, row[2], found.count))
            found.append(LesionRow(
                runID: runID, patientID: run.patientID, studyInstanceUID: run.studyUID, studyDate: run.studyDate, seriesInstanceUID: run.seriesUID,
                frameOfReferenceUID: run.frameUID, modelName: run.model, labelValue: label.value, label: label.name, lesionIndex: row[2],
                voxelCount: row[3], volumeML: row[4], meshVolumeML: row[5], surfaceAreaMM2: row[6],
                sphericity: row[7], maxDiameter3DMM: row[8], recistLongMM: row[9], recistShortMM: row[10],
                centroidXMM: row[11], centroidYMM: row[12], centroidZMM: row[13], bboxMinI: row[14], bboxMinJ: row[15],
                bboxMinK: row[16], bboxMaxI: row[17], bboxMaxJ: row[18], bboxMaxK: row[19], meanIntensity: row[20],
                stdIntensity: row[21], minIntensity: row[22], maxIntensity: row[23], medianIntensity: row[24],
                touchesBorder: row[25], extraJSON: row[26]))
        }
        keys.sort { ($0.run, $0.label, $0.lesion) < ($1.run, $1.label, $1.lesion) }
        return keys.map { found[$0.row] }
    }

    /// The lesion table's measurement columns, in the order of `LesionRow`'s fields from lesionIndex on.
    static let lesionMeasurementColumns = [
        "lesionIndex", "voxelCount", "volumeML", "meshVolumeML", "surfaceAreaMM2", "sphericity", "maxDiameter3DMM",
        "recistLongMM", "recistShortMM", "centroidXMM", "centroidYMM", "centroidZMM", "bboxMinI", "bboxMinJ",
        "bboxMinK", "bboxMaxI", "bboxMaxJ", "bboxMaxK", "meanIntensity", "stdIntensity", "minIntensity",
        "maxIntensity", "medianIntensity", "touchesBorder", "extraJSON",
    ]
}
