/// Parameter derivation shared by shape inference, the reference kernels, the oneDNN backend and
/// FLOP counting, so all of them agree on what an attribute means.
enum OpParams {
    /// Normalizes a possibly negative axis against `rank`.
    static func axis(_ a: Int, rank: Int, _ node: Node) throws -> Int {
        let r = a < 0 ? a + rank : a
        guard r >= 0, r < rank else { throw node.invalid("axis \(a) out of range for rank \(rank)") }
        return r
    }

    /// NumPy (multidirectional) broadcast of shapes.
    static func broadcast(_ shapes: [[Int]], _ node: Node) throws -> [Int] {
        let rank = shapes.map(\.count).max() ?? 0
        var out = [Int](repeating: 1, count: rank)
        for s in shapes {
            for (i, d) in s.enumerated() {
                let j = rank - s.count + i
                if out[j] == 1 { out[j] = d }
                else if d != 1 && d != out[j] {
                    throw node.invalid("shapes \(shapes.map { "\($0)" }.joined(separator: " and ")) do not broadcast")
                }
            }
        }
        return out
    }

    /// Convolution / pooling window geometry over the spatial dims, padded to 3 spatial dims
    /// (leading dims of size 1) so kernels handle 1D, 2D and 3D alike.
    struct Window {
        var inSpatial: [Int], outSpatial: [Int], kernel: [Int], strides: [Int], dilations: [Int]
        var padsBegin: [Int], padsEnd: [Int]
        /// Lifted to exactly 3 spatial dims.
        var in3: [Int] { lift(inSpatial, 1) }
        var out3: [Int] { lift(outSpatial, 1) }
        var k3: [Int] { lift(kernel, 1) }
        var s3: [Int] { lift(strides, 1) }
        var d3: [Int] { lift(dilations, 1) }
        var pb3: [Int] { lift(padsBegin, 0) }
        var pe3: [Int] { lift(padsEnd, 0) }
        func lift(_ v: [Int], _ fill: Int) -> [Int] { [Int](repeating: fill, count: 3 - v.count) + v }
    }

    /// Window for Conv/MaxPool/AveragePool. `kernel` is the spatial kernel size; `ceilMode` for pools.
    static func window(_ node: Node, inSpatial: [Int], kernel: [Int], ceilMode: Bool = false) throws -> Window {
        let n = inSpatial.count
        guard n >= 1, n <= 3, kernel.count == n else { throw node.invalid("expected 1 to 3 spatial dims, kernel \(kernel) for input spatial \(inSpatial)") }
        let strides = try node.ints("strides") ?? [Int](repeating: 1, count: n)
        let dil = try node.ints("dilations") ?? [Int](repeating: 1, count: n)
        var pads = try node.ints("pads") ?? [Int](repeating: 0, count: 2 * n)
        guard strides.count == n, dil.count == n, pads.count == 2 * n else { throw node.invalid("strides/dilations/pads do not match \(n) spatial dims") }
        guard strides.allSatisfy({ $0 >= 1 }), dil.allSatisfy({ $0 >= 1 }), pads.allSatisfy({ $0 >= 0 }), kernel.allSatisfy({ $0 >= 1 }) else {
            throw node.invalid("strides, dilations and kernel must be positive, pads non-negative")
        }
        let autoPad = try node.string("auto_pad", "NOTSET")
        var out = [Int](repeating: 0, count: n)
        for i in 0..<n {
            let ek = (kernel[i] - 1) * dil[i] + 1
            switch autoPad {
            case "SAME_UPPER", "SAME_LOWER":
                out[i] = (inSpatial[i] + strides[i] - 1) / strides[i]
                let total = max(0, (out[i] - 1) * strides[i] + ek - inSpatial[i])
                let small = total / 2
                pads[i] = autoPad == "SAME_UPPER" ? small : total - small
                pads[i + n] = total - pads[i]
            case "VALID":
                pads[i] = 0; pads[i + n] = 0
                out[i] = inSpatial[i] >= ek ? (inSpatial[i] - ek) / strides[i] + 1 : 0
            case "NOTSET":
                let span = inSpatial[i] + pads[i] + pads[i + n] - ek
                guard span >= 0 else { throw node.invalid("window \(ek) larger than padded input \(inSpatial[i] + pads[i] + pads[i + n])") }
                if ceilMode {
                    out[i] = (span + strides[i] - 1) / strides[i] + 1
                    if (out[i] - 1) * strides[i] >= inSpatial[i] + pads[i] { out[i] -= 1 }
                } else {
                    out[i] = span / strides[i] + 1
                }
            default: throw node.invalid("auto_pad \(autoPad)")
            }
            guard out[i] >= 1 else { throw node.invalid("empty output along spatial dim \(i)") }
        }
        return Window(inSpatial: inSpatial, outSpatial: out, kernel: kernel, strides: strides, dilations: dil,
                      padsBegin: Array(pads[0..<n]), padsEnd: Array(pads[n...]))
    }

    /// ConvTranspose geometry: weight [Cin, Cout/group, k...]. Output size
    /// stride*(in-1) + output_padding + (k-1)*dilation + 1 - padsBegin - padsEnd, or `output_shape`.
    static func transposeWindow(_ node: Node, inSpatial: [Int], kernel: [Int]) throws -> (Window, outputPadding: [Int]) {
        let n = inSpatial.count
        guard n >= 1, n <= 3, kernel.count == n else { throw node.invalid("expected 1 to 3 spatial dims") }
        let strides = try node.ints("strides") ?? [Int](repeating: 1, count: n)
        let dil = try node.ints("dilations") ?? [Int](repeating: 1, count: n)
        var pads = try node.ints("pads") ?? [Int](repeating: 0, count: 2 * n)
        let outPad = try node.ints("output_padding") ?? [Int](repeating: 0, count: n)
        guard strides.count == n, dil.count == n, pads.count == 2 * n, outPad.count == n else { throw node.invalid("attribute lengths do not match \(n) spatial dims") }
        guard strides.allSatisfy({ $0 >= 1 }), dil.allSatisfy({ $0 >= 1 }), pads.allSatisfy({ $0 >= 0 }), outPad.allSatisfy({ $0 >= 0 }) else {
            throw node.invalid("strides and dilations must be positive, pads and output_padding non-negative")
        }
        let autoPad = try node.string("auto_pad", "NOTSET")
        var out = [Int](repeating: 0, count: n)
        let explicitShape = try node.ints("output_shape")
        for i in 0..<n {
            let full = strides[i] * (inSpatial[i] - 1) + outPad[i] + (kernel[i] - 1) * dil[i] + 1
            if let os = explicitShape {
                let target = os.count == n ? os[i] : os[os.count - n + i]
                let total = max(0, full - target)
                pads[i] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2
                pads[i + n] = total - pads[i]
            } else if autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER" {
                let target = inSpatial[i] * strides[i]
                let total = max(0, full - target)
                pads[i] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2
                pads[i + n] = total - pads[i]
            } else if autoPad == "VALID" {
                pads[i] = 0; pads[i + n] = 0
            }
            out[i] = full - pads[i] - pads[i + n]
            guard out[i] >= 1 else { throw node.invalid("empty output along spatial dim \(i)") }
        }
        let w = Window(inSpatial: inSpatial, outSpatial: out, kernel: kernel, strides: strides, dilations: dil,
                       padsBegin: Array(pads[0..<n]), padsEnd: Array(pads[n...]))
        return (w, outPad)
    }

    /// Resize parameters: output shape and per-axis scale (output/input, or as given).
    struct ResizeSpec {
        var outShape: [Int]
        var scales: [Float]
        var mode: String, coordinateMode: String, nearestMode: String
        var cubicCoefficient: Float
    }

    static func resize(_ node: Node, inShape: [Int], scales: [Float]?, sizes: [Int]?, opset: Int) throws -> ResizeSpec {
        let rank = inShape.count
        let mode = try node.string("mode", "nearest")
        var coord = try node.string("coordinate_transformation_mode", node.opType == "Upsample" ? "asymmetric" : "half_pixel")
        if opset < 11 || node.opType == "Upsample" { coord = "asymmetric" }
        let nearest = try node.string("nearest_mode", node.opType == "Upsample" ? "floor" : "round_prefer_floor")
        guard mode == "nearest" || mode == "linear" || mode == "bilinear" || mode == "trilinear" else {
            throw EngineError.unsupported("Resize mode '\(mode)' (node '\(node.name)'); nearest and linear are supported")
        }
        guard ["half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel", "half_pixel_symmetric"].contains(coord) else {
            throw EngineError.unsupported("Resize coordinate_transformation_mode '\(coord)' (node '\(node.name)')")
        }
        if node.attributes["axes"] != nil { throw EngineError.unsupported("Resize with axes (node '\(node.name)')") }
        if try node.string("keep_aspect_ratio_policy", "stretch") != "stretch" { throw EngineError.unsupported("Resize keep_aspect_ratio_policy (node '\(node.name)')") }
        var outShape = inShape, sc = [Float](repeating: 1, count: rank)
        if let sizes, !sizes.isEmpty {
            guard sizes.count == rank, sizes.allSatisfy({ $0 >= 1 && $0 <= 1 << 20 }) else { throw node.invalid("sizes \(sizes) do not fit rank \(rank)") }
            outShape = sizes
            sc = (0..<rank).map { Float(sizes[$0]) / Float(inShape[$0]) }
        } else if let scales, !scales.isEmpty {
            guard scales.count == rank, scales.allSatisfy({ $0 > 0 && $0 < 1e5 }) else { throw node.invalid("scales \(scales) do not fit rank \(rank)") }
            sc = scales
            outShape = (0..<rank).map { Int((Float(inShape[$0]) * scales[$0]).rounded(.down)) }
            guard outShape.allSatisfy({ $0 >= 1 }) else { throw node.invalid("scales \(scales) give an empty output") }
        } else {
            throw node.invalid("needs constant scales or sizes")
        }
        let m = mode == "nearest" ? "nearest" : "linear"
        return ResizeSpec(outShape: outShape, scales: sc, mode: m, coordinateMode: coord, nearestMode: nearest,
                          cubicCoefficient: try node.float("cubic_coeff_a", -0.75))
    }

    /// Source coordinate of output index `x` along an axis (ONNX Resize coordinate transformation).
    static func sourceCoordinate(_ x: Int, inSize: Int, outSize: Int, scale: Float, mode: String) -> Float {
        let xf = Float(x)
        switch mode {
        case "asymmetric": return xf / scale
        case "align_corners": return outSize == 1 ? 0 : xf * Float(inSize - 1) / Float(outSize - 1)
        case "pytorch_half_pixel": return outSize > 1 ? (xf + 0.5) / scale - 0.5 : 0
        case "half_pixel_symmetric":
            let adj = Float(outSize) / (scale * Float(inSize))
            let center = Float(inSize) / 2
            let offset = center * (1 - adj)
            return offset + (xf + 0.5) / scale - 0.5
        default: return (xf + 0.5) / scale - 0.5
        }
    }

    /// Slice parameters per axis of the input: start, step and count after ONNX clamping rules.
    static func slice(_ node: Node, shape: [Int], starts: [Int64], ends: [Int64], axes: [Int64]?, steps: [Int64]?) throws -> (start: [Int], step: [Int], count: [Int]) {
        let rank = shape.count
        var start = [Int](repeating: 0, count: rank), step = [Int](repeating: 1, count: rank), count = shape
        let ax = axes ?? (0..<Int64(starts.count)).map { $0 }
        guard starts.count == ends.count, ax.count == starts.count, steps == nil || steps!.count == starts.count else {
            throw node.invalid("starts/ends/axes/steps lengths differ")
        }
        for i in 0..<ax.count {
            let a = try axis(Int(clamping: ax[i]), rank: rank, node)
            let dim = Int64(shape[a])
            let st = steps?[i] ?? 1
            guard st != 0 else { throw node.invalid("step 0") }
            var s = starts[i], e = ends[i]
            if s < 0 { s += dim }
            if e < 0 { e += dim }
            if st > 0 {
                s = min(max(s, 0), dim); e = min(max(e, 0), dim)
                count[a] = e > s ? Int((e - s + st - 1) / st) : 0
            } else {
                s = min(max(s, 0), dim - 1); e = min(max(e, -1), dim - 1)
                count[a] = s > e ? Int((s - e + (-st) - 1) / (-st)) : 0
            }
            start[a] = Int(s); step[a] = Int(clamping: st)
        }
        return (start, step, count)
    }

    /// Reshape target with 0 (copy, unless allowzero) and -1 (infer) resolved.
    static func reshape(_ node: Node, from shape: [Int], to target: [Int64], allowZero: Bool) throws -> [Int] {
        var out = [Int](); var inferAt: Int? = nil
        for (i, t) in target.enumerated() {
            if t == -1 {
                guard inferAt == nil else { throw node.invalid("more than one -1 in shape \(target)") }
                inferAt = i; out.append(1)
            } else if t == 0 && !allowZero {
                guard i < shape.count else { throw node.invalid("0 in shape \(target) beyond input rank") }
                out.append(shape[i])
            } else {
                guard t >= 0, t <= 1 << 31 else { throw node.invalid("bad target dim \(t)") }
                out.append(Int(t))
            }
        }
        let total = Tensor.elementCount(shape)
        if let k = inferAt {
            let rest = out.reduce(1, *)
            guard rest > 0, total % rest == 0 else { throw node.invalid("cannot reshape \(shape) to \(target)") }
            out[k] = total / rest
        }
        guard Tensor.elementCount(out) == total else { throw node.invalid("cannot reshape \(shape) (\(total) elements) to \(target)") }
        return out
    }
}
