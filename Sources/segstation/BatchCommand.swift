import ArgumentParser
import Core
import Foundation
import Pipeline

struct BatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Segment a whole cohort: resumable, sharded for array jobs, with a summary.",
        discussion: """
        INPUT is one of: a folder of NIfTI files in nnU-Net's naming (CASE_0000.nii.gz, CASE_0001.nii.gz: \
        the 4-digit channel index in the model's input order); a folder tree of DICOM studies (one case \
        per study; channels picked by series rules, the DICOM service's (regular expressions on the series \
        description, modality, ...): --rules FILE, else the model manifest's "seriesRules", else "the \
        description contains the input's name"); or a CSV manifest with a header row: case_id, one column \
        per model input (named as the input, e.g. FLAIR, or 0000), and optional patient_id, study_date, \
        study_uid. Each case gets segment's outputs in OUT/case-<16 hex of SHA-256(case id)>/ and is \
        recorded in the study database. A failing case (unreadable, missing channel, channels of \
        different sizes, wrong modality, ...) is recorded with its reason; the batch goes on. At the end \
        OUT/summary.json and OUT/summary.csv list every case: status, reason, volumes, lesion count, \
        timings (with --shard: summary.shard-I-of-N.*). \
        --resume skips cases whose inputs already have a completed run of this model in the database and whose folder in OUT holds that run. \
        --shard I/N (0-based, as $SLURM_ARRAY_TASK_ID or $JOB_COMPLETION_INDEX) takes the cases whose \
        SHA-256(case id) mod N is I: N tasks cover the cohort exactly once, and adding cases never moves \
        old ones. --jobs workers each load the model once; --jobs x --threads-per-job is clamped to the \
        cores. --split watershed (with --min-distance-mm, --neck-depth-mm) splits each case's touching \
        lesions apart, as for segment (semantic models only: refused for an instances model, exit 64). \
        Exit status: 0 when every selected case completed or was skipped, 65 when at least one \
        case failed (see the summary), other codes as for every command (README "Exit codes"). \
        See docs/SCALE.md for Slurm and Kubernetes.
        """
    )

    @Argument(help: "nnU-Net NIfTI folder, DICOM folder tree, or CSV manifest.")
    var input: String

    @Option(name: .shortAndLong, help: "Output folder (one case-<hash> folder per case, and the summary).")
    var output: String

    @Option(help: "Model package name (in Models/ or $SEGSTATION_MODELS) or folder. Default: brats-wt-3d.")
    var model: String?

    @OptionGroup var database: DatabaseOption

    @Option(help: "Workers, each holding the model once (default: 1).")
    var jobs: Int = 1

    @Option(name: .customLong("threads-per-job"), help: "Engine threads per worker (default: the cores divided among the workers).")
    var threadsPerJob: Int?

    @Flag(help: "Skip cases already completed with this model (same inputs, same weights) in the database.")
    var resume = false

    @Option(name: .customLong("min-lesion-ml"), help: "Remove connected components smaller than this many mL (as segment; default 0).")
    var minLesionML: Double = 0

    @Option(help: "Only the cases of shard I of N (0-based: I in 0..<N), e.g. --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT.")
    var shard: String?

    @Option(help: "Series rules (JSON: {\"rules\": [{\"channel\": \"FLAIR\", \"seriesDescription\": \"flair\"}, ...]}) choosing each channel's series in a DICOM tree; see docs/SCALE.md.")
    var rules: String?

    @OptionGroup var lesionSplit: SplitOptions

    @Flag(help: "Test-time augmentation (slower).")
    var tta = false

    @Flag(help: "Do not write DICOM-SEG/SR for DICOM cases.")
    var noDicom = false

    @Flag(help: "Also write an RT Structure Set (rt.dcm) beside the DICOM-SEG for DICOM cases (as segment --rtstruct).")
    var rtstruct = false

    @Flag(help: "Print the summary as JSON on stdout.")
    var json = false

    func validate() throws {
        if jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if let threadsPerJob, threadsPerJob < 1 { throw ValidationError("--threads-per-job must be at least 1") }
        if !(minLesionML >= 0 && minLesionML.isFinite) { throw ValidationError("--min-lesion-ml must be a finite value >= 0") }
        if rtstruct && noDicom { throw ValidationError("--rtstruct writes DICOM: it cannot be combined with --no-dicom") }
        if let shard { do { _ = try BatchShard(parsing: shard) } catch { throw ValidationError("\(error)") } }
    }

    func run() throws {
        OwnerOnly.apply()
        var options = BatchOptions(input: input, output: output, model: model, databasePath: database.path, jobs: jobs,
                                   threadsPerJob: threadsPerJob, resume: resume, minLesionML: minLesionML,
                                   shard: try shard.map { try BatchShard(parsing: $0) }, rulesFile: rules, tta: tta,
                                   writeDICOM: !noDicom, writeRTStruct: rtstruct)
        options.splitting = lesionSplit.splitting
        let progress = BatchProgress()
        let summary: BatchSummary
        do { summary = try BatchRunner.run(options) { progress.handle($0) } } catch {
            progress.finish()
            throw error
        }
        progress.finish()
        if json {
            try Output.json(summary)
        } else {
            let c = summary.counts
            Output.line("batch: \(c.selected) case(s): \(c.completed) completed, \(c.skipped) skipped, \(c.failed) failed in \(String(format: "%.1f", summary.wallSeconds)) s")
            for failed in summary.cases where failed.status == .failed {
                Output.line("  failed \(failed.caseID): \(failed.reason ?? "")")
            }
            Output.line("  summary: \((options.output as NSString).appendingPathComponent(BatchSummary.baseName(shard: options.shard) + ".{json,csv}"))")
        }
        if summary.counts.failed > 0 { throw ExitCode(ExitStatus.badInput) }
    }
}

