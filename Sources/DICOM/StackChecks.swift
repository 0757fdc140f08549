import Foundation
import Imaging

extension DICOMLoader {
    /// The stack geometry rules, on headers only: `load` applies them before decoding, and the SEG and
    /// SR source (`SEGSourceSeries.read`) applies the same ones without decoding pixels.
    ///
    /// - One slice that breaks the line or the spacing of the others (a slice moved far away, or off the
    ///   line) is a bad slice: refused naming its file (`DICOMError.badSlice`, exit 65), or left out
    ///   with a warning under `skipBadSlices`.
    /// - Duplicate or non-collinear positions: `DICOMError.inconsistentStack`.
    /// - Uneven spacing or missing slices: `inconsistentStack` naming `--uneven-spacing resample`,
    ///   unless `options.unevenSpacing == .resample`.
    /// - Returns: the stack to load (without the left-out slice, if any).
    public static func prepare(stack scanned: DICOMStack, options: DICOMLoadOptions) throws -> DICOMStack {
        guard !scanned.slices.isEmpty else { throw DICOMError.inconsistentStack(stack: scanned.label, reason: "no slices") }
        var stack = scanned
        if stack.warnings.contains(where: { [.nonCollinearPositions, .unevenSpacing, .missingSlices].contains($0.kind) }), let k = outlier(stack) {
            let slice = stack.slices[k]
            let reason = String(format: "slice %d of %d at position (%.6g, %.6g, %.6g) mm does not fit the line and spacing of the others",
                                k + 1, stack.slices.count, slice.positionLPS.x, slice.positionLPS.y, slice.positionLPS.z)
            guard options.skipBadSlices else { throw DICOMError.badSlice(file: slice.file, reason: reason, others: 0) }
            stack = stack.removingSlice(at: k)
            stack.warnings.append(DICOMWarning(kind: .badSliceSkipped, message: "\(slice.file) left out (--skip-bad-slices): \(reason)"))
        }
        let name = "\(stack.index) (\(stack.label))"
        for w in stack.warnings {
            switch w.kind {
            case .duplicatePositions, .nonCollinearPositions:
                throw DICOMError.inconsistentStack(stack: name, reason: w.message)
            case .unevenSpacing, .missingSlices:
                guard options.unevenSpacing == .fail else { continue }
                throw DICOMError.inconsistentStack(stack: name, reason: w.message + "; pass --uneven-spacing resample to interpolate onto even spacing")
            default: break
            }
        }
        return stack
    }

    /// Warnings about the slice line and spacing (recomputed when a slice is left out).
    static let layoutKinds: Set<DICOMWarning.Kind> = [.nonCollinearPositions, .unevenSpacing, .missingSlices, .gantryTilt]

    /// The one slice (first, last, or farthest off the line) whose removal leaves a clean, evenly
    /// spaced line, and that lies off the line, or 10 or more steps from its neighbour and not a whole
    /// number of steps; nil otherwise (missing slices are not a bad slice: see `--uneven-spacing`).
    static func outlier(_ stack: DICOMStack) -> Int? {
        let n = stack.slices.count
        guard n >= 4 else { return nil }
        let positions = stack.slices.map(\.positionLPS)
        let full = stack.layout(positions)
        var candidates = [0, n - 1]
        let line = full.lineDirection
        let offLine = positions.map { p -> Double in let v = p - positions[0]; return norm(v - line * dot(v, line)) }
        if let far = offLine.indices.max(by: { offLine[$0] < offLine[$1] }) { candidates.append(far) }
        for k in Set(candidates).sorted() {
            var rest = positions
            rest.remove(at: k)
            let layout = stack.layout(rest)
            guard layout.isEvenlySpaced, !layout.warnings.contains(where: { $0.kind == .nonCollinearPositions }),
                  let step = layout.medianStepMM, step > 0 else { continue }
            let neighbour = k == 0 ? positions[1] : positions[k - 1]
            let ratio = norm(positions[k] - neighbour) / step
            let tolerance = max(0.02, 0.1 * stack.pixelSpacingMM.smaller)
            // A gap of a whole number of steps is missing slices (the uneven-spacing rule), not a bad slice.
            let wholeSteps = abs(ratio - ratio.rounded()) < 0.1
            if offLine[k] > tolerance || (ratio >= 10 && !wholeSteps) { return k }
        }
        return nil
    }
}

extension DICOMStack {
    /// `SliceLayout` of `positions` (sorted along the normal) with this stack's orientation and spacing.
    func layout(_ positions: [Vector3]) -> SliceLayout {
        let sorted = positions.sorted { dot($0, normalLPS) < dot($1, normalLPS) }
        return SliceLayout(sortedPositions: sorted, normal: normalLPS, inPlaneSpacingMM: pixelSpacingMM.smaller)
    }

    /// The unit slice normal (row x column direction).
    var normalLPS: Vector3 { cross(rowDirectionLPS, columnDirectionLPS) }

    /// The stack without slice `k`: count, spacing, tilt and layout warnings recomputed.
    func removingSlice(at k: Int) -> DICOMStack {
        var copy = self
        copy.slices.remove(at: k)
        copy.sliceCount = copy.slices.count
        let layout = SliceLayout(sortedPositions: copy.slices.map(\.positionLPS), normal: normalLPS,
                                 inPlaneSpacingMM: pixelSpacingMM.smaller)
        copy.sliceSpacingMM = layout.meanStepMM
        copy.tiltDegrees = layout.tiltDegrees
        copy.warnings = copy.warnings.filter { !DICOMLoader.layoutKinds.contains($0.kind) } + layout.warnings
        return copy
    }
}
