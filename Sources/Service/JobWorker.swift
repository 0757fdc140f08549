import Foundation
import Logging
import Pipeline
import Reports
import StudyStore

/// Per-job progress events (for GET /jobs/{id}/events).
public struct JobProgress: Codable, Sendable, Equatable {
    public var jobID: Int64
    public var state: String
    public var phase: String
    public var progress: Double
}

/// One worker thread: takes jobs from the queue, segments (through `SegmentJob`, with its model loaded
/// once and kept warm), then delivers the SEG and SR to the route's destinations.
///
/// A job whose run was recorded (`job.runID`) is never segmented again: a re-queued job (restart,
/// destination down) re-sends the same files, so the destination receives the same SOP instances.
final class JobWorker: @unchecked Sendable {
    let name: String
    let config: ServiceConfig
    let store: StudyStore
    let metrics: ServiceMetrics
    let logger: Logger
    let events: ProgressHub
    let stopping: Locked<Bool>
    /// Models loaded by this worker, by name (touched only on the worker's thread).
    private var models: [String: LoadedModel] = [:]
    let busy = Locked(false)

    init(name: String, config: ServiceConfig, store: StudyStore, metrics: ServiceMetrics, events: ProgressHub,
         stopping: Locked<Bool>, logger: Logger) {
        self.name = name; self.config = config; self.store = store; self.metrics = metrics; self.events = events
        self.stopping = stopping; self.logger = logger
    }

    /// Back-off before the n-th retry of a delivery: 2, 4, 8 ... seconds, at most 5 minutes.
    static func backoff(attempt: Int) -> TimeInterval { min(300, pow(2, Double(max(1, min(attempt, 9))))) }

    /// Loops until the service stops; an idle worker polls the queue twice a second.
    func run() {
        while !stopping.current {
            do {
                guard let job = try store.claimJob(worker: name) else { Thread.sleep(forTimeInterval: 0.5); continue }
                busy.withLock { $0 = true }
                process(job)
                busy.withLock { $0 = false }
            } catch {
                logger.error("job queue unavailable: \(error)")
                Thread.sleep(forTimeInterval: 2)
            }
        }
    }

    /// The warm model for `name`, loading it on first use.
    func model(_ name: String) throws -> LoadedModel {
        if let m = models[name] { return m }
        let m = try LoadedModel(name, threads: config.threadsPerWorker)
        models[name] = m
        logger.info("worker \(self.name) loaded model \(m.package.manifest.name) \(m.package.manifest.version)")
        return m
    }

    func publish(_ job: JobRow, phase: String, progress: Double, state: String = "running") {
        try? store.setJobProgress(job.id, phase: phase, progress: progress)
        events.publish(JobProgress(jobID: job.id, state: state, phase: phase, progress: progress))
    }

    func process(_ job: JobRow) {
        let started = Date()
        logger.info("job \(job.id) started (attempt \(job.attempts))", metadata: ["model": "\(job.model)"])
        var runID = job.runID
        do {
            if runID == nil {
                runID = try segment(job)
                try store.setJobRun(job.id, runID: runID!)
                KillPoint.jobSegmented.reach()
            }
            guard try store.job(job.id)?.state == .running else {
                logger.info("job \(job.id) was cancelled; its results are kept but not delivered")
                return
            }
            switch try deliver(job, runID: runID!) {
            case .sent:
                try store.finishJob(job.id)
                metrics.jobSeconds.record(Date().timeIntervalSince(started))
                events.publish(JobProgress(jobID: job.id, state: JobState.done.rawValue, phase: "done", progress: 1))
                logger.info("job \(job.id) done", metadata: ["run": "\(runID!)", "seconds": "\(String(format: "%.2f", Date().timeIntervalSince(started)))"])
            case .transient(let reason):
                let wait = Self.backoff(attempt: job.attempts)
                try store.retryJobLater(job.id, reason: reason, notBefore: Date().addingTimeInterval(wait))
                metrics.deliveryRetries.increment()
                events.publish(JobProgress(jobID: job.id, state: JobState.queued.rawValue, phase: "retry", progress: 1))
                logger.warning("job \(job.id): delivery will be retried in \(Int(wait)) s: \(reason)")
            case .permanent(let reason):
                try store.finishJob(job.id, failure: reason)
                events.publish(JobProgress(jobID: job.id, state: JobState.failed.rawValue, phase: "send", progress: 1))
                logger.error("job \(job.id) failed: \(reason)")
            }
        } catch {
            try? store.finishJob(job.id, failure: "\(error)")
            events.publish(JobProgress(jobID: job.id, state: JobState.failed.rawValue, phase: "segment", progress: 0))
            logger.error("job \(job.id) failed: \(error)")
        }
    }

    /// Segments the job's inputs with the warm model; returns the recorded run.
    func segment(_ job: JobRow) throws -> Int64 {
        publish(job, phase: "load", progress: 0)
        let request = Self.request(for: job, config: config)
        let model = try model(job.model)
        let summary = try SegmentJob.run(request, model: model) { done, total in
            if total > 0 { self.publish(job, phase: "inference", progress: Double(done) / Double(total)) }
            KillPoint.jobInference.reach()
        }
        return summary.runID
    }

    /// What `segment` asks the pipeline for: the job's inputs and model, its route's options (stored
    /// with the job as JSON), the configuration's threads, database and storage folder.
    static func request(for job: JobRow, config: ServiceConfig) -> SegmentRequest {
        let options = (try? JSONDecoder().decode(RouteOptions.self, from: Data(job.optionsJSON.utf8))) ?? RouteOptions()
        var request = SegmentRequest(inputs: job.inputs.map(\.path), seriesUIDs: job.inputs.map { $0.seriesInstanceUID ?? "" },
                                     model: job.model, tta: options.tta, threads: config.threadsPerWorker,
                                     databasePath: config.databasePath, writeDICOM: true, reportFormats: ReportFormat.allCases,
                                     minLesionML: options.minLesionML)
        if job.inputs.allSatisfy({ $0.seriesInstanceUID == nil }) { request.seriesUIDs = [] }
        request.reportsParent = config.storageFolder
        request.writeRTStruct = options.rtstruct
        request.splitting = options.splitChoice.splitting
        return request
    }

    /// Sends the run's SEG and SR (and RT Structure Set, when the route asks for one) to each
    /// destination not yet served.
    func deliver(_ job: JobRow, runID: Int64) throws -> Delivery.Outcome {
        let detail = try store.show(runID)
        let files = detail.artefacts.filter { $0.kind == .seg || $0.kind == .sr || $0.kind == .rtstruct }.map { URL(fileURLWithPath: $0.path) }
        for name in job.destinations where !job.delivered.contains(name) {
            guard let destination = config.destination(named: name) else {
                return .permanent("destination '\(name)' is no longer in the configuration")
            }
            publish(job, phase: "send", progress: 1)
            let outcome = Delivery.send(files, to: destination, callingAE: config.aeTitle)
            guard outcome == .sent else { return outcome }
            KillPoint.jobSent.reach()
            try store.markDelivered(job.id, destination: name)
            metrics.deliveries.increment()
        }
        return .sent
    }
}
