import Foundation
import Imaging

/// A model package's manifest (`manifest.json` beside the ONNX network). Every field is documented
/// in docs/MODEL_PACKAGE.md; IJK-suffixed arrays are in volume axis order (i, j, k).
public struct ModelManifest: Codable, Sendable, Equatable {
    public var schemaVersion: Int
    public var name: String
    public var version: String
    public var description: String
    public var licence: String
    public var network: Network
    public var inputs: [InputChannel]
    /// "LPS" or "RAS": the voxel order the network was trained on.
    public var orientation: String
    public var targetSpacingMM: [Double]
    /// "2d" (slice-wise along `sliceAxis`) or "3d".
    public var dimensionality: String
    public var sliceAxis: String?
    public var patchSizeIJK: [Int]
    public var cropToForeground: Bool?
    public var slidingWindow: SlidingWindow
    /// Volume axes ("i", "j", "k") mirrored for test-time augmentation when `--tta` is given.
    public var mirrorAxes: [String]
    public var output: Output
    public var labels: [Label]
    /// Body parts (DICOM BodyPartExamined terms, e.g. "BRAIN", "HEAD") the model was trained on;
    /// nil or empty: not stated. Modalities are per input channel (`inputs[].modality`).
    public var bodyParts: [String]?

    public struct Network: Codable, Sendable, Equatable {
        public var file: String
        public var format: String?
        public var opset: Int?
        public var sha256: String
        public var inputName: String?
        public var outputName: String?
        /// The ONNX input's axes in volume terms: `["N","C","k","j","i"]` (3D) or `["k","C","j","i"]` (2D,
        /// slices in the batch axis).
        public var tensorAxes: [String]
    }

    public struct InputChannel: Codable, Sendable, Equatable {
        public var name: String
        public var modality: String
        public var sequence: String?
        public var normalization: NormalizationSpec
    }

    /// JSON form of `Normalization` (kinds in docs/MODEL_PACKAGE.md).
    public struct NormalizationSpec: Codable, Sendable, Equatable {
        public var kind: String
        public var foreground: String?
        public var clip: [Double]?
        public var to: [Double]?
        public var mean: Double?
        public var std: Double?

        public func normalization() throws -> Normalization {
            switch kind {
            case "none": return .none
            case "zscore": return .zscore
            case "zscore-nonzero": return .zscoreNonzero
            case "zscore-foreground":
                guard foreground == nil || foreground == "greater-than-minimum" else {
                    throw InferenceError.modelPackage("zscore-foreground: foreground '\(foreground!)' is not greater-than-minimum")
                }
                return .zscoreAboveMinimum
            case "ct-clip-zscore":
                guard let clip, clip.count == 2, let mean, let std else {
                    throw InferenceError.modelPackage("ct-clip-zscore needs clip [lo, hi], mean and std")
                }
                return .ct(lower: clip[0], upper: clip[1], mean: mean, std: std)
            case "clip-scale":
                guard let clip, clip.count == 2, let to, to.count == 2, clip[1] > clip[0] else {
                    throw InferenceError.modelPackage("clip-scale needs clip [lo, hi] with lo < hi and to [b0, b1]")
                }
                return .clipScale(lower: clip[0], upper: clip[1], to0: to[0], to1: to[1])
            default:
                throw InferenceError.modelPackage("normalization kind '\(kind)' is not one of none, zscore, zscore-nonzero, zscore-foreground, ct-clip-zscore, clip-scale")
            }
        }
    }

    public struct SlidingWindow: Codable, Sendable, Equatable {
        public var stepFraction: Double
        public var importance: String?
        public var sigmaFraction: Double?
        public var padValue: Double?
        /// Patches per network call (2D: slices per batch). Default 8 for 2D, 1 for 3D.
        public var batchSize: Int?
    }

    public struct Output: Codable, Sendable, Equatable {
        public var kind: String
        public var classes: Int
        public var aggregation: String?
        public var decision: String?
    }

    /// A coded concept (DICOM code sequence item): e.g. 108369006 / SCT / "Neoplasm".
    public struct Code: Codable, Sendable, Equatable {
        public var code: String
        public var scheme: String
        public var meaning: String
    }

    /// `value` is both the output class index and the label value written to masks.
    public struct Label: Codable, Sendable, Equatable {
        public var value: Int
        public var name: String
        public var colorRGB: [Int]
        public var category: Code
        public var type: Code
    }

    public var is2D: Bool { dimensionality == "2d" }
}
