import ArgumentParser
import Foundation
import Logging
import Service

/// `segstation serve --config FILE`: the DICOM node, job queue and HTTP API (docs/SERVICE.md).
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the workstation service: a DICOM node that segments what it receives, and an HTTP API for viewers.",
        discussion: """
        Receives series by C-STORE (DCMTK), segments each stable series that a route matches through a \
        persistent job queue in the study database, sends the SEG and SR to the route's destinations by \
        C-STORE, and serves studies, runs, lesions, reports and jobs over HTTP (bearer tokens). Every \
        configuration key is described in docs/SERVICE.md; deploy/serve.sample.json works on loopback. \
        SIGTERM or Ctrl-C stops it gracefully: open associations are closed and a running job gets \
        --shutdown-grace seconds to finish before it is re-queued.
        """
    )

    @Option(help: "The service configuration (JSON, see docs/SERVICE.md).")
    var config: String

    @Flag(help: "Create a new bearer token: print it once and add its SHA-256 to auth.tokensFile (created 0600), then exit.")
    var newToken = false

    @Flag(help: "Check the configuration (and that each route's model resolves), print it as JSON, and exit.")
    var check = false

    @Option(help: "Seconds a running job may take to finish after SIGTERM before it is re-queued.")
    var shutdownGrace: Double = 30

    func validate() throws {
        guard shutdownGrace.isFinite, shutdownGrace >= 0 else { throw ValidationError("--shutdown-grace must be a number >= 0") }
    }

    func run() throws {
        do {
            let settings = try ServiceConfig.load(path: config)
            if newToken {
                Output.line(try TokenFile.addNewToken(path: settings.tokensFile))
                return
            }
            let service = try SegStationService(config: settings, logger: Logger(label: "segstation.serve"), shutdownGraceSeconds: shutdownGrace)
            if check {
                Output.line("configuration \(config) is valid: \(settings.routes.count) route(s), \(settings.destinations.count) destination(s)")
                return
            }
            let failure = ErrorBox()
            let done = DispatchSemaphore(value: 0)
            Task {
                do { try await service.run() } catch { failure.error = error }
                done.signal()
            }
            done.wait()
            if let error = failure.error { throw error }
        }
    }
}

/// Carries the service's error out of its task.
private final class ErrorBox: @unchecked Sendable {
    var error: Error?
}
