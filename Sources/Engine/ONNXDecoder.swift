import Foundation

/// Decodes ONNX protobuf messages (field numbers from onnx.proto) into the engine's graph types.
/// Unknown fields are skipped, as protobuf requires.
enum ONNXDecoder {
    struct ModelHeader {
        var irVersion: Int64 = 0
        var producer = ""
        var opsets: [String: Int] = [:]
        var graph: Graph?
    }

    static func model(_ bytes: UnsafeRawBufferPointer) throws -> ModelHeader {
        var r = ProtoReader(bytes, context: "ModelProto")
        var m = ModelHeader()
        var graphRange: Range<Int>?
        while !r.atEnd {
            let (f, w) = try r.tag()
            switch f {
            case 1: try r.expect(w, is: .varint, field: "ir_version"); m.irVersion = Int64(bitPattern: try r.varint())
            case 2: try r.expect(w, is: .lengthDelimited, field: "producer_name"); m.producer = try r.string()
            case 7: try r.expect(w, is: .lengthDelimited, field: "graph"); graphRange = try r.lengthDelimited()
            case 8:
                try r.expect(w, is: .lengthDelimited, field: "opset_import")
                var s = try r.message("OperatorSetIdProto")
                var domain = "", version: Int64 = 0
                while !s.atEnd {
                    let (g, x) = try s.tag()
                    switch g {
                    case 1: try s.expect(x, is: .lengthDelimited, field: "domain"); domain = try s.string()
                    case 2: try s.expect(x, is: .varint, field: "version"); version = Int64(bitPattern: try s.varint())
                    default: try s.skip(x)
                    }
                }
                m.opsets[domain == "ai.onnx" ? "" : domain] = Int(clamping: version)
            default: try r.skip(w)
            }
        }
        guard let gr = graphRange else { throw EngineError.malformedModel("ModelProto has no graph") }
        m.graph = try graph(ProtoReader(bytes, start: gr.lowerBound, end: gr.upperBound, context: "GraphProto"))
        return m
    }

    /// Subgraphs nested deeper than this are refused (a hostile file could otherwise exhaust the stack).
    static let maxSubgraphDepth = 16

    static func graph(_ reader: ProtoReader, subgraph: Bool = false, depth: Int = 0) throws -> Graph {
        guard depth <= maxSubgraphDepth else { throw EngineError.malformedModel("subgraphs nested deeper than \(maxSubgraphDepth) levels") }
        var r = reader
        var name = ""
        var nodes: [Node] = []
        var initializers: [String: Tensor] = [:]
        var inputs: [ValueInfo] = [], outputs: [ValueInfo] = []
        while !r.atEnd {
            let (f, w) = try r.tag()
            switch f {
            case 1:
                try r.expect(w, is: .lengthDelimited, field: "node")
                var n = try node(r.message("NodeProto #\(nodes.count)"), depth: depth)
                if n.name.isEmpty { n.name = "\(n.opType)_\(nodes.count)" }
                nodes.append(n)
            case 2: try r.expect(w, is: .lengthDelimited, field: "name"); name = try r.string()
            case 5:
                try r.expect(w, is: .lengthDelimited, field: "initializer")
                let (tn, t) = try tensor(r.message("TensorProto (initializer #\(initializers.count))"))
                initializers[tn] = t
            case 15: throw EngineError.unsupported("sparse initializers")
            case 11, 12:
                try r.expect(w, is: .lengthDelimited, field: "input/output")
                let v = try valueInfo(r.message(f == 11 ? "graph input" : "graph output"))
                if f == 11 { inputs.append(v) } else { outputs.append(v) }
            default: try r.skip(w)
            }
        }
        return try Graph(name: name, nodes: nodes, initializers: initializers, inputs: inputs, outputs: outputs, subgraph: subgraph)
    }

    static func node(_ reader: ProtoReader, depth: Int = 0) throws -> Node {
        var r = reader
        var n = Node(name: "", opType: "", inputs: [], outputs: [])
        while !r.atEnd {
            let (f, w) = try r.tag()
            switch f {
            case 1: try r.expect(w, is: .lengthDelimited, field: "input"); n.inputs.append(try r.string())
            case 2: try r.expect(w, is: .lengthDelimited, field: "output"); n.outputs.append(try r.string())
            case 3: try r.expect(w, is: .lengthDelimited, field: "name"); n.name = try r.string()
            case 4: try r.expect(w, is: .lengthDelimited, field: "op_type"); n.opType = try r.string()
            case 7: try r.expect(w, is: .lengthDelimited, field: "domain"); n.domain = try r.string()
            case 5:
                try r.expect(w, is: .lengthDelimited, field: "attribute")
                let (k, v) = try attribute(r.message("AttributeProto of \(r.context)"), depth: depth)
                n.attributes[k] = v
            default: try r.skip(w)
            }
        }
        guard !n.opType.isEmpty else { throw r.fail("node without op_type") }
        if n.domain == "ai.onnx" { n.domain = "" }
        return n
    }

    static func attribute(_ reader: ProtoReader, depth: Int = 0) throws -> (String, Attribute) {
        var r = reader
        var name = "", type: UInt64 = 0
        var f32: Float?, i64: Int64?, str: String?, ten: Tensor?, sub: Graph?, hasGraphs = false
        var floats: [Float] = [], ints: [Int64] = [], strings: [String] = []
        while !r.atEnd {
            let (f, w) = try r.tag()
            switch f {
            case 1: try r.expect(w, is: .lengthDelimited, field: "name"); name = try r.string()
            case 20: try r.expect(w, is: .varint, field: "type"); type = try r.varint()
            case 2: try r.expect(w, is: .fixed32, field: "f"); f32 = Float(bitPattern: try r.fixed32())
            case 3: try r.expect(w, is: .varint, field: "i"); i64 = Int64(bitPattern: try r.varint())
            case 4: try r.expect(w, is: .lengthDelimited, field: "s"); str = try r.string()
            case 5: try r.expect(w, is: .lengthDelimited, field: "t"); ten = try tensor(r.message("TensorProto attribute")).1
            case 6: try r.expect(w, is: .lengthDelimited, field: "g"); sub = try graph(r.message("subgraph of attribute '\(name)'"), subgraph: true, depth: depth + 1)
            case 11: try r.skip(w); hasGraphs = true
            case 7: try r.floats(w, into: &floats, field: "floats")
            case 8: try r.int64s(w, into: &ints, field: "ints")
            case 9: try r.expect(w, is: .lengthDelimited, field: "strings"); strings.append(try r.string())
            case 21: throw r.fail("attribute references (ref_attr_name) are only valid inside functions")
            default: try r.skip(w)
            }
        }
        let value: Attribute
        switch type {
        case 1: value = .float(f32 ?? 0)
        case 2: value = .int(i64 ?? 0)
        case 3: value = .string(str ?? "")
        case 4:
            guard let t = ten else { throw r.fail("tensor attribute '\(name)' without a tensor") }
            value = .tensor(t)
        case 5:
            guard let g = sub else { throw r.fail("graph attribute '\(name)' without a graph") }
            value = .graph(g)
        case 10: throw EngineError.unsupported("attribute '\(name)' holds a list of graphs")
        case 6: value = .floats(floats)
        case 7: value = .ints(ints)
        case 8: value = .strings(strings)
        case 0: // Pre-IR-3 files omit the type; infer it from the field present.
            if let f = f32 { value = .float(f) } else if let i = i64 { value = .int(i) }
            else if let s = str { value = .string(s) } else if let t = ten { value = .tensor(t) }
            else if !floats.isEmpty { value = .floats(floats) } else if !ints.isEmpty { value = .ints(ints) }
            else if let g = sub { value = .graph(g) } else if hasGraphs { throw EngineError.unsupported("attribute '\(name)' holds a list of graphs") }
            else { value = .strings(strings) }
        default: throw EngineError.unsupported("attribute '\(name)' of type \(type)")
        }
        return (name, value)
    }

    /// Largest tensor the decoder accepts (2^31 elements): anything bigger is treated as absurd.
    static let maxElements = 1 << 31

    static func tensor(_ reader: ProtoReader) throws -> (String, Tensor) {
        var r = reader
        var dims: [Int64] = [], dataType: UInt64 = 0, name = ""
        var raw: Range<Int>?, floats: [Float] = [], ints: [Int64] = [], doubles: [Double] = [], external = false
        while !r.atEnd {
            let (f, w) = try r.tag()
            switch f {
            case 1: try r.int64s(w, into: &dims, field: "dims")
            case 2: try r.expect(w, is: .varint, field: "data_type"); dataType = try r.varint()
            case 4: try r.floats(w, into: &floats, field: "float_data")
            case 5, 7, 11: try r.int64s(w, into: &ints, field: "int_data")
            case 8: try r.expect(w, is: .lengthDelimited, field: "name"); name = try r.string()
            case 9: try r.expect(w, is: .lengthDelimited, field: "raw_data"); raw = try r.lengthDelimited()
            case 10: try r.doubles(w, into: &doubles, field: "double_data")
            case 13: try r.skip(w); external = true
            case 14: try r.expect(w, is: .varint, field: "data_location"); if try r.varint() == 1 { external = true }
            default: try r.skip(w)
            }
        }
        let label = "tensor '\(name)'"
        if external {
            throw EngineError.unsupported("\(label) stores its data in an external file; re-save the model with all tensors inside the .onnx file (onnx.save(model, path, save_as_external_data=False))")
        }
        var count = 1
        for d in dims {
            guard d >= 0, d <= Int64(maxElements) else { throw EngineError.malformedModel("\(label) has absurd dimension \(d)") }
            count *= Int(d)
            guard count <= maxElements else { throw EngineError.malformedModel("\(label) has absurd shape \(dims)") }
        }
        let shape = dims.map { Int($0) }
        // Element size in raw_data per data type.
        let sizes: [UInt64: Int] = [1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8]
        guard let size = sizes[dataType] else { throw EngineError.unsupported("\(label) has data type \(dataType)") }
        let isFloat = dataType == 1 || dataType == 10 || dataType == 11
        if let raw {
            guard raw.count == count * size else {
                throw EngineError.malformedModel("\(label) raw_data holds \(raw.count) bytes, shape \(shape) needs \(count * size)")
            }
            let p = UnsafeRawBufferPointer(rebasing: r.bytes[raw])
            if isFloat {
                var out = [Float](repeating: 0, count: count)
                for i in 0..<count {
                    switch dataType {
                    case 1: out[i] = Float(bitPattern: p.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
                    case 11: out[i] = Float(Double(bitPattern: p.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))
                    default: out[i] = halfToFloat(p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                    }
                }
                return (name, Tensor(shape: shape, floats: out))
            }
            var out = [Int64](repeating: 0, count: count)
            for i in 0..<count {
                switch dataType {
                case 2, 9: out[i] = Int64(p[i])
                case 3: out[i] = Int64(Int8(bitPattern: p[i]))
                case 4: out[i] = Int64(p.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                case 5: out[i] = Int64(p.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self))
                case 6: out[i] = Int64(p.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self))
                case 12: out[i] = Int64(p.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
                default: out[i] = p.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)
                }
            }
            return (name, Tensor(shape: shape, ints: out))
        }
        // Typed fields.
        if dataType == 1 {
            guard floats.count == count else { throw EngineError.malformedModel("\(label) float_data holds \(floats.count) values, shape \(shape) needs \(count)") }
            return (name, Tensor(shape: shape, floats: floats))
        }
        if dataType == 11 {
            guard doubles.count == count else { throw EngineError.malformedModel("\(label) double_data holds \(doubles.count) values, shape \(shape) needs \(count)") }
            return (name, Tensor(shape: shape, floats: doubles.map { Float($0) }))
        }
        guard ints.count == count else { throw EngineError.malformedModel("\(label) holds \(ints.count) integer values, shape \(shape) needs \(count)") }
        if dataType == 10 { return (name, Tensor(shape: shape, floats: ints.map { halfToFloat(UInt16(truncatingIfNeeded: $0)) })) }
        if dataType == 6 || dataType == 5 || dataType == 3 { return (name, Tensor(shape: shape, ints: ints.map { Int64(Int32(truncatingIfNeeded: $0)) })) }
        return (name, Tensor(shape: shape, ints: ints))
    }

    static func valueInfo(_ reader: ProtoReader) throws -> ValueInfo {
        var r = reader
        var v = ValueInfo(name: "", dataType: 0, dims: nil)
        while !r.atEnd {
            let (f, w) = try r.tag()
            switch f {
            case 1: try r.expect(w, is: .lengthDelimited, field: "name"); v.name = try r.string()
            case 2:
                try r.expect(w, is: .lengthDelimited, field: "type")
                var t = try r.message("TypeProto of '\(v.name)'")
                while !t.atEnd {
                    let (g, x) = try t.tag()
                    guard g == 1 else { try t.skip(x); continue }
                    try t.expect(x, is: .lengthDelimited, field: "tensor_type")
                    var tt = try t.message("TypeProto.Tensor of '\(v.name)'")
                    while !tt.atEnd {
                        let (h, y) = try tt.tag()
                        switch h {
                        case 1: try tt.expect(y, is: .varint, field: "elem_type"); v.dataType = Int(clamping: try tt.varint())
                        case 2:
                            try tt.expect(y, is: .lengthDelimited, field: "shape")
                            var s = try tt.message("TensorShapeProto of '\(v.name)'")
                            var dims: [Dimension] = []
                            while !s.atEnd {
                                let (k, z) = try s.tag()
                                guard k == 1 else { try s.skip(z); continue }
                                try s.expect(z, is: .lengthDelimited, field: "dim")
                                var d = try s.message("Dimension of '\(v.name)'")
                                var dim = Dimension.symbolic("")
                                while !d.atEnd {
                                    let (q, u) = try d.tag()
                                    switch q {
                                    case 1: try d.expect(u, is: .varint, field: "dim_value"); dim = .fixed(Int(clamping: Int64(bitPattern: try d.varint())))
                                    case 2: try d.expect(u, is: .lengthDelimited, field: "dim_param"); dim = .symbolic(try d.string())
                                    default: try d.skip(u)
                                    }
                                }
                                dims.append(dim)
                            }
                            v.dims = dims
                        default: try tt.skip(y)
                        }
                    }
                }
            default: try r.skip(w)
            }
        }
        return v
    }

    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h >> 15) << 31
        let exp = Int(h >> 10) & 0x1f, mant = UInt32(h & 0x3ff)
        if exp == 0 { return Float(bitPattern: sign) + (sign != 0 ? -1 : 1) * Float(mant) * powf(2, -24) }
        if exp == 31 { return Float(bitPattern: sign | 0x7f80_0000 | (mant << 13)) }
        return Float(bitPattern: sign | UInt32(exp - 15 + 127) << 23 | (mant << 13))
    }
}
