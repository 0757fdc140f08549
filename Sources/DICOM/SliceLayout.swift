import Foundation
import Imaging

/// The arrangement of a stack's slice positions, sorted along the slice normal
/// (row x column direction of ImageOrientationPatient); InstanceNumber is never used.
///
/// Slices lie on a line `first + t * lineDirection`. Without gantry tilt the line is the slice
/// normal; with tilt it leans by `tiltDegrees` and the volume's k axis follows it (a sheared
/// direction matrix), so every voxel keeps its true patient position.
struct SliceLayout {
    /// Unit direction from the first to the last slice (the normal for one slice).
    var lineDirection: Vector3
    /// Distance of each slice from the first along `lineDirection`, mm (ascending).
    var distancesMM: [Double]
    /// Angle between `lineDirection` and the slice normal, degrees.
    var tiltDegrees: Double
    /// Largest distance of a slice position from the line, mm.
    var maxOffLineMM: Double
    /// Median of the slice-to-slice steps, mm (nil for one slice).
    var medianStepMM: Double?
    var isEvenlySpaced: Bool
    var warnings: [DICOMWarning]

    /// Tilt below this (or moving the last slice sideways by less than the collinearity
    /// tolerance) is treated as none (position round-off).
    static let tiltThresholdDegrees = 0.05

    /// Analyses positions already sorted along `normal`.
    /// - Parameter inPlaneSpacingMM: the smaller pixel spacing, for the collinearity tolerance.
    init(sortedPositions p: [Vector3], normal: Vector3, inPlaneSpacingMM: Double) {
        warnings = []
        guard p.count >= 2, let first = p.first, let last = p.last, norm(last - first) > 1e-6 else {
            lineDirection = normal
            distancesMM = p.map { dot($0 - (p.first ?? .zero), normal) }
            tiltDegrees = 0
            maxOffLineMM = 0
            medianStepMM = nil
            isEvenlySpaced = true
            return
        }
        var line = (last - first) / norm(last - first)
        var tilt = acos(min(1, abs(dot(line, normal)))) * 180 / .pi
        // Positions written with few decimals lean a little: a tilt must also move the last slice
        // sideways by more than the collinearity tolerance.
        let collinearTolerance = max(0.02, 0.1 * inPlaneSpacingMM)
        let sideways = norm((last - first) - normal * dot(last - first, normal))
        if tilt < SliceLayout.tiltThresholdDegrees || sideways <= collinearTolerance {
            line = dot(line, normal) >= 0 ? normal : -normal
            tilt = 0
        }
        lineDirection = line
        tiltDegrees = tilt
        distancesMM = p.map { dot($0 - first, line) }
        maxOffLineMM = p.map { point in
            let v = point - first
            return norm(v - line * dot(v, line))
        }.max() ?? 0
        let steps = zip(distancesMM.dropFirst(), distancesMM).map { $0 - $1 }
        let median = steps.sorted()[steps.count / 2]
        medianStepMM = median
        let tolerance = max(0.01, 0.01 * abs(median))
        isEvenlySpaced = steps.allSatisfy { abs($0 - median) <= tolerance }

        if tilt > 0 {
            warnings.append(DICOMWarning(kind: .gantryTilt, message: String(format: "slices are sheared by %.2f degrees (gantry tilt); the volume keeps the true geometry as a sheared k axis", tilt)))
        }
        if maxOffLineMM > collinearTolerance {
            warnings.append(DICOMWarning(kind: .nonCollinearPositions, message: String(format: "slice positions leave the line from first to last slice by up to %.3f mm (tolerance %.3f mm)", maxOffLineMM, collinearTolerance)))
        }
        if !isEvenlySpaced {
            var missing = 0
            var allMultiples = true
            var irregular = [String]()
            for (i, step) in steps.enumerated() where abs(step - median) > tolerance {
                let ratio = step / median
                let rounded = ratio.rounded()
                if rounded >= 2, abs(ratio - rounded) < 0.1 { missing += Int(rounded) - 1 } else { allMultiples = false }
                if irregular.count < 3 { irregular.append(String(format: "%d-%d: %.3f mm", i + 1, i + 2, step)) }
            }
            // Steps grouped to 0.01 mm, in order of first appearance: "13 x 4.220 mm, 1 x 1.140 mm, ...".
            var counts = [(step: Double, count: Int)]()
            for step in steps {
                if let i = counts.firstIndex(where: { abs($0.step - step) <= tolerance }) { counts[i].count += 1 } else { counts.append((step, 1)) }
            }
            let histogram = counts.prefix(6).map { String(format: "%d x %.3f mm", $0.count, $0.step) }.joined(separator: ", ")
            let range = String(format: "%.3f..%.3f mm (median %.3f mm; ", steps.min() ?? 0, steps.max() ?? 0, median) + histogram + ")"
            if allMultiples {
                warnings.append(DICOMWarning(kind: .missingSlices, message: "\(missing) slice(s) missing: steps \(range); gaps at slices \(irregular.joined(separator: ", "))"))
            } else {
                warnings.append(DICOMWarning(kind: .unevenSpacing, message: "slice spacing varies \(range); irregular steps at slices \(irregular.joined(separator: ", "))"))
            }
        }
    }

    /// Mean step from first to last slice, mm (nil for one slice).
    var meanStepMM: Double? {
        distancesMM.count >= 2 ? (distancesMM.last! - distancesMM.first!) / Double(distancesMM.count - 1) : nil
    }
}
