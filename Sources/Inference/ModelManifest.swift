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
    /// The voxel order the network was trained on.
    public var orientation: VoxelOrientation
    public var targetSpacingMM: [Double]
    /// Slice-wise along `sliceAxis`, or volumetric.
    public var dimensionality: Dimensionality
    public var sliceAxis: String?
    public var patchSizeIJK: [Int]
    public var cropToForeground: Bool?
    public var slidingWindow: SlidingWindow
    /// Volume axes ("i", "j", "k") mirrored for test-time augmentation when `--tta` is given (not used by
    /// an instances model: `--tta` is refused for it).
    public var mirrorAxes: [String]
    public var output: Output
    public var labels: [Label]
    /// Body parts (DICOM BodyPartExamined terms, e.g. "BRAIN", "HEAD") the model was trained on;
    /// nil or empty: not stated. Modalities are per input channel (`inputs[].modality`).
    public var bodyParts: [String]?
    /// Further networks (cross-validation folds) run on the same patches as `network`: the folds'
    /// probabilities are averaged before the decision. Absent or empty: one network.
    public var ensemble: [Network]?

    /// "LPS" or "RAS" (docs/MODEL_PACKAGE.md, "Frames and axes").
    public enum VoxelOrientation: String, Codable, Sendable, Equatable { case lps = "LPS", ras = "RAS" }
    /// "2d" or "3d".
    public enum Dimensionality: String, Codable, Sendable, Equatable { case twoD = "2d", threeD = "3d" }
    /// What the network outputs: raw scores or probabilities (softmax / sigmoid already applied).
    public enum ScoreKind: String, Codable, Sendable, Equatable { case logits, probabilities }
    /// How blended scores become labels: argmax over classes (semantic), or per-region thresholds
    /// in precedence order (nnU-Net's region-based training, e.g. BraTS whole tumour / core / enhancing);
    /// or no blending at all: a 2D detector whose per-slice detections become instances
    /// (`instances`, Mask R-CNN; settings in `output.instances`, see `InstanceSettings`).
    public enum Decision: String, Codable, Sendable, Equatable { case argmax, regions, instances }

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
        public enum Kind: String, Codable, Sendable, Equatable {
            case none, zscore, zscoreNonzero = "zscore-nonzero", zscoreForeground = "zscore-foreground"
            case ctClipZscore = "ct-clip-zscore", clipScale = "clip-scale"
        }
        public var kind: Kind
        public var foreground: String?
        public var clip: [Double]?
        public var to: [Double]?
        public var mean: Double?
        public var std: Double?

        public func normalization() throws -> Normalization {
            switch kind {
            case .none: return .none
            case .zscore: return .zscore
            case .zscoreNonzero: return .zscoreNonzero
            case .zscoreForeground:
                guard foreground == nil || foreground == "greater-than-minimum" else {
                    throw InferenceError.modelPackage("zscore-foreground: foreground '\(foreground!)' is not greater-than-minimum")
                }
                return .zscoreAboveMinimum
            case .ctClipZscore:
                guard let clip, clip.count == 2, let mean, let std else {
                    throw InferenceError.modelPackage("ct-clip-zscore needs clip [lo, hi], mean and std")
                }
                return .ct(lower: clip[0], upper: clip[1], mean: mean, std: std)
            case .clipScale:
                guard let clip, clip.count == 2, let to, to.count == 2, clip[1] > clip[0] else {
                    throw InferenceError.modelPackage("clip-scale needs clip [lo, hi] with lo < hi and to [b0, b1]")
                }
                return .clipScale(lower: clip[0], upper: clip[1], to0: to[0], to1: to[1])
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
        public var kind: ScoreKind
        /// Output channels: background + labels (argmax), or one per region (regions).
        public var classes: Int
        public var aggregation: String?
        /// Absent: argmax.
        public var decision: Decision?
        /// For `decision` regions: one entry per output channel, in order of application; a later
        /// region overwrites an earlier one where both hold, so the last has precedence.
        public var regions: [Region]?
        /// For `decision` instances: thresholds, suppression, linking and output names (defaults
        /// when absent).
        public var instances: InstanceSettings?
    }

    /// One sigmoid output channel of a region-based model.
    public struct Region: Codable, Sendable, Equatable {
        public var name: String
        /// Label value written where the region's probability exceeds `threshold`.
        public var label: Int
        /// Probability threshold (nnU-Net: 0.5); strictly greater-than.
        public var threshold: Double?
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

    public var is2D: Bool { dimensionality == .twoD }
    public var decision: Decision { output.decision ?? .argmax }
    /// The instance model's settings (defaults when `output.instances` is absent).
    public var instanceSettings: InstanceSettings { output.instances ?? InstanceSettings() }
    /// `network` followed by the ensemble's other folds.
    public var networks: [Network] { [network] + (ensemble ?? []) }
}
