import Foundation
import Imaging

/// Decodes a stack's slices into rescaled intensities, k after k.
enum PixelReader {
    static func read(stack: DICOMStack, padding: DICOMLoadOptions.Padding) throws -> [Float] {
        let frameSize = stack.rows * stack.columns
        // Each file is opened and decoded once, even when it holds many frames of the stack.
        var byFile = [String: [(k: Int, slice: DICOMSlice)]]()
        var fileOrder = [String]()
        for (k, slice) in stack.slices.enumerated() {
            if byFile[slice.file] == nil { fileOrder.append(slice.file) }
            byFile[slice.file, default: []].append((k, slice))
        }
        // Immutable per-file work lists for the concurrent loop.
        let work: [(path: String, slices: [(k: Int, slice: DICOMSlice)])] = fileOrder.map { ($0, byFile[$0]!) }
        var output = [Float](repeating: 0, count: frameSize * stack.slices.count)
        var padded = [Bool](repeating: false, count: padding == .fillWithMinimum ? output.count : 0)
        // One slot per file: the first failing file in file order is reported, whatever the timing.
        var errors = [(any Error)?](repeating: nil, count: work.count)
        output.withUnsafeMutableBufferPointer { out in
            padded.withUnsafeMutableBufferPointer { pad in
                errors.withUnsafeMutableBufferPointer { errorSlots in
                    // Safe to share: the work lists partition the slices, so iteration f writes only the
                    // frames k of its own file (and error slot f); concurrentPerform returns before
                    // these buffers' scopes end.
                    nonisolated(unsafe) let outBase = out.baseAddress!
                    // An empty array may still report a (dangling) base address.
                    nonisolated(unsafe) let padBase = padding == .fillWithMinimum ? pad.baseAddress : nil
                    nonisolated(unsafe) let errorSlots = errorSlots
                    DispatchQueue.concurrentPerform(iterations: work.count) { f in
                        do {
                            let path = work[f].path
                            let file = try DICOMFile(path: path)
                            let info = try file.pixelInfo()
                            let tiles = work[f].slices.first?.slice.mosaicTilesPerRow ?? 1
                            guard info.rows == stack.rows * tiles, info.columns == stack.columns * tiles else {
                                throw DICOMError.malformed(file: path, reason: "Rows x Columns (0028,0010/0011) is \(info.rows)x\(info.columns); the stack was scanned as \(stack.rows)x\(stack.columns) (file changed?)")
                            }
                            let stored = try file.decodeStoredValues(info)
                            for (k, slice) in work[f].slices {
                                guard slice.frameNumber >= 1, slice.frameNumber <= info.frames else {
                                    throw DICOMError.malformed(file: path, reason: "frame \(slice.frameNumber) requested; NumberOfFrames (0028,0008) is \(info.frames)")
                                }
                                var source = (slice.frameNumber - 1) * frameSize
                                var values = stored
                                if let tile = slice.mosaicTile {
                                    values = mosaicTile(stored, tile: tile, tilesPerRow: tiles, rows: stack.rows, columns: stack.columns)
                                    source = 0
                                }
                                convert(values, from: source, count: frameSize, slice: slice, info: info,
                                        into: outBase + k * frameSize, padded: padBase.map { $0 + k * frameSize })
                            }
                        } catch {
                            errorSlots[f] = error
                        }
                    }
                }
            }
        }
        if let firstError = errors.lazy.compactMap({ $0 }).first { throw firstError }
        if padding == .fillWithMinimum, padded.contains(true) {
            var minimum = Float.infinity
            for (v, p) in zip(output, padded) where !p { minimum = min(minimum, v) }
            if !minimum.isFinite { minimum = 0 }
            for i in output.indices where padded[i] { output[i] = minimum }
        }
        return output
    }

    /// The stored values of one tile of a mosaic frame, row after row.
    static func mosaicTile(_ stored: [Int32], tile: Int, tilesPerRow: Int, rows: Int, columns: Int) -> [Int32] {
        let mosaicColumns = columns * tilesPerRow
        let top = (tile / tilesPerRow) * rows, left = (tile % tilesPerRow) * columns
        var out = [Int32]()
        out.reserveCapacity(rows * columns)
        for r in 0..<rows {
            let start = (top + r) * mosaicColumns + left
            out.append(contentsOf: stored[start..<(start + columns)])
        }
        return out
    }

    /// Stored values of one frame -> rescaled floats, MONOCHROME1 inverted, padding marked.
    static func convert(_ stored: [Int32], from start: Int, count: Int, slice: DICOMSlice, info: PixelInfo,
                        into out: UnsafeMutablePointer<Float>, padded: UnsafeMutablePointer<Bool>?) {
        let slope = slice.rescaleSlope, intercept = slice.rescaleIntercept
        let maxStored = info.isSigned ? 0 : (Int64(1) << Int64(info.bitsStored)) - 1
        var paddingRange: ClosedRange<Int64>?
        if var p = slice.paddingValue.map(Int64.init) {
            // US-or-SS attributes read as US: reinterpret for signed images.
            if info.isSigned && p > 32767 && p <= 65535 { p -= 65536 }
            var limit = slice.paddingRangeLimit.map(Int64.init) ?? p
            if info.isSigned && limit > 32767 && limit <= 65535 { limit -= 65536 }
            paddingRange = min(p, limit)...max(p, limit)
        }
        for n in 0..<count {
            var v = Int64(stored[start + n])
            if let padded, let r = paddingRange, r.contains(v) { padded[n] = true }
            if slice.isMonochrome1 { v = info.isSigned ? -1 - v : maxStored - v }
            out[n] = Float(Double(v) * slope + intercept)
        }
    }
}
