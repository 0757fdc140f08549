import Foundation
import GRDB

// Issue 13: registrations and lesion identities across studies (tables of migration
// i13-registration-and-tracking; docs/TRACKING.md).

/// A lesion of a run, as the `lesion` table and the report number it: label value and 1-based index within the label.
public struct LesionKey: Hashable, Codable, Sendable, Comparable {
    public var labelValue: Int
    public var lesionIndex: Int
    public init(labelValue: Int, lesionIndex: Int) { self.labelValue = labelValue; self.lesionIndex = lesionIndex }
    public static func < (a: LesionKey, b: LesionKey) -> Bool { (a.labelValue, a.lesionIndex) < (b.labelValue, b.lesionIndex) }
}

/// A registration between two runs' images, as recorded.
public struct RegistrationInfo: Codable, Equatable, Sendable {
    /// "identity" (shared frame of reference: nothing to register), "rigid" or "affine".
    public var kind: String
    /// Row-major 3x4 `[matrix | translation]` mapping a fixed-run point (LPS, mm) to the moving run's point.
    public var transform: [[Double]]
    public var nmiBefore: Double?
    public var nmiAfter: Double?
    public var overlapFraction: Double?
    public var accepted: Bool
    public var tool: String
    public var seconds: Double?

    public init(kind: String, transform: [[Double]], nmiBefore: Double? = nil, nmiAfter: Double? = nil, overlapFraction: Double? = nil,
                accepted: Bool, tool: String, seconds: Double? = nil) {
        self.kind = kind; self.transform = transform; self.nmiBefore = nmiBefore; self.nmiAfter = nmiAfter
        self.overlapFraction = overlapFraction; self.accepted = accepted; self.tool = tool; self.seconds = seconds
    }
}

/// How a lesion of the current run was paired with one of the prior run (`LesionMatcher` in Lesions).
public struct TrackingMatch: Codable, Equatable, Sendable {
    public var current: LesionKey
    /// nil for a new lesion.
    public var prior: LesionKey?
    /// "overlap", "centroid" or "new".
    public var method: String
    public var dice: Double?
    public var distanceMM: Double?
    public init(current: LesionKey, prior: LesionKey?, method: String, dice: Double? = nil, distanceMM: Double? = nil) {
        self.current = current; self.prior = prior; self.method = method; self.dice = dice; self.distanceMM = distanceMM
    }
}

/// A lesion of a run with its identity across the patient's studies.
public struct TrackedLesion: Codable, Equatable, Sendable {
    public var lesion: LesionKey
    /// "Lesion N" of the patient: the same N at every study where the lesion is matched.
    public var number: Int
    /// DICOM UID carried as the SR's Tracking UID (112040) for this lesion at every study.
    public var trackingUID: String
    public var labelName: String
    /// "baseline" (first study tracked), "overlap", "centroid" or "new".
    public var method: String
    /// The matched lesion of the prior run (nil for baseline and new lesions).
    public var prior: LesionKey?
    public var priorRunID: RunID?
    public var dice: Double?
    public var distanceMM: Double?
    public var registrationID: Int64?
}

struct RegistrationRecord: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "registration"
    var id: Int64?
    var fixedRunID: Int64
    var movingRunID: Int64
    var kind: String
    var transformJSON: String
    var nmiBefore: Double?
    var nmiAfter: Double?
    var overlapFraction: Double?
    var accepted: Bool
    var tool: String
    var seconds: Double?
    var createdAt: Date
    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension StudyStore {
    /// Lesion tracking is written for SQLite only so far (GRDB records); a PostgreSQL store refuses it
    /// with a typed error rather than reaching the SQLite-only `writer`.
    func trackingWriter() throws -> any DatabaseWriter {
        guard case .sqlite(let writer) = backend else {
            throw StoreError.invalidArgument("lesion tracking needs a SQLite study database; \(location) is PostgreSQL (issue 13 tracking is not yet ported to SQLSession)")
        }
        return writer
    }

    /// Records a registration of `moving`'s image onto `fixed`'s (accepted or not). Returns its id.
    /// - Throws: `StoreError.runNotFound`, `.invalidArgument` for a transform that is not 3 x 4 finite numbers.
    public func recordRegistration(fixed: RunID, moving: RunID, _ info: RegistrationInfo) throws -> Int64 {
        guard info.transform.count == 3, info.transform.allSatisfy({ $0.count == 4 && $0.allSatisfy(\.isFinite) }) else {
            throw StoreError.invalidArgument("registration transform must be 3 rows of 4 finite numbers")
        }
        guard ["identity", "rigid", "affine"].contains(info.kind) else {
            throw StoreError.invalidArgument("registration kind '\(info.kind)'; expected identity, rigid or affine")
        }
        let json = String(decoding: try JSONEncoder().encode(info.transform), as: UTF8.self)
        return try StoreError.wrap("recording a registration") {
            try trackingWriter().write { db in
                for run in [fixed, moving] where try !Self.runExists(db, run) { throw StoreError.runNotFound(run) }
                var record = RegistrationRecord(id: nil, fixedRunID: fixed, movingRunID: moving, kind: info.kind, transformJSON: json,
                                                nmiBefore: info.nmiBefore, nmiAfter: info.nmiAfter, overlapFraction: info.overlapFraction,
                                                accepted: info.accepted, tool: info.tool, seconds: info.seconds, createdAt: Date())
                try record.insert(db)
                return record.id!
            }
        }
    }

    /// The latest registration recorded between the two runs, or nil.
    public func registration(fixed: RunID, moving: RunID) throws -> (id: Int64, info: RegistrationInfo)? {
        try StoreError.wrap("reading a registration") {
            try trackingWriter().read { db in
                guard let r = try RegistrationRecord.filter(sql: "fixedRunID = ? AND movingRunID = ?", arguments: [fixed, moving])
                    .order(sql: "id DESC").fetchOne(db) else { return nil }
                let rows = (try? JSONDecoder().decode([[Double]].self, from: Data(r.transformJSON.utf8))) ?? []
                return (r.id!, RegistrationInfo(kind: r.kind, transform: rows, nmiBefore: r.nmiBefore, nmiAfter: r.nmiAfter,
                                                overlapFraction: r.overlapFraction, accepted: r.accepted, tool: r.tool, seconds: r.seconds))
            }
        }
    }

    /// The run `run`'s lesions were last tracked against (the fixed run of its latest accepted registration), or nil.
    public func trackedPriorRun(of run: RunID) throws -> RunID? {
        try StoreError.wrap("reading the tracked prior of run \(run)") {
            try trackingWriter().read { db in
                try Int64.fetchOne(db, sql: "SELECT fixedRunID FROM registration WHERE movingRunID = ? AND accepted = 1 ORDER BY id DESC LIMIT 1",
                                   arguments: [run])
            }
        }
    }

    /// The latest completed run of the same patient and the same model (name and version) on an
    /// earlier study (by study date; undated studies have no prior), or nil.
    public func priorRun(of run: RunID) throws -> RunID? {
        try StoreError.wrap("finding the prior run of run \(run)") {
            try trackingWriter().read { db in
                guard let row = try Row.fetchOne(db, sql: """
                    SELECT s.patientRowID, s.studyDate, s.id AS studyRowID, r.modelName, r.modelVersion
                    FROM run r JOIN series x ON x.id = r.seriesRowID JOIN study s ON s.id = x.studyRowID WHERE r.id = ?
                    """, arguments: [run]) else { throw StoreError.runNotFound(run) }
                guard let date: String = row["studyDate"] else { return nil }
                return try Int64.fetchOne(db, sql: """
                    SELECT r.id FROM run r JOIN series x ON x.id = r.seriesRowID JOIN study s ON s.id = x.studyRowID
                    WHERE s.patientRowID = ? AND s.studyDate < ? AND s.id != ? AND r.status = 'completed'
                      AND r.modelName = ? AND r.modelVersion = ?
                    ORDER BY s.studyDate DESC, r.endedAt DESC, r.id DESC LIMIT 1
                    """, arguments: [row["patientRowID"], date, row["studyRowID"], row["modelName"], row["modelVersion"]])
            }
        }
    }

    /// Gives every lesion of `currentRun` an identity, in one transaction, and returns them all.
    ///
    /// Lesions of `priorRun` without an identity get one first (method "baseline", numbered by
    /// decreasing volume). A matched lesion takes its prior lesion's identity; a new one gets the
    /// patient's next number. Without a prior run every lesion is a baseline. A run that already has
    /// identities keeps them (tracking is idempotent: tracking UIDs already in exported SRs stay valid)
    /// unless `replace` is set.
    /// - Parameter newUID: makes a DICOM UID for each new identity.
    /// - Throws: `StoreError.runNotFound`, `.invalidArgument` for a match naming a lesion the run does not have.
    public func recordTracking(currentRun: RunID, priorRun: RunID?, registrationID: Int64?, matches: [TrackingMatch],
                               replace: Bool = false, newUID: () -> String) throws -> [TrackedLesion] {
        try StoreError.wrap("recording lesion identities of run \(currentRun)") {
            try trackingWriter().write { db in
                let lesions = try Self.lesionRows(db, run: currentRun)
                let existing = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM lesion_track t JOIN lesion l ON l.id = t.lesionRowID WHERE l.runID = ?",
                                                arguments: [currentRun]) ?? 0
                if existing > 0 && !replace { return try Self.tracked(db, run: currentRun) }
                try db.execute(sql: "DELETE FROM lesion_track WHERE lesionRowID IN (SELECT id FROM lesion WHERE runID = ?)", arguments: [currentRun])
                let patient = try Self.patientRowID(db, run: currentRun)
                var next = (try Int.fetchOne(db, sql: "SELECT MAX(number) FROM tracked_lesion WHERE patientRowID = ?", arguments: [patient]) ?? 0) + 1
                func newIdentity(_ label: String) throws -> Int64 {
                    try db.execute(sql: "INSERT INTO tracked_lesion (patientRowID, number, trackingUID, labelName) VALUES (?, ?, ?, ?)",
                                   arguments: [patient, next, newUID(), label])
                    next += 1
                    return db.lastInsertedRowID
                }
                func link(_ lesion: Int64, _ identity: Int64, prior: Int64?, method: String, dice: Double?, distance: Double?) throws {
                    try db.execute(sql: """
                        INSERT INTO lesion_track (lesionRowID, trackedLesionID, priorLesionRowID, registrationID, method, dice, distanceMM)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """, arguments: [lesion, identity, prior, method == "baseline" ? nil : registrationID, method, dice, distance])
                }
                var priorLesions: [LesionKey: (id: Int64, label: String, volume: Double)] = [:]
                if let priorRun {
                    priorLesions = try Self.lesionRows(db, run: priorRun)
                    let unnamed = try Int64.fetchSet(db, sql: """
                        SELECT l.id FROM lesion l LEFT JOIN lesion_track t ON t.lesionRowID = l.id WHERE l.runID = ? AND t.lesionRowID IS NULL
                        """, arguments: [priorRun])
                    for (_, p) in priorLesions.sorted(by: { ($1.value.volume, $0.key) < ($0.value.volume, $1.key) }) where unnamed.contains(p.id) {
                        try link(p.id, try newIdentity(p.label), prior: nil, method: "baseline", dice: nil, distance: nil)
                    }
                }
                var matched = Set<LesionKey>()
                for match in matches {
                    guard let lesion = lesions[match.current] else {
                        throw StoreError.invalidArgument("tracking names lesion \(match.current.labelValue)/\(match.current.lesionIndex), which run \(currentRun) does not have")
                    }
                    guard let priorKey = match.prior else { continue }
                    guard let prior = priorLesions[priorKey] else {
                        throw StoreError.invalidArgument("tracking names prior lesion \(priorKey.labelValue)/\(priorKey.lesionIndex), which the prior run does not have")
                    }
                    guard matched.insert(match.current).inserted else {
                        throw StoreError.invalidArgument("lesion \(match.current.labelValue)/\(match.current.lesionIndex) is matched twice")
                    }
                    let identity = try Int64.fetchOne(db, sql: "SELECT trackedLesionID FROM lesion_track WHERE lesionRowID = ?", arguments: [prior.id])!
                    try link(lesion.id, identity, prior: prior.id, method: match.method, dice: match.dice, distance: match.distanceMM)
                }
                let method = priorRun == nil ? "baseline" : "new"
                for (key, lesion) in lesions.sorted(by: { ($1.value.volume, $0.key) < ($0.value.volume, $1.key) }) where !matched.contains(key) {
                    let m = matches.first { $0.current == key }
                    try link(lesion.id, try newIdentity(lesion.label), prior: nil, method: method, dice: m?.dice, distance: m?.distanceMM)
                }
                return try Self.tracked(db, run: currentRun)
            }
        }
    }

    /// The identities of a run's lesions (empty when it was never tracked), by label and index.
    public func trackedLesions(run: RunID) throws -> [TrackedLesion] {
        try StoreError.wrap("reading lesion identities of run \(run)") { try trackingWriter().read { db in try Self.tracked(db, run: run) } }
    }

    static func tracked(_ db: Database, run: RunID) throws -> [TrackedLesion] {
        try Row.fetchAll(db, sql: """
            SELECT b.value, l.lesionIndex, i.number, i.trackingUID, i.labelName, t.method, t.dice, t.distanceMM, t.registrationID,
                   pb.value AS priorValue, p.lesionIndex AS priorIndex, p.runID AS priorRunID
            FROM lesion l JOIN label b ON b.id = l.labelID JOIN lesion_track t ON t.lesionRowID = l.id
            JOIN tracked_lesion i ON i.id = t.trackedLesionID
            LEFT JOIN lesion p ON p.id = t.priorLesionRowID LEFT JOIN label pb ON pb.id = p.labelID
            WHERE l.runID = ? ORDER BY b.value, l.lesionIndex
            """, arguments: [run]).map { row in
            let priorValue: Int? = row["priorValue"], priorIndex: Int? = row["priorIndex"]
            return TrackedLesion(lesion: LesionKey(labelValue: row["value"], lesionIndex: row["lesionIndex"]), number: row["number"],
                                 trackingUID: row["trackingUID"], labelName: row["labelName"], method: row["method"],
                                 prior: priorValue.flatMap { v in priorIndex.map { LesionKey(labelValue: v, lesionIndex: $0) } },
                                 priorRunID: row["priorRunID"], dice: row["dice"], distanceMM: row["distanceMM"], registrationID: row["registrationID"])
        }
    }

    static func runExists(_ db: Database, _ run: RunID) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM run WHERE id = ?)", arguments: [run]) ?? false
    }

    static func lesionRows(_ db: Database, run: RunID) throws -> [LesionKey: (id: Int64, label: String, volume: Double)] {
        guard try Self.runExists(db, run) else { throw StoreError.runNotFound(run) }
        var result: [LesionKey: (id: Int64, label: String, volume: Double)] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT l.id, b.value, b.name, l.lesionIndex, l.volumeML FROM lesion l JOIN label b ON b.id = l.labelID WHERE l.runID = ?",
                                    arguments: [run]) {
            result[LesionKey(labelValue: row["value"], lesionIndex: row["lesionIndex"])] = (row["id"], row["name"], row["volumeML"])
        }
        return result
    }

    static func patientRowID(_ db: Database, run: RunID) throws -> Int64 {
        guard let id = try Int64.fetchOne(db, sql: """
            SELECT s.patientRowID FROM run r JOIN series x ON x.id = r.seriesRowID JOIN study s ON s.id = x.studyRowID WHERE r.id = ?
            """, arguments: [run]) else { throw StoreError.runNotFound(run) }
        return id
    }
}
