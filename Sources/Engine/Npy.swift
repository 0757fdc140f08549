import Core
import Foundation

/// NumPy `.npy` files (format versions 1-3): little-endian float32 (`<f4`) or int64 (`<i8`),
/// C order only. Fortran order, other dtypes, truncated data and absurd shapes give `EngineError.badNpy`.
public enum Npy {
    /// Reads a `.npy` file.
    public static func read(path: String) throws -> Tensor {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EngineError.io(path: path, reason: "file not found or unreadable")
        }
        return try decode(data, path: path)
    }

    /// Decodes `.npy` bytes; `path` only names the source in errors.
    public static func decode(_ data: Data, path: String = "<memory>") throws -> Tensor {
        let bytes = [UInt8](data)
        func fail(_ reason: String) -> EngineError { .badNpy(path: path, reason: reason) }
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1...5]) == Array("NUMPY".utf8) else {
            throw fail("missing \\x93NUMPY magic")
        }
        let major = bytes[6]
        let headerLength: Int, headerStart: Int
        switch major {
        case 1: headerLength = Int(bytes[8]) | Int(bytes[9]) << 8; headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw fail("truncated header") }
            headerLength = (0..<4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }; headerStart = 12
        default: throw fail("unknown format version \(major)")
        }
        guard headerStart + headerLength <= bytes.count else { throw fail("truncated header") }
        guard let header = String(bytes: bytes[headerStart..<headerStart + headerLength], encoding: .utf8) else {
            throw fail("header is not text")
        }
        let descr = try field("descr", in: header, fail)
        let fortran = try field("fortran_order", in: header, fail)
        let shapeText = try field("shape", in: header, fail)
        guard fortran.hasPrefix("False") else { throw fail("Fortran order is not supported; save with C order") }
        let dtype = descr.trimmingCharacters(in: CharacterSet(charactersIn: "'\" "))
        var shape: [Int] = []
        let inner = shapeText.trimmingCharacters(in: CharacterSet(charactersIn: "() "))
        for part in inner.split(separator: ",") {
            let p = part.trimmingCharacters(in: .whitespaces)
            if p.isEmpty { continue }
            guard let v = Int(p), v >= 0, v <= 1 << 31 else { throw fail("bad shape entry '\(p)'") }
            shape.append(v)
        }
        var total = 1
        for d in shape {
            let (m, o) = total.multipliedReportingOverflow(by: d)
            guard !o, m <= 1 << 34 else { throw fail("absurd shape \(shape)") }
            total = m
        }
        let start = headerStart + headerLength
        switch dtype {
        case "<f4", "|f4", "f4":
            guard bytes.count - start >= total * 4 else { throw fail("truncated data: expected \(total * 4) bytes, found \(bytes.count - start)") }
            var out = [Float](repeating: 0, count: total)
            out.withUnsafeMutableBytes { dst in
                bytes.withUnsafeBytes { src in dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[start..<start + total * 4])) }
            }
            return Tensor(shape: shape, floats: out)
        case "<i8", "i8":
            guard bytes.count - start >= total * 8 else { throw fail("truncated data: expected \(total * 8) bytes, found \(bytes.count - start)") }
            var out = [Int64](repeating: 0, count: total)
            out.withUnsafeMutableBytes { dst in
                bytes.withUnsafeBytes { src in dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[start..<start + total * 8])) }
            }
            return Tensor(shape: shape, ints: out)
        default:
            throw fail("dtype \(dtype) is not supported (expected <f4 float32 or <i8 int64)")
        }
    }

    private static func field(_ key: String, in header: String, _ fail: (String) -> EngineError) throws -> String {
        guard let r = header.range(of: "'\(key)':") else { throw fail("header lacks '\(key)'") }
        let rest = header[r.upperBound...].trimmingCharacters(in: .whitespaces)
        if rest.hasPrefix("(") {
            guard let close = rest.firstIndex(of: ")") else { throw fail("unterminated shape") }
            return String(rest[...close])
        }
        return String(rest.prefix { $0 != "," && $0 != "}" })
    }

    /// Encodes a tensor as `.npy` version 1.0 bytes (float32 `<f4` or int64 `<i8`, C order).
    public static func encode(_ tensor: Tensor) -> Data {
        let descr = tensor.elementType == .float32 ? "<f4" : "<i8"
        let dims = tensor.shape.map(String.init).joined(separator: ", ")
        let shapeText = tensor.shape.count == 1 ? "(\(dims),)" : "(\(dims))"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let n = header.utf8.count
        data.append(contentsOf: [UInt8(n & 0xff), UInt8(n >> 8)])
        data.append(contentsOf: Array(header.utf8))
        if tensor.elementType == .float32 {
            tensor.floats.withUnsafeBytes { data.append(contentsOf: $0) }
        } else {
            tensor.ints.withUnsafeBytes { data.append(contentsOf: $0) }
        }
        return data
    }

    /// Writes a tensor as `.npy`, atomically (temporary file then rename).
    public static func write(_ tensor: Tensor, path: String) throws {
        do {
            try AtomicFile.write(encode(tensor), to: URL(fileURLWithPath: path))
        } catch let error as AtomicFileError {
            throw EngineError.writeFailed(path: path, reason: "\(error.operation): \(error.reason)")
        }
    }
}
