import CDNNL

/// Fast-backend shape-only operators (aliases of a buffer) and the reference fallback for
/// operators or parameters oneDNN lacks.
extension FastExecutor {
    /// Shape-only operators on plain data share the input's buffer.
    func compileAlias(_ node: Node, temps: inout [Int]) throws -> Bool {
        guard node.outputs.count == 1 || node.outputs.dropFirst().allSatisfy({ $0.isEmpty }), let l = locs[node.inputs[0]] else { return false }
        let outShape = shape(node.outputs[0])
        var ref = l.ref
        if !DNNL.isPlain(refs[l.ref].md, shape: l.shape) {
            // Reorder into a plain value that the alias then owns.
            let plainMD = try DNNL.plain(l.shape)
            ref = addRef(plainMD, buffer: newBuffer(DNNL.size(plainMD)))
            steps.append(.primitive(try DNNL.reorder(from: refs[l.ref].md, to: plainMD), [(DNNL_ARG_FROM, l.ref), (DNNL_ARG_TO, ref)], label: "Reorder"))
            let aliasRef = addRef(try DNNL.plain(outShape), buffer: refs[ref].buffer)
            locs[node.outputs[0]] = Loc(ref: aliasRef, shape: outShape, type: .float32)
            return true
        }
        retain(ref)
        locs[node.outputs[0]] = Loc(ref: addRef(try DNNL.plain(outShape), buffer: refs[ref].buffer, offset: refs[ref].offset), shape: outShape, type: l.type)
        return true
    }

    /// Runs the node with the reference kernel on plain copies of its run-time inputs.
    func compileFallback(_ node: Node, temps: inout [Int]) throws {
        var operands: [Operand?] = []
        for name in node.inputs {
            if name.isEmpty { operands.append(nil); continue }
            if let c = plan.values[name]?.constant { operands.append(.constant(c)); continue }
            guard let l = locs[name] else { throw EngineError.malformedModel("value '\(name)' is not available for node '\(node.name)'") }
            if l.type == .int64 { operands.append(.value(l)); continue }
            let ref = try ensure(name, md: try DNNL.plain(l.shape), temps: &temps)
            operands.append(.value(Loc(ref: ref, shape: l.shape, type: l.type)))
        }
        var outs: [Loc] = []
        for name in node.outputs {
            guard !name.isEmpty, let d = plan.values[name] else { outs.append(Loc(ref: -1, shape: [], type: .float32)); continue }
            let ref = try newValue(name, md: try DNNL.plain(d.shape), shape: d.shape, type: d.type)
            outs.append(Loc(ref: ref, shape: d.shape, type: d.type))
        }
        steps.append(.fallback(node, operands, outs))
    }
}
