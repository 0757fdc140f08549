import Inference

/// A model package with its network loaded once, for callers that segment many studies with the same
/// model (the service's workers): pass it to `SegmentJob.run(_:model:)` to skip loading per job.
/// Not for concurrent use: one per worker thread.
public final class LoadedModel: @unchecked Sendable {
    public let package: ModelPackage
    public let network: PatchNetwork

    /// Resolves `nameOrPath` as `segment --model` does and loads its network (or its ensemble of folds)
    /// with `threads` threads.
    public init(_ nameOrPath: String?, threads: Int?) throws {
        package = try ModelPackage.resolve(nameOrPath)
        network = try EngineNetwork.load(package: package, threads: threads)
    }
}
