import Foundation

/// Slice on plain (row-major) data as a strided copy, instead of the reference fallback's two extra
/// copies of the whole input (SwinUNETR's window shifts and partitions slice 100+ MB tensors 222
/// times: 2.1 s of a 6.4 s run). Lines along the innermost output axis are copied with their step.
struct StridedCopy: FastKernel {
    let inShape: [Int]
    let start: [Int]
    let step: [Int]
    let outShape: [Int]
    let threads: Int

    func run(_ p: [UnsafeMutableRawPointer]) {
        let src = UnsafePointer(p[0].assumingMemoryBound(to: Float.self)), dst = p[1].assumingMemoryBound(to: Float.self)
        guard !outShape.isEmpty, !outShape.contains(0) else { return }
        // Work goes by lines of the innermost axis, and a line's start is found from the previous
        // one: a column of [n, 4] box coordinates is n lines of one element, and a division per line
        // (a row-major index to an offset) costs more than the copy.
        let shape = outShape.count == 1 ? [1] + outShape : outShape, steps = outShape.count == 1 ? [1] + step : step
        let inStrides = Tensor.strides(inShape.count == 1 ? [1] + inShape : inShape)
        let rank = shape.count
        let inner = shape[rank - 1], innerStep = steps[rank - 1] * inStrides[rank - 1]
        let lines = shape[rank - 2], lineStep = steps[rank - 2] * inStrides[rank - 2]
        let base = zip(start, Tensor.strides(inShape)).reduce(0) { $0 + $1.0 * $1.1 }
        let outer = Array(shape.dropLast(2)), rowStrides = (0..<(rank - 2)).map { steps[$0] * inStrides[$0] }
        nonisolated(unsafe) let (s0, d0) = (src, dst)
        parallelRows(outer.reduce(1, *) * lines, elementsPerRow: inner, threads: threads) { range in
            guard let firstLine = range.first else { return }
            var line = firstLine % lines
            var from = s0 + base + rowOffset(firstLine / lines, extents: outer, strides: rowStrides) + line * lineStep
            for index in range {
                let out = d0 + index * inner
                if innerStep == 1 && inner >= 16 {
                    out.update(from: from, count: inner)
                } else {
                    for i in 0..<inner { out[i] = from[i * innerStep] }
                }
                line += 1
                if line < lines {
                    from += lineStep
                } else if index + 1 < range.upperBound {
                    line = 0
                    from = s0 + base + rowOffset((index + 1) / lines, extents: outer, strides: rowStrides)
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
