import Foundation
import Imaging
@testable import Reports

/// A synthetic study: an ellipsoid body with three spherical lesions (two of label 1, one of label 2)
/// on an anisotropic, oblique grid whose voxel axes run roughly R, I and A (a coronal acquisition),
/// so slice selection must permute and flip axes.
enum Phantom {
    static let bodyRadiiMM = Vector3(85, 65, 90)
    /// Lesion centres relative to the grid centre (LPS mm), radii (mm), label and intensity.
    static let lesions: [(offset: Vector3, radiusMM: Double, label: UInt8, intensity: Float)] = [
        (Vector3(35, -10, 12), 18, 1, 120),   // largest: patient's left, anterior, superior
        (Vector3(-40, 20, -30), 8, 1, 110),
        (Vector3(-20, -30, 25), 10, 2, 5),
    ]

    /// Rotation about z by `degreesZ` then about x by `degreesX`, applied to a direction.
    static func rotated(_ v: Vector3, degreesZ: Double, degreesX: Double) -> Vector3 {
        let z = degreesZ * .pi / 180, x = degreesX * .pi / 180
        let a = Vector3(v.x * cos(z) - v.y * sin(z), v.x * sin(z) + v.y * cos(z), v.z)
        return Vector3(a.x, a.y * cos(x) - a.z * sin(x), a.y * sin(x) + a.z * cos(x))
    }

    static func obliqueGeometry(size: SIMD3<Int> = SIMD3(128, 96, 64), spacingMM: Vector3 = Vector3(1.5, 2.0, 3.0)) -> VolumeGeometry {
        let columns = [Vector3(-1, 0, 0), Vector3(0, 0, -1), Vector3(0, -1, 0)].map { rotated($0, degreesZ: 10, degreesX: 8) }
        var g = VolumeGeometry(size: size, spacingMM: spacingMM, originLPS: .zero,
                               direction: Matrix3(columns: columns[0], columns[1], columns[2]))
        g.originLPS = Vector3(12, -30, 40) - (g.centerLPS - g.originLPS)  // grid centre at (12, -30, 40)
        return g
    }

    static let header = StudyHeader(patientID: "PAT^Doe/../12345", patientName: "Doe^Jane", studyInstanceUID: "1.2.826.0.1.3680043.10.543.1",
                                    studyDate: "2026-02-14", modality: "MR", seriesDescription: "T1 post-contrast",
                                    seriesInstanceUID: "1.2.826.0.1.3680043.10.543.1.2")

    static let provenance = Provenance(
        modelName: "phantom-unet", modelVersion: "1.2.0", modelSHA256: String(repeating: "ab", count: 32),
        segStationVersion: "0.1.0", runID: "run-0042", startedAt: "2026-11-25T15:00:00Z",
        timings: [StageTiming(stage: "read", seconds: 0.41), StageTiming(stage: "inference", seconds: 12.5)],
        parameters: [Parameter(name: "tta", value: "true"), Parameter(name: "overlap", value: "0.5")])

    static let labels = [LabelStyle(value: 1, name: "tumour", color: RGB(255, 48, 48)),
                         LabelStyle(value: 2, name: "cyst", color: RGB(48, 220, 48))]

    /// `study()` built once (building takes seconds in debug builds).
    static let shared = study()

    /// The study on `geometry`, with measured lesion rows and a three-point history.
    static func study(geometry: VolumeGeometry = obliqueGeometry()) -> ReportInput {
        let centre = geometry.centerLPS
        var image = Volume<Float>(geometry: geometry, repeating: 0)
        var labelMap = LabelMap(geometry: geometry, repeating: 0)
        var sums = [(count: Int, position: Vector3, sum: Double, sumSquares: Double)](repeating: (0, .zero, 0, 0), count: lesions.count)
        let s = geometry.size
        for k in 0..<s.z { for j in 0..<s.y { for i in 0..<s.x {
            let p = geometry.indexToPatient(Vector3(Double(i), Double(j), Double(k)))
            let d = (p - centre) / bodyRadiiMM
            guard dot(d, d) <= 1 else { continue }
            let n = image.linearIndex(i, j, k)
            // Shading that varies along x so the image itself is not symmetric.
            var value = Float(50 + 15 * d.x + 5 * sin(p.y / 7))
            for (m, lesion) in lesions.enumerated() where norm(p - (centre + lesion.offset)) <= lesion.radiusMM {
                value = lesion.intensity + Float(3 * sin(p.z / 5))
                labelMap.voxels[n] = lesion.label
                sums[m].count += 1
                sums[m].position += p
                sums[m].sum += Double(value)
                sums[m].sumSquares += Double(value) * Double(value)
            }
            image.voxels[n] = value
        } } }
        var rows = [LesionRow]()
        for (m, lesion) in lesions.enumerated() {
            let c = Double(sums[m].count)
            let mean = sums[m].sum / c
            rows.append(LesionRow(
                labelValue: lesion.label, labelName: labels[Int(lesion.label) - 1].name,
                lesionIndex: lesions[..<m].filter { $0.label == lesion.label }.count + 1,
                volumeML: c * geometry.voxelVolumeMM3 / 1000, longestAxialDiameterMM: 2 * lesion.radiusMM,
                shortAxisMM: 2 * lesion.radiusMM * 0.95, max3DDiameterMM: 2 * lesion.radiusMM,
                meanIntensity: mean, stdIntensity: max(0, sums[m].sumSquares / c - mean * mean).squareRoot(),
                centroidLPS: sums[m].position / c, touchesBorder: false))
        }
        let history = [
            HistoryPoint(studyDate: "2025-03-01", labelName: "tumour", lesionIndex: 1, volumeML: 19.0),
            HistoryPoint(studyDate: "2025-09-10", labelName: "tumour", lesionIndex: 1, volumeML: 22.5),
            HistoryPoint(studyDate: header.studyDate, labelName: "tumour", lesionIndex: 1, volumeML: rows[0].volumeML),
            HistoryPoint(studyDate: "2025-03-01", labelName: "tumour", lesionIndex: 2, volumeML: 1.2),
            HistoryPoint(studyDate: "2025-09-10", labelName: "tumour", lesionIndex: 2, volumeML: 1.9),
            HistoryPoint(studyDate: header.studyDate, labelName: "tumour", lesionIndex: 2, volumeML: rows[1].volumeML),
            HistoryPoint(studyDate: "2025-09-10", labelName: "cyst", lesionIndex: 1, volumeML: 4.8),
            HistoryPoint(studyDate: header.studyDate, labelName: "cyst", lesionIndex: 1, volumeML: rows[2].volumeML),
        ]
        return ReportInput(header: header, provenance: provenance, lesions: rows, labels: labels,
                           image: image, labelMap: labelMap, history: history)
    }

    /// Where test outputs are kept for inspection (`SEGSTATION_REPORT_KEEP`), or nil.
    static var keepFolder: URL? {
        ProcessInfo.processInfo.environment["SEGSTATION_REPORT_KEEP"].map { URL(fileURLWithPath: $0) }
    }

    static func keep(_ files: [URL], as prefix: String) {
        guard let folder = keepFolder else { return }
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for file in files {
            let target = folder.appendingPathComponent("\(prefix)-\(file.lastPathComponent)")
            try? FileManager.default.removeItem(at: target)
            try? FileManager.default.copyItem(at: file, to: target)
        }
    }
}
