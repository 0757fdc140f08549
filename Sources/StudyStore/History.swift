import Foundation

/// How `history` picks runs and matches lesions.
public struct HistoryOptions: Sendable {
    /// Two lesions of consecutive studies are the same lesion when their centroids are at most
    /// this far apart (mm, LPS) and they carry the same label name.
    public var matchDistanceMM: Double
    /// Only runs of this model (default: every model; the latest completed run of each study).
    public var modelName: String?
    /// Only runs of this model version (with `modelName`): a trend compares like with like.
    public var modelVersion: String?
    /// Issuer of Patient ID, when the same patient ID exists under several issuers.
    public var issuer: String?
    /// Compare centroids even when the two series have different (or unknown) frames of reference.
    public var assumeSharedFrame: Bool

    public init(matchDistanceMM: Double = 10, modelName: String? = nil, modelVersion: String? = nil, issuer: String? = nil,
                assumeSharedFrame: Bool = false) {
        self.matchDistanceMM = matchDistanceMM; self.modelName = modelName; self.modelVersion = modelVersion; self.issuer = issuer
        self.assumeSharedFrame = assumeSharedFrame
    }
}

/// A patient's volumes over time: one timepoint per study (its latest completed run), per-label
/// totals, and per-lesion tracks. Changes are relative to the previous point of the same series
/// (absolute mL and percent; percent is absent when the previous volume is 0).
public struct PatientHistory: Codable, Equatable, Sendable {
    public struct Timepoint: Codable, Equatable, Sendable {
        public var studyInstanceUID: String
        public var studyDate: String?
        public var runID: Int64
        public var modelName: String
        public var modelVersion: String
        public var frameOfReferenceUID: String?
        /// Whether lesions were matched to the previous timepoint (shared frame of reference).
        public var matchedToPrevious: Bool
    }
    public struct Point: Codable, Equatable, Sendable {
        public var studyInstanceUID: String
        public var studyDate: String?
        public var runID: Int64
        /// Lesion index within its label (lesion tracks only).
        public var lesionIndex: Int?
        /// Number of lesions (label totals only).
        public var lesionCount: Int?
        public var volumeML: Double
        public var changeML: Double?
        public var changePercent: Double?
        /// Centroid distance to the previous point of the track (lesion tracks only).
        public var distanceMM: Double?
    }
    public struct Series: Codable, Equatable, Sendable {
        /// "T1", "T2"... for lesion tracks; nil for label totals.
        public var trackID: String?
        public var label: String
        public var points: [Point]
    }
    public var patientID: String
    public var issuer: String
    public var matchDistanceMM: Double
    public var timepoints: [Timepoint]
    public var labels: [Series]
    public var lesions: [Series]
}

extension StudyStore {
    /// The history of one patient (see `PatientHistory`, docs/DATABASE.md "History").
    /// - Throws: `StoreError.patientNotFound`; `.invalidArgument` when the ID exists under several
    ///   issuers and `options.issuer` is nil.
    public func history(patientID: String, options: HistoryOptions = HistoryOptions()) throws -> PatientHistory {
        guard options.matchDistanceMM.isFinite, options.matchDistanceMM >= 0 else {
            throw StoreError.invalidArgument("match distance \(options.matchDistanceMM) mm must be >= 0")
        }
        return try read("reading the history of a patient") { db in
                var sql = "SELECT id, patientID, issuer FROM patient WHERE patientID = ?"
                var arguments: [SQLValue] = [patientID.sqlValue]
                if let issuer = options.issuer { sql += " AND issuer = ?"; arguments.append(issuer.sqlValue) }
                let found = try db.fetch(sql + " ORDER BY id", arguments)
                guard let patient = found.first, let patientRowID = patient.int64("id") else { throw StoreError.patientNotFound(patientID) }
                guard found.count == 1 else {
                    throw StoreError.invalidArgument("patient ID exists under issuers \(found.map { "'\($0.string("issuer") ?? "")'" }.joined(separator: ", ")): pass --issuer")
                }
                let timepoints = try Self.timepoints(db, patientRowID: patientRowID, model: options.modelName, options)
                var lesionsByRun: [Int64: [LesionRow]] = [:]
                var labelsByRun: [Int64: [String]] = [:]
                for tp in timepoints {
                    lesionsByRun[tp.runID] = try Self.fetchLesions(db, LesionFilter(runID: tp.runID))
                    labelsByRun[tp.runID] = try db.fetch("SELECT name FROM label WHERE runID = ? ORDER BY value", [tp.runID.sqlValue])
                        .compactMap { $0.string("name") }
                }
                return PatientHistory(
                    patientID: patient.string("patientID") ?? patientID, issuer: patient.string("issuer") ?? "", matchDistanceMM: options.matchDistanceMM,
                    timepoints: timepoints,
                    labels: Self.labelTotals(timepoints, labelsByRun, lesionsByRun),
                    lesions: Self.lesionTracks(timepoints, lesionsByRun, maxDistanceMM: options.matchDistanceMM))
        }
    }

    /// One timepoint per study, ordered by date (undated last, then by record order): its latest
    /// completed run (of `model` when given).
    static func timepoints(_ db: any SQLSession, patientRowID: Int64, model: String?, _ options: HistoryOptions) throws -> [PatientHistory.Timepoint] {
        var sql = """
            SELECT r.id, r.modelName, r.modelVersion, s.id AS studyRowID, s.studyInstanceUID, s.studyDate, x.frameOfReferenceUID
            FROM run r JOIN series x ON x.id = r.seriesRowID JOIN study s ON s.id = x.studyRowID
            WHERE s.patientRowID = ? AND r.status = 'completed'
            """
        var arguments: [SQLValue] = [patientRowID.sqlValue]
        if let model { sql += " AND r.modelName = ?"; arguments.append(model.sqlValue) }
        if let version = options.modelVersion { sql += " AND r.modelVersion = ?"; arguments.append(version.sqlValue) }
        // NULL ordering spelled out: SQLite puts NULL first, PostgreSQL last.
        sql += " ORDER BY s.studyDate IS NULL, s.studyDate, s.studyTime IS NOT NULL, s.studyTime, s.id, r.endedAt IS NULL, r.endedAt DESC, r.id DESC"
        var seen = Set<Int64>()
        var result: [PatientHistory.Timepoint] = []
        for row in try db.fetch(sql, arguments) {
            let studyRowID = row.int64("studyRowID") ?? 0
            guard seen.insert(studyRowID).inserted else { continue }
            let frame = row.string("frameOfReferenceUID")
            var shared = false
            if let previous = result.last {
                shared = options.assumeSharedFrame || (frame != nil && frame == previous.frameOfReferenceUID)
            }
            result.append(PatientHistory.Timepoint(
                studyInstanceUID: row.string("studyInstanceUID") ?? "", studyDate: row.string("studyDate"), runID: row.int64("id") ?? 0,
                modelName: row.string("modelName") ?? "", modelVersion: row.string("modelVersion") ?? "", frameOfReferenceUID: frame,
                matchedToPrevious: shared))
        }
        return result
    }

    static func change(from previous: Double?, to current: Double) -> (ml: Double?, percent: Double?) {
        guard let previous else { return (nil, nil) }
        return (current - previous, previous > 0 ? (current - previous) / previous * 100 : nil)
    }

    /// Per label name: lesion count and total volume at each timepoint whose run has that label.
    static func labelTotals(_ timepoints: [PatientHistory.Timepoint], _ labelsByRun: [Int64: [String]],
                            _ lesionsByRun: [Int64: [LesionRow]]) -> [PatientHistory.Series] {
        var order: [String] = []
        var points: [String: [PatientHistory.Point]] = [:]
        for tp in timepoints {
            for name in labelsByRun[tp.runID] ?? [] {
                if points[name] == nil { order.append(name); points[name] = [] }
                let lesions = (lesionsByRun[tp.runID] ?? []).filter { $0.label == name }
                let total = lesions.reduce(0) { $0 + $1.volumeML }
                let delta = change(from: points[name]!.last?.volumeML, to: total)
                points[name]!.append(PatientHistory.Point(
                    studyInstanceUID: tp.studyInstanceUID, studyDate: tp.studyDate, runID: tp.runID, lesionIndex: nil,
                    lesionCount: lesions.count, volumeML: total, changeML: delta.ml, changePercent: delta.percent, distanceMM: nil))
            }
        }
        return order.map { PatientHistory.Series(trackID: nil, label: $0, points: points[$0]!) }
    }

    /// Lesion tracks: between consecutive timepoints that share a frame of reference, pairs of
    /// same-label lesions within `maxDistanceMM` are matched one-to-one, closest pairs first.
    /// An unmatched lesion starts a new track; a track not matched at a timepoint ends (no gaps).
    static func lesionTracks(_ timepoints: [PatientHistory.Timepoint], _ lesionsByRun: [Int64: [LesionRow]],
                             maxDistanceMM: Double) -> [PatientHistory.Series] {
        var tracks: [PatientHistory.Series] = []
        var open: [(track: Int, lesion: LesionRow)] = []  // tracks with a point at the previous timepoint
        for tp in timepoints {
            let current = lesionsByRun[tp.runID] ?? []
            var pairs: [(distance: Double, open: Int, current: Int)] = []
            if tp.matchedToPrevious {
                for (o, candidate) in open.enumerated() {
                    for (c, lesion) in current.enumerated() where lesion.label == candidate.lesion.label {
                        let d = distanceMM(candidate.lesion, lesion)
                        if d <= maxDistanceMM { pairs.append((d, o, c)) }
                    }
                }
            }
            pairs.sort { ($0.distance, $0.open, $0.current) < ($1.distance, $1.open, $1.current) }
            var matchedOpen = Set<Int>(), trackOfCurrent: [Int: (track: Int, distance: Double)] = [:]
            for pair in pairs where !matchedOpen.contains(pair.open) && trackOfCurrent[pair.current] == nil {
                matchedOpen.insert(pair.open)
                trackOfCurrent[pair.current] = (open[pair.open].track, pair.distance)
            }
            var nextOpen: [(track: Int, lesion: LesionRow)] = []
            for (c, lesion) in current.enumerated() {
                var point = PatientHistory.Point(
                    studyInstanceUID: tp.studyInstanceUID, studyDate: tp.studyDate, runID: tp.runID,
                    lesionIndex: lesion.lesionIndex, lesionCount: nil, volumeML: lesion.volumeML,
                    changeML: nil, changePercent: nil, distanceMM: nil)
                let track: Int
                if let match = trackOfCurrent[c] {
                    track = match.track
                    let delta = change(from: tracks[track].points.last?.volumeML, to: lesion.volumeML)
                    point.changeML = delta.ml; point.changePercent = delta.percent; point.distanceMM = match.distance
                    tracks[track].points.append(point)
                } else {
                    track = tracks.count
                    tracks.append(PatientHistory.Series(trackID: "T\(track + 1)", label: lesion.label, points: [point]))
                }
                nextOpen.append((track, lesion))
            }
            open = nextOpen
        }
        return tracks
    }

    static func distanceMM(_ a: LesionRow, _ b: LesionRow) -> Double {
        let dx = a.centroidXMM - b.centroidXMM, dy = a.centroidYMM - b.centroidYMM, dz = a.centroidZMM - b.centroidZMM
        return (dx * dx + dy * dy + dz * dz).squareRoot()
    }
}
