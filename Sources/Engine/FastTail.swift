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
    /// Constants the tail reads (inputs and values read by If/Loop subgraphs).
    let constants: [String: Tensor]
    /// Workers for the reference kernels that split their work (RoiAlign).
    let threads: Int

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
    init(plan: Plan, indices: [Int], handover: [String: FastExecutor.Loc], threads: Int,
         fusable: (String) -> (index: Int, alg: dnnl_alg_kind_t, alpha: Float, beta: Float)?) throws {
        self.plan = plan
        self.threads = threads
        self.handover = handover
        var constants: [String: Tensor] = [:]
        var work: [Int: Work] = [:]
        let tail = Set(indices)
        for i in indices {
            let node = plan.steps[i]
            for v in node.inputs + Array(node.implicitInputs) where !v.isEmpty { if let c = plan.values[v]?.constant { constants[v] = c } }
            if work[i] != nil { continue }
            if ControlFlow.operators.contains(node.opType) { work[i] = .controlFlow; continue }
            let act = node.outputs.first.flatMap(fusable)
            if let a = act, tail.contains(a.index), let p = try FastTailPrimitive(node, plan: plan, activation: (plan.steps[a.index], a.alg, a.alpha, a.beta)) {
                work[i] = .primitive(p); work[a.index] = .fused
            } else if let p = try FastTailPrimitive(node, plan: plan, activation: nil) {
                work[i] = .primitive(p)
            } else {
                work[i] = .reference
            }
        }
        self.constants = constants
        steps = indices.map { ($0, work[$0]!) }
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
        var tensors = constants
        var natives: [String: NativeValue] = [:]
        for (name, l) in handover { tensors[name] = read(l) }
        func tensor(_ name: String) throws -> Tensor? {
            if let t = tensors[name] { return t }
            guard let v = natives[name] else { return nil }
            let t = try v.tensor()
            tensors[name] = t
            return t
        }
        for s in steps {
            let node = plan.steps[s.index]
            let start = record == nil ? 0 : DispatchTime.now().uptimeNanoseconds
            switch s.work {
            case .fused:
                // The producer already wrote this activation's output under this name.
                continue
            case .primitive(let p):
                let x = node.inputs[0]
                let r = natives[x] != nil && tensors[x] == nil ? try p.run(nil, native: natives[x]) : try p.run(try tensor(x), native: nil)
                var out = node.outputs[0]
                if let a = p.activation { out = a.node.outputs[0] }
                if let t = r.tensor { tensors[out] = t } else { natives[out] = r.native }
                try record?(p.label, start)
            case .controlFlow, .reference:
                for v in node.inputs + Array(node.implicitInputs) where !v.isEmpty { _ = try tensor(v) }
                let outs: [Tensor]
                if case .controlFlow = s.work { outs = try ControlFlow.run(node, env: tensors, opset: plan.opset) }
                else { outs = try Reference.run(node, try node.inputs.map { $0.isEmpty ? nil : try tensor($0) }, opset: plan.opset, threads: threads) }
                for (j, name) in node.outputs.enumerated() where !name.isEmpty && j < outs.count { tensors[name] = outs[j] }
                try record?(node.opType + " (reference, dynamic)", start)
            }
            // Values die after their last reader (a fused pair reads the producer's input only).
            for v in node.inputs + Array(node.implicitInputs) where !v.isEmpty && plan.lastUse[v] == s.index && constants[v] == nil {
                tensors[v] = nil; natives[v] = nil
            }
        }
        var result: [String: Tensor] = [:]
        for name in plan.outputNames where plan.values[name]?.dynamic == true {
            guard let t = try tensor(name) else { throw EngineError.malformedModel("output '\(name)' was not computed") }
            result[name] = t
        }
        return result
    }
}
