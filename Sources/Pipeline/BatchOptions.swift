import Foundation
import Lesions
import Reports

/// What `segstation batch` was asked to do.
public struct BatchOptions: Sendable {
    /// An nnU-Net NIfTI folder, a DICOM tree or a CSV manifest (see `BatchCohort.discover`).
    public var input: String
    /// OUT: one `case-<hash>` folder per case, and the summary.
    public var output: String
    public var model: String?
    /// `--db`: nil = `$SEGSTATION_DB`, else the per-user default.
    public var databasePath: String?
    /// Workers, each with its own copy of the network (loaded once).
    public var jobs: Int
    /// Engine threads per worker; nil = the cores divided among the workers.
    public var threadsPerJob: Int?
    /// Skip cases whose inputs already have a completed run of this model in the database.
    public var resume: Bool
    public var minLesionML: Double
    public var shard: BatchShard?
    /// Series routing rules for a DICOM tree (nil: the manifest's, else the defaults).
    public var rulesFile: String?
    public var tta: Bool
    public var writeDICOM: Bool
    /// Also write an RT Structure Set beside the SEG for DICOM cases (`segment --rtstruct`).
    public var writeRTStruct: Bool
    public var reportFormats: [ReportFormat]
    /// How each case's semantic mask becomes lesions (`--split`, as `SegmentRequest.splitting`): nil =
    /// connected components. Refused for an instances model before any case runs.
    public var splitting: InstanceSplitting?
    /// The usable cores (tests pass a fixed number).
    public var cores: Int

    public init(input: String, output: String, model: String? = nil, databasePath: String? = nil, jobs: Int = 1,
                threadsPerJob: Int? = nil, resume: Bool = false, minLesionML: Double = 0, shard: BatchShard? = nil,
                rulesFile: String? = nil, tta: Bool = false, writeDICOM: Bool = true, writeRTStruct: Bool = false, reportFormats: [ReportFormat] = ReportFormat.allCases,
                cores: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.input = input; self.output = output; self.model = model; self.databasePath = databasePath; self.jobs = jobs
        self.threadsPerJob = threadsPerJob; self.resume = resume; self.minLesionML = minLesionML; self.shard = shard
        self.rulesFile = rulesFile; self.tta = tta; self.writeDICOM = writeDICOM; self.writeRTStruct = writeRTStruct; self.reportFormats = reportFormats
        self.cores = cores
    }

    /// Workers and threads per worker such that workers x threads <= cores, with a warning when the
    /// request had to be reduced. Workers beyond the cores are cut first, then threads.
    public func resolvedParallelism() -> (jobs: Int, threadsPerJob: Int, warning: String?) {
        let cores = max(1, self.cores)
        let jobs = max(1, self.jobs)
        var warnings: [String] = []
        let usedJobs = min(jobs, cores)
        if usedJobs < jobs { warnings.append("--jobs \(jobs) exceeds the \(cores) core(s): using \(usedJobs) worker(s)") }
        let fair = max(1, cores / usedJobs)
        var threads = threadsPerJob ?? fair
        if threads > fair {
            warnings.append("--jobs \(usedJobs) x --threads-per-job \(threads) would oversubscribe the \(cores) core(s): using \(fair) thread(s) per job")
            threads = fair
        }
        return (usedJobs, max(1, threads), warnings.isEmpty ? nil : warnings.joined(separator: "; "))
    }
}

/// What the batch reports while it runs (called from worker threads).
public enum BatchEvent: Sendable {
    /// The cohort was read: `selected` of `cohortSize` cases are this batch's (all, or this shard's).
    case planned(cohortSize: Int, selected: Int, jobs: Int, threadsPerJob: Int, notes: [String])
    /// The parallelism was reduced to fit the cores.
    case warning(String)
    /// A case ended (completed, failed or skipped); `done` of `selected` have ended.
    case caseEnded(BatchCaseResult, done: Int, selected: Int)
    /// Worker `worker` loaded its copy of the network (once per worker, before its first case).
    case networkLoaded(worker: Int)
    /// Worker `worker` started reading case `caseID` ahead: sent before the worker segments the case
    /// it holds, so that reading and preprocessing overlap that inference.
    case prefetchStarted(caseID: String, worker: Int)
}
