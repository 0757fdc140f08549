import Foundation
import Imaging

/// Splits one series' frames into stacks: by orientation, size, pixel spacing, echo, temporal
/// position, image/frame type and stack ID; then, only where positions repeat, by acquisition
/// number or by repetition. (Acquisition number alone does not split: GE and others number
/// every rotation of one axial series differently.)
enum StackBuilder {
    struct Key {
        var rows: Int, columns: Int
        var row: Vector3, column: Vector3
        var spacing: PixelSpacing
        var echo: String?, temporal: Int?, type: String, stackID: String?, localizer: Bool

        init(_ r: FrameRecord) {
            rows = r.rows; columns = r.columns; row = r.rowDirection; column = r.columnDirection
            spacing = r.pixelSpacingMM; echo = r.echoKey; temporal = r.temporalKey; type = r.typeKey
            stackID = r.stackID; localizer = r.isLocalizer
        }

        func matches(_ o: Key) -> Bool {
            func close(_ a: Vector3, _ b: Vector3) -> Bool { max(abs(a.x - b.x), abs(a.y - b.y), abs(a.z - b.z)) < 1e-3 }
            return rows == o.rows && columns == o.columns && close(row, o.row) && close(column, o.column)
                && abs(spacing.i - o.spacing.i) <= 1e-4 * spacing.i && abs(spacing.j - o.spacing.j) <= 1e-4 * spacing.j
                && echo == o.echo && temporal == o.temporal && type == o.type && stackID == o.stackID && localizer == o.localizer
        }
    }

    static func stacks(_ records: [FrameRecord], patient: DICOMPatient, study: DICOMStudyInfo,
                       series: DICOMSeriesInfo) -> (stacks: [DICOMStack], warnings: [DICOMWarning]) {
        var groups = [(key: Key, records: [FrameRecord])]()
        for r in records {
            let key = Key(r)
            if let i = groups.firstIndex(where: { $0.key.matches(key) }) { groups[i].records.append(r) } else { groups.append((key, [r])) }
        }
        var built = [(records: [FrameRecord], suffix: String)]()
        for group in groups {
            built.append(contentsOf: splitRepeats(sorted(group.records)))
        }
        var pairs = built.map { (stack: makeStack($0.records, suffix: $0.suffix, patient: patient, study: study, series: series), records: $0.records) }
        pairs.sort { x, y in
            let a = x.stack, b = y.stack
            if a.isLocalizer != b.isLocalizer { return !a.isLocalizer }
            if a.sliceCount != b.sliceCount { return a.sliceCount > b.sliceCount }
            return a.label < b.label
        }
        var stacks = pairs.map(\.stack)
        for i in stacks.indices { stacks[i].index = i }
        distinguish(&stacks, records: pairs.map(\.records))
        var warnings = [DICOMWarning]()
        let sizes = Set(stacks.filter { !$0.isLocalizer }.map { "\($0.columns)x\($0.rows)" })
        if sizes.count > 1 {
            warnings.append(DICOMWarning(kind: .mixedSizes, message: "image sizes differ within the series: \(sizes.sorted().joined(separator: ", ")); split into stacks"))
        }
        return (stacks, warnings)
    }

    /// Sorted along the slice normal; ties by acquisition number, instance number, frame.
    static func sorted(_ records: [FrameRecord]) -> [FrameRecord] {
        guard let normal = records.first?.normal else { return records }
        return records.sorted { a, b in
            let da = dot(a.slice.positionLPS, normal), db = dot(b.slice.positionLPS, normal)
            if abs(da - db) > 1e-4 { return da < db }
            if (a.slice.acquisitionNumber ?? 0) != (b.slice.acquisitionNumber ?? 0) { return (a.slice.acquisitionNumber ?? 0) < (b.slice.acquisitionNumber ?? 0) }
            if (a.slice.instanceNumber ?? 0) != (b.slice.instanceNumber ?? 0) { return (a.slice.instanceNumber ?? 0) < (b.slice.instanceNumber ?? 0) }
            if a.slice.file != b.slice.file { return a.slice.file < b.slice.file }
            return a.slice.frameNumber < b.slice.frameNumber
        }
    }

    static func hasDuplicates(_ sorted: [FrameRecord]) -> Bool {
        zip(sorted, sorted.dropFirst()).contains { norm($0.slice.positionLPS - $1.slice.positionLPS) < 1e-3 }
    }

    /// Where positions repeat: split by acquisition number, else into equal repetitions.
    static func splitRepeats(_ sorted: [FrameRecord]) -> [(records: [FrameRecord], suffix: String)] {
        guard hasDuplicates(sorted) else { return [(sorted, "")] }
        let acquisitions = Dictionary(grouping: sorted, by: { $0.slice.acquisitionNumber ?? -1 })
        if acquisitions.count > 1, acquisitions.values.allSatisfy({ !hasDuplicates($0) }) {
            return acquisitions.keys.sorted().map { (acquisitions[$0]!, " acquisition \($0)") }
        }
        // Runs of equal positions; equal run lengths n mean n repetitions of the volume.
        var runs = [[FrameRecord]]()
        for r in sorted {
            if let last = runs.last?.last, norm(last.slice.positionLPS - r.slice.positionLPS) < 1e-3 { runs[runs.count - 1].append(r) } else { runs.append([r]) }
        }
        let n = runs[0].count
        if runs.allSatisfy({ $0.count == n }) {
            return (0..<n).map { rep in (runs.map { $0[rep] }, " repetition \(rep + 1)") }
        }
        return [(sorted, "")]
    }

    static func makeStack(_ records: [FrameRecord], suffix: String, patient: DICOMPatient, study: DICOMStudyInfo,
                          series: DICOMSeriesInfo) -> DICOMStack {
        let first = records[0]
        let layout = SliceLayout(sortedPositions: records.map(\.slice.positionLPS), normal: first.normal,
                                 inPlaneSpacingMM: first.pixelSpacingMM.smaller)
        var warnings = layout.warnings
        if hasDuplicates(records) {
            warnings.append(DICOMWarning(kind: .duplicatePositions, message: "several slices share one position and no acquisition number or repetition pattern separates them"))
        }
        if first.pixelSpacingMissing {
            warnings.append(DICOMWarning(kind: .missingPixelSpacing, message: "PixelSpacing \(DICOMTag.pixelSpacing) is absent; 1 mm assumed"))
        }
        if let tag = first.gantryTiltDegrees, abs(tag) > 0.01, layout.tiltDegrees == 0 {
            warnings.append(DICOMWarning(kind: .gantryTilt, message: String(format: "GantryDetectorTilt (0018,1120) is %.2f degrees but the slice positions show no shear; positions are used", tag)))
        }
        let direction = Matrix3(columns: first.rowDirection, first.columnDirection, layout.lineDirection)
        var label = "\(first.columns)x\(first.rows)x\(records.count) \(planeName(first.normal))"
        if let e = first.echoKey { label += " \(e)" }
        if let t = first.temporalKey { label += " t\(t)" }
        if !first.typeKey.isEmpty { label += " [\(first.typeKey)]" }
        if first.isLocalizer { label += " localizer" }
        label += suffix
        var stack = DICOMStack(
            index: 0, label: label, patient: patient, study: study, series: series,
            rows: first.rows, columns: first.columns, sliceCount: records.count,
            pixelSpacingMM: first.pixelSpacingMM,
            sliceSpacingMM: layout.meanStepMM, rowDirectionLPS: first.rowDirection, columnDirectionLPS: first.columnDirection,
            orientationCode: AxisOrientation.code(for: direction), tiltDegrees: layout.tiltDegrees,
            isLocalizer: first.isLocalizer || records.contains(where: \.isLocalizer), isDerived: first.isDerived,
            warnings: warnings, transferSyntaxUIDs: Array(Set(records.map(\.slice.transferSyntaxUID))).sorted(),
            slices: records.map(\.slice), sliceThicknessMM: first.sliceThicknessMM)
        stack.imageType = first.imageType.isEmpty ? [] : first.imageType.split(separator: "\\", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        return stack
    }

    /// "axial", "coronal", "sagittal" or "oblique" from the slice normal.
    static func planeName(_ normal: Vector3) -> String {
        let a = [abs(normal.x), abs(normal.y), abs(normal.z)]
        guard let m = a.max(), m > 0.95 else { return "oblique" }
        return a[2] == m ? "axial" : a[1] == m ? "coronal" : "sagittal"
    }
}
