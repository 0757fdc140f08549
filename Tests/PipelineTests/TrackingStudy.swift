import DICOM
import Foundation
import Imaging
import XCTest
import Lesions
import StudyStore
import TestSupport
import VolumeIO
@testable import Pipeline

/// A two-time-point study made in code (issue 13's acceptance study): the sample phantom (FLAIR) with
/// synthetic spherical lesions painted in (the phantom has one tumour; the others are placed in it
/// here), then a follow-up in which lesions grow, shrink, appear or vanish, imaged after the head
/// moved by a known rigid motion: the follow-up's voxels are the moved anatomy on an oblique grid
/// (rotated and shifted), so the generated lesion masks are exact on both grids and their voxel
/// counts are the truth. Each time point is written as a DICOM MR series (the follow-up's has another
/// FrameOfReferenceUID), with the generated mask as NIfTI and DICOM-SEG, and recorded as a run.
struct TrackingStudy {
    struct Sphere {
        var name: String
        var centre: Vector3
        var radiusMM: Double
    }
    /// Baseline and follow-up radii per lesion (nil: absent at that time point).
    struct Lesion {
        var name: String
        var centre: Vector3
        var baselineRadius: Double?
        var followUpRadius: Double?
    }

    static let phantomSize = SIMD3(144, 168, 120)
    /// The head's motion between the studies: baseline point -> follow-up point (7 degrees, 12 mm).
    static let motion = AffineTransform3.rotation(degrees: 7, axis: Vector3(0.2, -0.3, 1), centre: Vector3(0, 5, 0),
                                                  shift: Vector3(8, -7, 5.385164807134504))
    /// The acceptance study: the phantom's tumour grows, B shrinks, C is gone, D is new.
    static let acceptanceLesions = [
        Lesion(name: "A (phantom tumour, grows)", centre: Vector3(30, -20, 15), baselineRadius: 22, followUpRadius: 25),
        Lesion(name: "B (shrinks)", centre: Vector3(-30, 35, -10), baselineRadius: 9, followUpRadius: 7),
        Lesion(name: "C (gone)", centre: Vector3(-28, -45, 22), baselineRadius: 6, followUpRadius: nil),
        Lesion(name: "D (new)", centre: Vector3(25, 50, -25), baselineRadius: nil, followUpRadius: 7),
    ]

    var baselineImage: Volume<Float>
    var baselineMask: LabelMap
    var followUpImage: Volume<Float>
    var followUpMask: LabelMap
    /// Voxel counts of each lesion's generated mask (nil when absent), per time point.
    var baselineVoxels: [Int?]
    var followUpVoxels: [Int?]

    init(lesions: [Lesion] = TrackingStudy.acceptanceLesions, motion: AffineTransform3 = TrackingStudy.motion) {
        let phantom = SamplePhantom(size: Self.phantomSize)
        let g = phantom.flair.geometry
        func paint(_ radius: (Lesion) -> Double?) -> (image: [Float], mask: [UInt8], counts: [Int?]) {
            var image = phantom.flair.voxels
            var mask = [UInt8](repeating: 0, count: g.voxelCount)
            var counts = [Int?](repeating: nil, count: lesions.count)
            var random = PhantomRandom(seed: 99)
            for (n, lesion) in lesions.enumerated() {
                guard let r = radius(lesion) else { continue }
                var count = 0
                VoxelLoops.forEachVoxel(of: g, within: r, of: lesion.centre) { index in
                    mask[index] = 1
                    image[index] = Float((1.9 + 0.04 * random.normal()) * 300)
                    count += 1
                }
                counts[n] = count
            }
            return (image, mask, counts)
        }
        // The phantom's own tumour is lesion A at baseline: its mask is the phantom's, with the painted spheres.
        let base = paint { $0.name.hasPrefix("A") ? nil : $0.baselineRadius }
        var baseMask = base.mask
        for index in baseMask.indices where phantom.wholeTumour.voxels[index] != 0 { baseMask[index] = 1 }
        var baseCounts = base.counts
        if let a = lesions.firstIndex(where: { $0.name.hasPrefix("A") }) { baseCounts[a] = phantom.wholeTumour.voxels.reduce(0) { $0 + Int($1) } }
        let follow = paint { $0.followUpRadius }
        baselineImage = Volume(geometry: g, voxels: base.image)
        baselineMask = Volume(geometry: g, voxels: baseMask)
        // Follow-up: the same voxels on the moved grid (anatomy at p appears at motion(p)).
        let moved = motion.mapping(g)
        followUpImage = Volume(geometry: moved, voxels: follow.image)
        followUpMask = Volume(geometry: moved, voxels: follow.mask)
        baselineVoxels = baseCounts
        followUpVoxels = follow.counts
    }

    static let model = ModelInfo(name: "truth-masks", version: "1", sha256: String(repeating: "d", count: 64))

    /// Writes both time points as NIfTI and records them as two completed runs of one patient (the
    /// generated masks standing for a model's output). Returns (baseline run, follow-up run).
    func record(in store: StudyStore, folder: URL, patientID: String = "TRACK-1", sameFrame: Bool = false) throws -> (RunID, RunID) {
        let base = try Self.recordRun(store, folder: folder.appendingPathComponent("t0"), image: baselineImage, mask: baselineMask,
                                      patientID: patientID, study: "1.2.826.0.1.3680043.10.1.1", date: "2026-01-10", frame: "1.2.826.0.1.3680043.10.1.100")
        let follow = try Self.recordRun(store, folder: folder.appendingPathComponent("t1"), image: followUpImage, mask: followUpMask,
                                        patientID: patientID, study: "1.2.826.0.1.3680043.10.1.2", date: "2026-04-10",
                                        frame: sameFrame ? "1.2.826.0.1.3680043.10.1.100" : "1.2.826.0.1.3680043.10.1.200")
        return (base, follow)
    }

    /// One time point: the image as a DICOM MR series (oblique for the follow-up), its mask as NIfTI and as
    /// a DICOM-SEG over that series, recorded as a completed run whose input is the series.
    static func recordRun(_ store: StudyStore, folder: URL, image: Volume<Float>, mask: LabelMap, patientID: String,
                          study: String, date: String, frame: String) throws -> RunID {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let seriesFolder = folder.appendingPathComponent("series")
        var description = DICOMSeriesDescription(patientID: patientID, patientName: "Tracking^Study", studyInstanceUID: study,
                                                 studyDate: date.replacingOccurrences(of: "-", with: ""), seriesDescription: "FLAIR",
                                                 frameOfReferenceUID: frame)
        description.seriesInstanceUID = study + ".1"
        try DICOMSeriesWriter.write(image, to: seriesFolder, description: description)
        let scan = try ScanInput.load(seriesFolder.path)
        // The mask on the grid the loader read back (DICOM's decimal strings round the geometry).
        let labels = Volume(geometry: scan.volume.geometry, voxels: mask.voxels)
        let maskPath = folder.appendingPathComponent("mask.nii.gz").path, segPath = folder.appendingPathComponent("seg.dcm")
        try VolumeFile.write(labels, to: maskPath)
        let source = try SEGSourceSeries(stack: try XCTUnwrap(scan.dicom).stack)
        try SEGWriter(options: SEGWriteOptions(softwareVersion: "test", algorithmName: model.name, algorithmVersion: model.version))
            .write(labelMap: labels, over: source, to: segPath)
        let measurements = try LesionAnalyzer.measure(labels: try VolumeFile.readLabels(maskPath), image: scan.volume)
        let identity = ScanIdentity(scan: scan, fingerprint: SegmentJob.fingerprint([scan]))
        let start = try RunStart(patient: identity.patient, study: identity.study, series: identity.series,
                                 model: model, parameters: ["inputs": [seriesFolder.path]], inputFingerprint: SegmentJob.fingerprint([scan]),
                                 segstationVersion: "test")
        let run = try store.beginRun(start)
        try store.completeRun(run, RunResult(labels: [LabelInfo(value: 1, name: "tumour", colorHex: "#ff3030")],
                                             lesions: SegmentJob.lesionInfos(measurements),
                                             artefacts: [ArtefactInfo(path: maskPath, kind: .mask, sha256: String(repeating: "0", count: 64), bytes: 1),
                                                         ArtefactInfo(path: segPath.path, kind: .seg, sha256: String(repeating: "0", count: 64), bytes: 1)]))
        return run
    }
}
