import Core
import Foundation
import Hummingbird
import Logging
import Pipeline
import StudyStore

/// `segstation serve`: the DICOM listener, the series router, the job workers and the HTTP API in one
/// process over one study database. One service per database: at start-up, jobs left `running` by a
/// previous process (crash, kill -9) are queued again.
public final class SegStationService: Sendable {
    public let config: ServiceConfig
    let logger: Logger
    let store: StudyStore
    let metrics = ServiceMetrics()
    let events = ProgressHub()
    let stopping = Locked(false)
    /// Seconds a running job may take to finish after SIGTERM before it is re-queued and the process exits.
    let shutdownGraceSeconds: Double

    public init(config: ServiceConfig, logger: Logger, shutdownGraceSeconds: Double = 30) throws {
        self.config = config
        self.logger = logger
        self.shutdownGraceSeconds = shutdownGraceSeconds
        for (i, route) in config.routes.enumerated() {
            let package: ModelPackage
            do { package = try ModelPackage.resolve(route.model) } catch {
                throw ServiceError.config(key: "routes[\(i)].model", problem: "\(error)")
            }
            // segment's and batch's rule: an instances model detects each lesion itself.
            guard route.options.splitChoice.applies(to: package.manifest) else {
                throw ServiceError.config(key: "routes[\(i)].options.split",
                                          problem: "route '\(route.name)': the \(route.options.split.rawValue) split applies to semantic models; model '\(package.manifest.name)' detects its instances itself")
            }
        }
        store = try StudyStore(path: config.databasePath)
    }

    /// Runs until SIGTERM or SIGINT, then shuts down gracefully: no new association or job, open
    /// associations aborted, the running jobs given `shutdownGraceSeconds` to finish, else re-queued.
    public func run() async throws {
        let requeued = try store.requeueAbandonedJobs()
        if requeued > 0 { logger.notice("re-queued \(requeued) job(s) interrupted by the previous stop") }
        let instances = try InstanceStore(storageFolder: config.storageFolder, store: store)
        let listener = try DICOMListener(config: config, instances: instances, observer: metrics, logger: logger)
        let threads = Locked<[Thread]>([])
        func start(_ name: String, _ body: @escaping @Sendable () -> Void) {
            let thread = Thread { body() }
            thread.name = name
            threads.withLock { $0.append(thread) }
            thread.start()
        }
        let listenerDone = DispatchSemaphore(value: 0)
        start("dicom-listener") { [logger] in
            do { try listener.run() } catch { logger.critical("DICOM listener stopped: \(error)") }
            listenerDone.signal()
        }
        let router = SeriesRouter(store: store, routes: config.routes, stableSeconds: config.stableSeconds, logger: logger)
        start("series-router") { [stopping, logger] in
            while !stopping.current {
                do { try router.tick() } catch { logger.error("routing failed: \(error)") }
                Thread.sleep(forTimeInterval: 0.25)
            }
        }
        let workers = (0..<config.workers).map { i in
            JobWorker(name: "\(ProcessInfo.processInfo.hostName):\(getpid()):w\(i)", config: config, store: store, metrics: metrics,
                      events: events, stopping: stopping, logger: logger)
        }
        let workersDone = DispatchSemaphore(value: 0)
        for (i, worker) in workers.enumerated() {
            start("worker-\(i)") { worker.run(); workersDone.signal() }
        }
        let blocking = BlockingWork()
        let api = HTTPAPI(config: config, store: store, metrics: metrics, events: events, uploads: UploadIntake(config: config, store: store),
                          blocking: blocking, cache: ResponseCache(maxEntries: config.cacheMaxEntries, maxBytes: config.cacheMaxBytes),
                          versions: try versionProbe(),
                          health: { [listener] in
                              HTTPAPI.HealthBody(status: "ok", version: SegStationVersion.string, activeAssociations: listener.activeAssociations,
                                                 busyWorkers: workers.filter { $0.busy.current }.count)
                          })
        var httpLogger = logger
        httpLogger.logLevel = max(logger.logLevel, .warning)   // request lines carry query strings (patient IDs)
        let app = Application(router: try api.router(),
                              configuration: .init(address: .hostname(config.httpHost, port: config.httpPort), serverName: "SegStation"),
                              logger: httpLogger)
        logger.notice("serving: DICOM \(config.aeTitle) on \(config.dicomHost):\(config.dicomPort), HTTP on \(config.httpHost):\(config.httpPort)")
        do {
            try await app.runService()   // returns on SIGTERM or SIGINT
        } catch {
            logger.error("HTTP server stopped: \(error)")
        }
        logger.notice("shutting down")
        await blocking.shutdown()
        stopping.withLock { $0 = true }
        listener.stop()
        events.finishAll()
        await Self.wait(listenerDone, seconds: 10)
        let deadline = Date().addingTimeInterval(shutdownGraceSeconds)
        var finished = 0
        while finished < workers.count, Date() < deadline {
            if await Self.wait(workersDone, seconds: max(0.1, deadline.timeIntervalSinceNow)) { finished += 1 }
        }
        if finished < workers.count {
            let n = (try? store.requeueAbandonedJobs()) ?? 0
            logger.notice("re-queued \(n) running job(s) that did not finish within \(Int(shutdownGraceSeconds)) s")
        }
    }

    /// The response cache's view of the database's change state; nil (answers uncached) when the cache is
    /// off or the database has no such state (PostgreSQL).
    func versionProbe() throws -> DataVersionProbe? {
        guard config.cacheMaxBytes > 0 else { return nil }
        guard let probe = try store.dataVersionProbe() else {
            logger.notice("HTTP response cache off: \(store.location) has no data version to validate it")
            return nil
        }
        return probe
    }

    /// Waits for a semaphore off the cooperative pool.
    @discardableResult
    static func wait(_ semaphore: DispatchSemaphore, seconds: Double) async -> Bool {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: semaphore.wait(timeout: .now() + seconds) == .success)
            }
        }
    }
}
