/// An If branch or Loop body compiled to slots (issue 17): every value the subgraph reads or makes
/// has an integer slot, so a body that runs once per detection (torchvision's mask pasting: 112
/// small nodes per detection) indexes an array instead of copying and hashing a dictionary of
/// names. Built once per node: `FastTail` keeps one per control-flow step, the reference backend
/// builds one per If/Loop run. The kernels are the reference ones (`Reference.run`): the same rule
/// as everywhere else, in one place.
final class SubgraphProgram {
    let graph: Graph
    /// What a run starts from: initializers and the values of Constant nodes, by slot.
    private let initial: [Tensor?]
    /// Values of enclosing graphs the subgraph reads, with their slots.
    private let outer: [(name: String, slot: Int)]
    /// The subgraph's inputs (a Loop body: iteration, condition, carried values) and outputs.
    private let inputSlots: [Int]
    private let outputSlots: [Int]
    /// Output slots a step writes: their values are moved out at the end of a run, so that a carried
    /// tensor has one owner when the next iteration appends to it (`ControlFlow.append`).
    private let movedOutputs: Set<Int>
    private let steps: [Step]
    /// A Loop body whose iterations do not depend on one another (`ControlFlow.mapIterations`): its
    /// condition output does not depend on the iteration number or the carried values, and each
    /// carried value is only appended to (a Concat on axis 0 read by nothing but the body's output).
    /// torchvision's mask pasting is one: each detection's mask is pasted alone, then appended.
    let iterationsIndependent: Bool

    private struct Step {
        let node: Node
        let inputs: [Int?], outputs: [Int?]
        /// Slots whose last reader this step is (never an outer value, a constant or an output).
        let release: [Int]
        /// Concat onto a carried input read by this step only (`ControlFlow.append`).
        let appendsToCarried: Bool
        /// A nested If/Loop: what its subgraphs may read, and their programs.
        let environment: [(name: String, slot: Int)]
        let nested: [String: SubgraphProgram]
    }

    init(_ g: Graph, opset: Int) throws {
        graph = g
        // Initializers and (below) Constant nodes are constants: never released.
        var slots = ValueSlots(constant: { g.initializers[$0] })
        func slot(_ name: String) -> Int { slots.slot(name) }
        inputSlots = g.inputs.map { slot($0.name) }
        outer = g.outerReferences.sorted().map { ($0, slot($0)) }
        // Outputs live on (`lastReaders`); enclosing values are set once per run (`start`): kept.
        let lastReader = ValueSlots.lastReaders(g.nodes, outputs: g.outputs.map(\.name))
        outputSlots = g.outputs.map { slot($0.name) }
        let kept = Set(outer.map(\.slot))
        let appendable = g.inputs.isEmpty ? [] : g.singleReaderInputs  // an If branch has no inputs to append to
        var steps: [Step] = []
        for (i, n) in g.nodes.enumerated() {
            if n.opType == "Constant" && n.outputs.count == 1 {
                slots.setConstant(n.outputs[0], try Reference.run(n, [], opset: opset)[0])
                continue
            }
            let isControlFlow = ControlFlow.operators.contains(n.opType)
            let reads = ValueSlots.reads(n)
            var nested: [String: SubgraphProgram] = [:]
            if isControlFlow {
                for case (let key, .graph(let sub)) in n.attributes { nested[key] = try SubgraphProgram(sub, opset: opset) }
            }
            steps.append(Step(node: n, inputs: n.inputs.map { $0.isEmpty ? nil : slot($0) }, outputs: n.outputs.map { $0.isEmpty ? nil : slot($0) },
                              release: slots.released(after: i, reads: reads, lastReader: lastReader, kept: kept),
                              appendsToCarried: n.opType == "Concat" && n.inputs.count == 2 && n.outputs.count == 1 && appendable.contains(n.inputs[0])
                                  && n.inputs[0] != n.inputs[1],
                              environment: isControlFlow ? reads.sorted().map { ($0, slot($0)) } : [], nested: nested))
        }
        self.steps = steps
        initial = slots.initial
        let written = Set(steps.flatMap { $0.outputs.compactMap { $0 } })
        movedOutputs = Set(outputSlots.filter(written.contains))
        iterationsIndependent = SubgraphProgram.independent(steps: steps, inputs: inputSlots, outputs: outputSlots)
    }

    /// See `iterationsIndependent`. `inputs`/`outputs`: a Loop body's (iteration, condition, carried...)
    /// and (condition, carried..., scans...).
    private static func independent(steps: [Step], inputs: [Int], outputs: [Int]) -> Bool {
        guard inputs.count >= 2, outputs.count >= inputs.count - 1 else { return false }
        let carried = Array(inputs[2...])
        // Slots computed from the iteration number or a carried value.
        var varying = Set([inputs[0]] + carried)
        var readers: [Int: Int] = [:]
        for step in steps {
            let ins = step.inputs.compactMap { $0 } + step.environment.map(\.slot)
            for s in Set(ins) { readers[s, default: 0] += 1 }
            if ins.contains(where: varying.contains) { varying.formUnion(step.outputs.compactMap { $0 }) }
        }
        guard !varying.contains(outputs[0]) else { return false }
        for (k, c) in carried.enumerated() {
            let out = outputs[k + 1]
            guard let append = steps.first(where: { $0.inputs.first == c }), append.appendsToCarried, append.outputs.first == out,
                  readers[c] == 1, readers[out] == nil, outputs.filter({ $0 == out }).count == 1, !carried.contains(append.inputs[1] ?? -1) else { return false }
        }
        return true
    }

    /// The values a run starts from: constants, plus the enclosing values in `env` (those missing
    /// there are reported when a step reads them).
    func start(_ env: [String: Tensor]) -> [Tensor?] {
        var values = initial
        for o in outer { values[o.slot] = env[o.name] }
        return values
    }

    /// Runs the subgraph on `values` (from `start`, reused across a Loop's iterations) with `bindings`
    /// as its inputs; returns its outputs. `iterationsLeft`: a Loop body's remaining iterations, this
    /// one included (`ControlFlow.append`). `owner`: the If/Loop node, for error messages.
    func run(_ values: inout [Tensor?], bindings: consuming [Tensor], owner: Node, opset: Int, threads: Int = 1, iterationsLeft: Int = 1) throws -> [Tensor] {
        guard bindings.count == inputSlots.count else {
            throw owner.invalid("subgraph '\(graph.name)' takes \(inputSlots.count) inputs, given \(bindings.count)")
        }
        for (k, s) in inputSlots.enumerated() { values[s] = bindings[k] }
        bindings = []  // the slots are now the only owners of the carried tensors
        for step in steps {
            let n = step.node
            if step.appendsToCarried, let c = step.inputs[0], let xs = step.inputs[1], let x = values[xs], let o = step.outputs[0],
               let out = try ControlFlow.append(n, carried: &values[c], x, iterationsLeft: iterationsLeft) {
                values[o] = out
            } else {
                var ins: [Tensor?] = []
                ins.reserveCapacity(step.inputs.count)
                for (j, s) in step.inputs.enumerated() {
                    guard let s else { ins.append(nil); continue }
                    guard let t = values[s] else {
                        throw n.invalid("reads '\(n.inputs[j])', which no enclosing graph defines (in a subgraph of '\(owner.name)')")
                    }
                    ins.append(t)
                }
                let outs: [Tensor]
                if step.environment.isEmpty {
                    outs = try Reference.run(n, ins, opset: opset, threads: threads)
                } else {
                    var env: [String: Tensor] = [:]
                    for e in step.environment { if let t = values[e.slot] { env[e.name] = t } }
                    outs = try ControlFlow.run(n, env: env, opset: opset, programs: step.nested, threads: threads)
                }
                for (j, s) in step.outputs.enumerated() where j < outs.count { if let s { values[s] = outs[j] } }
            }
            for r in step.release { values[r] = nil }
        }
        var result: [Tensor] = []
        result.reserveCapacity(outputSlots.count)
        for (k, s) in outputSlots.enumerated() {
            guard let t = values[s] else { throw owner.invalid("subgraph output '\(graph.outputs[k].name)' was not computed") }
            result.append(t)
        }
        for s in movedOutputs { values[s] = nil }
        return result
    }
}
