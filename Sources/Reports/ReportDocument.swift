import Core
import Foundation
import Imaging

/// The JSON form of a report (schema `Reports/schema/report.schema.json`, version `schemaVersion`).
/// Carries the same numbers as the HTML and PDF, unrounded.
public struct ReportDocument: Codable, Sendable, Equatable {
    public static let currentSchemaVersion = "1.0"

    public var schemaVersion: String
    public var generatedAt: String
    public var study: StudyHeader
    public var provenance: Provenance
    public var labels: [Label]
    public var lesions: [LesionRow]
    public var labelTotals: [LabelTotal]
    public var image: ImageInfo
    public var keySlices: [KeySliceInfo]
    /// The zoomed axial image's region of the axial key slice (absent when not drawn).
    public var zoom: ZoomInfo?
    public var history: [HistoryPoint]

    public struct Label: Codable, Sendable, Equatable {
        public var value: UInt8
        public var name: String
        /// `#rrggbb`.
        public var color: String
    }

    public struct LabelTotal: Codable, Sendable, Equatable {
        public var labelName: String
        public var lesionCount: Int
        public var volumeML: Double
    }

    public struct ImageInfo: Codable, Sendable, Equatable {
        public var size: [Int]
        public var spacingMM: Vector3
        public var originLPS: Vector3
        public var orientation: String
        public var windowLower: Double
        public var windowUpper: Double
    }

    public struct KeySliceInfo: Codable, Sendable, Equatable {
        public var plane: SlicePlane
        /// The voxel axis (0 = i, 1 = j, 2 = k) held fixed and its 0-based index.
        public var fixedVoxelAxis: Int
        public var voxelIndex: Int
        public var throughLPS: Vector3
        /// Orientation letters of the image edges, left, right, top, bottom.
        public var edgeLetters: [String]
        public var pixelsPerMM: Double
    }

    public struct ZoomInfo: Codable, Sendable, Equatable {
        public var plane: SlicePlane
        /// Half-open pixel ranges [lower, upper) of the displayed key slice.
        public var columns: [Int]
        public var rows: [Int]
        public var pixelsPerMM: Double
    }

    public init(_ report: RenderedReport, generatedAt: Date) {
        let input = report.input
        schemaVersion = ReportDocument.currentSchemaVersion
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        self.generatedAt = formatter.string(from: generatedAt)
        study = input.header
        provenance = input.provenance
        let usedValues = Set(input.labels.map(\.value)).union(input.lesions.map(\.labelValue))
        labels = usedValues.sorted().map { value in
            let s = input.style(for: value)
            return Label(value: value, name: s.name, color: s.color.hex)
        }
        lesions = input.lesions
        var totals = [String: LabelTotal]()
        var order = [String]()
        for row in input.lesions {
            if totals[row.labelName] == nil { order.append(row.labelName) }
            totals[row.labelName, default: LabelTotal(labelName: row.labelName, lesionCount: 0, volumeML: 0)].lesionCount += 1
            totals[row.labelName]!.volumeML += row.volumeML
        }
        labelTotals = order.map { totals[$0]! }
        let g = input.image.geometry
        image = ImageInfo(size: [g.size.x, g.size.y, g.size.z], spacingMM: g.spacingMM, originLPS: g.originLPS,
                          orientation: g.orientationCode, windowLower: report.window.lowerValue,
                          windowUpper: report.window.upperValue)
        keySlices = report.keySlices.map { r in
            let l = r.slice.edgeLetters
            return KeySliceInfo(plane: r.slice.plane, fixedVoxelAxis: r.slice.fixedAxis, voxelIndex: r.slice.fixedIndex,
                                throughLPS: report.focusLPS, edgeLetters: [l.left, l.right, l.top, l.bottom],
                                pixelsPerMM: r.pixelsPerMM)
        }
        zoom = report.zoom.map { z in
            ZoomInfo(plane: z.slice.plane, columns: [z.region.columns.lowerBound, z.region.columns.upperBound],
                     rows: [z.region.rows.lowerBound, z.region.rows.upperBound], pixelsPerMM: z.pixelsPerMM)
        }
        history = input.history
    }

    /// Pretty-printed JSON with sorted keys.
    public func encoded() throws -> Data {
        do { return try JSONFormat.encoder(rejectNonFinite: true).encode(self) } catch { throw ReportError.renderFailed("encoding JSON: \(error)") }
    }
}
