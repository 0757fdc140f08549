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

    /// Runs an If or Loop node; `env` holds every value visible at this point. `programs`: the node's
    /// subgraphs compiled beforehand, by attribute name (`FastTail` keeps them per step); any missing
    /// is compiled here. `threads`: workers for the reference kernels that split their work.
    static func run(_ node: Node, env: [String: Tensor], opset: Int, programs: [String: SubgraphProgram] = [:], threads: Int = 1) throws -> [Tensor] {
        func input(_ i: Int) -> Tensor? { i < node.inputs.count && !node.inputs[i].isEmpty ? env[node.inputs[i]] : nil }
        func program(_ key: String) throws -> SubgraphProgram {
            if let p = programs[key] { return p }
            return try SubgraphProgram(try node.subgraph(key), opset: opset)
        }
        switch node.opType {
        case "If":
            guard let cond = input(0), cond.count == 1 else { throw node.invalid("condition must be one value") }
            let branch = try program(cond.intValues[0] != 0 ? "then_branch" : "else_branch")
            var values = branch.start(env)
            let outs = try branch.run(&values, bindings: [], owner: node, opset: opset, threads: threads)
            guard outs.count == node.outputs.count else { throw node.invalid("branch yields \(outs.count) outputs, node declares \(node.outputs.count)") }
            return outs
        case "Loop":
            let body = try program("body")
            let carriedCount = node.inputs.count - 2
            guard carriedCount >= 0, body.graph.inputs.count == carriedCount + 2, body.graph.outputs.count >= carriedCount + 1 else {
                throw node.invalid("body has \(body.graph.inputs.count) inputs and \(body.graph.outputs.count) outputs for \(max(carriedCount, 0)) loop-carried values")
            }
            let tripCount = input(0)?.intValues.first
            var keepGoing = input(1).map { $0.intValues.first != 0 } ?? true
            guard tripCount != nil || input(1) != nil else { throw EngineError.unsupported("Loop node '\(node.name)' without trip count or condition (endless)") }
            var carried: [Tensor] = []
            for i in 0..<carriedCount {
                guard let t = input(i + 2) else { throw node.invalid("missing loop-carried input \(i)") }
                carried.append(t)
            }
            var scans = [[Tensor]](repeating: [], count: body.graph.outputs.count - 1 - carriedCount)
            // One set of slots for every iteration: constants and enclosing values are set once.
            var values = body.start(env)
            var iteration: Int64 = 0
            while keepGoing && (tripCount.map { iteration < $0 } ?? true) {
                // After a first iteration that kept going, the rest of an independent body's iterations
                // all run: split them among the workers.
                if iteration == 1, threads > 1, body.iterationsIndependent, let n = tripCount, n > 2, n <= Int64(maxIterations),
                   carried.allSatisfy({ $0.rank >= 1 }) {
                    let rest = try mapIterations(body, node, env: env, opset: opset, range: 1..<Int(n), carried: carried, threads: threads)
                    carried = rest.carried
                    for k in scans.indices { scans[k] += rest.scans[k] }
                    break
                }
                guard iteration < maxIterations else { throw EngineError.unsupported("Loop node '\(node.name)' runs more than \(maxIterations) iterations") }
                // Iterations still to come, this one included: an appended tensor reserves room for them.
                let left = tripCount.map { Int(min(max($0 - iteration, 1), Int64(maxIterations))) } ?? 1
                keepGoing = try iterate(body, node, &values, iteration: iteration, carried: &carried, scans: &scans,
                                        opset: opset, threads: threads, iterationsLeft: left)
                iteration += 1
            }
            return carried + (try scans.map { try stack($0, node) })
        default:
            throw EngineError.unsupportedOperator(op: node.opType, node: node.name, opset: opset)
        }
    }

    /// Iterations `range` of a Loop whose body has `iterationsIndependent`, split into contiguous
    /// chunks, one per worker (each with its own slots, its kernels on one thread): each worker
    /// appends to empty carried values, and the chunks are joined in order after `carried`. The
    /// result equals the iterations run one after another (Concat on axis 0 is associative).
    static func mapIterations(_ body: SubgraphProgram, _ node: Node, env: [String: Tensor], opset: Int, range: Range<Int>,
                              carried: [Tensor], threads: Int) throws -> (carried: [Tensor], scans: [[Tensor]]) {
        final class Chunk { var result: Result<(carried: [Tensor], scans: [[Tensor]]), Error>? }
        let workers = max(1, min(threads, range.count))
        let chunks = (0..<workers).map { _ in Chunk() }
        let scanCount = body.graph.outputs.count - 1 - carried.count
        runWorkers(workers) { w in
            let mine = (range.lowerBound + w * range.count / workers)..<(range.lowerBound + (w + 1) * range.count / workers)
            chunks[w].result = Result {
                var values = body.start(env)
                var acc = carried.map { c in
                    c.elementType == .int64 ? Tensor(shape: [0] + c.shape.dropFirst(), ints: []) : Tensor(shape: [0] + c.shape.dropFirst(), floats: [])
                }
                var scans = [[Tensor]](repeating: [], count: scanCount)
                for i in mine {
                    _ = try iterate(body, node, &values, iteration: Int64(i), carried: &acc, scans: &scans,
                                    opset: opset, threads: 1, iterationsLeft: mine.upperBound - i)
                }
                return (acc, scans)
            }
        }
        var parts = carried.map { [$0] }
        var scans = [[Tensor]](repeating: [], count: scanCount)
        for chunk in chunks {
            let r = try chunk.result!.get()
            for k in parts.indices { parts[k].append(r.carried[k]) }
            for k in scans.indices { scans[k] += r.scans[k] }
        }
        let joined = try parts.map { p in
            guard p.allSatisfy({ $0.elementType == p[0].elementType && $0.shape.dropFirst() == p[0].shape.dropFirst() }) else {
                throw node.invalid("a loop-carried value changes type or row shape between iterations")
            }
            return RefTensorOps.concat(p, axis: 0, outShape: [p.reduce(0) { $0 + $1.shape[0] }] + p[0].shape.dropFirst())
        }
        return (joined, scans)
    }

    /// One iteration of a Loop body, for `run` and `mapIterations`: binds the iteration number, a true
    /// condition and the carried values, runs the body on `values`, then puts the carried values it
    /// returns back in `carried` and appends its scan outputs to `scans`. Returns the body's condition.
    /// The body becomes the only owner of the carried tensors (`carried` is emptied first), so that a
    /// Concat appending to one grows it in place (`append`, reserving room for `iterationsLeft`).
    static func iterate(_ body: SubgraphProgram, _ node: Node, _ values: inout [Tensor?], iteration: Int64, carried: inout [Tensor],
                        scans: inout [[Tensor]], opset: Int, threads: Int, iterationsLeft: Int) throws -> Bool {
        let carriedCount = carried.count
        let bindings = [Tensor(shape: [], ints: [iteration]), Tensor(shape: [], ints: [1])] + carried
        carried = []
        let outs = try body.run(&values, bindings: bindings, owner: node, opset: opset, threads: threads, iterationsLeft: iterationsLeft)
        carried = Array(outs[1..<(1 + carriedCount)])
        for (k, t) in outs[(carriedCount + 1)...].enumerated() { scans[k].append(t) }
        return outs[0].intValues.first != 0
    }

    /// `Concat(carried, x)` on axis 0 where `carried` is a Loop body input read by this node only
    /// (torchvision's mask pasting appends each image-sized mask to a loop-carried tensor): the
    /// tensor is taken out of its slot and `x` appended to its storage, amortised O(len(x)) instead of
    /// a copy of the whole growing tensor per iteration. When it must grow, it reserves room for
    /// `iterationsLeft` appends of this size (a trip count of 100 masks: one allocation, not seven
    /// doublings, each a copy and fresh pages). nil (nothing taken) when the pattern does not hold.
    static func append(_ n: Node, carried: inout Tensor?, _ x: Tensor, iterationsLeft: Int = 1) throws -> Tensor? {
        guard let (type, shape) = carried.map({ ($0.elementType, $0.shape) }),
              type == x.elementType, shape.count == x.rank, shape.count >= 1,
              try OpParams.axis(try n.int("axis", 0), rank: shape.count, n) == 0, shape.dropFirst() == x.shape.dropFirst() else { return nil }
        // Only the slot refers to the carried tensor: appending after taking it does not copy it.
        var acc = carried!
        carried = nil
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
