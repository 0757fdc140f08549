/// Integer slots for the named values of a run, and when each slot is cleared (issue 17): the rule
/// `FastTail` (a plan's data-dependent tail) and `SubgraphProgram` (an If branch or Loop body) share.
/// Both keep their run-time values in an array indexed by slot, not a dictionary keyed by name, and
/// drop each value after the last step that reads it (`lastReaders`, which is also `Plan.lastUse`).
struct ValueSlots {
    private var slotOf: [String: Int] = [:]
    /// Per slot, what a run starts from: a constant, or nil. Constants are never released.
    private(set) var initial: [Tensor?] = []
    /// The constant value of a name (an initializer, a folded value), if it has one.
    private let constant: (String) -> Tensor?

    init(constant: @escaping (String) -> Tensor?) { self.constant = constant }

    var count: Int { initial.count }

    /// The slot of `name`, given on first sight; it starts as `constant(name)`.
    mutating func slot(_ name: String) -> Int {
        if let s = slotOf[name] { return s }
        slotOf[name] = initial.count
        initial.append(constant(name))
        return initial.count - 1
    }

    /// Makes `name` a constant computed while compiling (a subgraph's Constant node).
    mutating func setConstant(_ name: String, _ value: Tensor) {
        let s = slot(name)
        initial[s] = value
    }

    /// The names `node` reads: its inputs and, for an If/Loop, what its subgraphs read.
    static func reads(_ node: Node) -> Set<String> { Set(node.inputs + Array(node.implicitInputs)).filter { !$0.isEmpty } }

    /// For each value, the index of the last of `steps` that reads it; `outputs` live on (Int.max).
    static func lastReaders(_ steps: [Node], outputs: [String]) -> [String: Int] {
        var last: [String: Int] = [:]
        for (i, s) in steps.enumerated() { for v in reads(s) { last[v] = i } }
        for o in outputs { last[o] = Int.max }
        return last
    }

    /// The slots to clear after step `index`, which reads `reads`: those of the values whose last
    /// reader it is (`lastReader`, from `lastReaders`), except constants and `kept`. Sorted.
    mutating func released(after index: Int, reads: Set<String>, lastReader: [String: Int], kept: Set<Int> = []) -> [Int] {
        reads.filter { lastReader[$0] == index }.map { slot($0) }.filter { initial[$0] == nil && !kept.contains($0) }.sorted()
    }
}
