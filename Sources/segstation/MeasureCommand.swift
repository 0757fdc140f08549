import ArgumentParser
import Foundation
import Imaging
import Lesions
import Pipeline
import VolumeIO

struct MeasureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "measure",
        abstract: "Per-lesion and per-label volumes, shape features, diameters and intensity statistics.",
        discussion: """
        IMAGE is any readable scan (DICOM, NIfTI, NRRD); MASK a NIfTI or NRRD label map on the same grid \
        (0 = background). Lesions are connected components of each label. Shape features follow pyradiomics' \
        definitions; --json output carries pyradiomics' feature names next to SegStation's (docs/MEASUREMENTS.md).
        """
    )

    @Option(help: "Intensity image (DICOM file or folder, NIfTI, NRRD).")
    var image: String

    @Option(help: "Label map (NIfTI or NRRD), same grid as the image.")
    var mask: String

    @Option(help: "Measure only this label (1-255).")
    var label: UInt8?

    @Option(help: "Neighbourhood of a lesion's voxels: 6, 18 or 26.")
    var connectivity = 26

    @Option(name: .customLong("min-volume-mm3"), help: "Drop components smaller than this volume (mm^3) first.")
    var minVolumeMM3 = 0.0

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        guard Connectivity(rawValue: connectivity) != nil else { throw ValidationError("--connectivity must be 6, 18 or 26") }
        guard minVolumeMM3 >= 0, minVolumeMM3.isFinite else { throw ValidationError("--min-volume-mm3 must be >= 0") }
        if label == 0 { throw ValidationError("--label must be 1...255 (0 is background)") }
    }

    func run() throws {
        let scan = try ScanInput.load(image).volume
        let labels = try VolumeFile.readLabels(mask)
        let results = try LesionAnalyzer.measure(labels: labels, image: scan, label: label,
                                                 connectivity: try Connectivity(neighbours: connectivity),
                                                 minVolumeMM3: minVolumeMM3)
        if json {
            try Output.json(MeasureReport(image: image, mask: mask, connectivity: connectivity,
                                          minVolumeMM3: minVolumeMM3, labels: results.map(LabelEntry.init)))
            return
        }
        if results.isEmpty { Output.line("no labelled voxels in \(mask)") }
        for l in results {
            Output.line("label \(l.label): \(l.lesionCount) lesion(s), " + Self.summary(l.total))
            for m in l.lesions { Output.line("  lesion \(m.id): " + Self.summary(m)) }
        }
    }

    static func summary(_ m: LesionMeasurement) -> String {
        var s = String(format: "%.3f mL, mesh %.1f mm3, 3D diameter %.1f mm", m.volumeML, m.shape.meshVolumeMM3, m.shape.maximum3DDiameterMM)
        if let r = m.recist { s += String(format: ", RECIST %.1f x %.1f mm (slice %d)", r.longAxisMM, r.shortAxisMM, r.sliceIndex) }
        if let c = m.shape.centroidLPS { s += String(format: ", centroid LPS (%.1f, %.1f, %.1f)", c[0], c[1], c[2]) }
        if let i = m.intensity { s += String(format: ", mean %.1f sd %.1f", i.mean, i.standardDeviation) }
        if m.touchesBorder { s += ", touches border" }
        return s
    }
}

/// `measure --json` document (schema in docs/MEASUREMENTS.md).
struct MeasureReport: Encodable {
    var image: String
    var mask: String
    var connectivity: Int
    var minVolumeMM3: Double
    var labels: [LabelEntry]
}

struct LabelEntry: Encodable {
    var label: Int
    var lesionCount: Int
    var total: MeasurementEntry
    var lesions: [MeasurementEntry]
    init(_ l: LabelMeasurements) {
        label = l.label; lesionCount = l.lesionCount
        total = MeasurementEntry(l.total); lesions = l.lesions.map(MeasurementEntry.init)
    }
}

/// A measurement with pyradiomics' feature names added under `pyradiomics`.
struct MeasurementEntry: Encodable {
    var measurement: LesionMeasurement
    var pyradiomics: [String: Double?]
    init(_ m: LesionMeasurement) {
        measurement = m
        let s = m.shape
        var p: [String: Double?] = [
            "MeshVolume": s.meshVolumeMM3, "VoxelVolume": s.voxelVolumeMM3, "SurfaceArea": s.surfaceAreaMM2,
            "SurfaceVolumeRatio": s.surfaceToVolumeRatio, "Sphericity": s.sphericity,
            "Maximum3DDiameter": s.maximum3DDiameterMM, "Maximum2DDiameterSlice": s.maximum2DDiameterSliceMM,
            "Maximum2DDiameterColumn": s.maximum2DDiameterColumnMM, "Maximum2DDiameterRow": s.maximum2DDiameterRowMM,
            "MajorAxisLength": s.majorAxisLengthMM, "MinorAxisLength": s.minorAxisLengthMM,
            "LeastAxisLength": s.leastAxisLengthMM, "Elongation": s.elongation, "Flatness": s.flatness,
        ]
        if let i = m.intensity {
            p["Mean"] = i.mean; p["Minimum"] = i.minimum; p["Maximum"] = i.maximum; p["Median"] = i.median
            p["10Percentile"] = i.percentile10; p["90Percentile"] = i.percentile90
        }
        pyradiomics = p
    }

    func encode(to encoder: Encoder) throws {
        try measurement.encode(to: encoder)
        var c = encoder.container(keyedBy: Key.self)
        var nested = c.nestedContainer(keyedBy: Key.self, forKey: Key("pyradiomics"))
        for (k, v) in pyradiomics {
            if let v { try nested.encode(v, forKey: Key(k)) } else { try nested.encodeNil(forKey: Key(k)) }
        }
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
