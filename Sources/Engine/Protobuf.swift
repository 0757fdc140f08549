/// A minimal protobuf wire-format reader (varint, 64-bit, length-delimited, 32-bit fields) over a
/// byte buffer. Every read is bounds-checked: truncation or a bad wire type throws `malformedModel`.
struct ProtoReader {
    enum WireType: Int { case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5 }

    let bytes: UnsafeRawBufferPointer
    var position: Int
    let end: Int
    /// What is being decoded, for error messages ("NodeProto", "TensorProto 'w'").
    let context: String

    init(_ bytes: UnsafeRawBufferPointer, start: Int = 0, end: Int? = nil, context: String) {
        self.bytes = bytes; self.position = start; self.end = end ?? bytes.count; self.context = context
    }

    var atEnd: Bool { position >= end }

    func fail(_ what: String) -> EngineError {
        .malformedModel("\(context): \(what) at byte \(position)")
    }

    mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < end else { throw fail("truncated varint") }
            let b = bytes[position]; position += 1
            guard shift < 64 else { throw fail("varint longer than 10 bytes") }
            result |= UInt64(b & 0x7f) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// Next field header: (field number, wire type).
    mutating func tag() throws -> (field: Int, wire: WireType) {
        let t = try varint()
        guard let w = WireType(rawValue: Int(t & 7)) else { throw fail("unsupported wire type \(t & 7)") }
        let field = Int(t >> 3)
        guard field > 0 else { throw fail("field number 0") }
        return (field, w)
    }

    mutating func fixed32() throws -> UInt32 {
        guard end - position >= 4 else { throw fail("truncated fixed32") }
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(bytes[position + i]) << (8 * UInt32(i)) }
        position += 4
        return v
    }

    mutating func fixed64() throws -> UInt64 {
        guard end - position >= 8 else { throw fail("truncated fixed64") }
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[position + i]) << (8 * UInt64(i)) }
        position += 8
        return v
    }

    /// A length-delimited field's byte range.
    mutating func lengthDelimited() throws -> Range<Int> {
        let n = try varint()
        guard n <= UInt64(end - position) else { throw fail("length \(n) runs past the end of the message") }
        let r = position..<(position + Int(n))
        position += Int(n)
        return r
    }

    mutating func string() throws -> String {
        let r = try lengthDelimited()
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[r]), as: UTF8.self)
    }

    /// A nested message reader over the next length-delimited field.
    mutating func message(_ context: String) throws -> ProtoReader {
        let r = try lengthDelimited()
        return ProtoReader(bytes, start: r.lowerBound, end: r.upperBound, context: context)
    }

    /// Skips a field of the given wire type.
    mutating func skip(_ wire: WireType) throws {
        switch wire {
        case .varint: _ = try varint()
        case .fixed64: _ = try fixed64()
        case .fixed32: _ = try fixed32()
        case .lengthDelimited: _ = try lengthDelimited()
        }
    }

    /// Expects `wire`, else throws naming the field.
    func expect(_ wire: WireType, is expected: WireType, field: String) throws {
        guard wire == expected else { throw fail("field \(field) has wire type \(wire.rawValue), expected \(expected.rawValue)") }
    }

    /// Repeated int64 field, packed or not; appends to `into`.
    mutating func int64s(_ wire: WireType, into out: inout [Int64], field: String) throws {
        if wire == .lengthDelimited {
            let r = try lengthDelimited()
            var sub = ProtoReader(bytes, start: r.lowerBound, end: r.upperBound, context: context)
            while !sub.atEnd { out.append(Int64(bitPattern: try sub.varint())) }
        } else {
            try expect(wire, is: .varint, field: field)
            out.append(Int64(bitPattern: try varint()))
        }
    }

    /// Repeated float field (fixed32), packed or not; appends to `into`.
    mutating func floats(_ wire: WireType, into out: inout [Float], field: String) throws {
        if wire == .lengthDelimited {
            let r = try lengthDelimited()
            guard r.count % 4 == 0 else { throw fail("packed float field \(field) length \(r.count) is not a multiple of 4") }
            var sub = ProtoReader(bytes, start: r.lowerBound, end: r.upperBound, context: context)
            out.reserveCapacity(out.count + r.count / 4)
            while !sub.atEnd { out.append(Float(bitPattern: try sub.fixed32())) }
        } else {
            try expect(wire, is: .fixed32, field: field)
            out.append(Float(bitPattern: try fixed32()))
        }
    }

    /// Repeated double field (fixed64), packed or not.
    mutating func doubles(_ wire: WireType, into out: inout [Double], field: String) throws {
        if wire == .lengthDelimited {
            let r = try lengthDelimited()
            guard r.count % 8 == 0 else { throw fail("packed double field \(field) length is not a multiple of 8") }
            var sub = ProtoReader(bytes, start: r.lowerBound, end: r.upperBound, context: context)
            while !sub.atEnd { out.append(Double(bitPattern: try sub.fixed64())) }
        } else {
            try expect(wire, is: .fixed64, field: field)
            out.append(Double(bitPattern: try fixed64()))
        }
    }
}
