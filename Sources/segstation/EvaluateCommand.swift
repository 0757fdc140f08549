import ArgumentParser
import Foundation
import Imaging
import Lesions
import VolumeIO

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Compare a predicted mask with a reference: Dice, IoU, Hausdorff, ASSD, surface Dice, lesion detection.",
        discussion: """
        Both masks are NIfTI or NRRD label maps on the same grid; non-zero voxels (or --label N) are compared. \
        Definitions follow MedPy 0.5 (docs/MEASUREMENTS.md); distances in mm use the voxel spacing.
        """
    )

    @Option(help: "Predicted label map.")
    var prediction: String

    @Option(help: "Reference label map.")
    var reference: String

    @Option(help: "Compare only this label (default: any non-zero label).")
    var label: UInt8?

    @Option(name: .customLong("tolerance-mm"), help: "Tolerance of the surface Dice, mm.")
    var toleranceMM = 1.0

    @Option(help: "Neighbourhood for lesion-wise detection: 6, 18 or 26.")
    var connectivity = 26

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        guard Connectivity(rawValue: connectivity) != nil else { throw ValidationError("--connectivity must be 6, 18 or 26") }
        guard toleranceMM >= 0, toleranceMM.isFinite else { throw ValidationError("--tolerance-mm must be >= 0") }
    }

    func run() throws {
        let p = try VolumeFile.readLabels(prediction)
        let r = try VolumeFile.readLabels(reference)
        let m = try Evaluation.compare(prediction: p, reference: r, label: label, toleranceMM: toleranceMM,
                                       connectivity: try Connectivity(neighbours: connectivity))
        if json { try Output.json(m); return }
        func mm(_ v: Double?) -> String { v.map { String(format: "%.3f mm", $0) } ?? "undefined (empty mask)" }
        Output.line(String(format: "Dice %.4f  IoU %@", m.dice, m.iou.map { String(format: "%.4f", $0) } ?? "undefined"))
        Output.line(String(format: "volume: prediction %.3f mL, reference %.3f mL, difference %.1f mm3",
                           m.predictionVolumeML, m.referenceVolumeML, m.volumeDifferenceMM3))
        Output.line("Hausdorff \(mm(m.hausdorffMM)), HD95 \(mm(m.hausdorff95MM)), ASSD \(mm(m.assdMM))")
        Output.line("surface Dice at \(toleranceMM) mm: " + (m.surfaceDice.map { String(format: "%.4f", $0) } ?? "undefined"))
        let d = m.detection
        Output.line("lesions: TP \(d.truePositives), FP \(d.falsePositives), FN \(d.falseNegatives), F1 " + (d.f1.map { String(format: "%.4f", $0) } ?? "undefined"))
    }
}
