import Foundation

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

extension StudyStore {
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
        return try write("recording a registration") { s in
            for run in [fixed, moving] where try !Self.runExists(s, run) { throw StoreError.runNotFound(run) }
            return try s.insert("""
                INSERT INTO registration (fixedRunID, movingRunID, kind, transformJSON, nmiBefore, nmiAfter, overlapFraction,
                  accepted, tool, seconds, createdAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [fixed.sqlValue, moving.sqlValue, info.kind.sqlValue, json.sqlValue, info.nmiBefore.sqlValue, info.nmiAfter.sqlValue,
                      info.overlapFraction.sqlValue, info.accepted.sqlValue, info.tool.sqlValue, info.seconds.sqlValue, Date().sqlValue])
        }
    }

    /// The latest registration recorded between the two runs (accepted or not), or nil.
    public func registration(fixed: RunID, moving: RunID) throws -> (id: Int64, info: RegistrationInfo)? {
        try read("reading a registration") { s in
            try Self.registration(s, "fixedRunID = ? AND movingRunID = ?", [fixed.sqlValue, moving.sqlValue])
        }
    }

    /// The latest accepted registration of `kind` between the two runs, or nil (`track` run again uses it).
    public func acceptedRegistration(fixed: RunID, moving: RunID, kind: String) throws -> (id: Int64, info: RegistrationInfo)? {
        try read("reading a registration") { s in
            try Self.registration(s, "fixedRunID = ? AND movingRunID = ? AND kind = ? AND accepted = ?",
                                  [fixed.sqlValue, moving.sqlValue, kind.sqlValue, true.sqlValue])
        }
    }

    /// The registration with this id (`TrackedLesion.registrationID`: the one a lesion was matched through), or nil.
    public func registration(id: Int64) throws -> (id: Int64, info: RegistrationInfo)? {
        try read("reading registration \(id)") { s in try Self.registration(s, "id = ?", [id.sqlValue]) }
    }

    static func registration(_ s: any SQLSession, _ condition: String, _ arguments: [SQLValue]) throws -> (id: Int64, info: RegistrationInfo)? {
        guard let r = try s.fetchOne("""
            SELECT id, kind, transformJSON, nmiBefore, nmiAfter, overlapFraction, accepted, tool, seconds
            FROM registration WHERE \(condition) ORDER BY id DESC LIMIT 1
            """, arguments), let id = r.int64("id") else { return nil }
        let rows = (try? JSONDecoder().decode([[Double]].self, from: Data((r.string("transformJSON") ?? "").utf8))) ?? []
        return (id, RegistrationInfo(kind: r.string("kind") ?? "", transform: rows, nmiBefore: r.double("nmiBefore"),
                                     nmiAfter: r.double("nmiAfter"), overlapFraction: r.double("overlapFraction"),
                                     accepted: r.bool("accepted") ?? false, tool: r.string("tool") ?? "", seconds: r.double("seconds")))
    }

    /// The run `run`'s lesions were last tracked against (the fixed run of its latest accepted registration), or nil.
    public func trackedPriorRun(of run: RunID) throws -> RunID? {
        try read("reading the tracked prior of run \(run)") { s in
            try s.fetchOne("SELECT fixedRunID FROM registration WHERE movingRunID = ? AND accepted = ? ORDER BY id DESC LIMIT 1",
                           [run.sqlValue, true.sqlValue])?.int64("fixedRunID")
        }
    }

    /// The latest completed run of the same patient and the same model (name and version) on an
    /// earlier study (by study date; undated studies have no prior), or nil.
    public func priorRun(of run: RunID) throws -> RunID? {
        try read("finding the prior run of run \(run)") { s in
            guard let row = try s.fetchOne("""
                SELECT s.patientRowID, s.studyDate, s.id AS studyRowID, r.modelName, r.modelVersion
                FROM run r JOIN series x ON x.id = r.seriesRowID JOIN study s ON s.id = x.studyRowID WHERE r.id = ?
                """, [run.sqlValue]) else { throw StoreError.runNotFound(run) }
            guard let date = row.string("studyDate") else { return nil }
            return try s.fetchOne("""
                SELECT r.id FROM run r JOIN series x ON x.id = r.seriesRowID JOIN study s ON s.id = x.studyRowID
                WHERE s.patientRowID = ? AND s.studyDate < ? AND s.id != ? AND r.status = 'completed'
                  AND r.modelName = ? AND r.modelVersion = ?
                ORDER BY s.studyDate DESC, r.endedAt DESC, r.id DESC LIMIT 1
                """, [row["patientRowID"], date.sqlValue, row["studyRowID"], row["modelName"], row["modelVersion"]])?.int64("id")
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
        try write("recording lesion identities of run \(currentRun)") { s in
            let lesions = try Self.lesionRows(s, run: currentRun)
            let existing = try s.fetchOne("SELECT COUNT(*) AS n FROM lesion_track t JOIN lesion l ON l.id = t.lesionRowID WHERE l.runID = ?",
                                          [currentRun.sqlValue])?.int("n") ?? 0
            if existing > 0 && !replace { return try Self.tracked(s, run: currentRun) }
            try s.execute("DELETE FROM lesion_track WHERE lesionRowID IN (SELECT id FROM lesion WHERE runID = ?)", [currentRun.sqlValue])
            let patient = try Self.patientRowID(s, run: currentRun)
            var next = (try s.fetchOne("SELECT MAX(number) AS n FROM tracked_lesion WHERE patientRowID = ?", [patient.sqlValue])?.int("n") ?? 0) + 1
            func newIdentity(_ label: String) throws -> Int64 {
                defer { next += 1 }
                return try s.insert("INSERT INTO tracked_lesion (patientRowID, number, trackingUID, labelName) VALUES (?, ?, ?, ?)",
                                    [patient.sqlValue, next.sqlValue, newUID().sqlValue, label.sqlValue])
            }
            func link(_ lesion: Int64, _ identity: Int64, prior: Int64?, method: String, dice: Double?, distance: Double?) throws {
                try s.execute("""
                    INSERT INTO lesion_track (lesionRowID, trackedLesionID, priorLesionRowID, registrationID, method, dice, distanceMM)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, [lesion.sqlValue, identity.sqlValue, prior.sqlValue, (method == "baseline" ? nil : registrationID).sqlValue,
                          method.sqlValue, dice.sqlValue, distance.sqlValue])
            }
            var priorLesions: [LesionKey: StoredLesion] = [:]
            if let priorRun {
                priorLesions = try Self.lesionRows(s, run: priorRun)
                let unnamed = Set(try s.fetch("""
                    SELECT l.id FROM lesion l LEFT JOIN lesion_track t ON t.lesionRowID = l.id WHERE l.runID = ? AND t.lesionRowID IS NULL
                    """, [priorRun.sqlValue]).compactMap { $0.int64("id") })
                for (_, p) in Self.byVolume(priorLesions) where unnamed.contains(p.id) {
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
                guard let identity = try s.fetchOne("SELECT trackedLesionID FROM lesion_track WHERE lesionRowID = ?", [prior.id.sqlValue])?
                    .int64("trackedLesionID") else {
                    throw StoreError.invalidArgument("prior lesion \(priorKey.labelValue)/\(priorKey.lesionIndex) has no identity")
                }
                try link(lesion.id, identity, prior: prior.id, method: match.method, dice: match.dice, distance: match.distanceMM)
            }
            let method = priorRun == nil ? "baseline" : "new"
            for (key, lesion) in Self.byVolume(lesions) where !matched.contains(key) {
                let m = matches.first { $0.current == key }
                try link(lesion.id, try newIdentity(lesion.label), prior: nil, method: method, dice: m?.dice, distance: m?.distanceMM)
            }
            return try Self.tracked(s, run: currentRun)
        }
    }

    /// The identities of a run's lesions (empty when it was never tracked), by label and index.
    public func trackedLesions(run: RunID) throws -> [TrackedLesion] {
        try read("reading lesion identities of run \(run)") { s in try Self.tracked(s, run: run) }
    }

    static func tracked(_ s: any SQLSession, run: RunID) throws -> [TrackedLesion] {
        try s.fetch("""
            SELECT b.value, l.lesionIndex, i.number, i.trackingUID, i.labelName, t.method, t.dice, t.distanceMM, t.registrationID,
                   pb.value AS priorValue, p.lesionIndex AS priorIndex, p.runID AS priorRunID
            FROM lesion l JOIN label b ON b.id = l.labelID JOIN lesion_track t ON t.lesionRowID = l.id
            JOIN tracked_lesion i ON i.id = t.trackedLesionID
            LEFT JOIN lesion p ON p.id = t.priorLesionRowID LEFT JOIN label pb ON pb.id = p.labelID
            WHERE l.runID = ? ORDER BY b.value, l.lesionIndex
            """, [run.sqlValue]).map { row in
            let priorValue = row.int("priorValue"), priorIndex = row.int("priorIndex")
            return TrackedLesion(lesion: LesionKey(labelValue: row.int("value") ?? 0, lesionIndex: row.int("lesionIndex") ?? 0),
                                 number: row.int("number") ?? 0, trackingUID: row.string("trackingUID") ?? "",
                                 labelName: row.string("labelName") ?? "", method: row.string("method") ?? "",
                                 prior: priorValue.flatMap { v in priorIndex.map { LesionKey(labelValue: v, lesionIndex: $0) } },
                                 priorRunID: row.int64("priorRunID"), dice: row.double("dice"), distanceMM: row.double("distanceMM"),
                                 registrationID: row.int64("registrationID"))
        }
    }

    static func runExists(_ s: any SQLSession, _ run: RunID) throws -> Bool {
        try s.fetchOne("SELECT 1 AS found FROM run WHERE id = ?", [run.sqlValue]) != nil
    }

    /// A lesion row of a run: its row id, label name and volume.
    typealias StoredLesion = (id: Int64, label: String, volume: Double)

    /// Lesions by decreasing volume (ties by label and index): the order new identities are numbered in.
    static func byVolume(_ lesions: [LesionKey: StoredLesion]) -> [(key: LesionKey, value: StoredLesion)] {
        lesions.sorted { ($1.value.volume, $0.key) < ($0.value.volume, $1.key) }
    }

    static func lesionRows(_ s: any SQLSession, run: RunID) throws -> [LesionKey: StoredLesion] {
        guard try Self.runExists(s, run) else { throw StoreError.runNotFound(run) }
        var result: [LesionKey: StoredLesion] = [:]
        for row in try s.fetch("SELECT l.id, b.value, b.name, l.lesionIndex, l.volumeML FROM lesion l JOIN label b ON b.id = l.labelID WHERE l.runID = ?",
                               [run.sqlValue]) {
            guard let id = row.int64("id"), let value = row.int("value"), let index = row.int("lesionIndex") else { continue }
            result[LesionKey(labelValue: value, lesionIndex: index)] = (id, row.string("name") ?? "", row.double("volumeML") ?? 0)
        }
        return result
    }

    static func patientRowID(_ s: any SQLSession, run: RunID) throws -> Int64 {
        guard let id = try s.fetchOne("""
            SELECT s.patientRowID FROM run r JOIN series x ON x.id = r.seriesRowID JOIN study s ON s.id = x.studyRowID WHERE r.id = ?
            """, [run.sqlValue])?.int64("patientRowID") else { throw StoreError.runNotFound(run) }
        return id
    }
}
