import Core
import Imaging

/// Everything a per-study report shows. A plain value filled by the pipeline (or the database
/// layer for an earlier run); the Reports layer reads nothing else.
///
/// Numbers must be finite (`validate()` checks): JSON has no NaN and a report must not show one.
public struct ReportInput: Sendable {
    public var header: StudyHeader
    public var provenance: Provenance
    /// One row per lesion, in the order the table shows them.
    public var lesions: [LesionRow]
    /// Names and colours of the label values drawn in the overlays (value 0 is background and ignored).
    public var labels: [LabelStyle]
    /// Scan intensities (e.g. HU for CT) on the grid of `labelMap`.
    public var image: Volume<Float>
    /// The segmentation on the same grid as `image`.
    public var labelMap: Volume<UInt8>
    /// Earlier and current measurements for the volume-over-time chart; drawn when a series has >= 2 points.
    public var history: [HistoryPoint]
    /// The RECIST 1.1 response of the tracked target lesions in one sentence (`segstation track`), or nil.
    public var responseSummary: String?
    /// Name of `image`'s channel (e.g. "FLAIR"), and the other input channels on the same grid (e.g. T1c),
    /// shown side by side with it in the axial key image.
    public var channelName: String?
    public var otherChannels: [(name: String, image: Volume<Float>)] = []
    /// Components smaller than this (mL) are summarised in one row of the lesion table (issue 13: real
    /// data gives dozens of specks); the JSON keeps every row. Default 0.1 mL.
    public var smallLesionThresholdML: Double = ReportInput.defaultSmallLesionThresholdML
    public static let defaultSmallLesionThresholdML = 0.1
    /// The prior study the lesions were tracked against: each tracked lesion's key image gets the prior
    /// study's matching slice beside it (nil: no prior, or not tracked).
    public var prior: PriorStudy?

    public init(header: StudyHeader, provenance: Provenance, lesions: [LesionRow], labels: [LabelStyle],
                image: Volume<Float>, labelMap: Volume<UInt8>, history: [HistoryPoint] = []) {
        self.header = header
        self.provenance = provenance
        self.lesions = lesions
        self.labels = labels
        self.image = image
        self.labelMap = labelMap
        self.history = history
    }

    /// The rows the lesion table lists one by one: lesions of at least `smallLesionThresholdML`, largest
    /// first (ties: label value, then index, so the order is stable).
    public var tableRows: [LesionRow] {
        lesions.filter { $0.volumeML >= smallLesionThresholdML }.sorted {
            ($1.volumeML, $0.labelValue, $0.lesionIndex) < ($0.volumeML, $1.labelValue, $1.lesionIndex)
        }
    }

    /// The components under `smallLesionThresholdML`, summarised (nil when there are none).
    public var smallLesionSummary: (count: Int, volumeML: Double)? {
        let small = lesions.filter { $0.volumeML < smallLesionThresholdML }
        return small.isEmpty ? nil : (small.count, small.reduce(0) { $0 + $1.volumeML })
    }

    /// The lesion the key slices go through: the largest by volume (first on ties), nil without lesions.
    public var largestLesion: LesionRow? {
        lesions.enumerated().max { a, b in
            a.element.volumeML < b.element.volumeML || (a.element.volumeML == b.element.volumeML && a.offset > b.offset)
        }?.element
    }

    /// The style of a label value, or a neutral default (grey-free palette colour) when none was given.
    public func style(for value: UInt8) -> LabelStyle {
        labels.first { $0.value == value } ?? LabelStyle(value: value, name: "label \(value)", color: .palette(Int(value)))
    }

    /// The colour of a label by name (chart series), or a palette colour for a name with no style.
    public func color(forLabelName name: String) -> RGB {
        if let s = labels.first(where: { $0.name == name }) { return s.color }
        if let row = lesions.first(where: { $0.labelName == name }) { return style(for: row.labelValue).color }
        return .palette(name.utf8.reduce(0) { ($0 &* 31 &+ Int($1)) & 0xffff })
    }

    /// Checks the invariants every output relies on.
    /// - Throws: `ReportError.invalidInput` naming the field when grids differ, a number is not
    ///   finite, a date is not ISO `YYYY-MM-DD`, or a label value is 0.
    public func validate() throws {
        guard image.geometry.isSameGrid(as: labelMap.geometry) else {
            throw ReportError.invalidInput("image grid \(image.geometry) differs from label map grid \(labelMap.geometry)")
        }
        do { try image.geometry.validate() } catch { throw ReportError.invalidInput("image geometry: \(error)") }
        guard ISODate(header.studyDate) != nil || header.studyDate == StudyHeader.unknownDate else {
            throw ReportError.invalidInput("study date '\(header.studyDate)'; expected YYYY-MM-DD or \(StudyHeader.unknownDate)")
        }
        for (n, row) in lesions.enumerated() {
            let numbers = [row.volumeML, row.longestAxialDiameterMM, row.shortAxisMM, row.max3DDiameterMM,
                           row.meanIntensity, row.stdIntensity, row.centroidLPS.x, row.centroidLPS.y, row.centroidLPS.z]
            if let bad = numbers.first(where: { !$0.isFinite }) {
                throw ReportError.invalidInput("lesion row \(n) (\(row.labelName) #\(row.lesionIndex)) has a non-finite value \(bad)")
            }
            if let prior = row.priorVolumeML, !(prior.isFinite && prior >= 0) {
                throw ReportError.invalidInput("lesion row \(n) has prior volume \(prior) mL; expected a finite number >= 0")
            }
            let sizes = [row.volumeML, row.longestAxialDiameterMM, row.shortAxisMM, row.max3DDiameterMM, row.stdIntensity]
            guard sizes.allSatisfy({ $0 >= 0 }) else {
                throw ReportError.invalidInput("lesion row \(n) has a negative volume, diameter or standard deviation; expected >= 0")
            }
            guard row.labelValue > 0, row.lesionIndex >= 1 else {
                throw ReportError.invalidInput("lesion row \(n) has label \(row.labelValue), index \(row.lesionIndex); expected >= 1")
            }
        }
        for channel in otherChannels where !channel.image.geometry.isSameGrid(as: image.geometry) {
            throw ReportError.invalidInput("channel \(channel.name) is on another grid than the first channel")
        }
        if let prior {
            guard prior.image.geometry.isSameGrid(as: prior.labelMap.geometry) else {
                throw ReportError.invalidInput("prior study image grid \(prior.image.geometry) differs from its label map grid \(prior.labelMap.geometry)")
            }
            guard ISODate(prior.studyDate) != nil || prior.studyDate == StudyHeader.unknownDate else {
                throw ReportError.invalidInput("prior study date '\(prior.studyDate)'; expected YYYY-MM-DD or \(StudyHeader.unknownDate)")
            }
            let m = prior.currentToPrior.rows.joined()
            guard m.allSatisfy(\.isFinite), prior.currentToPrior.inverse != nil else {
                throw ReportError.invalidInput("prior study transform \(prior.currentToPrior) is not an invertible finite affine map")
            }
        }
        guard smallLesionThresholdML.isFinite, smallLesionThresholdML >= 0 else {
            throw ReportError.invalidInput("small-lesion threshold \(smallLesionThresholdML) mL; expected a finite number >= 0")
        }
        let hexDigits = Set("0123456789abcdef")
        guard provenance.modelSHA256.count == 64, provenance.modelSHA256.allSatisfy({ hexDigits.contains($0) }) else {
            throw ReportError.invalidInput("model SHA-256 '\(provenance.modelSHA256)'; expected 64 lowercase hex digits")
        }
        for label in labels where label.value == 0 {
            throw ReportError.invalidInput("label '\(label.name)' has value 0, which is background")
        }
        for (n, point) in history.enumerated() {
            guard ISODate(point.studyDate) != nil || point.studyDate == StudyHeader.unknownDate else {
                throw ReportError.invalidInput("history point \(n) date '\(point.studyDate)'; expected YYYY-MM-DD")
            }
            guard point.lesionIndex.map({ $0 >= 1 }) ?? true, point.volumeML.isFinite, point.volumeML >= 0 else {
                throw ReportError.invalidInput("history point \(n): volume \(point.volumeML) mL, lesion \(point.lesionIndex.map(String.init) ?? "-"); expected a finite volume >= 0 and index >= 1")
            }
        }
        for timing in provenance.timings where !(timing.seconds.isFinite && timing.seconds >= 0) {
            throw ReportError.invalidInput("timing '\(timing.stage)' is \(timing.seconds) s; expected finite and >= 0")
        }
    }
}

/// Patient and study identification, shown as given in the report body (never used in file names).
public struct StudyHeader: Codable, Sendable, Equatable {
    public var patientID: String
    public var patientName: String?
    public var studyInstanceUID: String
    /// The study date shown when the input has none (NIfTI without --study-date, anonymised DICOM).
    public static let unknownDate = "unknown"
    /// ISO 8601 calendar date, `YYYY-MM-DD`, or `unknownDate`.
    public var studyDate: String
    public var modality: String
    public var seriesDescription: String
    public var seriesInstanceUID: String?

    public init(patientID: String, patientName: String? = nil, studyInstanceUID: String, studyDate: String,
                modality: String, seriesDescription: String, seriesInstanceUID: String? = nil) {
        self.patientID = patientID
        self.patientName = patientName
        self.studyInstanceUID = studyInstanceUID
        self.studyDate = studyDate
        self.modality = modality
        self.seriesDescription = seriesDescription
        self.seriesInstanceUID = seriesInstanceUID
    }
}

/// Which model made the segmentation, with what, and how long each stage took.
public struct Provenance: Codable, Sendable, Equatable {
    public var modelName: String
    public var modelVersion: String
    /// Hex SHA-256 of the model file.
    public var modelSHA256: String
    public var segStationVersion: String
    public var runID: String
    /// ISO 8601 date-time the run started (UTC), e.g. `2026-11-25T15:00:00Z`.
    public var startedAt: String
    public var timings: [StageTiming]
    /// Run parameters in display order.
    public var parameters: [Parameter]
    /// The model's licence, from its manifest (e.g. "CC BY-NC-SA 3.0 CH"); nil when unknown.
    public var modelLicence: String?
    /// What the model is for, from its manifest's description (model card); nil when unknown.
    public var intendedUse: String?
    /// Warnings shown prominently at the top of the report: a run forced outside the model's stated
    /// inputs, identifiers derived because the input lacked them, an unknown study date.
    public var warnings: [String]?

    public init(modelName: String, modelVersion: String, modelSHA256: String, segStationVersion: String,
                runID: String, startedAt: String, timings: [StageTiming] = [], parameters: [Parameter] = []) {
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.modelSHA256 = modelSHA256
        self.segStationVersion = segStationVersion
        self.runID = runID
        self.startedAt = startedAt
        self.timings = timings
        self.parameters = parameters
    }
}

public struct StageTiming: Codable, Sendable, Equatable {
    public var stage: String
    public var seconds: Double
    public init(stage: String, seconds: Double) { self.stage = stage; self.seconds = seconds }
}

public struct Parameter: Codable, Sendable, Equatable {
    public var name: String
    public var value: String
    public init(name: String, value: String) { self.name = name; self.value = value }
}

/// One row of the lesion table. Diameters in mm, volume in mL, intensities in image units.
public struct LesionRow: Codable, Sendable, Equatable {
    public var labelValue: UInt8
    public var labelName: String
    /// 1-based index of the lesion within its label.
    public var lesionIndex: Int
    public var volumeML: Double
    public var longestAxialDiameterMM: Double
    /// Longest diameter perpendicular to the longest axial diameter, in the same slice.
    public var shortAxisMM: Double
    public var max3DDiameterMM: Double
    public var meanIntensity: Double
    public var stdIntensity: Double
    public var centroidLPS: Vector3
    public var touchesBorder: Bool
    /// End points (LPS, mm) of the RECIST long and short axes, drawn as callipers on the lesion's key image.
    public var longAxisLPS: [Vector3]?
    public var shortAxisLPS: [Vector3]?
    /// The lesion's volume at the prior study when it is tracked (`segstation track`), mL.
    public var priorVolumeML: Double?
    /// A RECIST 1.1 target lesion of the tracked series (docs/RECIST.md); nil when not tracked.
    public var isTarget: Bool?
    /// An instance model's detection score of the lesion, mean and maximum over its slice detections
    /// (docs/INSTANCES.md); nil for lesions of a semantic model.
    public var detectionScoreMean: Double?
    public var detectionScoreMax: Double?

    /// Volume change from the prior study, percent (nil without a prior volume or when it was 0).
    public var volumeChangePercent: Double? {
        priorVolumeML.flatMap { $0 > 0 ? (volumeML - $0) / $0 * 100 : nil }
    }

    public init(labelValue: UInt8, labelName: String, lesionIndex: Int, volumeML: Double, longestAxialDiameterMM: Double,
                shortAxisMM: Double, max3DDiameterMM: Double, meanIntensity: Double, stdIntensity: Double,
                centroidLPS: Vector3, touchesBorder: Bool, longAxisLPS: [Vector3]? = nil, shortAxisLPS: [Vector3]? = nil,
                priorVolumeML: Double? = nil, isTarget: Bool? = nil, detectionScoreMean: Double? = nil, detectionScoreMax: Double? = nil) {
        self.detectionScoreMean = detectionScoreMean
        self.detectionScoreMax = detectionScoreMax
        self.labelValue = labelValue
        self.labelName = labelName
        self.lesionIndex = lesionIndex
        self.volumeML = volumeML
        self.longestAxialDiameterMM = longestAxialDiameterMM
        self.shortAxisMM = shortAxisMM
        self.max3DDiameterMM = max3DDiameterMM
        self.meanIntensity = meanIntensity
        self.stdIntensity = stdIntensity
        self.centroidLPS = centroidLPS
        self.touchesBorder = touchesBorder
        self.longAxisLPS = longAxisLPS
        self.shortAxisLPS = shortAxisLPS
        self.priorVolumeML = priorVolumeML
        self.isTarget = isTarget
    }
}

/// A label value with its display name and colour.
public struct LabelStyle: Codable, Sendable, Equatable {
    public var value: UInt8
    public var name: String
    public var color: RGB
    public init(value: UInt8, name: String, color: RGB) { self.value = value; self.name = name; self.color = color }
}

/// An 8-bit sRGB colour.
public struct RGB: Codable, Sendable, Equatable, Hashable {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8
    public init(_ red: UInt8, _ green: UInt8, _ blue: UInt8) { self.red = red; self.green = green; self.blue = blue }

    /// `#rrggbb`.
    public var hex: String {
        let digits: [Character] = Array("0123456789abcdef")
        var text = "#"
        for channel in [red, green, blue] {
            text.append(digits[Int(channel >> 4)])
            text.append(digits[Int(channel & 15)])
        }
        return text
    }

    /// Saturated colours that stay distinct from a grey-scale image (index wraps around).
    public static func palette(_ index: Int) -> RGB {
        let colours = [RGB(255, 48, 48), RGB(48, 220, 48), RGB(64, 128, 255), RGB(255, 220, 0),
                       RGB(255, 0, 255), RGB(0, 230, 230), RGB(255, 140, 0), RGB(160, 90, 255)]
        return colours[((index % colours.count) + colours.count) % colours.count]
    }
}

/// One measurement for the volume-over-time chart. `lesionIndex == nil` means the label's total.
public struct HistoryPoint: Codable, Sendable, Equatable {
    /// ISO 8601 calendar date, `YYYY-MM-DD`.
    public var studyDate: String
    public var labelName: String
    public var lesionIndex: Int?
    public var volumeML: Double

    public init(studyDate: String, labelName: String, lesionIndex: Int? = nil, volumeML: Double) {
        self.studyDate = studyDate
        self.labelName = labelName
        self.lesionIndex = lesionIndex
        self.volumeML = volumeML
    }

    /// The series this point belongs to, as the chart legend names it.
    public var seriesName: String { lesionIndex.map { "\(labelName) #\($0)" } ?? "\(labelName) (total)" }
}
