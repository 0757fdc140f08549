import ArgumentParser
import DICOM
import Foundation
import Lesions
import Pipeline
import Reports

struct SegmentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segment",
        abstract: "Segment a study with a model package; write the mask, DICOM-SEG and summary; record the run.",
        discussion: """
        Each INPUT is a DICOM folder or file, a NIfTI or an NRRD file; several INPUTs are the model's \
        channels in manifest order (the bundled brats models take FLAIR then T1c). The mask is written \
        as mask.nii.gz on the first input's grid (its affine is the input's exactly), with \
        segmentation.json (labels, lesion measurements, timings, artefacts). When the first input is \
        DICOM, a DICOM-SEG (seg.dcm) referencing its instances is written too. The run is recorded in \
        the study database (--db, $SEGSTATION_DB, or the per-user default): as running at the start, \
        completed with every lesion and artefact in one transaction at the end, failed on error. \
        Output goes to --output, else Reports/<hashed patient+study>/run-<id>/ (no patient identifiers \
        in folder names). Progress is shown on a terminal only. \
        --min-lesion-ml X removes every connected component (26-connected, per label) smaller than X mL \
        from the prediction before measurement, mask, DICOM-SEG, report and database; the value and the \
        number removed are recorded in segmentation.json and in the run's parameters. The default, 0, \
        keeps everything (as nnU-Net does): see docs/MODEL_PACKAGE.md. \
        An -o folder is claimed for the run: a folder another run is writing into is refused (exit 73, \
        never interleaved), and so is a folder holding another run's artefacts unless --overwrite, which \
        marks the older artefacts superseded in the database. Inputs whose modality (or body part) is \
        not what the manifest says the model was trained on are refused (exit 65) unless --force, which \
        flags the run in the database and on the report. NIfTI/NRRD carry no modality: --modality states \
        it (and is checked), otherwise the run notes that it was not checked. They carry no identity \
        either: --patient-id, --study-date, --study-uid and --series-description give it (the report \
        says "unknown" for a missing study date). When stderr is not a terminal, progress is logged as \
        lines (stage, percent, elapsed) at least every 10 s. See docs/REFUSALS.md. \
        --save-probabilities also writes the blended probabilities (probabilities.nii.gz, recorded in the \
        database as an artefact of kind probabilities; refused with the numbers when it would not fit \
        the memory budget): see docs/MODEL_PACKAGE.md. \
        Lesions are the connected components of the mask (26-connected, per label); --split watershed \
        splits touching lesions apart instead (a watershed on the distance transform, --min-distance-mm, \
        --neck-depth-mm), for semantic models. An instances model (Mask R-CNN, output.decision \
        "instances") detects every lesion itself, slice by slice (slices larger than its patch in \
        overlapping windows): its lesions carry their detection scores. See \
        docs/INSTANCES.md.
        """
    )

    @Argument(help: "Scan inputs, one per model channel, in the model's channel order.")
    var inputs: [String]

    @Option(help: "Model package name (in Models/ or $SEGSTATION_MODELS) or folder. Default: brats-wt-3d.")
    var model: String?

    @Option(name: .shortAndLong, help: "Output folder (default: Reports/<hashed patient+study>/run-<id>).")
    var output: String?

    @Flag(help: "Test-time augmentation: average the predictions of the manifest's mirrored inputs (slower).")
    var tta = false

    @Option(help: "Threads for the engine (default: all cores).")
    var threads: Int?

    @Option(name: .customLong("series"), help: "SeriesInstanceUID to use from a DICOM input; repeat per input, or give once for all.")
    var seriesUIDs: [String] = []

    @Option(help: "Stack index within a DICOM input's series (see `inspect`); repeat per input, or give once for all. Required when a series holds several stacks.")
    var stack: [Int] = []

    @OptionGroup var reading: SeriesReadingOptions

    @Flag(help: "Accept channels of different patients, studies or frames of reference (recorded in the run; channels are then placed by their patient coordinates).")
    var allowMixedIdentity = false

    @OptionGroup var database: DatabaseOption

    @Option(name: .customLong("min-lesion-ml"), help: "Remove connected components smaller than this many mL before measuring and exporting (default: 0, keep all).")
    var minLesionML: Double = 0

    @OptionGroup var lesionSplit: SplitOptions

    @Option(name: .customLong("small-lesion-ml"), help: ArgumentHelp(
        "The report's lesion table lists lesions of at least this many mL one by one and summarises the smaller ones in one row (they stay in the mask, the database and report.json).",
        valueName: "mL"))
    var smallLesionML: Double = ReportInput.defaultSmallLesionThresholdML

    @Flag(help: "Do not write DICOM-SEG/SR even for DICOM input.")
    var noDicom = false

    @Flag(help: "Also write an RT Structure Set (rt.dcm, contours for planning systems) beside seg.dcm (DICOM input).")
    var rtstruct = false
    @Flag(help: "Also write probabilities.nii.gz: float32, one volume per label (softmax; volume v = label v+1, background left out) or per region (sigmoid), on the mask's grid; `export-seg --fractional` takes it.")
    var saveProbabilities = false

    @Flag(help: "Replace another run's artefacts in the -o folder (they are marked superseded in the database).")
    var overwrite = false

    @Flag(help: "Run even when an input's modality or body part is not what the model was trained on (the run is flagged).")
    var force = false

    @Option(help: "Modality of NIfTI/NRRD inputs (e.g. MR, CT), checked against the model's; DICOM states its own.")
    var modality: String?

    @Option(name: .customLong("patient-id"), help: "Patient ID of a NIfTI/NRRD input (default: derived from the file's content).")
    var patientID: String?

    @Option(name: .customLong("study-date"), help: "Study date of a NIfTI/NRRD input, YYYY-MM-DD (default: unknown).")
    var studyDate: String?

    @Option(name: .customLong("study-uid"), help: "StudyInstanceUID of a NIfTI/NRRD input (default: derived from the file's content).")
    var studyUID: String?

    @Option(name: .customLong("series-description"), help: "Series description of a NIfTI/NRRD input (default: the file name).")
    var seriesDescription: String?

    @Flag(help: "Print the run summary as JSON.")
    var json = false

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if !(minLesionML >= 0 && minLesionML.isFinite) { throw ValidationError("--min-lesion-ml must be a finite value >= 0") }
        if !(smallLesionML >= 0 && smallLesionML.isFinite) { throw ValidationError("--small-lesion-ml must be a finite value >= 0, found \(smallLesionML)") }
        if stack.contains(where: { $0 < 0 }) { throw ValidationError("--stack must be 0 or more") }
        if rtstruct && noDicom { throw ValidationError("--rtstruct writes DICOM: it cannot be combined with --no-dicom") }
    }

    func run() throws {
        OwnerOnly.apply()
        var request = SegmentRequest(inputs: inputs, seriesUIDs: seriesUIDs, model: model, outputFolder: output, tta: tta,
                                     threads: threads, databasePath: database.path, writeDICOM: !noDicom,
                                     minLesionML: minLesionML)
        request.stackIndices = stack
        request.smallLesionML = smallLesionML
        request.dicomOptions = reading.loadOptions
        request.allowMixedIdentity = allowMixedIdentity
        request.writeRTStruct = rtstruct
        request.saveProbabilities = saveProbabilities
        request.splitting = lesionSplit.splitting
        request.overwrite = overwrite; request.force = force; request.modality = modality
        request.identity = IdentityOverrides(patientID: patientID, studyDate: studyDate, studyInstanceUID: studyUID,
                                             seriesDescription: seriesDescription)
        let bar = ProgressBar("segmenting")
        let log = ProgressLog(command: "segment", enabled: !Output.isInteractive)
        log.stage("loading and preprocessing")
        defer { log.stop() }
        let summary = try SegmentJob.run(request) { done, total in
            bar.update(done * 100 / max(total, 1))
            log.update(stage: done < total ? "inference" : "writing outputs", percent: done * 100 / max(total, 1))
        }
        bar.finish()
        if json { try Output.json(summary); return }
        Output.line("run \(summary.runID): model \(summary.model) \(summary.modelVersion)")
        for label in summary.labels {
            Output.line(String(format: "  %@: %.2f mL in %d lesion(s)", label.name, label.volumeML, label.lesionCount))
        }
        for artefact in summary.artefacts { Output.line("  \(artefact.kind): \(artefact.path)") }
        Output.line("  database: \(summary.databasePath)")
    }
}
