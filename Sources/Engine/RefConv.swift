/// Reference convolution, transposed convolution and pooling: direct loops over output positions,
/// all ranks lifted to 3 spatial dims. Convolution accumulates its products in Double, as the
/// reference MatMul and Gemm do: a plain sequential sum of thousands of Float products drifts by
/// ~1e-5 relative, enough to reorder near-equal region proposals of a detector (Mask R-CNN v1 on
/// the reference backend kept one detection onnxruntime did not).
enum RefConv {
    static func conv(_ node: Node, x: Tensor, w: Tensor, bias: Tensor?, outShape: [Int]) throws -> Tensor {
        let win = try OpParams.window(node, inSpatial: Array(x.shape[2...]), kernel: try node.ints("kernel_shape") ?? Array(w.shape[2...]))
        let group = try node.int("group", 1)
        let n = x.shape[0], cin = x.shape[1], cout = w.shape[0]
        let cinG = cin / group, coutG = cout / group
        let (i3, o3, k3, s3, d3, p3) = (win.in3, win.out3, win.k3, win.s3, win.d3, win.pb3)
        let inPlane = i3[0] * i3[1] * i3[2], outPlane = o3[0] * o3[1] * o3[2], kVol = k3[0] * k3[1] * k3[2]
        var out = [Float](repeating: 0, count: n * cout * outPlane)
        let b = bias?.floats
        // One output row (od, oh) at a time, its sums in Double; the innermost loop runs along the row over
        // the positions whose input column is inside the image. Each output's products are added in the
        // same order as a direct loop over (ic, kd, kh, kw) would, so the result is that loop's, bit for bit.
        let (iD, iH, iW, oD, oH, oW) = (i3[0], i3[1], i3[2], o3[0], o3[1], o3[2])
        let (kD, kH, kW, sD, sH, sW) = (k3[0], k3[1], k3[2], s3[0], s3[1], s3[2])
        let (dD, dH, dW, pD, pH, pW) = (d3[0], d3[1], d3[2], p3[0], p3[1], p3[2])
        // The output columns ow whose input column ow * sW - pW + kw * dW lies in 0..<iW, for each kw.
        let columns: [Range<Int>] = (0..<kW).map { kw in
            let shift = kw * dW - pW
            let first = max(0, Self.ceilDiv(-shift, sW)), last = min(oW - 1, Self.floorDiv(iW - 1 - shift, sW))
            return first <= last ? first..<(last + 1) : 0..<0
        }
        var row = [Double](repeating: 0, count: oW)
        x.floats.withUnsafeBufferPointer { xp in
            w.floats.withUnsafeBufferPointer { wp in
                out.withUnsafeMutableBufferPointer { op in
                    row.withUnsafeMutableBufferPointer { acc in
                        for b0 in 0..<n {
                            for oc in 0..<cout {
                                let g = oc / coutG
                                let obase = (b0 * cout + oc) * outPlane, start = Double(b?[oc] ?? 0)
                                for od in 0..<oD { for oh in 0..<oH {
                                    for ow in 0..<oW { acc[ow] = start }
                                    for ic in 0..<cinG {
                                        let xbase = (b0 * cin + g * cinG + ic) * inPlane
                                        let wbase = (oc * cinG + ic) * kVol
                                        for kd in 0..<kD {
                                            let id = od * sD - pD + kd * dD
                                            if id < 0 || id >= iD { continue }
                                            for kh in 0..<kH {
                                                let ih = oh * sH - pH + kh * dH
                                                if ih < 0 || ih >= iH { continue }
                                                let xrow = xbase + (id * iH + ih) * iW
                                                for kw in 0..<kW {
                                                    let weight = Double(wp[wbase + (kd * kH + kh) * kW + kw])
                                                    let shift = xrow + kw * dW - pW
                                                    for ow in columns[kw] { acc[ow] += Double(xp[shift + ow * sW]) * weight }
                                                }
                                            }
                                        }
                                    }
                                    let orow = obase + (od * oH + oh) * oW
                                    for ow in 0..<oW { op[orow + ow] = Float(acc[ow]) }
                                } }
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: outShape, floats: out)
    }

    /// ConvTranspose as the adjoint of convolution: every input element scatters into the output.
    static func convTranspose(_ node: Node, x: Tensor, w: Tensor, bias: Tensor?, outShape: [Int]) throws -> Tensor {
        let (win, _) = try OpParams.transposeWindow(node, inSpatial: Array(x.shape[2...]), kernel: try node.ints("kernel_shape") ?? Array(w.shape[2...]))
        let group = try node.int("group", 1)
        let n = x.shape[0], cin = x.shape[1], coutG = w.shape[1], cout = coutG * group, cinG = cin / group
        let (i3, o3, k3, s3, d3, p3) = (win.in3, win.out3, win.k3, win.s3, win.d3, win.pb3)
        let inPlane = i3[0] * i3[1] * i3[2], outPlane = o3[0] * o3[1] * o3[2], kVol = k3[0] * k3[1] * k3[2]
        var out = [Float](repeating: 0, count: n * cout * outPlane)
        if let b = bias?.floats {
            for b0 in 0..<n { for c in 0..<cout { for i in 0..<outPlane { out[(b0 * cout + c) * outPlane + i] = b[c] } } }
        }
        x.floats.withUnsafeBufferPointer { xp in
            w.floats.withUnsafeBufferPointer { wp in
                out.withUnsafeMutableBufferPointer { op in
                    for b0 in 0..<n { for ci in 0..<cin {
                        let g = ci / cinG
                        for co in 0..<coutG {
                            let obase = (b0 * cout + g * coutG + co) * outPlane
                            let wbase = (ci * coutG + co) * kVol
                            for id in 0..<i3[0] { for ih in 0..<i3[1] { for iw in 0..<i3[2] {
                                let v = xp[(b0 * cin + ci) * inPlane + (id * i3[1] + ih) * i3[2] + iw]
                                for kd in 0..<k3[0] {
                                    let od = id * s3[0] - p3[0] + kd * d3[0]
                                    if od < 0 || od >= o3[0] { continue }
                                    for kh in 0..<k3[1] {
                                        let oh = ih * s3[1] - p3[1] + kh * d3[1]
                                        if oh < 0 || oh >= o3[1] { continue }
                                        for kw in 0..<k3[2] {
                                            let ow = iw * s3[2] - p3[2] + kw * d3[2]
                                            if ow < 0 || ow >= o3[2] { continue }
                                            op[obase + (od * o3[1] + oh) * o3[2] + ow] += v * wp[wbase + (kd * k3[1] + kh) * k3[2] + kw]
                                        }
                                    }
                                }
                            } } }
                        }
                    } }
                }
            }
        }
        return Tensor(shape: outShape, floats: out)
    }

    /// MaxPool (padding never wins) and AveragePool (count_include_pad counts the explicit pads,
    /// never positions beyond them added by ceil_mode).
    static func pool(_ node: Node, x: Tensor, outShape: [Int]) throws -> Tensor {
        let isMax = node.opType == "MaxPool"
        let win = try OpParams.window(node, inSpatial: Array(x.shape[2...]), kernel: try node.ints("kernel_shape") ?? [], ceilMode: try node.int("ceil_mode", 0) != 0)
        let includePad = try node.int("count_include_pad", 0) != 0
        let (i3, o3, k3, s3, d3, p3, e3) = (win.in3, win.out3, win.k3, win.s3, win.d3, win.pb3, win.pe3)
        let planes = x.shape[0] * x.shape[1]
        let inPlane = i3[0] * i3[1] * i3[2], outPlane = o3[0] * o3[1] * o3[2]
        var out = [Float](repeating: 0, count: planes * outPlane)
        for p in 0..<planes {
            for od in 0..<o3[0] { for oh in 0..<o3[1] { for ow in 0..<o3[2] {
                var acc: Float = isMax ? -.infinity : 0
                var counted = 0
                for kd in 0..<k3[0] {
                    let id = od * s3[0] - p3[0] + kd * d3[0]
                    for kh in 0..<k3[1] {
                        let ih = oh * s3[1] - p3[1] + kh * d3[1]
                        for kw in 0..<k3[2] {
                            let iw = ow * s3[2] - p3[2] + kw * d3[2]
                            let inside = id >= 0 && id < i3[0] && ih >= 0 && ih < i3[1] && iw >= 0 && iw < i3[2]
                            if inside {
                                let v = x.floats[p * inPlane + (id * i3[1] + ih) * i3[2] + iw]
                                if isMax { acc = max(acc, v) } else { acc += v }
                                counted += 1
                            } else if includePad && id >= -p3[0] && id < i3[0] + e3[0] && ih >= -p3[1] && ih < i3[1] + e3[1]
                                        && iw >= -p3[2] && iw < i3[2] + e3[2] {
                                counted += 1
                            }
                        }
                    }
                }
                out[p * outPlane + (od * o3[1] + oh) * o3[2] + ow] = isMax ? acc : (counted > 0 ? acc / Float(counted) : 0)
            } } }
        }
        return Tensor(shape: outShape, floats: out)
    }

    static func globalPool(_ x: Tensor, isMax: Bool, outShape: [Int]) -> Tensor {
        let planes = x.shape[0] * x.shape[1]
        let size = x.count / max(planes, 1)
        var out = [Float](repeating: 0, count: planes)
        for p in 0..<planes {
            let slice = x.floats[(p * size)..<((p + 1) * size)]
            if isMax { out[p] = slice.max() ?? 0 }
            else { out[p] = Float(slice.reduce(0.0) { $0 + Double($1) } / Double(max(size, 1))) }
        }
        return Tensor(shape: outShape, floats: out)
    }

    /// Division rounding towards minus infinity and towards plus infinity (positive divisor).
    static func floorDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }
    static func ceilDiv(_ a: Int, _ b: Int) -> Int { -floorDiv(-a, b) }
}
