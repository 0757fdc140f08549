import Foundation
import Imaging

extension ModelManifest {
    static let axisIndex: [String: Int] = ["i": 0, "j": 1, "k": 2]

    /// Volume axis (0 = i, 1 = j, 2 = k) of each spatial tensor dimension d0, d1, d2.
    public func spatialTensorAxes() throws -> [Int] {
        let axes = network.tensorAxes
        let spatial: [String]
        if decision == .instances {
            // One slice per run, no batch axis (torchvision's wrapped export): [C, a, b].
            guard is2D, axes.count == 3, axes[0] == "C" else { throw fail("an instances model is 2d with network.tensorAxes [\"C\", a, b]; found \(axes)") }
            spatial = [sliceAxis ?? "k", axes[1], axes[2]]
        } else if is2D {
            guard axes.count == 4, axes[1] == "C" else { throw fail("2d network.tensorAxes must be [slice, \"C\", a, b]; found \(axes)") }
            spatial = [axes[0], axes[2], axes[3]]
        } else {
            guard axes.count == 5, axes[0] == "N", axes[1] == "C" else { throw fail("3d network.tensorAxes must be [\"N\", \"C\", a, b, c]; found \(axes)") }
            spatial = Array(axes[2...])
        }
        let indices = spatial.compactMap { Self.axisIndex[$0] }
        guard indices.count == 3, Set(indices).count == 3 else { throw fail("network.tensorAxes \(axes) must name i, j and k once each") }
        if is2D, let slice = sliceAxis, Self.axisIndex[slice] != indices[0] {
            throw fail("sliceAxis '\(slice)' is not the batch axis of network.tensorAxes \(axes)")
        }
        return indices
    }

    /// Patch size over the tensor dimensions (d0, d1, d2); the slice axis of a 2D model has size 1.
    public func tensorPatch() throws -> [Int] {
        try spatialTensorAxes().map { patchSizeIJK[$0] }
    }

    func fail(_ message: String) -> InferenceError { .modelPackage("manifest of '\(name)': \(message)") }

    /// Checks the manifest's internal consistency.
    public func validate() throws {
        guard schemaVersion == 1 else { throw fail("schemaVersion \(schemaVersion); expected 1") }
        guard patchSizeIJK.count == 3, patchSizeIJK.allSatisfy({ $0 >= 1 && $0 <= 4096 }) else { throw fail("patchSizeIJK \(patchSizeIJK); expected 3 sizes in 1...4096") }
        let axes = try spatialTensorAxes()
        guard !is2D || patchSizeIJK[axes[0]] == 1 else { throw fail("a 2d model's patch is 1 along the slice axis; found \(patchSizeIJK)") }
        guard targetSpacingMM.count == 3, targetSpacingMM.allSatisfy({ $0 > 0 && $0.isFinite }) else { throw fail("targetSpacingMM \(targetSpacingMM)") }
        guard !inputs.isEmpty else { throw fail("no input channels") }
        guard slidingWindow.stepFraction > 0, slidingWindow.stepFraction <= 1 else { throw fail("slidingWindow.stepFraction \(slidingWindow.stepFraction); expected (0, 1]") }
        if let sigma = slidingWindow.sigmaFraction, abs(sigma - 0.125) > 1e-9 { throw fail("slidingWindow.sigmaFraction \(sigma): only 0.125 is supported") }
        if let importance = slidingWindow.importance, importance != "gaussian" { throw fail("slidingWindow.importance '\(importance)': only gaussian is supported") }
        guard mirrorAxes.allSatisfy({ Self.axisIndex[$0] != nil }) else { throw fail("mirrorAxes \(mirrorAxes) must be i, j or k") }
        guard !labels.isEmpty else { throw fail("labels is empty; a model segments at least one label") }
        switch decision {
        case .argmax:
            guard output.instances == nil else { throw fail("output.instances needs output.decision \"instances\"") }
            guard output.regions == nil else { throw fail("output.regions needs output.decision \"regions\"") }
            guard output.classes == labels.count + 1 else { throw fail("output.classes \(output.classes) must be the labels (\(labels.count)) plus background") }
        case .instances:
            guard output.regions == nil else { throw fail("output.regions needs output.decision \"regions\"") }
            guard output.classes == labels.count + 1 else { throw fail("output.classes \(output.classes) must be the labels (\(labels.count)) plus background") }
            guard output.kind == .probabilities else { throw fail("output.kind of an instances model is \"probabilities\" (the detector's scores and mask probabilities)") }
            guard ensemble?.isEmpty ?? true else { throw fail("ensemble: an instances model runs one detector") }
        case .regions:
            guard output.instances == nil else { throw fail("output.instances needs output.decision \"instances\"") }
            guard let regions = output.regions, regions.count == output.classes, !regions.isEmpty else {
                throw fail("output.decision regions needs one output.regions entry per output channel (\(output.classes))")
            }
            for r in regions {
                guard labels.contains(where: { $0.value == r.label }) else { throw fail("region '\(r.name)' writes label \(r.label), which is not in labels") }
                if let t = r.threshold, !(t > 0 && t < 1) { throw fail("region '\(r.name)' threshold \(t); expected (0, 1)") }
            }
        }
        guard Set(networks.map(\.file)).count == networks.count else { throw fail("network and ensemble name the same file twice") }
        guard labels.map(\.value) == Array(1...labels.count) else { throw fail("labels[].value must be the class indices 1...\(labels.count) in order") }
        guard labels.count <= 255, labels.allSatisfy({ $0.colorRGB.count == 3 }) else { throw fail("at most 255 labels, each with an RGB colour") }
        for label in labels where !label.colorRGB.allSatisfy({ (0...255).contains($0) }) {
            throw fail("labels[\(label.value - 1)].colorRGB \(label.colorRGB); expected three values in 0...255")
        }
        if let batch = slidingWindow.batchSize, !(1...1024).contains(batch) {
            throw fail("slidingWindow.batchSize \(batch); expected 1...1024")
        }
        guard Self.isValidName(name) else { throw fail("name '\(name)' must match [a-z0-9-]+ (lower-case letters, digits, hyphens)") }
        for input in inputs { _ = try input.normalization.normalization() }
    }

    /// The documented package name rule: `[a-z0-9-]+`.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    }

    /// The preprocessing this manifest asks for.
    public func preprocessingPlan() throws -> PreprocessingPlan {
        var plan = PreprocessingPlan(orientation: orientation.rawValue,
                                     spacingMM: Vector3(targetSpacingMM[0], targetSpacingMM[1], targetSpacingMM[2]),
                                     normalizations: try inputs.map { try $0.normalization.normalization() },
                                     channelNames: inputs.map(\.name), tensorAxes: try spatialTensorAxes())
        plan.cropToForeground = cropToForeground ?? true
        plan.padValue = Float(slidingWindow.padValue ?? 0)
        return plan
    }

    /// Sliding-window options in tensor terms; classes = output channels.
    public func slidingWindowOptions(tta: Bool) throws -> SlidingWindowOptions {
        let axes = try spatialTensorAxes()
        let mirror = tta ? mirrorAxes.compactMap { Self.axisIndex[$0] }.compactMap { axes.firstIndex(of: $0) }.filter { !is2D || $0 != 0 } : []
        return SlidingWindowOptions(patch: try tensorPatch(), classes: output.classes, stepFraction: slidingWindow.stepFraction,
                                    mirrorAxes: mirror.sorted(), batchSize: slidingWindow.batchSize ?? (is2D ? 8 : 1))
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
