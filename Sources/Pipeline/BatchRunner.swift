import Core
import Foundation
import Imaging
import Inference
import StudyStore

/// Segments a cohort: `segstation batch`.
///
/// - The cases are read from INPUT (`BatchCohort`), filtered to `--shard I/N`, and handed out to
///   `jobs` workers in case-id order. Each worker loads the model's network ONCE and keeps it.
/// - When a worker's network has run the last window of case k, a prefetch thread loads and
///   preprocesses the worker's next case while case k's outputs are written (both single-threaded).
/// - Each case goes through `SegmentJob` exactly as `segment` (same outputs, in OUT/case-<hash>/,
///   same database records). A failing case is recorded with its reason; the batch goes on.
/// - `--resume` skips a case whose input fingerprint has a completed run of this model (same
///   weights SHA-256) in the database; killed or failed cases are run again.
/// - At the end, OUT/summary.json and summary.csv (atomic writes).
public enum BatchRunner {
    public static func run(_ options: BatchOptions, events: @escaping @Sendable (BatchEvent) -> Void = { _ in }) throws -> BatchSummary {
        let startedAt = Date()
        guard options.minLesionML >= 0, options.minLesionML.isFinite else {
            throw BatchError.invalidArgument("--min-lesion-ml must be a finite value >= 0, found \(options.minLesionML)")
        }
        let package = try ModelPackage.resolve(options.model)
        if options.splitting != nil, package.manifest.decision == .instances {
            throw BatchError.invalidArgument("--split applies to semantic models; model '\(package.manifest.name)' detects its instances itself")
        }
        // What every case would refuse (an instances model's --tta) is refused once, before any case.
        try Segmenter.requireSupported(package.manifest, tta: options.tta, saveProbabilities: false)
        let cohort = try BatchCohort.discover(options.input, manifest: package.manifest) {
            try SeriesRoutingRules.resolve(rulesFile: options.rulesFile, package: package)
        }
        let cases = options.shard.map { shard in cohort.cases.filter { shard.contains(caseID: $0.id) } } ?? cohort.cases
        let out = URL(fileURLWithPath: options.output)
        do {
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw BatchError.output("cannot create the output folder \(out.path): \(error.localizedDescription)")
        }
        let parallelism = options.resolvedParallelism()
        if let warning = parallelism.warning { events(.warning(warning)) }
        let workers = max(1, min(parallelism.jobs, cases.count))
        events(.planned(cohortSize: cohort.cases.count, selected: cases.count, jobs: workers,
                        threadsPerJob: parallelism.threadsPerJob, notes: cohort.notes))
        let databasePath = StudyStore.resolvePath(option: options.databasePath)
        // Created and migrated once here, before the workers; used for --resume look-ups.
        let store = try StudyStore.connect(databasePath)
        let context = Context(options: options, package: package, cases: cases, output: out, databasePath: databasePath,
                              threads: parallelism.threadsPerJob, store: store, events: events)
        // One network per worker, loaded before any case starts.
        let networks = try (0..<workers).map { worker in
            let network = Handoff(try EngineNetwork.load(package: package, threads: parallelism.threadsPerJob))
            events(.networkLoaded(worker: worker))
            return network
        }
        let group = DispatchGroup()
        for (worker, network) in networks.enumerated() {
            group.enter()
            Thread.detachNewThread {
                work(worker: worker, network: network, context)
                group.leave()
            }
        }
        group.wait()

        let results = context.results.withLock { $0 }.compactMap { $0 }
        func count(_ s: BatchCaseResult.Status) -> Int { results.filter { $0.status == s }.count }
        let manifest = package.manifest
        let summary = BatchSummary(
            input: options.input, inputKind: cohort.kind, model: manifest.name, modelVersion: manifest.version,
            modelSHA256: manifest.network.sha256, databasePath: PostgresLocation.redacted(databasePath), shard: options.shard?.description,
            cohortSize: cohort.cases.count, jobs: workers, threadsPerJob: parallelism.threadsPerJob, resume: options.resume,
            startedAt: startedAt, wallSeconds: Date().timeIntervalSince(startedAt),
            counts: .init(selected: cases.count, completed: count(.completed), failed: count(.failed), skipped: count(.skipped)),
            notes: cohort.notes + (parallelism.warning.map { [$0] } ?? []), cases: results)
        _ = try summary.write(to: out, shard: options.shard)
        return summary
    }

    /// What every worker shares (all of it safe to use from several threads).
    struct Context: Sendable {
        var options: BatchOptions
        var package: ModelPackage
        var cases: [BatchCase]
        var output: URL
        var databasePath: String
        var threads: Int
        var store: StudyStore
        var events: @Sendable (BatchEvent) -> Void
        let next = Locked(0)
        let results: Locked<[BatchCaseResult?]>
        let ended = Locked(0)

        init(options: BatchOptions, package: ModelPackage, cases: [BatchCase], output: URL, databasePath: String, threads: Int,
             store: StudyStore, events: @escaping @Sendable (BatchEvent) -> Void) {
            self.options = options; self.package = package; self.cases = cases; self.output = output
            self.databasePath = databasePath; self.threads = threads; self.store = store; self.events = events
            results = Locked(Array(repeating: nil, count: cases.count))
        }

        /// The index of the next case nobody has taken, or nil when all are taken.
        func takeNext() -> Int? {
            next.withLock { n in
                guard n < cases.count else { return nil }
                defer { n += 1 }
                return n
            }
        }

        /// The `segment` request for a case: outputs in OUT/case-<hash>/.
        func request(for c: BatchCase) -> SegmentRequest {
            var request = SegmentRequest(inputs: c.inputs, seriesUIDs: c.seriesUIDs, model: package.folder.path,
                                         outputFolder: output.appendingPathComponent(c.folderName).path, tta: options.tta,
                                         threads: threads, databasePath: databasePath, writeDICOM: options.writeDICOM,
                                         reportFormats: options.reportFormats, minLesionML: options.minLesionML)
            request.identity = c.identity
            request.writeRTStruct = options.writeRTStruct
            request.splitting = options.splitting
            // OUT/case-<hash> belongs to the batch: a case run again (after a failure, or with another
            // model) replaces the folder's earlier run, whose artefacts are marked superseded.
            request.overwrite = true
            return request
        }

        func record(_ result: BatchCaseResult, at index: Int) {
            results.withLock { $0[index] = result }
            let done = ended.withLock { n -> Int in n += 1; return n }
            events(.caseEnded(result, done: done, selected: cases.count))
        }
    }

    /// A worker: takes cases until none is left; the next case is prefetched during each inference.
    static func work(worker: Int, network: Handoff<PatchNetwork>, _ context: Context) {
        func next() -> (index: Int, fetch: Prefetch)? {
            context.takeNext().map { index in
                context.events(.prefetchStarted(caseID: context.cases[index].id, worker: worker))
                return (index, prefetch(context.cases[index], context))
            }
        }
        var pending = next()
        while let current = pending {
            let waitStart = Date()
            let outcome = current.fetch.wait()
            let waited = Date().timeIntervalSince(waitStart)
            // The next case starts loading when this case's last window has run: reading and
            // preprocessing (one thread) then overlap this case's outputs (one thread), and the
            // inference keeps every core it was given (a loader beside the engine's threads slowed
            // `batch --jobs 1` below sequential `segment` calls: BENCHMARKS.md, "Batch").
            pending = nil
            var nextStarted = false
            func startNext() {
                guard !nextStarted else { return }
                nextStarted = true
                pending = next()
            }
            var result = finish(context.cases[current.index], outcome, network: network.value, context) { done, total in
                if done == total { startNext() }
            }
            startNext()
            result.worker = worker
            result.timingsSeconds["waitSeconds"] = waited
            context.record(result, at: current.index)
        }
    }

    /// Loads, checks, looks up (`--resume`) and preprocesses a case on a background thread.
    static func prefetch(_ c: BatchCase, _ context: Context) -> Prefetch {
        Prefetch {
            if let problem = c.problem { return .failed(BatchError.badInput(problem)) }
            do {
                let request = context.request(for: c)
                var loaded = try SegmentJob.load(request, package: context.package)
                try checkChannels(loaded, manifest: context.package.manifest)
                if context.options.resume,
                   let earlier = earlierSummary(in: context.output.appendingPathComponent(c.folderName)),
                   try context.store.isCompletedRun(earlier.runID, inputFingerprint: loaded.fingerprint,
                                                    modelSHA256: context.package.manifest.network.sha256) {
                    return .skipped(earlier.runID)
                }
                let clock = Date()
                loaded.prepared = try Segmenter.prepare(channels: loaded.volumes, package: context.package)
                loaded.preprocessSeconds = Date().timeIntervalSince(clock)
                return .ready(request, loaded)
            } catch {
                return .failed(error)
            }
        }
    }

    /// The summary (segmentation.json) of the run a case's folder holds, or nil. `--resume` skips a case
    /// only when its folder holds a run that the database has as completed on the same inputs and
    /// weights: two cases with byte-identical inputs share a fingerprint, and each needs its own outputs.
    static func earlierSummary(in folder: URL) -> SegmentSummary? {
        guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent("segmentation.json").path) else { return nil }
        return try? JSONDecoder().decode(SegmentSummary.self, from: data)
    }

    /// A batch rule on top of `segment`'s: every channel has the same voxel grid size (as nnU-Net's
    /// dataset check demands; `segment` would resample). The channels' modalities are checked against
    /// the model by `SegmentJob.load` (`InputGate`), as for `segment`.
    static func checkChannels(_ loaded: LoadedCase, manifest: ModelManifest) throws {
        let sizes = loaded.volumes.map(\.geometry.size)
        if Set(sizes.map { [$0.x, $0.y, $0.z] }).count > 1 {
            let listed = zip(manifest.inputs, sizes).map { "\($0.name) \($1.x)x\($1.y)x\($1.z)" }.joined(separator: ", ")
            throw BatchError.badInput("channels of different sizes: \(listed)")
        }
    }

    /// Segments a prefetched case (or records why not) into a summary row.
    /// `inferenceProgress` receives the sliding-window progress (windows done, total).
    static func finish(_ c: BatchCase, _ outcome: Prefetch.Outcome, network: PatchNetwork, _ context: Context,
                       inferenceProgress: @escaping (Int, Int) -> Void) -> BatchCaseResult {
        let folder = context.output.appendingPathComponent(c.folderName)
        var result = BatchCaseResult(caseID: c.id, status: .failed, reason: nil, errorCategory: nil, runID: nil,
                                     outputFolder: folder.path, inputs: c.inputs, labels: [], lesionCount: nil, timingsSeconds: [:])
        func fail(_ error: Error) {
            result.status = .failed
            result.reason = "\(error)"
            result.errorCategory = (error as? CategorizedError)?.category.rawValue
        }
        func fill(_ summary: SegmentSummary) {
            result.runID = summary.runID
            result.labels = summary.labels
            result.lesionCount = summary.labels.reduce(0) { $0 + $1.lesionCount }
            result.timingsSeconds.merge(summary.timingsSeconds) { $1 }
        }
        switch outcome {
        case .failed(let error):
            fail(error)
        case .skipped(let runID):
            result.status = .skipped
            result.runID = runID
            result.reason = "already completed as run \(runID) (--resume)"
            // The earlier run's figures, from its summary in this case's folder.
            if let earlier = earlierSummary(in: folder), earlier.runID == runID {
                fill(earlier)
                result.timingsSeconds = [:]
            }
        case .ready(let request, let loaded):
            do {
                fill(try SegmentJob.run(request, loaded: loaded, network: network, progress: inferenceProgress))
                result.status = .completed
            } catch {
                fail(error)
            }
        }
        return result
    }
}

/// One case being loaded on its own thread; `wait()` returns what the loading produced.
final class Prefetch: @unchecked Sendable {
    enum Outcome {
        case ready(SegmentRequest, LoadedCase)
        case skipped(RunID)
        case failed(Error)
    }

    private let done = DispatchSemaphore(value: 0)
    // Written once by the loading thread before `done` is signalled, read after `wait()`.
    private var outcome: Outcome?

    init(_ body: @escaping @Sendable () -> Outcome) {
        Thread.detachNewThread { [self] in
            outcome = body()
            done.signal()
        }
    }

    func wait() -> Outcome {
        done.wait()
        return outcome!
    }
}

/// A value whose ownership passes to another thread (the sender keeps no use of it).
final class Handoff<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// A value shared by threads behind a lock.
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
