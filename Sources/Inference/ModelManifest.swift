import Foundation
import Imaging

/// A model package's manifest (`manifest.json` beside the ONNX network). Schema: docs/MODEL_PACKAGE.md.
public struct ModelManifest: Codable, Sendable, Equatable {
    public var schemaVersion: Int
    public var name: String
    public var version: String
    public var description: String
    public var licence: String
    public var network: Network
    public var inputs: [InputChannel]
    public var geometry: Geometry
    /// "2d" (slice-wise; `geometry.tensorAxes[0]` is the slice axis) or "3d".
    public var dimensionality: String
    /// Patch size over the tensor dimensions (d0, d1, d2); for 2D models `[1, height, width]`.
    public var patchSize: [Int]
    public var slidingWindow: SlidingWindow
    /// Tensor dimensions (0...2) mirrored for test-time augmentation when `--tta` is given.
    public var mirrorAxes: [Int]
    public var labels: [Label]

    public struct Network: Codable, Sendable, Equatable {
        public var file: String
        public var sha256: String
        public var inputName: String?
        public var outputName: String?
        /// "logits" or "probabilities": both are blended the same way; argmax picks the label.
        public var output: String
    }

    public struct InputChannel: Codable, Sendable, Equatable {
        public var name: String
        public var modality: String
        public var sequence: String?
        public var normalization: NormalizationSpec
    }

    /// JSON form of `Normalization`: kind "none", "zscore", "zscore-nonzero", or "ct" with
    /// lower/upper (HU) and mean/std (dataset statistics after clipping).
    public struct NormalizationSpec: Codable, Sendable, Equatable {
        public var kind: String
        public var lower: Double?
        public var upper: Double?
        public var mean: Double?
        public var std: Double?

        public func normalization() throws -> Normalization {
            switch kind {
            case "none": return .none
            case "zscore": return .zscore
            case "zscore-nonzero": return .zscoreNonzero
            case "ct":
                guard let lower, let upper, let mean, let std else {
                    throw InferenceError.modelPackage("normalization 'ct' needs lower, upper, mean and std")
                }
                return .ct(lower: lower, upper: upper, mean: mean, std: std)
            default:
                throw InferenceError.modelPackage("normalization kind '\(kind)' is not one of none, zscore, zscore-nonzero, ct")
            }
        }
    }

    public struct Geometry: Codable, Sendable, Equatable {
        /// Voxel order the network was trained on ("RAS" for nibabel-loaded training data).
        public var orientation: String
        public var spacingMM: [Double]
        /// Reoriented volume axis (0 = i, 1 = j, 2 = k) of each tensor dimension d0, d1, d2.
        public var tensorAxes: [Int]
    }

    public struct SlidingWindow: Codable, Sendable, Equatable {
        public var stepFraction: Double
        public var batchSize: Int?
    }

    /// A coded concept (DICOM code sequence item): e.g. 108369006 / SCT / "Neoplasm".
    public struct Code: Codable, Sendable, Equatable {
        public var code: String
        public var scheme: String
        public var meaning: String
    }

    public struct Label: Codable, Sendable, Equatable {
        public var value: Int
        public var name: String
        public var colorRGB: [Int]
        public var category: Code
        public var type: Code
    }

    public var is2D: Bool { dimensionality == "2d" }

    /// Checks the manifest's internal consistency.
    public func validate() throws {
        func fail(_ m: String) -> InferenceError { .modelPackage("manifest of '\(name)': \(m)") }
        guard schemaVersion == 1 else { throw fail("schemaVersion \(schemaVersion); expected 1") }
        guard ["2d", "3d"].contains(dimensionality) else { throw fail("dimensionality '\(dimensionality)'; expected 2d or 3d") }
        guard patchSize.count == 3, patchSize.allSatisfy({ $0 >= 1 && $0 <= 4096 }) else { throw fail("patchSize \(patchSize); expected 3 positive sizes") }
        guard !is2D || patchSize[0] == 1 else { throw fail("2D models have patchSize [1, h, w]; found \(patchSize)") }
        guard geometry.spacingMM.count == 3, geometry.spacingMM.allSatisfy({ $0 > 0 }) else { throw fail("geometry.spacingMM \(geometry.spacingMM)") }
        guard Set(geometry.tensorAxes) == [0, 1, 2], geometry.tensorAxes.count == 3 else { throw fail("geometry.tensorAxes \(geometry.tensorAxes); expected a permutation of 0, 1, 2") }
        _ = try AxisOrientation.parse(geometry.orientation)
        guard !inputs.isEmpty else { throw fail("no input channels") }
        guard slidingWindow.stepFraction > 0, slidingWindow.stepFraction <= 1 else { throw fail("slidingWindow.stepFraction \(slidingWindow.stepFraction); expected (0, 1]") }
        guard mirrorAxes.allSatisfy({ (0...2).contains($0) }) else { throw fail("mirrorAxes \(mirrorAxes)") }
        guard !labels.isEmpty, labels.allSatisfy({ (1...255).contains($0.value) && $0.colorRGB.count == 3 }) else { throw fail("labels need values 1...255 and RGB colours") }
        guard Set(labels.map(\.value)).count == labels.count else { throw fail("duplicate label values") }
        for input in inputs { _ = try input.normalization.normalization() }
    }

    /// The preprocessing this manifest asks for.
    public func preprocessingPlan() throws -> PreprocessingPlan {
        PreprocessingPlan(orientation: geometry.orientation,
                          spacingMM: Vector3(geometry.spacingMM[0], geometry.spacingMM[1], geometry.spacingMM[2]),
                          normalizations: try inputs.map { try $0.normalization.normalization() },
                          channelNames: inputs.map(\.name), tensorAxes: geometry.tensorAxes)
    }

    /// Sliding-window options; classes = background + labels.
    public func slidingWindowOptions(tta: Bool) -> SlidingWindowOptions {
        SlidingWindowOptions(patch: patchSize, classes: labels.count + 1, stepFraction: slidingWindow.stepFraction,
                             mirrorAxes: tta ? mirrorAxes : [], batchSize: slidingWindow.batchSize ?? (is2D ? 8 : 1))
    }

    public static func load(from url: URL) throws -> ModelManifest {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw InferenceError.modelPackage("cannot read \(url.path): \(error.localizedDescription)")
        }
        do {
            let manifest = try JSONDecoder().decode(ModelManifest.self, from: data)
            try manifest.validate()
            return manifest
        } catch let error as InferenceError {
            throw error
        } catch {
            throw InferenceError.modelPackage("\(url.path) is not a valid manifest: \(error)")
        }
    }
}
