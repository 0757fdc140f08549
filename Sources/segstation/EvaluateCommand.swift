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
        Either may be an RT Structure Set, rasterised on --rt-source DIR (and resampled, nearest, onto the \
        other mask's grid when they differ). \
        Definitions follow MedPy 0.5 (docs/MEASUREMENTS.md); distances in mm use the voxel spacing. \
        With --instances, also lesion-wise F1 and panoptic quality (instances matched at IoU > 0.5, as \
        panoptica computes them for BraTS; docs/INSTANCES.md).
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

    @Option(help: "When an input is an RT Structure Set: its image series (contours rasterised on it).")
    var rtSource: String?

    @Option(help: "When an input is an RT Structure Set: only this ROI (label 1).")
    var roi: String?

    @Option(help: ArgumentHelp("""
        Also compare instances: 'values' reads both inputs as instance maps (every non-zero value one \
        instance), 'components' splits the compared masks into connected components (--connectivity), \
        'watershed' splits touching lesions apart (--min-distance-mm).
        """, valueName: "source"))
    var instances: InstanceSource?

    @Option(name: .customLong("min-distance-mm"), help: "With --instances watershed: the smallest distance between two lesion centres, mm.")
    var minDistanceMM = 5.0

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    enum InstanceSource: String, ExpressibleByArgument, CaseIterable { case values, components, watershed }

    func validate() throws {
        guard Connectivity(rawValue: connectivity) != nil else { throw ValidationError("--connectivity must be 6, 18 or 26") }
        guard toleranceMM >= 0, toleranceMM.isFinite else { throw ValidationError("--tolerance-mm must be >= 0") }
        guard minDistanceMM > 0, minDistanceMM.isFinite else { throw ValidationError("--min-distance-mm must be a positive number of mm") }
        if instances == .values, rtSource != nil || label != nil {
            throw ValidationError("--instances values reads instance maps: it takes neither --rt-source nor --label")
        }
    }

    func run() throws {
        let neighbourhood = try Connectivity(neighbours: connectivity)
        var m: SegmentationMetrics
        if instances == .values {
            let p = try VolumeFile.readInstances(prediction), r = try VolumeFile.readInstances(reference)
            m = try Evaluation.compare(prediction: p.map { $0 != 0 ? UInt8(1) : 0 }, reference: r.map { $0 != 0 ? UInt8(1) : 0 },
                                       toleranceMM: toleranceMM, connectivity: neighbourhood)
            m.instances = try InstanceEvaluation.compare(prediction: p, reference: r)
        } else {
            let (p, r) = try RTStructInput.pair(prediction: prediction, reference: reference, rtSource: rtSource, roi: roi)
            m = try Evaluation.compare(prediction: p, reference: r, label: label, toleranceMM: toleranceMM, connectivity: neighbourhood)
            if let instances {
                let splitting: InstanceSplitting = instances == .watershed
                    ? .watershed(minDistanceMM: minDistanceMM, minNeckDepthMM: 1) : .connectedComponents(neighbourhood)
                m.instances = try InstanceEvaluation.compare(prediction: p, reference: r, label: label, splitting: splitting)
            }
        }
        if json { try Output.json(m); return }
        func mm(_ v: Double?) -> String { v.map { String(format: "%.3f mm", $0) } ?? "undefined (empty mask)" }
        Output.line(String(format: "Dice %.4f  IoU %@", m.dice, m.iou.map { String(format: "%.4f", $0) } ?? "undefined"))
        Output.line(String(format: "volume: prediction %.3f mL, reference %.3f mL, difference %.1f mm3",
                           m.predictionVolumeML, m.referenceVolumeML, m.volumeDifferenceMM3))
        Output.line("Hausdorff \(mm(m.hausdorffMM)), HD95 \(mm(m.hausdorff95MM)), ASSD \(mm(m.assdMM))")
        Output.line("surface Dice at \(toleranceMM) mm: " + (m.surfaceDice.map { String(format: "%.4f", $0) } ?? "undefined"))
        let d = m.detection
        Output.line("lesions: TP \(d.truePositives), FP \(d.falsePositives), FN \(d.falseNegatives), F1 " + (d.f1.map { String(format: "%.4f", $0) } ?? "undefined"))
        if let i = m.instances {
            func f(_ v: Double?) -> String { v.map { String(format: "%.4f", $0) } ?? "undefined" }
            Output.line("instances (\(i.matching)): prediction \(i.predictedInstances), reference \(i.referenceInstances); " +
                        "TP \(i.truePositives), FP \(i.falsePositives), FN \(i.falseNegatives); F1 \(f(i.f1)), " +
                        "SQ \(f(i.segmentationQuality)), PQ \(f(i.panopticQuality))")
        }
    }
}
