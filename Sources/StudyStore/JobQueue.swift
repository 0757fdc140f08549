import Foundation
import GRDB

public typealias JobID = Int64

/// States of a service job: queued -> running -> done | failed; cancelled by a person.
public enum JobState: String, Codable, Sendable, CaseIterable {
    case queued, running, done, failed, cancelled
}

/// One input of a job: a stored file or folder, and the series to take from it.
public struct JobInput: Codable, Sendable, Equatable {
    public var path: String
    public var seriesInstanceUID: String?
    public init(path: String, seriesInstanceUID: String? = nil) { self.path = path; self.seriesInstanceUID = seriesInstanceUID }
}

/// What to enqueue.
public struct JobSpec: Sendable {
    public var source: String
    public var route: String?
    public var model: String
    public var inputs: [JobInput]
    public var optionsJSON: String
    public var destinations: [String]
    /// Jobs with the same key are one job (a series routed twice is queued once).
    public var dedupKey: String?

    public init(source: String, route: String? = nil, model: String, inputs: [JobInput], optionsJSON: String = "{}",
                destinations: [String] = [], dedupKey: String? = nil) {
        self.source = source; self.route = route; self.model = model; self.inputs = inputs
        self.optionsJSON = optionsJSON; self.destinations = destinations; self.dedupKey = dedupKey
    }
}

/// A job as `segstation jobs --json` and `GET /jobs/{id}` show it.
public struct JobRow: Codable, Sendable, Equatable {
    public var id: JobID
    public var state: JobState
    public var source: String
    public var route: String?
    public var model: String
    public var inputs: [JobInput]
    public var destinations: [String]
    public var delivered: [String]
    public var runID: Int64?
    public var attempts: Int
    public var notBefore: Date?
    public var phase: String?
    public var progress: Double
    public var errorMessage: String?
    public var createdAt: Date
    public var startedAt: Date?
    public var endedAt: Date?
    /// Options as given (JSON object text).
    public var optionsJSON: String
}

extension StudyStore {
    static let jobColumns = """
        id, state, source, route, model, inputsJSON, optionsJSON, destinationsJSON, deliveredJSON, runID, attempts,
        notBefore, phase, progress, errorMessage, createdAt, startedAt, endedAt
        """

    static func jobRow(_ row: Row) throws -> JobRow {
        func decode<T: Decodable>(_ text: String, _ type: T.Type) throws -> T {
            try JSONDecoder().decode(T.self, from: Data(text.utf8))
        }
        let stateText: String = row["state"]
        guard let state = JobState(rawValue: stateText) else { throw StoreError.invalidArgument("job \(row["id"] as Int64) has unknown state '\(stateText)'") }
        return JobRow(id: row["id"], state: state, source: row["source"], route: row["route"], model: row["model"],
                      inputs: try decode(row["inputsJSON"], [JobInput].self), destinations: try decode(row["destinationsJSON"], [String].self),
                      delivered: try decode(row["deliveredJSON"], [String].self), runID: row["runID"], attempts: row["attempts"],
                      notBefore: row["notBefore"], phase: row["phase"], progress: row["progress"], errorMessage: row["errorMessage"],
                      createdAt: row["createdAt"], startedAt: row["startedAt"], endedAt: row["endedAt"], optionsJSON: row["optionsJSON"])
    }

    static func json<T: Encodable>(_ value: T) -> String {
        String(decoding: (try? JSONEncoder().encode(value)) ?? Data("[]".utf8), as: UTF8.self)
    }

    /// Queues a job, or returns the existing one with the same `dedupKey`.
    /// - Returns: the job's ID and whether it was newly queued.
    public func enqueueJob(_ spec: JobSpec, now: Date = Date()) throws -> (id: JobID, created: Bool) {
        guard !spec.inputs.isEmpty else { throw StoreError.invalidArgument("a job needs at least one input") }
        return try StoreError.wrap("queueing a job") {
            try writer.write { db in
                if let key = spec.dedupKey, let existing = try JobID.fetchOne(db, sql: "SELECT id FROM job WHERE dedupKey = ?", arguments: [key]) {
                    return (existing, false)
                }
                try db.execute(sql: """
                    INSERT INTO job (state, source, route, model, inputsJSON, optionsJSON, destinationsJSON, dedupKey, createdAt)
                    VALUES ('queued', ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [spec.source, spec.route, spec.model, Self.json(spec.inputs), spec.optionsJSON,
                                     Self.json(spec.destinations), spec.dedupKey, now])
                return (db.lastInsertedRowID, true)
            }
        }
    }

    /// Takes the oldest queued job whose back-off has passed and marks it running (one transaction, so
    /// two workers never take the same job). Nil when none is ready.
    public func claimJob(worker: String, now: Date = Date()) throws -> JobRow? {
        try StoreError.wrap("taking a job from the queue") {
            try writer.write { db in
                guard let id = try JobID.fetchOne(db, sql: """
                    SELECT id FROM job WHERE state = 'queued' AND (notBefore IS NULL OR notBefore <= ?) ORDER BY id LIMIT 1
                    """, arguments: [now]) else { return nil }
                try db.execute(sql: """
                    UPDATE job SET state = 'running', attempts = attempts + 1, startedAt = ?, worker = ?, endedAt = NULL WHERE id = ?
                    """, arguments: [now, worker, id])
                return try Row.fetchOne(db, sql: "SELECT \(Self.jobColumns) FROM job WHERE id = ?", arguments: [id]).map(Self.jobRow)
            }
        }
    }

    /// Puts back every job left `running` by a process that is gone (one service per database): run at start-up.
    /// - Returns: how many were re-queued.
    @discardableResult
    public func requeueAbandonedJobs() throws -> Int {
        try StoreError.wrap("re-queueing interrupted jobs") {
            try writer.write { db in
                try db.execute(sql: "UPDATE job SET state = 'queued', phase = NULL, worker = NULL WHERE state = 'running'")
                return db.changesCount
            }
        }
    }

    /// Records the run a job produced (its artefacts are then delivered, never produced again).
    public func setJobRun(_ id: JobID, runID: Int64) throws {
        try updateJob(id, "UPDATE job SET runID = ? WHERE id = ?", [runID, id])
    }

    /// Progress of a running job (phase name, 0...1).
    public func setJobProgress(_ id: JobID, phase: String, progress: Double) throws {
        try updateJob(id, "UPDATE job SET phase = ?, progress = ? WHERE id = ? AND state = 'running'", [phase, max(0, min(1, progress)), id])
    }

    /// Adds `destination` to the destinations already served.
    public func markDelivered(_ id: JobID, destination: String) throws {
        try StoreError.wrap("recording a delivery of job \(id)") {
            try writer.write { db in
                let text = try String.fetchOne(db, sql: "SELECT deliveredJSON FROM job WHERE id = ?", arguments: [id]) ?? "[]"
                var done = (try? JSONDecoder().decode([String].self, from: Data(text.utf8))) ?? []
                if !done.contains(destination) { done.append(destination) }
                try db.execute(sql: "UPDATE job SET deliveredJSON = ? WHERE id = ?", arguments: [Self.json(done), id])
            }
        }
    }

    /// Ends a running job: `done`, or `failed` with the reason. A job cancelled meanwhile stays cancelled.
    public func finishJob(_ id: JobID, failure: String? = nil, now: Date = Date()) throws {
        try updateJob(id, "UPDATE job SET state = ?, errorMessage = ?, endedAt = ?, progress = CASE WHEN ? THEN 1 ELSE progress END WHERE id = ? AND state = 'running'",
                      [failure == nil ? "done" : "failed", failure, now, failure == nil, id])
    }

    /// Puts a running job back in the queue until `notBefore` (a transient failure such as a destination down).
    public func retryJobLater(_ id: JobID, reason: String, notBefore: Date) throws {
        try updateJob(id, "UPDATE job SET state = 'queued', errorMessage = ?, notBefore = ?, worker = NULL WHERE id = ? AND state = 'running'",
                      [reason, notBefore, id])
    }

    /// `segstation jobs retry ID`: a failed or cancelled job is queued again now.
    public func retryJob(_ id: JobID) throws {
        try transition(id, from: [.failed, .cancelled], sql: "UPDATE job SET state = 'queued', notBefore = NULL, errorMessage = NULL, endedAt = NULL WHERE id = ?")
    }

    /// `segstation jobs cancel ID`: a queued or running job is cancelled (a running one finishes its current
    /// step, then its result is not recorded as done).
    public func cancelJob(_ id: JobID, now: Date = Date()) throws {
        try transition(id, from: [.queued, .running], sql: "UPDATE job SET state = 'cancelled', endedAt = ? WHERE id = ?", extra: [now])
    }

    public func job(_ id: JobID) throws -> JobRow? {
        try StoreError.wrap("reading job \(id)") {
            try writer.read { db in try Row.fetchOne(db, sql: "SELECT \(Self.jobColumns) FROM job WHERE id = ?", arguments: [id]).map(Self.jobRow) }
        }
    }

    /// Jobs, newest first, optionally in one state.
    public func jobs(state: JobState? = nil, limit: Int = 1000) throws -> [JobRow] {
        try StoreError.wrap("listing jobs") {
            try writer.read { db in
                let filter = state == nil ? "" : "WHERE state = ?"
                let args: StatementArguments = state.map { [$0.rawValue, limit] } ?? [limit]
                return try Row.fetchAll(db, sql: "SELECT \(Self.jobColumns) FROM job \(filter) ORDER BY id DESC LIMIT ?", arguments: args).map(Self.jobRow)
            }
        }
    }

    /// Number of jobs in each state (states without jobs are 0).
    public func jobCounts() throws -> [JobState: Int] {
        try StoreError.wrap("counting jobs") {
            try writer.read { db in
                var counts = Dictionary(uniqueKeysWithValues: JobState.allCases.map { ($0, 0) })
                for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM job GROUP BY state") {
                    if let s = JobState(rawValue: row["state"]) { counts[s] = row["n"] }
                }
                return counts
            }
        }
    }

    private func updateJob(_ id: JobID, _ sql: String, _ arguments: StatementArguments) throws {
        try StoreError.wrap("updating job \(id)") { try writer.write { db in try db.execute(sql: sql, arguments: arguments) } }
    }

    private func transition(_ id: JobID, from allowed: Set<JobState>, sql: String, extra: StatementArguments = []) throws {
        try StoreError.wrap("changing job \(id)") {
            try writer.write { db in
                guard let text = try String.fetchOne(db, sql: "SELECT state FROM job WHERE id = ?", arguments: [id]) else {
                    throw StoreError.jobNotFound(id)
                }
                guard let state = JobState(rawValue: text), allowed.contains(state) else {
                    throw StoreError.invalidArgument("job \(id) is \(text); expected \(allowed.map(\.rawValue).sorted().joined(separator: " or "))")
                }
                try db.execute(sql: sql, arguments: extra + [id])
            }
        }
    }
}
