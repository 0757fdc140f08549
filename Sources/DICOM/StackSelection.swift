import Foundation
import Imaging

/// The one rule set every command that reads a series applies (`segment`, `convert`, `export-seg
/// --source`, `export-sr --image`): see docs/DICOM.md, "Loading rules".
///
/// 1. A scanned file that is DICOM but unreadable (truncated, corrupt header, absurd nesting, a
///    non-finite or out-of-range geometry or rescale value) refuses the whole input, naming the file
///    (exit 65), unless `skipBadSlices`: then it is left out with a warning naming it.
/// 2. A series with several stacks (not counting localizers) needs an explicit stack index; the
///    refusal lists the stacks and what sets each apart.
/// 3. `DICOMLoader.prepare` then checks the stack's geometry (see there).
extension DICOMInventory {
    /// The stack to load, under rules 1 and 2.
    /// - Parameter stackIndex: nil = the series must hold one stack apart from localizers.
    /// - Returns: the stack, with warnings naming each skipped bad file.
    /// - Throws: `DICOMError.badSlice`, `.ambiguousStacks`, `.invalidArgument`.
    public func select(seriesInstanceUID: String? = nil, stackIndex: Int? = nil, options: DICOMLoadOptions = DICOMLoadOptions()) throws -> DICOMStack {
        let bad = skipped.filter { $0.kind == .unreadable }
        if let first = bad.first, !options.skipBadSlices {
            throw DICOMError.badSlice(file: first.path, reason: first.reason, others: bad.count - 1)
        }
        var stack: DICOMStack
        if let stackIndex {
            stack = try self.stack(seriesInstanceUID: seriesInstanceUID, index: stackIndex)
        } else {
            let first = try self.stack(seriesInstanceUID: seriesInstanceUID, index: 0)
            let series = studies.flatMap(\.series).first { $0.info.seriesInstanceUID == first.series.seriesInstanceUID }
            let candidates = series?.stacks.filter { !$0.isLocalizer } ?? []
            if candidates.count > 1, let series {
                throw DICOMError.ambiguousStacks(series: series.info.seriesInstanceUID, stacks: series.stacks.map(\.summaryLine))
            }
            stack = first
        }
        for file in bad {
            stack.warnings.append(DICOMWarning(kind: .badSliceSkipped, message: "\(file.path) left out (--skip-bad-slices): \(file.reason)"))
        }
        return stack
    }
}

extension DICOMStack {
    /// "stack 1: 256x256x30 axial [M\FFE] (echo time 4.60 ms, ImageType ORIGINAL\PRIMARY\M\FFE)".
    public var summaryLine: String {
        let apart = distinguishingAttributes.isEmpty ? "" : " (" + distinguishingAttributes.joined(separator: ", ") + ")"
        return "  stack \(index): \(label)\(apart)"
    }
}

extension StackBuilder {
    /// For each stack of a series, the attributes whose values differ between its stacks.
    static func distinguish(_ stacks: inout [DICOMStack], records: [[FrameRecord]]) {
        guard stacks.count > 1 else { return }
        func values(_ r: [FrameRecord]) -> [(String, String)] {
            let f = r[0]
            var v: [(String, String)] = [
                ("size", "\(f.columns)x\(f.rows)"), ("slices", "\(r.count)"), ("plane", planeName(f.normal)),
                ("echo", f.echoTimeMS.map { String(format: "echo time %.2f ms", $0) } ?? "no echo time"),
                ("echo number", f.echoKey ?? "no echo number"),
                ("temporal position", f.temporalKey.map { "temporal position \($0)" } ?? "no temporal position"),
                ("image type", "ImageType " + (f.imageType.isEmpty ? "(none)" : f.imageType)),
                ("stack ID", f.stackID.map { "StackID \($0)" } ?? "no StackID"),
                ("localizer", f.isLocalizer ? "localizer" : "not a localizer"),
                ("spacing", "pixel spacing \(f.pixelSpacingMM) mm"),
            ]
            let acquisitions = Set(r.compactMap(\.slice.acquisitionNumber)).sorted()
            v.append(("acquisition", acquisitions.isEmpty ? "no acquisition number" : "acquisition " + acquisitions.prefix(3).map(String.init).joined(separator: ",")))
            return v
        }
        let all = records.map(values)
        for (s, own) in all.enumerated() where s < stacks.count {
            stacks[s].distinguishingAttributes = own.enumerated().compactMap { i, pair in
                all.contains { $0[i].1 != pair.1 } ? pair.1 : nil
            }
        }
    }
}
