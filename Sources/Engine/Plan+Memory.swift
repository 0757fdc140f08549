import Core

extension Plan {
    /// Bytes of one value when it is computed at run time (0 for constants); nil beyond 64 bits.
    func runtimeBytes(_ name: String) -> Int? {
        guard let v = values[name], v.constant == nil else { return 0 }
        return Tensor.checkedElementCount(v.shape).flatMap { MemoryBudget.product([$0, v.type == .int64 ? 8 : 4]) }
    }

    /// The most bytes of run-time values alive at once: the inputs, then each step's outputs, each
    /// freed after its last use (graph outputs never). What a liveness-based executor needs at worst;
    /// nil beyond 64 bits.
    var peakBytes: Int? {
        var live = 0
        func add(_ b: Int?) -> Bool {
            guard let b else { return false }
            let (sum, overflow) = live.addingReportingOverflow(b)
            live = sum
            return !overflow
        }
        for name in inputNames where !add(runtimeBytes(name)) { return nil }
        var peak = live
        for (i, step) in steps.enumerated() {
            for name in step.outputs where !name.isEmpty && !add(runtimeBytes(name)) { return nil }
            peak = max(peak, live)
            for name in Set(step.inputs) where !name.isEmpty && lastUse[name] == i { live -= runtimeBytes(name) ?? 0 }
        }
        return peak
    }

    /// Refuses, before anything runs, a plan whose values do not fit the process memory budget.
    /// `peakBytes` is this plan's `peakBytes` (a session computes it once per plan, not per run).
    /// - Throws: `SafetyError.memoryBudget` naming the input shapes.
    func requireWithinBudget(_ shapes: [String: [Int]], peakBytes: Int?) throws {
        if MemoryBudget.allows(bytes: peakBytes) { return }
        let described = inputNames.map { "\($0) \(shapes[$0].map { $0.map(String.init).joined(separator: "x") } ?? "?")" }.joined(separator: ", ")
        try MemoryBudget.require(bytes: peakBytes, for: "running the network (inputs and intermediate tensors alive at once)",
                                 input: "ONNX model on input \(described)")
    }

    /// Refuses a value computed while folding constants (e.g. an Expand of constants) beyond the budget.
    static func requireFoldable(_ node: Node, shape: [Int]) throws {
        try MemoryBudget.require(bytes: Tensor.checkedElementCount(shape).flatMap { MemoryBudget.product([$0, 8]) },
                                 for: "folding node '\(node.name)' (\(node.opType)) to a constant of shape \(shape)", input: "ONNX model")
    }
}
