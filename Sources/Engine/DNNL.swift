import CDNNL
import Foundation

/// Thin helpers over the oneDNN 2.6 C API: status checks, memory descriptors, primitive creation.
enum DNNL {
    /// The CPU engine and an in-order stream, created once per process.
    ///
    /// `nonisolated(unsafe)` because C handles are not `Sendable`. Sharing them is safe: each is a
    /// `let` initialised once (Swift runs lazy static initialisers exactly once), never destroyed or
    /// reassigned; oneDNN engines may be used from any thread; and a CPU stream on the OpenMP runtime
    /// executes every primitive synchronously on the calling thread (`cpu_stream_t::wait` returns at
    /// once), so sessions on different threads share no queue state through it.
    nonisolated(unsafe) static let engine: dnnl_engine_t = {
        var e: dnnl_engine_t?
        precondition(dnnl_engine_create(&e, dnnl_cpu, 0) == dnnl_success, "oneDNN CPU engine unavailable")
        return e!
    }()
    nonisolated(unsafe) static let stream: dnnl_stream_t = {
        var s: dnnl_stream_t?
        precondition(dnnl_stream_create(&s, engine, UInt32(dnnl_stream_default_flags.rawValue)) == dnnl_success, "oneDNN stream unavailable")
        return s!
    }()

    static func check(_ status: dnnl_status_t, _ what: @autoclosure () -> String) throws {
        guard status == dnnl_success else { throw EngineError.backend("\(what()) failed with status \(status.rawValue)") }
    }

    static func dims(_ shape: [Int]) -> [dnnl_dim_t] { shape.map { dnnl_dim_t($0) } + [dnnl_dim_t](repeating: 0, count: 12 - shape.count) }

    /// Row-major tags for ranks 1 to 12 (oneDNN's maximum, `DNNL_MAX_NDIMS`).
    static let plainTags = [dnnl_a, dnnl_ab, dnnl_abc, dnnl_abcd, dnnl_abcde, dnnl_abcdef, dnnl_abcdefg, dnnl_abcdefgh, dnnl_abcdefghi,
                            dnnl_abcdefghij, dnnl_abcdefghijk, dnnl_abcdefghijkl]

    static func plainTag(_ rank: Int) throws -> dnnl_format_tag_t {
        guard rank <= plainTags.count else { throw EngineError.unsupported("tensors of rank \(rank) (the fast backend handles up to \(plainTags.count))") }
        return plainTags[max(rank, 1) - 1]
    }

    /// A descriptor with a format tag (`dnnl_format_tag_any` lets a primitive choose).
    static func md(_ shape: [Int], _ tag: dnnl_format_tag_t, type: dnnl_data_type_t = dnnl_f32) throws -> dnnl_memory_desc_t {
        var md = dnnl_memory_desc_t()
        let shp = shape.isEmpty ? [1] : shape
        try check(dnnl_memory_desc_init_by_tag(&md, Int32(shp.count), dims(shp), type, tag), "memory descriptor \(shp)")
        return md
    }

    /// A plain descriptor with explicit strides (in elements): transposed or permuted views.
    static func strided(_ shape: [Int], _ strides: [Int]) throws -> dnnl_memory_desc_t {
        _ = try plainTag(shape.count)
        var md = dnnl_memory_desc_t()
        try check(dnnl_memory_desc_init_by_strides(&md, Int32(shape.count), dims(shape), dnnl_f32, dims(strides)), "strided memory descriptor \(shape) \(strides)")
        return md
    }

    static func plain(_ shape: [Int]) throws -> dnnl_memory_desc_t { try md(shape, try plainTag(shape.count)) }

    /// Channels per block of the channel-blocked layout oneDNN's jit kernels use on this CPU: 16 with
    /// AVX-512 (`nC[d]hw16c`), 8 otherwise (`nC[d]hw8c`, AVX2). On AVX2 the 16-channel layout only has
    /// reference convolutions, so `.blocked` plans, in-place concatenation and the engine's blocked
    /// instance normalisation follow this value.
    static let channelBlock: Int = (dnnl_get_effective_cpu_isa().rawValue & dnnl_cpu_isa_avx512_core.rawValue) == dnnl_cpu_isa_avx512_core.rawValue ? 16 : 8

    /// The dense channel-blocked descriptor (`channelBlock` channels per block) for a rank-3 to rank-5
    /// shape; nil for other ranks.
    static func blocked(_ shape: [Int]) throws -> dnnl_memory_desc_t? {
        guard (3...5).contains(shape.count) else { return nil }
        let tags = channelBlock == 16 ? [dnnl_aBc16b, dnnl_aBcd16b, dnnl_aBcde16b] : [dnnl_aBc8b, dnnl_aBcd8b, dnnl_aBcde8b]
        return try md(shape, tags[shape.count - 3])
    }
    static func any(_ shape: [Int]) throws -> dnnl_memory_desc_t { try md(shape, dnnl_format_tag_any) }

    static func size(_ md: dnnl_memory_desc_t) -> Int { withUnsafePointer(to: md) { Int(dnnl_memory_desc_get_size($0)) } }

    static func equal(_ a: dnnl_memory_desc_t, _ b: dnnl_memory_desc_t) -> Bool {
        withUnsafePointer(to: a) { pa in withUnsafePointer(to: b) { pb in dnnl_memory_desc_equal(pa, pb) != 0 } }
    }

    static func isPlain(_ md: dnnl_memory_desc_t, shape: [Int]) -> Bool {
        guard let p = try? plain(shape) else { return false }
        return equal(md, p)
    }

    /// Creates a primitive descriptor from an op descriptor; nil when oneDNN has no implementation.
    static func primitiveDesc<D>(_ desc: D, attr: dnnl_primitive_attr_t? = nil) -> dnnl_primitive_desc_t? {
        var d = desc
        var pd: dnnl_primitive_desc_t?
        let status = withUnsafePointer(to: &d) { dnnl_primitive_desc_create(&pd, UnsafeRawPointer($0), attr, engine, nil) }
        return status == dnnl_success ? pd : nil
    }

    /// The implementation name oneDNN picked ("jit:avx512_core", "ref:any", ...).
    static func implementation(_ pd: dnnl_primitive_desc_t) -> String {
        var p: UnsafePointer<CChar>?
        guard dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &p) == dnnl_success, let p else { return "?" }
        return String(cString: p)
    }

    /// A short name of a memory layout: "nCdhw16c", "ndhwc", "ncdhw" (and 2D/1D forms), else
    /// "blocked" with the inner block sizes, or "any"/"undef".
    static func layoutName(_ md: dnnl_memory_desc_t) -> String {
        if md.format_kind == dnnl_format_kind_any { return "any" }
        guard md.format_kind == dnnl_blocked else { return "undef" }
        let rank = Int(md.ndims)
        let shape = withUnsafeBytes(of: md.dims) { Array($0.bindMemory(to: dnnl_dim_t.self).prefix(rank)).map(Int.init) }
        let names: [(String, dnnl_format_tag_t)] = rank == 5 ? [("ncdhw", dnnl_abcde), ("ndhwc", dnnl_acdeb), ("nCdhw16c", dnnl_aBcde16b), ("nCdhw8c", dnnl_aBcde8b)]
            : rank == 4 ? [("nchw", dnnl_abcd), ("nhwc", dnnl_acdb), ("nChw16c", dnnl_aBcd16b), ("nChw8c", dnnl_aBcd8b)]
            : rank == 3 ? [("ncw", dnnl_abc), ("nwc", dnnl_acb), ("nCw16c", dnnl_aBc16b)] : []
        for (name, tag) in names { if let ref = try? self.md(shape, tag), equal(ref, md) { return name } }
        let b = md.format_desc.blocking
        let blocks = withUnsafeBytes(of: b.inner_blks) { Array($0.bindMemory(to: dnnl_dim_t.self).prefix(Int(b.inner_nblks))) }
        return "blocked\(blocks)"
    }

    /// Whether `md` is a blocked layout (not plain row-major): such values stay blocked when possible.
    static func isBlocked(_ md: dnnl_memory_desc_t) -> Bool {
        md.format_kind == dnnl_blocked && md.format_desc.blocking.inner_nblks > 0
    }

    static func query(_ pd: dnnl_primitive_desc_t, _ what: dnnl_query_t) -> dnnl_memory_desc_t {
        dnnl_primitive_desc_query_md(pd, what, 0)!.pointee
    }

    static func primitive(_ pd: dnnl_primitive_desc_t) throws -> dnnl_primitive_t {
        var p: dnnl_primitive_t?
        try check(dnnl_primitive_create(&p, pd), "primitive creation")
        return p!
    }

    /// A reorder primitive between two descriptors.
    static func reorder(from: dnnl_memory_desc_t, to: dnnl_memory_desc_t) throws -> dnnl_primitive_t {
        var pd: dnnl_primitive_desc_t?
        var f = from, t = to
        try check(dnnl_reorder_primitive_desc_create(&pd, &f, engine, &t, engine, nil), "reorder descriptor")
        defer { dnnl_primitive_desc_destroy(pd) }
        return try primitive(pd!)
    }

    /// Reorders once (primitive created, run and destroyed): `src` laid out as `from` into `dst`
    /// laid out as `to` (weights packed at compile time, values of the dynamic tail).
    static func reorderOnce(from: dnnl_memory_desc_t, _ src: UnsafeRawPointer, to: dnnl_memory_desc_t, _ dst: UnsafeMutableRawPointer) throws {
        let r = try reorder(from: from, to: to)
        defer { dnnl_primitive_destroy(r) }
        let a = try memory(from, UnsafeMutableRawPointer(mutating: src)), b = try memory(to, dst)
        defer { dnnl_memory_destroy(a); dnnl_memory_destroy(b) }
        try execute(r, [dnnl_exec_arg_t(arg: DNNL_ARG_FROM, memory: a), dnnl_exec_arg_t(arg: DNNL_ARG_TO, memory: b)])
        try check(dnnl_stream_wait(stream), "reorder")
    }

    static func memory(_ md: dnnl_memory_desc_t, _ pointer: UnsafeMutableRawPointer?) throws -> dnnl_memory_t {
        var m: dnnl_memory_t?
        var d = md
        try check(dnnl_memory_create(&m, &d, engine, pointer), "memory object")
        return m!
    }

    static func execute(_ p: dnnl_primitive_t, _ args: [dnnl_exec_arg_t]) throws {
        try check(dnnl_primitive_execute(p, stream, Int32(args.count), args), "primitive execution")
    }

    /// Sets the OpenMP thread count oneDNN uses (Debian builds oneDNN with the OpenMP runtime).
    /// Resolved at run time from the already loaded libgomp, so no OpenMP header is needed.
    static func setThreads(_ n: Int) {
        typealias SetThreads = @convention(c) (Int32) -> Void
        guard let handle = dlopen(nil, RTLD_NOW), let sym = dlsym(handle, "omp_set_num_threads") else { return }
        unsafeBitCast(sym, to: SetThreads.self)(Int32(n))
    }

    /// 64-byte aligned, zeroed buffer.
    static func allocate(_ bytes: Int) -> UnsafeMutableRawPointer {
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 64), alignment: 64)
        p.initializeMemory(as: UInt8.self, repeating: 0, count: max(bytes, 64))
        return p
    }
}
