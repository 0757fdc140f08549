import DICOM
import Foundation
import Imaging
import Lesions

/// The one place that turns measurements into SR TID 1500 measurement groups, for `segment` and for
/// `export-sr` alike: ONE GROUP PER LESION (connected component, 26-connected) of each segment, with
/// "Lesion N" tracking identifiers numbered through the report. Per lesion, because that is what the
/// report, the database (`lesion` rows) and `segstation lesions` show: a reader finds in the SR
/// the same lesions, volumes and diameters as on the report. (A group per segment would give one
/// number for several separate lesions and a longest diameter spanning between them.)
public enum MeasurementItems {
    /// One segment's lesions, as `LesionAnalyzer` measured them.
    public struct Segment {
        public var number: Int
        public var finding: CodedConcept
        public var lesions: [LesionMeasurement]
        /// Tracked identities by 1-based lesion index within the segment (`track`): "Lesion N" and its tracking UID.
        public var identities: [Int: (number: Int, uid: String)]
        public init(number: Int, finding: CodedConcept = .lesion, lesions: [LesionMeasurement],
                    identities: [Int: (number: Int, uid: String)] = [:]) {
            self.number = number; self.finding = finding; self.lesions = lesions; self.identities = identities
        }
    }

    /// The measurement groups, segment by segment, lesion by lesion; intensities in HU for CT, else no unit.
    /// Each group has the volume, the RECIST long and short axes, the maximum 3D diameter (each coded as
    /// what it is, docs/REPORTS.md), the mean intensity and, for a detector's instance, its score. A tracked lesion carries its identity
    /// ("Lesion N" of the patient, tracking UID), the same at every study; others "Lesion k" and a new UID.
    public static func items(_ segments: [Segment], modality: String?) -> [LesionReportItem] {
        let unit: CodedConcept = modality == "CT" ? .hounsfieldUnit : .noUnit
        var items = [LesionReportItem]()
        for segment in segments {
            for (index, m) in segment.lesions.enumerated() {
                let identity = segment.identities[index + 1]
                items.append(LesionReportItem(lesionIndex: items.count + 1, segmentNumber: segment.number, volumeML: m.volumeML,
                                              maximum3DDiameterMM: m.shape.maximum3DDiameterMM, recistLongAxisMM: m.recist?.longAxisMM,
                                              recistShortAxisMM: m.recist?.shortAxisMM, meanIntensity: m.intensity?.mean,
                                              intensityUnit: unit, finding: segment.finding,
                                              trackingIdentifier: identity.map { "Lesion \($0.number)" }, trackingUID: identity?.uid,
                                              detectionScore: m.detectionScore.map { .init(mean: $0.mean, max: $0.max) }))
            }
        }
        return items
    }

    /// The segments of a SEG measured on the loaded image: each segment's mask is placed on the image
    /// grid (nearest) and split into lesions.
    public static func segments(of document: SEGDocument, on source: SEGSourceSeries, image: Volume<Float>) throws -> [Segment] {
        let masks = try document.segmentMasks(on: source)
        var result = [Segment]()
        for segment in document.segments where segment.labelValue > 0 {
            guard let mask = masks[segment.labelValue] else { continue }
            let onImage = mask.geometry.isSameGrid(as: image.geometry, toleranceMM: 0.01)
                ? Volume(geometry: image.geometry, voxels: mask.voxels)
                : mask.resampled(onto: image.geometry, interpolation: .nearest, outside: 0)
            let lesions = try LesionAnalyzer.measure(labels: onImage, image: image, label: 1).first?.lesions ?? []
            result.append(Segment(number: segment.labelValue, finding: segment.type.value.isEmpty ? .lesion : segment.type, lesions: lesions))
        }
        return result
    }
}
