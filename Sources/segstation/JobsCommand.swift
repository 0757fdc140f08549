import ArgumentParser
import Foundation
import Service
import StudyStore

/// `segstation jobs`: the service's job queue, read and changed in the study database (works whether
/// or not `serve` is running).
struct JobsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "List, retry or cancel the jobs of `segstation serve` (through the study database).",
        subcommands: [JobsList.self, JobsRetry.self, JobsCancel.self],
        defaultSubcommand: JobsList.self
    )
}

/// Where the queue is: the service configuration's `database`, or --db.
struct QueueLocation: ParsableArguments {
    @Option(help: "The service configuration; its `database` key names the study database.")
    var config: String?
    @Option(name: .customLong("db"), help: "Study database (default: $SEGSTATION_DB, else the standard location).")
    var databasePath: String?

    func validate() throws {
        if config != nil && databasePath != nil { throw ValidationError("give --config or --db, not both") }
    }

    func open() throws -> StudyStore {
        let path = try config.map { try ServiceConfig.load(path: $0).databasePath } ?? StudyStore.resolvePath(option: databasePath)
        return try StudyStore(path: path, createIfMissing: false)
    }
}

struct JobsList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List jobs, newest first.")
    @OptionGroup var location: QueueLocation
    @Option(help: "Only jobs in this state (queued, running, done, failed, cancelled).")
    var state: String?
    @Flag(help: "Print JSON (the schema of GET /jobs).")
    var json = false

    func validate() throws {
        if let state, JobState(rawValue: state) == nil {
            throw ValidationError("--state must be one of \(JobState.allCases.map(\.rawValue).joined(separator: ", ")), found '\(state)'")
        }
    }

    func run() throws {
        do {
            let jobs = try location.open().jobs(state: state.flatMap(JobState.init(rawValue:)))
            if json { try Output.json(jobs); return }
            let rows = jobs.map { j in
                [String(j.id), j.state.rawValue, j.route ?? j.source, j.model, j.runID.map(String.init) ?? "", String(j.attempts),
                 j.phase ?? "", j.errorMessage ?? ""]
            }
            Output.line(jobs.isEmpty ? "(none)" : QueryOutput.alignedTable(
                header: ["id", "state", "route", "model", "run", "attempts", "phase", "error"], rows: rows).trimmingCharacters(in: .newlines))
        }
    }
}

struct JobsRetry: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "retry", abstract: "Queue a failed or cancelled job again.")
    @OptionGroup var location: QueueLocation
    @Argument(help: "The job ID.") var id: Int64

    func run() throws {
        try location.open().retryJob(id)
        Output.line("job \(id) queued")
    }
}

struct JobsCancel: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel a queued or running job (a running one is not delivered).")
    @OptionGroup var location: QueueLocation
    @Argument(help: "The job ID.") var id: Int64

    func run() throws {
        try location.open().cancelJob(id)
        Output.line("job \(id) cancelled")
    }
}
