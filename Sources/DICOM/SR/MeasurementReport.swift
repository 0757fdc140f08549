import Core
internal import CDCMTKBridge
import Foundation
import Imaging

/// One lesion's measurements for the SR, as the Lesions layer computes them.
public struct LesionReportItem: Sendable, Equatable {
    /// 1-based lesion number, written as Tracking Identifier "Lesion N" unless `trackingIdentifier` is given.
    public var lesionIndex: Int
    /// The SEG segment holding the lesion (Referenced Segment).
    public var segmentNumber: Int
    /// SNOMED CT "Volume" (118565006), mL.
    public var volumeML: Double
    /// The maximum 3D diameter (Feret), written as SNOMED CT "Diameter" (81827009) with the TID 1419
    /// derivation SNOMED CT "Maximum" (56851009), in mm. Not a RECIST long axis.
    public var maximum3DDiameterMM: Double
    /// RECIST long axis, SNOMED CT "Long Axis" (103339001), mm: the longest in-slice diameter; nil to omit
    /// (both axes are written or neither).
    public var recistLongAxisMM: Double?
    /// RECIST short axis, SNOMED CT "Short Axis" (103340004), mm: the longest diameter perpendicular to the long axis.
    public var recistShortAxisMM: Double?
    /// Mean intensity inside the lesion (SNOMED CT "Mean", 373098007), in `intensityUnit`; nil to omit.
    public var meanIntensity: Double?
    /// UCUM unit of `meanIntensity`; Hounsfield units by default.
    public var intensityUnit: CodedConcept
    /// Finding (e.g. the segment's property type); SNOMED CT "Lesion" by default.
    public var finding: CodedConcept
    /// Tracking Identifier (112039, DCM); nil: "Lesion <lesionIndex>". The same for one lesion across studies once tracked.
    public var trackingIdentifier: String?
    /// Tracking Unique Identifier (112040, DCM); nil: a new UID. The same for one lesion across studies once tracked.
    public var trackingUID: String?
    /// A detector's score (0-1) of an instance, mean and maximum over its slices, written as DCM "Certainty of
    /// Finding" (111012) in percent with the derivations SNOMED CT "Mean" and "Maximum"; nil to omit.
    public var detectionScore: DetectionScore?

    public struct DetectionScore: Sendable, Equatable {
        public var mean: Double
        public var max: Double
        public init(mean: Double, max: Double) { self.mean = mean; self.max = max }
    }

    public init(lesionIndex: Int, segmentNumber: Int, volumeML: Double, maximum3DDiameterMM: Double,
                recistLongAxisMM: Double? = nil, recistShortAxisMM: Double? = nil, meanIntensity: Double?,
                intensityUnit: CodedConcept = .hounsfieldUnit, finding: CodedConcept = .lesion,
                trackingIdentifier: String? = nil, trackingUID: String? = nil, detectionScore: DetectionScore? = nil) {
        self.lesionIndex = lesionIndex; self.segmentNumber = segmentNumber; self.volumeML = volumeML
        self.maximum3DDiameterMM = maximum3DDiameterMM; self.recistLongAxisMM = recistLongAxisMM
        self.recistShortAxisMM = recistShortAxisMM; self.meanIntensity = meanIntensity
        self.intensityUnit = intensityUnit; self.finding = finding
        self.trackingIdentifier = trackingIdentifier; self.trackingUID = trackingUID; self.detectionScore = detectionScore
    }
}

extension CodedConcept {
    /// UCUM "[hnsf'U]".
    public static let hounsfieldUnit = CodedConcept(value: "[hnsf'U]", scheme: "UCUM", meaning: "Hounsfield unit")
    /// UCUM "1" (no unit), for normalised MR intensities.
    public static let noUnit = CodedConcept(value: "1", scheme: "UCUM", meaning: "no units")
}

/// The observer device and SR series labels.
public struct MeasurementReportOptions: Sendable, Equatable {
    public var deviceName = "SegStation"
    public var manufacturer = "SegStation"
    /// The segmentation model (Manufacturer's Model Name of the device observer).
    public var modelName: String
    public var softwareVersion: String
    public var seriesDescription = "Measurements"
    public var seriesNumber = 301
    public var instanceNumber = 1

    public init(modelName: String, softwareVersion: String) {
        self.modelName = modelName; self.softwareVersion = softwareVersion
    }

    /// A stable device UID derived from name, model and version.
    public var deviceUID: String { DerivedIdentity.uid("device|\(deviceName)|\(modelName)|\(softwareVersion)") }
}

/// Writes DICOM SR TID 1500 measurement reports with DCMTK's dcmsr (Comprehensive SR).
public enum MeasurementReportWriter {
    /// One TID 1411 volumetric group per measurement, referencing segment `segmentNumber` of `seg`
    /// and `source`'s series; image library entries for the source files; patient/study from the SEG.
    /// Written atomically. Returns the SR's SOP Instance UID.
    /// - Throws: `DICOMError.invalidArgument` (no measurement, segment missing from the SEG, non-finite
    ///   values), `.badInput` (unreadable SEG or source), `.outputFailed`.
    @discardableResult
    public static func write(_ measurements: [LesionReportItem], seg: URL, source: SEGSourceSeries,
                             options: MeasurementReportOptions, to url: URL) throws -> String {
        guard !measurements.isEmpty else { throw DICOMError.invalidArgument("no lesion measurement to report") }
        let document = try SEGDocument(contentsOf: seg)
        let numbers = Set(document.segments.map(\.labelValue))
        for m in measurements {
            guard numbers.contains(m.segmentNumber) else {
                throw DICOMError.invalidArgument("lesion \(m.lesionIndex): segment \(m.segmentNumber) is not in \(seg.path) (segments \(numbers.sorted()))")
            }
            guard m.volumeML.isFinite, m.maximum3DDiameterMM.isFinite, m.meanIntensity?.isFinite ?? true,
                  m.recistLongAxisMM?.isFinite ?? true, m.recistShortAxisMM?.isFinite ?? true,
                  m.detectionScore.map({ $0.mean.isFinite && $0.max.isFinite }) ?? true else {
                throw DICOMError.invalidArgument("lesion \(m.lesionIndex): measurements must be finite")
            }
        }
        let sourcePaths = Array(Set(source.frames.map(\.path))).sorted()
        var uid = [CChar](repeating: 0, count: 80)
        var error = ssdcm_status()
        let strings = [seg.path, source.seriesInstanceUID, options.deviceUID, options.deviceName, options.manufacturer,
                       options.modelName, options.softwareVersion, options.seriesDescription]
        let codes = measurements.flatMap { [$0.finding.value, $0.finding.scheme, $0.finding.meaning,
                                            $0.intensityUnit.value, $0.intensityUnit.scheme, $0.intensityUnit.meaning,
                                            $0.trackingIdentifier ?? "", $0.trackingUID ?? ""] }
        try AtomicFile.write(to: url) { temporary in
            let status = withCStrings(strings + sourcePaths + codes) { s -> Int32 in
                let paths = Array(s[strings.count..<(strings.count + sourcePaths.count)]).map { Optional($0) }
                let c = Array(s[(strings.count + sourcePaths.count)...])
                let items = measurements.enumerated().map { i, m in
                    let k = 8 * i
                    return ssseg_sr_measurement(lesion_index: Int32(m.lesionIndex), segment_number: UInt16(m.segmentNumber),
                                                finding: ssseg_code(code_value: c[k], coding_scheme: c[k + 1], code_meaning: c[k + 2]),
                                                volume_ml: m.volumeML, max_3d_diameter_mm: m.maximum3DDiameterMM,
                                                has_mean_intensity: m.meanIntensity == nil ? 0 : 1, mean_intensity: m.meanIntensity ?? 0,
                                                intensity_unit: ssseg_code(code_value: c[k + 3], coding_scheme: c[k + 4], code_meaning: c[k + 5]),
                                                has_recist: m.recistLongAxisMM != nil && m.recistShortAxisMM != nil ? 1 : 0,
                                                recist_long_mm: m.recistLongAxisMM ?? 0, recist_short_mm: m.recistShortAxisMM ?? 0,
                                                tracking_identifier: m.trackingIdentifier == nil ? nil : c[k + 6],
                                                tracking_uid: m.trackingUID == nil ? nil : c[k + 7],
                                                has_detection_score: m.detectionScore == nil ? 0 : 1,
                                                detection_score_mean: m.detectionScore?.mean ?? 0, detection_score_max: m.detectionScore?.max ?? 0)
                }
                return paths.withUnsafeBufferPointer { pathBuffer in
                    var spec = ssseg_sr_spec()
                    spec.seg_path = s[0]; spec.source_series_uid = s[1]; spec.device_uid = s[2]; spec.device_name = s[3]
                    spec.manufacturer = s[4]; spec.model_name = s[5]; spec.software_version = s[6]; spec.series_description = s[7]
                    spec.source_paths = pathBuffer.baseAddress; spec.source_count = Int32(sourcePaths.count)
                    spec.series_number = Int32(options.seriesNumber); spec.instance_number = Int32(options.instanceNumber)
                    return ssseg_sr_write(&spec, items, Int32(items.count), temporary.path, &uid, &error)
                }
            }
            guard status == 0 else { throw DICOMError.bridge(status, error, file: url.path) }
        }
        return String(cBuffer: uid)
    }
}
