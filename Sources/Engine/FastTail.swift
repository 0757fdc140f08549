import CDNNL
import Foundation

/// The data-dependent tail of a plan on the fast backend (issue 17): the steps with a dynamic
/// output (`DynamicShapes.swift`), i.e. everything from the first NonZero / NonMaxSuppression /
/// run-time TopK / If / Loop on, and everything computed from them. In a detection model that is
/// proposal selection, the RoI heads and mask pasting; the backbone, FPN and RPN heads stay in the
/// static oneDNN plan (`FastExecutor`), which runs first and in full (no static step reads a dynamic
/// value). The static values the tail reads are kept alive to the end of the static run and handed
/// over in plain layout.
///
/// Tail values get their sizes during the run, from the leading dimension each step produces:
/// - Conv, ConvTranspose, Gemm and MatMul with constant weights run on oneDNN (`FastTailPrimitive`:
///   a primitive per run-time input shape, cached; outputs in growable buffers whose capacity starts
///   at the planned bound), with a following activation fused; a chain of them (the mask head) passes
///   oneDNN-layout values from one to the next without reordering.
/// - Every other operator runs its reference kernel (`Reference.run`, `ControlFlow.run`) on the
///   run-time tensors: the same rule as the reference backend, in one place.
/// A plan without dynamic values has no tail and pays nothing for it.
final class FastTail {
    enum Work {
        case primitive(FastTailPrimitive)
        case reference
        case controlFlow
        /// An activation fused into the primitive of step `producer` (its output is the producer's).
        case fused
    }

    let plan: Plan
    /// Plan step indices of the tail, in order, with what runs them.
    let steps: [(index: Int, work: Work)]
    /// Static run-time values the tail reads, and where the static run leaves them (plain layout).
    let handover: [String: FastExecutor.Loc]
    /// Workers for the reference kernels that split their work (RoiAlign, large unary kernels).
    let threads: Int

    /// Every value the tail reads or writes has an integer slot: the run keeps its values in arrays
    /// indexed by slot, not in a dictionary keyed by name (Mask R-CNN's tail has hundreds of small
    /// steps, and hashing names cost more than some of the kernels).
    private let slotCount: Int
    /// Constants by slot (nil where the slot is not a constant).
    private let constantSlots: [Tensor?]
    private let handoverSlots: [(slot: Int, loc: FastExecutor.Loc)]
    private let outputSlots: [(name: String, slot: Int)]
    /// Per step: its input slots (nil for an omitted input), output slots (nil for an unused
    /// output), the slots to release after it (values whose last reader it is), and for If/Loop the
    /// names and slots of everything its subgraphs may read.
    private struct StepSlots {
        var inputs: [Int?] = [], outputs: [Int?] = [], release: [Int] = [], environment: [(name: String, slot: Int)] = []
    }
    /// What the run loop needs of one step, in one object: reading it costs one retain, not one per
    /// field of the node and of its slots (hundreds of tiny steps make that count).
    private final class Compiled {
        let node: Node, work: Work, io: StepSlots
        /// An Expand whose only reader is ScatterElements' indices on axis 0 (torchvision's
        /// MultiScaleRoIAlign expands each RoI's row index over [C, H, W]): when it expands a column
        /// [n, 1, ...] it is not materialised; the scatter copies whole rows (`scatterRows`).
        let expandsRowIndex: Bool
        /// An If/Loop's subgraphs compiled to slots, by attribute name.
        let programs: [String: SubgraphProgram]
        init(node: Node, work: Work, io: StepSlots, expandsRowIndex: Bool, programs: [String: SubgraphProgram]) {
            self.node = node; self.work = work; self.io = io; self.expandsRowIndex = expandsRowIndex; self.programs = programs
        }
    }
    private let compiled: [Compiled]

    /// Static run-time values read by the tail steps `indices` of `plan` (the static plan keeps them alive).
    static func staticReads(_ plan: Plan, _ indices: [Int]) -> Set<String> {
        var names = Set<String>()
        for i in indices {
            let node = plan.steps[i]
            for v in node.inputs + Array(node.implicitInputs) where !v.isEmpty {
                if let d = plan.values[v], d.constant == nil, !d.dynamic { names.insert(v) }
            }
        }
        return names
    }

    /// Compiles the tail: oneDNN for the RoI heads' linear algebra, reference kernels elsewhere.
    /// `handover` must hold a plain location for every name of `staticReads`.
    /// `fusable` names the activation step oneDNN can fuse after a value (`FastExecutor.fusableActivation`).
    init(plan: Plan, indices: [Int], handover: [String: FastExecutor.Loc], threads: Int, winograd: Bool,
         fusable: (String) -> (index: Int, alg: dnnl_alg_kind_t, alpha: Float, beta: Float)?) throws {
        self.plan = plan
        self.handover = handover
        self.threads = threads
        var work: [Int: Work] = [:]
        let tail = Set(indices)
        let wino = (enabled: winograd, threads: threads, scratch: WinogradScratch())
        // Constants (initializers, folded values) are never released; graph outputs live on (`Plan.lastUse`).
        var slots = ValueSlots(constant: { plan.values[$0]?.constant })
        func slot(_ name: String) -> Int { slots.slot(name) }
        var stepSlots: [StepSlots] = []
        for i in indices {
            let node = plan.steps[i]
            let reads = ValueSlots.reads(node)
            var ss = StepSlots()
            ss.inputs = node.inputs.map { $0.isEmpty ? nil : slot($0) }
            ss.outputs = node.outputs.map { $0.isEmpty ? nil : slot($0) }
            ss.release = slots.released(after: i, reads: reads, lastReader: plan.lastUse)
            if ControlFlow.operators.contains(node.opType) {
                ss.environment = reads.map { ($0, slot($0)) }
            }
            defer { stepSlots.append(ss) }
            if work[i] != nil { continue }
            if ControlFlow.operators.contains(node.opType) { work[i] = .controlFlow; continue }
            let act = node.outputs.first.flatMap(fusable)
            if let a = act, tail.contains(a.index), let p = try FastTailPrimitive(node, plan: plan, activation: (plan.steps[a.index], a.alg, a.alpha, a.beta), winograd: wino) {
                work[i] = .primitive(p); work[a.index] = .fused
                // The pair's output is the activation's.
                ss.outputs[0] = slot(plan.steps[a.index].outputs[0])
            } else if let p = try FastTailPrimitive(node, plan: plan, activation: nil, winograd: wino) {
                work[i] = .primitive(p)
            } else {
                work[i] = .reference
            }
        }
        handoverSlots = handover.map { (slot($0.key), $0.value) }
        outputSlots = plan.outputNames.filter { plan.values[$0]?.dynamic == true }.map { ($0, slot($0)) }
        slotCount = slots.count
        constantSlots = slots.initial
        steps = indices.map { ($0, work[$0]!) }
        var readers: [String: [Int]] = [:]
        for i in indices { for v in ValueSlots.reads(plan.steps[i]) { readers[v, default: []].append(i) } }
        func expandsRowIndex(_ i: Int) -> Bool {
            let node = plan.steps[i]
            guard node.opType == "Expand", let out = node.outputs.first, !plan.outputNames.contains(out),
                  let r = readers[out], r.count == 1 else { return false }
            let scatter = plan.steps[r[0]]
            return scatter.opType == "ScatterElements" && scatter.inputs.count == 3 && scatter.inputs[1] == out && scatter.inputs[0] != out
                && scatter.inputs[2] != out && (try? scatter.int("axis", 0)) == 0 && (try? scatter.string("reduction", "none")) == "none"
        }
        func programs(_ node: Node) throws -> [String: SubgraphProgram] {
            var programs: [String: SubgraphProgram] = [:]
            if ControlFlow.operators.contains(node.opType) {
                for case (let key, .graph(let g)) in node.attributes { programs[key] = try SubgraphProgram(g, opset: plan.opset) }
            }
            return programs
        }
        compiled = try zip(indices, stepSlots).map {
            Compiled(node: plan.steps[$0.0], work: work[$0.0]!, io: $0.1, expandsRowIndex: expandsRowIndex($0.0), programs: try programs(plan.steps[$0.0]))
        }
    }

    var labels: [String] {
        steps.compactMap { s in
            switch s.work {
            case .primitive(let p): return p.label
            case .reference, .controlFlow: return plan.steps[s.index].opType + " (reference, dynamic)"
            case .fused: return nil
            }
        }
    }

    /// Runs the tail after the static steps; `read` fetches a handed-over static value. Returns the
    /// graph outputs the tail computes. `record` receives each step's label and start time (profiling).
    func run(read: (FastExecutor.Loc) -> Tensor, record: ((String, UInt64) throws -> Void)?) throws -> [String: Tensor] {
        var values = constantSlots
        var natives = [NativeValue?](repeating: nil, count: slotCount)
        for h in handoverSlots { values[h.slot] = read(h.loc) }
        // Row indices [n, 1, ...] standing for their Expand to `shape`, by the Expand's output slot.
        var rowIndices: [Int: (index: Tensor, shape: [Int])] = [:]
        func tensor(_ s: Int) throws -> Tensor? {
            if let t = values[s] { return t }
            guard let v = natives[s] else { return nil }
            let t = try v.tensor()
            values[s] = t
            return t
        }
        for step in compiled {
            let node = step.node, io = step.io
            let start = record == nil ? 0 : DispatchTime.now().uptimeNanoseconds
            switch step.work {
            case .fused:
                // The producer already wrote this activation's output under this name.
                continue
            case .primitive(let p):
                let x = io.inputs[0]!
                let r = natives[x] != nil && values[x] == nil ? try p.run(nil, native: natives[x]) : try p.run(try tensor(x), native: nil)
                let out = io.outputs[0]!
                if let t = r.tensor { values[out] = t } else { natives[out] = r.native }
                try record?(p.label, start)
            case .controlFlow:
                var env: [String: Tensor] = [:]
                for e in io.environment { if let t = try tensor(e.slot) { env[e.name] = t } }
                let outs = try ControlFlow.run(node, env: env, opset: plan.opset, programs: step.programs, threads: threads)
                for (j, o) in io.outputs.enumerated() where j < outs.count { if let o { values[o] = outs[j] } }
                try record?(node.opType + " (reference, dynamic)", start)
            case .reference where step.expandsRowIndex:
                guard let x = try io.inputs[0].flatMap(tensor), let target = try io.inputs[1].flatMap(tensor)?.intValues, let o = io.outputs[0] else {
                    throw node.invalid("missing input")
                }
                if x.rank == target.count, x.rank >= 2, Int64(x.shape[0]) == target[0], x.shape.dropFirst().allSatisfy({ $0 == 1 }), target.allSatisfy({ $0 >= 1 }) {
                    rowIndices[o] = (x, target.map { Int($0) })
                } else {
                    values[o] = try Reference.run(node, [x, try io.inputs[1].flatMap(tensor)], opset: plan.opset, threads: threads)[0]
                }
                try record?(node.opType + " (reference, dynamic)", start)
            case .reference where node.opType == "ScatterElements" && io.inputs.count == 3:
                guard let d = io.inputs[0], let updates = try io.inputs[2].flatMap(tensor) else { throw node.invalid("missing input") }
                // Data that dies here is scattered into its own storage; other data is copied on write.
                var data: Tensor
                if io.release.contains(d), !io.inputs[1...].contains(d), let t = values[d] { data = t; values[d] = nil } else {
                    guard let t = try tensor(d) else { throw node.invalid("missing input") }
                    data = t
                }
                if let i = io.inputs[1], let rows = rowIndices.removeValue(forKey: i) {
                    try RefDetection.scatterRows(node, into: &data, rows: rows.index, shape: rows.shape, updates: updates)
                } else {
                    guard let indices = try io.inputs[1].flatMap(tensor) else { throw node.invalid("missing input") }
                    try RefDetection.scatterElements(node, into: &data, indices: indices, updates: updates)
                }
                if let o = io.outputs[0] { values[o] = data }
                try record?(node.opType + " (reference, dynamic)", start)
            case .reference:
                let outs = try Reference.run(node, try io.inputs.map { try $0.flatMap(tensor) }, opset: plan.opset, threads: threads)
                for (j, o) in io.outputs.enumerated() where j < outs.count { if let o { values[o] = outs[j] } }
                try record?(node.opType + " (reference, dynamic)", start)
            }
            // Values die after their last reader (a fused pair reads the producer's input only).
            for r in io.release { values[r] = constantSlots[r]; natives[r] = nil }
        }
        var result: [String: Tensor] = [:]
        for o in outputSlots {
            guard let t = try tensor(o.slot) else { throw EngineError.malformedModel("output '\(o.name)' was not computed") }
            result[o.name] = t
        }
        return result
    }
}
