/// A node attribute value (ONNX AttributeProto, the kinds the engine uses).
public enum Attribute: Sendable, Equatable {
    case float(Float), int(Int64), string(String), tensor(Tensor)
    case floats([Float]), ints([Int64]), strings([String])
    /// A subgraph (If branches, Loop body), run by `ControlFlow` on the reference backend.
    case graph(Graph)
}

/// A dimension of a declared input/output shape: fixed, or symbolic (`batch`, `?`).
public enum Dimension: Sendable, Equatable, CustomStringConvertible {
    case fixed(Int), symbolic(String)
    public var description: String {
        switch self { case .fixed(let n): return "\(n)"; case .symbolic(let s): return s.isEmpty ? "?" : s }
    }
}

/// A declared graph input or output.
public struct ValueInfo: Sendable, Equatable {
    public var name: String
    /// ONNX TensorProto.DataType code (1 = float32, 7 = int64), 0 when undeclared.
    public var dataType: Int
    /// Declared dimensions; nil when the shape is undeclared.
    public var dims: [Dimension]?

    public init(name: String, dataType: Int, dims: [Dimension]?) {
        self.name = name; self.dataType = dataType; self.dims = dims
    }
}

/// One operator application.
public struct Node: Sendable, Equatable {
    public var name: String
    public var opType: String
    public var domain: String
    /// Input value names; "" marks an omitted optional input.
    public var inputs: [String]
    public var outputs: [String]
    public var attributes: [String: Attribute]

    public init(name: String, opType: String, domain: String = "", inputs: [String], outputs: [String], attributes: [String: Attribute] = [:]) {
        self.name = name; self.opType = opType; self.domain = domain
        self.inputs = inputs; self.outputs = outputs; self.attributes = attributes
    }

    func invalid(_ reason: String) -> EngineError { .invalidNode(node: name, op: opType, reason: reason) }

    func int(_ key: String, _ fallback: Int) throws -> Int {
        guard let a = attributes[key] else { return fallback }
        guard case .int(let v) = a, v >= Int64(Int32.min), v <= Int64(Int32.max) else { throw invalid("attribute \(key) must be a small int") }
        return Int(v)
    }
    func float(_ key: String, _ fallback: Float) throws -> Float {
        guard let a = attributes[key] else { return fallback }
        switch a {
        case .float(let v): return v
        case .int(let v): return Float(v)
        default: throw invalid("attribute \(key) must be a float")
        }
    }
    func string(_ key: String, _ fallback: String) throws -> String {
        guard let a = attributes[key] else { return fallback }
        guard case .string(let v) = a else { throw invalid("attribute \(key) must be a string") }
        return v
    }
    /// Int list attribute, or nil when absent. Values outside ±2^31 are rejected as absurd.
    func ints(_ key: String) throws -> [Int]? {
        guard let a = attributes[key] else { return nil }
        guard case .ints(let v) = a else {
            if case .int(let one) = a, abs(one) <= 1 << 31 { return [Int(one)] }
            throw invalid("attribute \(key) must be a list of ints")
        }
        return try v.map { x -> Int in
            guard x >= -(1 << 31), x <= 1 << 31 else { throw invalid("attribute \(key) holds absurd value \(x)") }
            return Int(x)
        }
    }
    func floatList(_ key: String) throws -> [Float]? {
        guard let a = attributes[key] else { return nil }
        guard case .floats(let v) = a else { throw invalid("attribute \(key) must be a list of floats") }
        return v
    }
}

/// A computation graph in topological order, with its constant initializers.
public struct Graph: Sendable, Equatable {
    public var name: String
    public var nodes: [Node]
    public var initializers: [String: Tensor]
    /// Runtime inputs (declared inputs that are not initializers).
    public var inputs: [ValueInfo]
    public var outputs: [ValueInfo]

    /// Builds a graph, sorting `nodes` topologically. Throws on cycles, values used but never
    /// defined (e.g. a missing initializer), values defined twice, and empty or missing outputs.
    /// `subgraph`: an If/Loop body, whose nodes may also read values of the enclosing graphs.
    public init(name: String, nodes: [Node], initializers: [String: Tensor], inputs: [ValueInfo], outputs: [ValueInfo], subgraph: Bool = false) throws {
        self.name = name; self.initializers = initializers
        self.inputs = inputs.filter { initializers[$0.name] == nil }
        self.outputs = outputs
        guard !outputs.isEmpty else { throw EngineError.malformedModel("graph '\(name)' declares no outputs") }
        var producer: [String: Int] = [:]
        var defined = Set(initializers.keys).union(self.inputs.map(\.name))
        for (i, n) in nodes.enumerated() {
            for o in n.outputs where !o.isEmpty {
                if producer[o] != nil || defined.contains(o) {
                    throw EngineError.malformedModel("value '\(o)' is defined twice (node '\(n.name)')")
                }
                producer[o] = i
            }
        }
        // Kahn's algorithm, stable in file order.
        var indegree = [Int](repeating: 0, count: nodes.count)
        var consumers = [[Int]](repeating: [], count: nodes.count)
        for (i, n) in nodes.enumerated() {
            for v in n.inputs + n.implicitInputs.sorted() where !v.isEmpty {  // implicit: values If/Loop bodies read
                if let p = producer[v] { indegree[i] += 1; consumers[p].append(i) }
                else if !defined.contains(v) && !subgraph {
                    throw EngineError.malformedModel("node '\(n.name)' (\(n.opType)) uses '\(v)', which is neither a graph input, an initializer nor any node's output")
                }
            }
        }
        var ready = (0..<nodes.count).filter { indegree[$0] == 0 }
        var order: [Int] = []
        var head = 0
        while head < ready.count {
            let i = ready[head]; head += 1
            order.append(i)
            for c in consumers[i] { indegree[c] -= 1; if indegree[c] == 0 { ready.append(c) } }
        }
        if order.count != nodes.count {
            let stuck = (0..<nodes.count).filter { indegree[$0] > 0 }.prefix(3).map { "'\(nodes[$0].name)'" }
            throw EngineError.malformedModel("graph has a cycle through nodes \(stuck.joined(separator: ", "))")
        }
        self.nodes = order.map { nodes[$0] }
        for n in self.nodes { defined.formUnion(n.outputs) }
        for o in outputs where !defined.contains(o.name) && !subgraph {
            throw EngineError.malformedModel("graph output '\(o.name)' is never produced")
        }
    }
}
