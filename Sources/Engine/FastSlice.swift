import Foundation

/// Slice on plain (row-major) data as a strided copy, instead of the reference fallback's two extra
/// copies of the whole input (SwinUNETR's window shifts and partitions slice 100+ MB tensors 222
/// times: 2.1 s of a 6.4 s run). Rows along the innermost output axis are copied with their step.
struct StridedCopy: FastKernel {
    let inShape: [Int]
    let start: [Int]
    let step: [Int]
    let outShape: [Int]
    let threads: Int

    func run(_ p: [UnsafeMutableRawPointer]) {
        let src = UnsafePointer(p[0].assumingMemoryBound(to: Float.self)), dst = p[1].assumingMemoryBound(to: Float.self)
        let rank = outShape.count
        guard rank > 0, !outShape.contains(0) else { return }
        let inStrides = Tensor.strides(inShape)
        let inner = outShape[rank - 1], innerStep = step[rank - 1] * inStrides[rank - 1]
        let base = zip(start, inStrides).reduce(0) { $0 + $1.0 * $1.1 }
        let outer = Array(outShape.dropLast()), rowStrides = (0..<(rank - 1)).map { step[$0] * inStrides[$0] }
        let rows = outer.reduce(1, *)
        nonisolated(unsafe) let (s0, d0) = (src, dst)
        parallelRows(rows, elementsPerRow: inner, threads: threads) { range in
            for row in range {
                let from = s0 + base + rowOffset(row, extents: outer, strides: rowStrides), to = d0 + row * inner
                if innerStep == 1 {
                    to.update(from: from, count: inner)
                } else {
                    for i in 0..<inner { to[i] = from[i * innerStep] }
                }
            }
        }
    }
}

/// A kernel of the fast backend written here (where oneDNN has no primitive, or only its reference
/// one), run on the executor's buffers in the order of `FastExecutor.Step.kernel`'s refs.
protocol FastKernel {
    func run(_ pointers: [UnsafeMutableRawPointer])
}

extension FastExecutor {
    /// Slice of a float value as a `StridedCopy` (plain layouts; the input is reordered to plain if needed).
    func compileSlice(_ node: Node, temps: inout [Int]) throws -> Bool {
        guard let l = locs[node.inputs[0]], l.type == .float32 else { return false }
        let ins = node.inputs.map { $0.isEmpty ? nil : plan.values[$0] }
        let p = try ShapeInference.sliceParams(node, l.shape, ins, opset: plan.opset)
        guard p.count == shape(node.outputs[0]) else { return false }
        let src = try ensure(node.inputs[0], md: try DNNL.plain(l.shape), temps: &temps)
        let dst = try newValue(node.outputs[0], md: try DNNL.plain(p.count), shape: p.count)
        let kernel = StridedCopy(inShape: l.shape, start: p.start, step: p.step, outShape: p.count,
                                 threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
        steps.append(.kernel(kernel, [src, dst], label: "Slice"))
        return true
    }
}
