import Foundation

/// Little-endian byte building for hostile files the real writers would never produce.
struct Bytes {
    var data = Data()

    mutating func u8(_ v: UInt8) { data.append(v) }
    mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    mutating func i16(_ v: Int16) { u16(UInt16(bitPattern: v)) }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    mutating func i32(_ v: Int32) { u32(UInt32(bitPattern: v)) }
    mutating func f32(_ v: Float) { u32(v.bitPattern) }
    mutating func bytes(_ d: Data) { data.append(d) }
    mutating func ascii(_ s: String) { data.append(contentsOf: Array(s.utf8)) }
    mutating func zeros(_ n: Int) { data.append(Data(count: n)) }
}

/// NIfTI-1 single-file headers (348 bytes + 4 extension bytes), every field settable.
struct NIfTIHeaderBytes {
    var dim: [Int16] = [3, 4, 4, 4, 1, 1, 1, 1]
    var datatype: Int16 = 16   // float32
    var bitpix: Int16 = 32
    var pixdim: [Float] = [1, 1, 1, 1, 1, 1, 1, 1]
    var voxOffset: Float = 352
    var sclSlope: Float = 0
    var sclInter: Float = 0
    var qformCode: Int16 = 0
    var sformCode: Int16 = 1
    var srow: [[Float]] = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]]

    func encoded() -> Data {
        var b = Bytes()
        b.i32(348)
        b.zeros(36)                       // data_type, db_name, extents, session_error, regular, dim_info
        for d in dim { b.i16(d) }         // 40
        b.zeros(12)                       // intent_p1..3
        b.i16(0); b.i16(datatype); b.i16(bitpix); b.i16(0)   // 68 intent_code, datatype, bitpix, slice_start
        for p in pixdim { b.f32(p) }      // 76
        b.f32(voxOffset); b.f32(sclSlope); b.f32(sclInter)   // 108
        b.i16(0); b.u8(0); b.u8(2)        // 120 slice_end, slice_code, xyzt_units (mm)
        b.zeros(24)                       // cal_max, cal_min, slice_duration, toffset, glmax, glmin
        b.zeros(80 + 24)                  // descrip, aux_file
        b.i16(qformCode); b.i16(sformCode)   // 252
        b.zeros(24)                       // quatern_b..qoffset_z
        for row in srow { for v in row { b.f32(v) } }         // 280
        b.zeros(16)                       // intent_name
        b.ascii("n+1\0")                  // 344
        b.zeros(4)                        // extension flag
        return b.data
    }

    /// Header plus `count` float32 voxels of value `value`.
    func file(voxels count: Int, value: Float = 1) -> Data {
        var b = Bytes()
        b.bytes(encoded())
        for _ in 0..<count { b.f32(value) }
        return b.data
    }
}

/// Explicit VR little-endian DICOM Part 10 files, element by element.
struct DICOMBytes {
    private var elements: [(tag: UInt32, vr: String, value: Data)] = []

    mutating func set(_ group: UInt16, _ element: UInt16, _ vr: String, _ value: Data) {
        let tag = UInt32(group) << 16 | UInt32(element)
        elements.removeAll { $0.tag == tag }
        elements.append((tag, vr, value))
    }

    mutating func set(_ group: UInt16, _ element: UInt16, _ vr: String, _ text: String) {
        var d = Data(text.utf8)
        if d.count % 2 == 1 { d.append(vr == "UI" ? 0 : 0x20) }
        set(group, element, vr, d)
    }

    mutating func setUS(_ group: UInt16, _ element: UInt16, _ v: UInt16) {
        var b = Bytes(); b.u16(v); set(group, element, "US", b.data)
    }

    static func element(_ tag: UInt32, _ vr: String, _ value: Data) -> Data {
        var b = Bytes()
        b.u16(UInt16(tag >> 16)); b.u16(UInt16(tag & 0xffff)); b.ascii(vr)
        if ["OB", "OW", "OF", "SQ", "UT", "UN"].contains(vr) { b.u16(0); b.u32(UInt32(value.count)) } else { b.u16(UInt16(value.count)) }
        b.bytes(value)
        return b.data
    }

    /// Preamble, DICM, file meta (explicit VR little endian) and the data set, sorted by tag;
    /// `trailer` is appended raw (e.g. a hand-built sequence).
    func encoded(trailer: Data = Data()) -> Data {
        let sopClass = elements.first { $0.tag == 0x0008_0016 }?.value ?? Data("1.2.840.10008.5.1.4.1.1.2\0".utf8)
        let sopInstance = elements.first { $0.tag == 0x0008_0018 }?.value ?? Data("1.2.3.4\0".utf8)
        var meta = Data()
        meta += Self.element(0x0002_0001, "OB", Data([0, 1]))
        meta += Self.element(0x0002_0002, "UI", sopClass)
        meta += Self.element(0x0002_0003, "UI", sopInstance)
        meta += Self.element(0x0002_0010, "UI", Data("1.2.840.10008.1.2.1\0".utf8))
        meta += Self.element(0x0002_0012, "UI", Data("1.2.3.4.5.6\0".utf8))
        var b = Bytes()
        b.zeros(128); b.ascii("DICM")
        var length = Bytes(); length.u32(UInt32(meta.count))
        b.bytes(Self.element(0x0002_0000, "UL", length.data)); b.bytes(meta)
        var body = Data()
        var trailerPlaced = trailer.isEmpty
        for e in elements.sorted(by: { $0.tag < $1.tag }) {
            if !trailerPlaced, e.tag > 0x0040_A730 { body += trailer; trailerPlaced = true }
            body += Self.element(e.tag, e.vr, e.value)
        }
        if !trailerPlaced { body += trailer }
        b.bytes(body)
        return b.data
    }

    /// A CT slice of `rows` x `columns` int16 pixels at z = `z` mm, in one series.
    static func ctSlice(series: String, index: Int, rows: UInt16 = 16, columns: UInt16 = 16, z: Double? = nil) -> DICOMBytes {
        var d = DICOMBytes()
        d.set(0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.2")
        d.set(0x0008, 0x0018, "UI", "\(series).\(index + 1)")
        d.set(0x0008, 0x0060, "CS", "CT")
        d.set(0x0010, 0x0010, "PN", "ABUSE^TEST")
        d.set(0x0010, 0x0020, "LO", "ABUSE-1")
        d.set(0x0020, 0x000D, "UI", "2.25.1111")
        d.set(0x0020, 0x000E, "UI", series)
        d.set(0x0020, 0x0013, "IS", "\(index + 1)")
        d.set(0x0020, 0x0032, "DS", "0\\0\\\(z ?? Double(index))")
        d.set(0x0020, 0x0037, "DS", "1\\0\\0\\0\\1\\0")
        d.set(0x0020, 0x0052, "UI", "2.25.2222")
        d.setUS(0x0028, 0x0002, 1)
        d.set(0x0028, 0x0004, "CS", "MONOCHROME2")
        d.setUS(0x0028, 0x0010, rows)
        d.setUS(0x0028, 0x0011, columns)
        d.set(0x0028, 0x0030, "DS", "1\\1")
        d.setUS(0x0028, 0x0100, 16); d.setUS(0x0028, 0x0101, 16); d.setUS(0x0028, 0x0102, 15); d.setUS(0x0028, 0x0103, 1)
        d.set(0x0028, 0x1052, "DS", "0")
        d.set(0x0028, 0x1053, "DS", "1")
        d.set(0x7FE0, 0x0010, "OW", Data(count: Int(rows) * Int(columns) * 2))
        return d
    }

    /// `depth` nested sequences of undefined length (about 36 bytes a level): the parser's recursion bomb.
    static func nestedSequences(depth: Int) -> Data {
        var open = Bytes(), close = Bytes()
        for _ in 0..<depth {
            open.u16(0x0040); open.u16(0xA730); open.ascii("SQ"); open.u16(0); open.u32(0xFFFF_FFFF)
            open.u16(0xFFFE); open.u16(0xE000); open.u32(0xFFFF_FFFF)
            close.u16(0xFFFE); close.u16(0xE00D); close.u32(0)
            close.u16(0xFFFE); close.u16(0xE0DD); close.u32(0)
        }
        return open.data + close.data
    }
}

/// Protocol Buffers wire format, for ONNX models.
struct Proto {
    var data = Data()
    mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 { data.append(UInt8(v & 0x7f) | 0x80); v >>= 7 }
        data.append(UInt8(v))
    }
    mutating func int(_ field: Int, _ v: Int64) { varint(UInt64(field << 3)); varint(UInt64(bitPattern: v)) }
    mutating func bytes(_ field: Int, _ d: Data) { varint(UInt64(field << 3 | 2)); varint(UInt64(d.count)); data.append(d) }
    mutating func string(_ field: Int, _ s: String) { bytes(field, Data(s.utf8)) }
    mutating func message(_ field: Int, _ build: (inout Proto) -> Void) { var p = Proto(); build(&p); bytes(field, p.data) }

    /// A float tensor value info `name` with fixed dims.
    static func valueInfo(_ name: String, dims: [Int64], elemType: Int64 = 1) -> Data {
        var p = Proto()
        p.string(1, name)
        p.message(2) { t in t.message(1) { tt in
            tt.int(1, elemType)
            tt.message(2) { s in for d in dims { s.message(1) { dim in dim.int(1, d) } } }
        } }
        return p.data
    }

    /// An ONNX model of one node `op` over input X (float, `inputDims`) and int64 initializers.
    static func model(op: String, inputDims: [Int64], initializers: [(String, [Int64])], outputDims: [Int64]? = nil) -> Data {
        var m = Proto()
        m.int(1, 8)                                          // ir_version
        m.string(2, "segstation-abuse")
        m.message(7) { g in
            g.message(1) { n in
                n.string(1, "X"); for (name, _) in initializers { n.string(1, name) }
                n.string(2, "Y"); n.string(3, "node0"); n.string(4, op)
            }
            g.string(2, "abuse")
            for (name, values) in initializers {
                g.message(5) { t in
                    t.int(1, Int64(values.count)); t.int(2, 7)   // dims [count], INT64
                    var packed = Proto(); for v in values { packed.varint(UInt64(bitPattern: v)) }
                    t.bytes(7, packed.data); t.string(8, name)
                }
            }
            g.bytes(11, valueInfo("X", dims: inputDims))
            g.bytes(12, outputDims.map { valueInfo("Y", dims: $0) } ?? { var p = Proto(); p.string(1, "Y"); return p.data }())
        }
        m.message(8) { o in o.string(1, ""); o.int(2, 13) }  // opset_import ai.onnx 13
        return m.data
    }
}

/// NumPy .npy (version 1.0) with a header that may lie.
func npy(shape: String, descr: String = "<f4", payload: Data) -> Data {
    var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
    while (10 + header.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    var b = Bytes()
    b.u8(0x93); b.ascii("NUMPY"); b.u8(1); b.u8(0); b.u16(UInt16(header.count)); b.ascii(header)
    b.bytes(payload)
    return b.data
}
