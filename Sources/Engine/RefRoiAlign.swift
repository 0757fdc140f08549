import CKernels

extension RefDetection {
    /// RoiAlign (opsets 10 and 16): X [N, C, H, W], rois [R, 4] as (x1, y1, x2, y2) in input
    /// coordinates, batch_indices [R] -> [R, C, output_height, output_width]. Each output bin
    /// averages (mode "avg") or takes the maximum (mode "max") of bilinearly interpolated samples on a
    /// regular grid (sampling_ratio per side, or ceil(roi size / output size) when 0).
    /// coordinate_transformation_mode "half_pixel" (opset 16's default; torchvision's aligned=True)
    /// shifts the scaled box by -0.5 pixel; "output_half_pixel" (opset 10's behaviour) does not and
    /// makes boxes at least 1 pixel wide. The max mode follows onnxruntime: the maximum over samples
    /// of the largest of the four weighted corner values, not of the interpolated value.
    /// RoIs are independent: `threads` workers share them (the fast backend's thread count).
    static func roiAlign(_ node: Node, x: Tensor, rois: Tensor, batchIndices: Tensor, threads: Int = 1) throws -> Tensor {
        guard x.rank == 4, rois.rank == 2, rois.shape[1] == 4, batchIndices.count == rois.shape[0] else {
            throw node.invalid("X \(x.shape) must be NCHW, rois \(rois.shape) [R, 4], batch_indices \(batchIndices.shape) [R]")
        }
        let mode = try node.string("mode", "avg")
        guard mode == "avg" || mode == "max" else { throw node.invalid("mode '\(mode)' must be avg or max") }
        let ctm = try node.string("coordinate_transformation_mode", "half_pixel")
        guard ctm == "half_pixel" || ctm == "output_half_pixel" else {
            throw node.invalid("coordinate_transformation_mode '\(ctm)' must be half_pixel or output_half_pixel")
        }
        let (ph, pw) = (try node.int("output_height", 1), try node.int("output_width", 1))
        let sampling = try node.int("sampling_ratio", 0), scale = try node.float("spatial_scale", 1)
        guard ph >= 1, pw >= 1, ph <= 1 << 12, pw <= 1 << 12, sampling >= 0, sampling <= 1 << 10 else {
            throw node.invalid("output size \(ph)x\(pw) or sampling_ratio \(sampling) out of range")
        }
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let r = rois.shape[0], offset: Float = ctm == "half_pixel" ? 0.5 : 0, isAvg = mode == "avg"
        let v = x.floatValues, box = rois.floatValues, batch = batchIndices.intValues
        // Every RoI is checked before any is computed, so workers never throw.
        var boxes = [RoiBox](repeating: RoiBox(), count: r)
        for ri in 0..<r {
            let bi = batch[ri]
            guard bi >= 0, bi < Int64(n) else { throw node.invalid("batch index \(bi) of roi \(ri) outside 0..<\(n)") }
            let x0 = box[ri * 4] * scale - offset, y0 = box[ri * 4 + 1] * scale - offset
            var rw = box[ri * 4 + 2] * scale - offset - x0, rh = box[ri * 4 + 3] * scale - offset - y0
            if ctm == "output_half_pixel" { rw = max(rw, 1); rh = max(rh, 1) }
            guard x0.isFinite, y0.isFinite, rw.isFinite, rh.isFinite, abs(rw) < 16_777_216, abs(rh) < 16_777_216 else {
                throw node.invalid("roi \(ri) has non-finite or absurd coordinates")
            }
            // A box with negative size samples nothing (onnxruntime's loops do not run either).
            let gridH = sampling > 0 ? sampling : max(0, Int((rh / Float(ph)).rounded(.up)))
            let gridW = sampling > 0 ? sampling : max(0, Int((rw / Float(pw)).rounded(.up)))
            guard gridH <= 1 << 12, gridW <= 1 << 12 else { throw node.invalid("roi \(ri) needs an absurd sampling grid \(gridH)x\(gridW)") }
            boxes[ri] = RoiBox(bi: Int(bi), x0: x0, y0: y0, binH: rh / Float(ph), binW: rw / Float(pw), gridH: gridH, gridW: gridW)
        }
        // Many samples per pixel (a detector's RoI heads): sample a channels-last copy, all channels at once.
        let samplesTotal = boxes.reduce(0) { $0 + $1.gridH * $1.gridW } * ph * pw
        if isAvg && c >= 8 && h * w > 0 && samplesTotal >= h * w {
            return averagedChannelsLast(x: v, n: n, c: c, h: h, w: w, boxes: boxes, ph: ph, pw: pw, threads: threads)
        }
        let out = [Float](unsafeUninitializedCapacity: r * c * ph * pw) { buf, count in
            count = r * c * ph * pw
            nonisolated(unsafe) let out = buf
            v.withUnsafeBufferPointer { v in
                parallelItems(r, threads: threads) { ri in
                    let b = boxes[ri], count = b.divisor, perBin = b.perBin
                    b.samples(ph: ph, pw: pw, h: h, w: w).withUnsafeBufferPointer { samples in
                        let sp = samples.baseAddress!, bins = ph * pw
                        for ch in 0..<c {
                            let plane = v.baseAddress! + (b.bi * c + ch) * h * w, o = out.baseAddress! + (ri * c + ch) * bins
                            var si = 0
                            for bin in 0..<bins {
                                var acc: Float = 0
                                if isAvg {
                                    for _ in 0..<perBin {
                                        let s = sp[si]
                                        acc += s.w1 * plane[s.p1] + s.w2 * plane[s.p2] + s.w3 * plane[s.p3] + s.w4 * plane[s.p4]
                                        si += 1
                                    }
                                    o[bin] = acc / count
                                } else {
                                    for k in 0..<perBin {
                                        let s = sp[si]
                                        let m = max(max(max(s.w1 * plane[s.p1], s.w2 * plane[s.p2]), s.w3 * plane[s.p3]), s.w4 * plane[s.p4])
                                        acc = k == 0 ? m : max(acc, m)
                                        si += 1
                                    }
                                    o[bin] = acc
                                }
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: [r, c, ph, pw], floats: out)
    }

    /// RoiAlign's average mode on a channels-last copy of X ([n, h, w, c]): each sample's four
    /// corners are four contiguous channel vectors, so one pass over the samples accumulates every
    /// channel (vectorised: `ss_roi_align_average` in CKernels, built for AVX-512, AVX2 and the
    /// baseline), in the same order per channel as the plane-by-plane loop, so with the same result.
    /// The copy costs one pass over X, repaid when there are more samples than pixels.
    static func averagedChannelsLast(x v: [Float], n: Int, c: Int, h: Int, w: Int,
                                     boxes: [RoiBox], ph: Int, pw: Int, threads: Int) -> Tensor {
        let hw = h * w, bins = ph * pw, r = boxes.count
        let hwc = [Float](unsafeUninitializedCapacity: n * hw * c) { buf, count in
            count = n * hw * c
            nonisolated(unsafe) let dst = buf
            v.withUnsafeBufferPointer { src in
                parallelItems(n * h, threads: threads) { row in
                    let (b, y) = (row / h, row % h)
                    for ch in 0..<c {
                        let from = src.baseAddress! + (b * c + ch) * hw + y * w, to = dst.baseAddress! + (b * hw + y * w) * c + ch
                        for xx in 0..<w { to[xx * c] = from[xx] }
                    }
                }
            }
        }
        let out = [Float](unsafeUninitializedCapacity: r * c * bins) { buf, count in
            count = r * c * bins
            nonisolated(unsafe) let out = buf
            hwc.withUnsafeBufferPointer { src in
                parallelItems(r, threads: threads) { ri in
                    let b = boxes[ri]
                    let acc = UnsafeMutablePointer<Float>.allocate(capacity: c)
                    defer { acc.deallocate() }
                    b.samples(ph: ph, pw: pw, h: h, w: w).withUnsafeBufferPointer { samples in
                        ss_roi_align_average(src.baseAddress! + b.bi * hw * c, c, samples.baseAddress, bins, b.perBin, b.divisor,
                                             acc, out.baseAddress! + ri * c * bins)
                    }
                }
            }
        }
        return Tensor(shape: [r, c, ph, pw], floats: out)
    }

    /// One checked RoI in feature-map coordinates: its image, corner, bin size and sampling grid.
    struct RoiBox {
        var bi = 0, x0: Float = 0, y0: Float = 0, binH: Float = 0, binW: Float = 0, gridH = 0, gridW = 0
        var perBin: Int { gridH * gridW }
        /// What a bin's sum is divided by in average mode (1 for an empty grid).
        var divisor: Float { Float(max(perBin, 1)) }
        func samples(ph: Int, pw: Int, h: Int, w: Int) -> [Sample] {
            bilinearSamples(y0: y0, x0: x0, binH: binH, binW: binW, ph: ph, pw: pw, gridH: gridH, gridW: gridW, h: h, w: w)
        }
    }

    /// A sample's four corner offsets and weights (the C kernel's struct).
    typealias Sample = SSRoiSample

    /// The four corner offsets and weights of every sample of every bin (bins row-major, samples
    /// row-major inside a bin); samples outside [-1, size] weigh nothing. The grid is separable:
    /// each sample row and column is placed once, and a sample combines its row's and column's.
    static func bilinearSamples(y0: Float, x0: Float, binH: Float, binW: Float, ph: Int, pw: Int, gridH: Int, gridW: Int, h: Int, w: Int) -> [Sample] {
        let rows = (0..<ph * gridH).map { axisSample(y0 + Float($0 / gridH) * binH + (Float($0 % gridH) + 0.5) * binH / Float(gridH), size: h) }
        let cols = (0..<pw * gridW).map { axisSample(x0 + Float($0 / gridW) * binW + (Float($0 % gridW) + 0.5) * binW / Float(gridW), size: w) }
        var out: [Sample] = []
        out.reserveCapacity(ph * pw * gridH * gridW)
        for py in 0..<ph { for px in 0..<pw { for iy in 0..<gridH { for ix in 0..<gridW {
            guard let r = rows[py * gridH + iy], let c = cols[px * gridW + ix] else { out.append(Sample()); continue }
            out.append(Sample(p1: r.low * w + c.low, p2: r.low * w + c.high, p3: r.high * w + c.low, p4: r.high * w + c.high,
                              w1: r.hi * c.hi, w2: r.hi * c.lo, w3: r.lo * c.hi, w4: r.lo * c.lo))
        } } } }
        return out
    }

    /// One sample coordinate on an axis of `size` pixels: its two neighbours and their weights
    /// (`hi` for `low`, `lo` for `high`), nil outside [-1, size].
    static func axisSample(_ v: Float, size: Int) -> (low: Int, high: Int, lo: Float, hi: Float)? {
        guard v >= -1, v <= Float(size) else { return nil }
        var v = max(v, 0), low = Int(v), high: Int
        if low >= size - 1 { low = size - 1; high = low; v = Float(low) } else { high = low + 1 }
        let lo = v - Float(low)
        return (low, high, lo, 1 - lo)
    }
}
