import Core

/// If and Loop (issue 17) on the reference backend. Their subgraphs (ONNX GraphProto attributes)
/// read values of the enclosing graphs by name, so they run against the executor's environment:
/// `ReferenceExecutor` hands If/Loop steps here instead of to `Reference.run`. Their outputs are
/// planned as dynamic (`DynamicShapes.swift`): a branch or an iteration count decided by the data
/// decides the shapes. torchvision's Mask R-CNN uses If for "no boxes: keep nothing" around its
/// batched NMS and Loop to paste each detection's mask into the image.
enum ControlFlow {
    static let operators: Set<String> = ["If", "Loop"]
    /// Iterations beyond this are refused (a Loop without a trip count could otherwise hang).
    static let maxIterations = 1 << 20

    /// Runs an If or Loop node; `env` holds every value visible at this point.
    static func run(_ node: Node, env: [String: Tensor], opset: Int) throws -> [Tensor] {
        func input(_ i: Int) -> Tensor? { i < node.inputs.count && !node.inputs[i].isEmpty ? env[node.inputs[i]] : nil }
        switch node.opType {
        case "If":
            guard let cond = input(0), cond.count == 1 else { throw node.invalid("condition must be one value") }
            let branch = try node.subgraph(cond.intValues[0] != 0 ? "then_branch" : "else_branch")
            let outs = try runGraph(branch, env: env, bindings: [:], opset: opset, owner: node, prepared: try Prepared(branch, opset: opset))
            guard outs.count == node.outputs.count else { throw node.invalid("branch yields \(outs.count) outputs, node declares \(node.outputs.count)") }
            return outs
        case "Loop":
            let body = try node.subgraph("body")
            let carriedCount = node.inputs.count - 2
            guard carriedCount >= 0, body.inputs.count == carriedCount + 2, body.outputs.count >= carriedCount + 1 else {
                throw node.invalid("body has \(body.inputs.count) inputs and \(body.outputs.count) outputs for \(max(carriedCount, 0)) loop-carried values")
            }
            let tripCount = input(0)?.intValues.first
            var keepGoing = input(1).map { $0.intValues.first != 0 } ?? true
            guard tripCount != nil || input(1) != nil else { throw EngineError.unsupported("Loop node '\(node.name)' without trip count or condition (endless)") }
            var carried: [Tensor] = []
            for i in 0..<carriedCount {
                guard let t = input(i + 2) else { throw node.invalid("missing loop-carried input \(i)") }
                carried.append(t)
            }
            var scans = [[Tensor]](repeating: [], count: body.outputs.count - 1 - carriedCount)
            // What every iteration would otherwise redo: the body's constants and its appendable inputs.
            let prepared = try Prepared(body, opset: opset)
            var iteration: Int64 = 0
            while keepGoing && (tripCount.map { iteration < $0 } ?? true) {
                guard iteration < maxIterations else { throw EngineError.unsupported("Loop node '\(node.name)' runs more than \(maxIterations) iterations") }
                var bindings = [body.inputs[0].name: Tensor(shape: [], ints: [iteration]), body.inputs[1].name: Tensor(shape: [], ints: [1])]
                for (k, t) in carried.enumerated() { bindings[body.inputs[k + 2].name] = t }
                // The body becomes the only owner of the carried tensors, so that a Concat appending to
                // one grows it in place (`appendInPlace`).
                carried = []
                // Iterations still to come, this one included: an appended tensor reserves room for them.
                let left = tripCount.map { Int(min(max($0 - iteration, 1), Int64(maxIterations))) } ?? 1
                let outs = try runGraph(body, env: env, bindings: consume bindings, opset: opset, owner: node, prepared: prepared, iterationsLeft: left)
                keepGoing = outs[0].intValues.first != 0
                carried = Array(outs[1..<(1 + carriedCount)])
                for (k, t) in outs[(carriedCount + 1)...].enumerated() { scans[k].append(t) }
                iteration += 1
            }
            return carried + (try scans.map { try stack($0, node) })
        default:
            throw EngineError.unsupportedOperator(op: node.opType, node: node.name, opset: opset)
        }
    }

    /// What a subgraph's runs share: the values of its Constant nodes (by node index) and the inputs a
    /// Concat may append to in place (`appendInPlace`).
    struct Prepared {
        let constants: [Int: Tensor]
        let appendable: Set<String>
        init(_ g: Graph, opset: Int) throws {
            var constants: [Int: Tensor] = [:]
            for (i, n) in g.nodes.enumerated() where n.opType == "Constant" && n.outputs.count == 1 {
                constants[i] = try Reference.run(n, [], opset: opset)[0]
            }
            self.constants = constants
            appendable = g.inputs.isEmpty ? [] : g.singleReaderInputs  // an If branch has no inputs to append to
        }
    }

    /// Runs a subgraph's nodes in order over the enclosing values plus `bindings` (its inputs).
    /// `iterationsLeft`: a Loop body's remaining iterations, this one included (`appendInPlace`).
    static func runGraph(_ g: Graph, env: [String: Tensor], bindings: consuming [String: Tensor], opset: Int, owner: Node,
                         prepared: Prepared, iterationsLeft: Int = 1) throws -> [Tensor] {
        var local = env
        // Room for every value the graph makes: no rehashing as it grows (a Loop body runs per detection).
        local.reserveCapacity(env.count + g.initializers.count + g.inputs.count + g.nodes.reduce(0) { $0 + $1.outputs.count })
        for (k, t) in g.initializers { local[k] = t }
        for (k, t) in bindings { local[k] = t }
        bindings = [:]
        for (i, n) in g.nodes.enumerated() {
            if let c = prepared.constants[i] { local[n.outputs[0]] = c; continue }
            if let out = try appendInPlace(n, &local, appendable: prepared.appendable, iterationsLeft: iterationsLeft) { local[n.outputs[0]] = out; continue }
            var ins: [Tensor?] = []
            for name in n.inputs {
                if name.isEmpty { ins.append(nil); continue }
                guard let t = local[name] else { throw n.invalid("reads '\(name)', which no enclosing graph defines (in a subgraph of '\(owner.name)')") }
                ins.append(t)
            }
            let outs = operators.contains(n.opType) ? try run(n, env: local, opset: opset) : try Reference.run(n, ins, opset: opset)
            for (j, name) in n.outputs.enumerated() where !name.isEmpty && j < outs.count { local[name] = outs[j] }
        }
        return try g.outputs.map { o in
            guard let t = local[o.name] else { throw owner.invalid("subgraph output '\(o.name)' was not computed") }
            return t
        }
    }

    /// `Concat(carried, x)` on axis 0 where `carried` is a subgraph input read by this node only
    /// (torchvision's mask pasting appends each image-sized mask to a loop-carried tensor): the
    /// tensor is taken out of `local` and `x` appended to its storage, amortised O(len(x)) instead of a
    /// copy of the whole growing tensor per iteration. When it must grow, it reserves room for
    /// `iterationsLeft` appends of this size (a trip count of 100 masks: one allocation, not seven
    /// doublings, each a copy and fresh pages). nil (nothing changed) when the pattern does not hold.
    static func appendInPlace(_ n: Node, _ local: inout [String: Tensor], appendable: Set<String>, iterationsLeft: Int = 1) throws -> Tensor? {
        guard n.opType == "Concat", n.inputs.count == 2, n.outputs.count == 1, appendable.contains(n.inputs[0]), n.inputs[0] != n.inputs[1],
              let x = local[n.inputs[1]], let (type, shape) = local[n.inputs[0]].map({ ($0.elementType, $0.shape) }),
              type == x.elementType, shape.count == x.rank, shape.count >= 1,
              try OpParams.axis(try n.int("axis", 0), rank: shape.count, n) == 0, shape.dropFirst() == x.shape.dropFirst() else { return nil }
        // Only `local` refers to the carried tensor now: appending does not copy it.
        var acc = local.removeValue(forKey: n.inputs[0])!
        // Room for the iterations to come, unless that exceeds the memory budget (a hostile trip count).
        let wanted = MemoryBudget.product([x.count, iterationsLeft]).map { acc.count + $0 }
        let room = MemoryBudget.allows(bytes: wanted.flatMap { MemoryBudget.product([$0, 8]) }) ? wanted! : 0
        if acc.elementType == .int64 {
            if acc.ints.capacity < acc.count + x.count { acc.ints.reserveCapacity(max(room, acc.count + x.count)) }
            acc.ints.append(contentsOf: x.ints)
        } else {
            if acc.floats.capacity < acc.count + x.count { acc.floats.reserveCapacity(max(room, acc.count + x.count)) }
            acc.floats.append(contentsOf: x.floats)
        }
        acc.shape[0] += x.shape[0]
        return acc
    }

    /// Scan outputs: the per-iteration tensors stacked on a new leading axis.
    static func stack(_ parts: [Tensor], _ node: Node) throws -> Tensor {
        guard let first = parts.first else { return Tensor(shape: [0], floats: []) }
        guard parts.allSatisfy({ $0.shape == first.shape && $0.elementType == first.elementType }) else {
            throw node.invalid("scan output changes shape or type between iterations")
        }
        let shape = [parts.count] + first.shape
        return first.elementType == .int64 ? Tensor(shape: shape, ints: parts.flatMap(\.ints)) : Tensor(shape: shape, floats: parts.flatMap(\.floats))
    }
}

extension Node {
    /// The subgraph held by graph attribute `key`.
    func subgraph(_ key: String) throws -> Graph {
        guard case .graph(let g)? = attributes[key] else { throw invalid("missing graph attribute \(key)") }
        return g
    }

    /// Values of enclosing graphs that this node's subgraphs read (recursively): they must stay alive
    /// until the node runs.
    var implicitInputs: Set<String> {
        var names = Set<String>()
        for case .graph(let g) in attributes.values { names.formUnion(g.outerReferences) }
        return names
    }
}

extension Graph {
    /// Inputs of this (sub)graph read by exactly one node and not returned as outputs.
    var singleReaderInputs: Set<String> {
        var reads: [String: Int] = [:]
        for n in nodes { for v in n.inputs + Array(n.implicitInputs) where !v.isEmpty { reads[v, default: 0] += 1 } }
        for o in outputs { reads[o.name, default: 0] += 2 }
        return Set(inputs.map(\.name).filter { reads[$0] == 1 })
    }

    /// Names this graph's nodes read that it does not define itself (inputs, initializers, outputs).
    var outerReferences: Set<String> {
        var defined = Set(initializers.keys).union(inputs.map(\.name))
        var outer = Set<String>()
        for n in nodes {
            for v in n.inputs where !v.isEmpty && !defined.contains(v) { outer.insert(v) }
            outer.formUnion(n.implicitInputs.subtracting(defined))
            defined.formUnion(n.outputs)
        }
        for o in outputs where !defined.contains(o.name) { outer.insert(o.name) }
        return outer
    }
}
