import Foundation

/// Which implementation runs the operators.
public enum Backend: String, Sendable, CaseIterable {
    /// Plain Swift loops: slow, obviously correct; the yardstick in tests.
    case reference
    /// oneDNN primitives in blocked layouts, fused post-ops, a reused buffer plan.
    case fast
}

/// Activation layout of the fast backend's convolutions.
public enum ConvolutionLayout: String, Sendable, CaseIterable {
    /// oneDNN's own choice per CPU and shape (source and destination created with format `any`):
    /// on AVX-512 Xeons oneDNN 2.6 picks `brgconv:avx512_core` on channels-last (ndhwc) data.
    /// Values are reordered only where a consumer was built for another layout.
    case onednn
    /// oneDNN's channel-blocked layout (nCdhw16c / nChw16c) for every convolution (`jit:avx512_core`
    /// on AVX-512), the engine's choice before issue 16; kept for comparison (`model bench --layout`).
    case blocked
}

/// Runs an `ONNXModel` on inputs. A session specialises the model to each distinct set of input
/// shapes once (constant folding, shape inference, oneDNN primitive creation) and caches it.
/// Not thread-safe: use one session per thread.
public final class InferenceSession {
    public let model: ONNXModel
    public let backend: Backend
    /// Threads oneDNN may use (nil: the OpenMP default, OMP_NUM_THREADS or all cores).
    public let threads: Int?
    /// Convolution activation layout of the fast backend.
    public let layout: ConvolutionLayout
    /// Whether the fast backend may run 3x3 convolutions as Winograd (`FastDilatedWinograd.swift`).
    public let winograd: Bool
    private var plans: [[Int]: Plan] = [:]
    /// Each plan's `peakBytes`, computed once (every run checks it against the memory budget).
    private var peaks: [[Int]: Int?] = [:]
    private var fastExecutors: [[Int]: FastExecutor] = [:]

    public init(model: ONNXModel, backend: Backend = .fast, threads: Int? = nil, layout: ConvolutionLayout = .onednn, winograd: Bool = true) throws {
        if let t = threads, t < 1 || t > 1024 { throw EngineError.invalidInput("thread count \(t) must be between 1 and 1024") }
        self.model = model; self.backend = backend; self.threads = threads; self.layout = layout; self.winograd = winograd
    }

    /// Input names in model order.
    public var inputNames: [String] { model.inputs.map(\.name) }
    /// Output names in model order.
    public var outputNames: [String] { model.outputs.map(\.name) }

    /// Runs the model. `inputs` maps every model input name to a tensor; returns every model output.
    public func run(_ inputs: [String: Tensor]) throws -> [String: Tensor] {
        let shapes = inputs.mapValues(\.shape)
        let plan = try self.plan(for: shapes)
        try plan.requireWithinBudget(shapes, peakBytes: peak(plan, shapes))
        for name in plan.inputNames {
            guard let t = inputs[name], plan.values[name]?.shape == t.shape else { throw EngineError.invalidInput("missing input '\(name)'") }
        }
        switch backend {
        case .reference: return try ReferenceExecutor.run(plan, inputs: inputs)
        case .fast: return try fastExecutor(plan, shapes).run(inputs)
        }
    }

    /// Runs like `run`, also returning seconds spent per operator label (fast backend; labels such
    /// as "Conv+act" mark fused activations, "(reference)" marks fallbacks). Slower: it waits after
    /// every step.
    public func runProfiled(_ inputs: [String: Tensor]) throws -> (outputs: [String: Tensor], secondsByOperator: [String: Double]) {
        let shapes = inputs.mapValues(\.shape)
        let plan = try self.plan(for: shapes)
        try plan.requireWithinBudget(shapes, peakBytes: peak(plan, shapes))
        guard backend == .fast else {
            let start = Date()
            let out = try ReferenceExecutor.run(plan, inputs: inputs)
            return (out, ["all (reference)": Date().timeIntervalSince(start)])
        }
        let ex = try fastExecutor(plan, shapes)
        let out = try ex.run(inputs, profile: true)
        return (out, ex.profile)
    }

    /// Bytes of activation buffers the fast backend allocates for these input shapes (weights excluded).
    public func activationBytes(inputShapes: [String: [Int]]) throws -> Int {
        try fastExecutor(try plan(for: inputShapes), inputShapes).activationBytes
    }

    /// Labels of the compiled fast-backend steps, in order (for tests and diagnostics).
    func fastStepLabels(inputShapes: [String: [Int]]) throws -> [String] {
        try fastExecutor(try plan(for: inputShapes), inputShapes).stepLabels
    }

    /// The outputs the fast executor reorders straight into the returned tensors (tests).
    func fastHandedOverOutputs(inputShapes: [String: [Int]]) throws -> [String] {
        try fastExecutor(try plan(for: inputShapes), inputShapes).outputReorders.keys.sorted()
    }

    /// Whether the fast executor's buffer guards are intact (tests).
    func fastSentinelsIntact(inputShapes: [String: [Int]]) throws -> Bool {
        try fastExecutor(try plan(for: inputShapes), inputShapes).sentinelsIntact
    }

    private func fastExecutor(_ plan: Plan, _ shapes: [String: [Int]]) throws -> FastExecutor {
        let key = plan.inputNames.flatMap { (shapes[$0] ?? []) + [-1] }
        if let e = fastExecutors[key] { return e }
        let e = try FastExecutor(plan: plan, threads: threads, layout: layout, winograd: winograd)
        fastExecutors[key] = e
        return e
    }

    /// Whether some output sizes of a run on these input shapes are decided by the data (detection
    /// models: NonZero, NonMaxSuppression, TopK with a run-time K, If, Loop). Both backends run such
    /// plans; the fast backend runs the data-dependent steps after its static oneDNN plan.
    public func hasDataDependentShapes(inputShapes: [String: [Int]]) throws -> Bool {
        try plan(for: inputShapes).firstDynamicStep != nil
    }

    /// Convolution FLOPs of one run for the given input shapes.
    public func flops(inputShapes: [String: [Int]]) throws -> Double { try plan(for: inputShapes).flops }

    /// Refuses input shapes whose run would exceed the process memory budget (`MemoryBudget`), before
    /// the caller allocates its inputs. Every run checks it too.
    public func requireWithinBudget(inputShapes: [String: [Int]]) throws {
        let plan = try plan(for: inputShapes)
        try plan.requireWithinBudget(inputShapes, peakBytes: peak(plan, inputShapes))
    }

    /// Output shapes for the given input shapes (shape inference only, nothing runs).
    public func outputShapes(inputShapes: [String: [Int]]) throws -> [String: [Int]] {
        let p = try plan(for: inputShapes)
        return Dictionary(uniqueKeysWithValues: p.outputNames.map { ($0, p.values[$0]!.shape) })
    }

    private func peak(_ plan: Plan, _ shapes: [String: [Int]]) -> Int? {
        let key = model.inputs.flatMap { (shapes[$0.name] ?? []) + [-1] }
        if let p = peaks[key] { return p }
        let p = plan.peakBytes
        peaks[key] = p
        return p
    }

    private func plan(for shapes: [String: [Int]]) throws -> Plan {
        let key = model.inputs.flatMap { (shapes[$0.name] ?? []) + [-1] }
        if let p = plans[key] { return p }
        let p = try Plan(model: model, inputShapes: shapes)
        plans[key] = p
        return p
    }
}

/// Executes a plan node by node with the reference kernels, dropping values after their last use.
enum ReferenceExecutor {
    static func run(_ plan: Plan, inputs: [String: Tensor]) throws -> [String: Tensor] {
        var env: [String: Tensor] = [:]
        for (k, v) in plan.values { if let c = v.constant { env[k] = c } }
        for n in plan.inputNames { env[n] = inputs[n] }
        for (i, node) in plan.steps.enumerated() {
            let ins = node.inputs.map { $0.isEmpty ? nil : env[$0] }
            let outs = ControlFlow.operators.contains(node.opType) ? try ControlFlow.run(node, env: env, opset: plan.opset)
                                                                   : try Reference.run(node, ins, opset: plan.opset)
            for (j, name) in node.outputs.enumerated() where !name.isEmpty && j < outs.count { env[name] = outs[j] }
            for v in node.inputs where !v.isEmpty && plan.lastUse[v] == i && plan.values[v]?.constant == nil { env[v] = nil }
        }
        var result: [String: Tensor] = [:]
        for o in plan.outputNames {
            guard let t = env[o] else { throw EngineError.malformedModel("output '\(o)' was not computed") }
            result[o] = t
        }
        return result
    }
}
