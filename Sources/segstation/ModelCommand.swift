import ArgumentParser
import Engine
import Foundation
import Core
import Imaging

/// `segstation model info|run|bench`: inspect, run and time ONNX models with the engine.
struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Inspect, run and benchmark ONNX models with SegStation's inference engine.",
        subcommands: [ModelInfoCommand.self, ModelRun.self, ModelBench.self]
    )
}

/// Parses "1,1,128,128,128".
func parseShape(_ text: String) throws -> [Int] {
    let dims = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !dims.isEmpty, dims.allSatisfy({ ($0 ?? 0) >= 1 }) else {
        throw ValidationError("--shape must be positive integers separated by commas, e.g. 1,1,128,128,128 (got '\(text)')")
    }
    return dims.map { $0! }
}

/// The model's inputs from --input values: .npy files in the model's input order, or NAME=FILE.npy.
func readFeeds(_ m: ONNXModel, _ specs: [String]) throws -> [String: Tensor] {
    guard specs.count == m.inputs.count else {
        throw ValidationError("the model has \(m.inputs.count) input(s) (\(m.inputs.map(\.name).joined(separator: ", "))); got \(specs.count) --input")
    }
    var feeds: [String: Tensor] = [:]
    for (i, spec) in specs.enumerated() {
        if let eq = spec.firstIndex(of: "="), m.inputs.contains(where: { $0.name == String(spec[..<eq]) }) {
            feeds[String(spec[..<eq])] = try Npy.read(path: String(spec[spec.index(after: eq)...]))
        } else {
            feeds[m.inputs[i].name] = try Npy.read(path: spec)
        }
    }
    return feeds
}

/// Input shapes: --shape for the first input (or NAME=1,2,3 for a named one), else declared fixed dims.
func resolveShapes(_ model: ONNXModel, _ specs: [String]) throws -> [String: [Int]]? {
    var shapes: [String: [Int]] = [:]
    for s in specs {
        if let eq = s.firstIndex(of: "=") {
            shapes[String(s[..<eq])] = try parseShape(String(s[s.index(after: eq)...]))
        } else if let first = model.inputs.first {
            shapes[first.name] = try parseShape(s)
        }
    }
    for i in model.inputs where shapes[i.name] == nil {
        guard let dims = i.dims else { return nil }
        var fixed: [Int] = []
        for d in dims { guard case .fixed(let n) = d, n > 0 else { return nil }; fixed.append(n) }
        shapes[i.name] = fixed
    }
    return shapes
}

struct ModelInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "info", abstract: "Inputs, outputs, operators, parameters and FLOPs of an ONNX model.")

    @Argument(help: "The .onnx file.") var model: String
    @Option(help: "Input shape for FLOPs and output shapes, e.g. 1,1,128,128,128 (or NAME=1,1,64,64 per input). Defaults to the declared shape when fixed.")
    var shape: [String] = []
    @Flag(help: "Print JSON.") var json = false

    struct Report: Encodable {
        struct Value: Encodable { let name: String; let shape: String }
        let file: String, producer: String, opset: Int, irVersion: Int64
        let inputs: [Value], outputs: [Value]
        let operators: [String: Int]
        let parameters: Int
        let inputShapes: [String: [Int]]?
        let outputShapes: [String: [Int]]?
        let convolutionGFLOP: Double?
    }

    func run() throws {
        let m = try ONNXModel(path: model)
        let shapes = try resolveShapes(m, shape)
        var outShapes: [String: [Int]]? = nil, gflop: Double? = nil
        if let shapes {
            let s = try InferenceSession(model: m, backend: .reference)
            outShapes = try s.outputShapes(inputShapes: shapes)
            gflop = try s.flops(inputShapes: shapes) / 1e9
        }
        let describe = { (v: ValueInfo) in Report.Value(name: v.name, shape: v.dims.map { $0.map(\.description).joined(separator: "x") } ?? "?") }
        let r = Report(file: model, producer: m.producer, opset: m.opset, irVersion: m.irVersion,
                       inputs: m.inputs.map(describe), outputs: m.outputs.map(describe), operators: m.operatorCounts,
                       parameters: m.parameterCount, inputShapes: shapes, outputShapes: outShapes, convolutionGFLOP: gflop)
        if json { try Output.json(r); return }
        Output.line("model      \(model) (producer '\(m.producer)', opset \(m.opset), IR \(m.irVersion))")
        for i in r.inputs { Output.line("input      \(i.name) \(i.shape)") }
        for o in r.outputs { Output.line("output     \(o.name) \(o.shape)") }
        Output.line("parameters \(m.parameterCount)")
        Output.line("operators  " + m.operatorCounts.sorted { $0.key < $1.key }.map { "\($0.key) x\($0.value)" }.joined(separator: ", "))
        if let shapes, let outShapes, let gflop {
            Output.line("for input  " + shapes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.map(String.init).joined(separator: "x"))" }.joined(separator: ", "))
            Output.line("outputs    " + outShapes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.map(String.init).joined(separator: "x"))" }.joined(separator: ", "))
            Output.line(String(format: "FLOPs      %.2f GFLOP (convolutions and transposed convolutions)", gflop))
        } else {
            Output.line("FLOPs      give --shape to compute (the model's input shape is not fixed)")
        }
    }
}

struct ModelRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run an ONNX model on NumPy .npy inputs.",
        discussion: """
        Inputs are float32 .npy files (C order), given in the model's input order, or as NAME=FILE.npy.
        With one model output it is written to --output. With several, each goes to OUT-<name>.npy beside
        --output (characters other than letters, digits, '-', '_' and '.' in <name> become '_').
        int64 outputs (e.g. ArgMax) are written as int64 .npy.
        """
    )

    @Argument(help: "The .onnx file.") var model: String
    @Option(help: "Input .npy file (repeat for several inputs), or NAME=FILE.npy.") var input: [String] = []
    @Option(help: "Output .npy path.") var output: String
    @Option(help: "Threads for the fast backend.") var threads: Int?
    @Option(help: "Engine backend.") var backend: Backend = .fast

    func run() throws {
        try InputFile.requireWritableFileTarget(output, flag: "--output")
        let m = try ONNXModel(path: model)
        let feeds = try readFeeds(m, input)
        let session = try InferenceSession(model: m, backend: backend, threads: threads)
        let results = try session.run(feeds)
        for (name, path) in outputPaths(m.outputs.map(\.name)) { try Npy.write(results[name]!, path: path) }
    }

    func outputPaths(_ names: [String]) -> [(String, String)] {
        if names.count == 1 { return [(names[0], output)] }
        let url = URL(fileURLWithPath: output)
        let stem = url.pathExtension == "npy" ? url.deletingPathExtension().path : url.path
        return names.map { name in
            let safe = String(name.map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? $0 : "_" })
            return (name, "\(stem)-\(safe).npy")
        }
    }
}

struct ModelBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time an ONNX model on random (or given) inputs: median seconds, GFLOP/s, peak memory.",
        discussion: "One warm-up run (which also compiles the oneDNN primitives) precedes the timed runs. Peak RSS is the process high-water mark (VmHWM)."
    )

    @Argument(help: "The .onnx file.") var model: String
    @Option(help: "Input shape, e.g. 1,1,128,128,128 (or NAME=... per input).") var shape: [String] = []
    @Option(help: "Time on this .npy input instead of random values (repeat for several inputs, or NAME=FILE.npy): a detector's cost depends on what it finds.")
    var input: [String] = []
    @Option(help: "Threads for the fast backend.") var threads: Int?
    @Option(help: "Timed runs.") var runs: Int = 3
    @Option(help: "Engine backend.") var backend: Backend = .fast
    @Option(help: "Convolution layout of the fast backend: onednn (oneDNN's choice for this CPU, the default) or blocked (nCdhw16c, for comparison).")
    var layout: ConvolutionLayout = .onednn
    @Flag(help: "Run every 3x3 convolution directly (no Winograd), for comparison.") var noWinograd = false
    @Flag(help: "Also print seconds per operator: the median over --runs extra, profiled runs.") var profile = false
    @Flag(help: "Print JSON.") var json = false

    struct Report: Encodable {
        let model: String, backend: String, threads: Int?, runs: Int
        let inputShapes: [String: [Int]]
        let medianSeconds: Double, minSeconds: Double
        let gflop: Double, gflopPerSecond: Double
        let peakRSSMiB: Double
        /// Process CPU seconds (user + system) per timed run: on a shared machine, compare with
        /// medianSeconds x threads to see how much CPU the runs actually got.
        let cpuSecondsPerRun: Double
        let activationMiB: Double?
        let secondsByOperator: [String: Double]?
    }

    func run() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
        let m = try ONNXModel(path: model)
        guard input.isEmpty || shape.isEmpty else { throw ValidationError("give --shape or --input, not both") }
        let given = input.isEmpty ? nil : try readFeeds(m, input)
        guard let shapes = try given?.mapValues(\.shape) ?? resolveShapes(m, shape) else { throw ValidationError("the model's input shape is not fixed: give --shape") }
        // The budget is checked before the random inputs are allocated (a huge --shape is refused, exit 65).
        let session = try InferenceSession(model: m, backend: backend, threads: threads, layout: layout, winograd: !noWinograd)
        try session.requireWithinBudget(inputShapes: shapes)
        var rng = SystemRandomNumberGenerator()
        let feeds = given ?? shapes.mapValues { s in Tensor(shape: s, floats: (0..<s.reduce(1, *)).map { _ in Float.random(in: -1...1, using: &rng) }) }
        _ = try session.run(feeds)
        var times: [Double] = []
        let cpuStart = cpuSeconds()
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try session.run(feeds)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        let cpuPerRun = (cpuSeconds() - cpuStart) / Double(runs)
        let profileTimes = profile ? try medianProfile(session, feeds) : nil
        times.sort()
        let median = times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
        let gflop = try session.flops(inputShapes: shapes) / 1e9
        let act = backend == .fast ? Double(try session.activationBytes(inputShapes: shapes)) / 1_048_576 : nil
        let r = Report(model: model, backend: backend.rawValue, threads: threads, runs: runs, inputShapes: shapes, medianSeconds: median,
                       minSeconds: times[0], gflop: gflop, gflopPerSecond: gflop / median, peakRSSMiB: peakRSSMiB(),
                       cpuSecondsPerRun: cpuPerRun, activationMiB: act, secondsByOperator: profileTimes)
        if json { try Output.json(r); return }
        Output.line(String(format: "%@ backend=%@ threads=%@ runs=%d", model, backend.rawValue, threads.map(String.init) ?? "default", runs))
        Output.line(String(format: "median %.4f s  min %.4f s  %.1f GFLOP  %.1f GFLOP/s  peak RSS %.0f MiB  CPU %.2f s/run", median, times[0], gflop, gflop / median, r.peakRSSMiB, cpuPerRun))
        if let p = profileTimes {
            for (k, v) in p.sorted(by: { $0.value > $1.value }) {
                Output.line("  " + k.padding(toLength: max(34, k.count), withPad: " ", startingAt: 0) + String(format: " %8.4f s", v))
            }
            let tail = p.filter { $0.key.contains("dynamic") }.values.reduce(0, +)
            Output.line(String(format: "  sum of medians: static plan %.4f s, dynamic tail %.4f s", p.values.reduce(0, +) - tail, tail))
        }
    }

    /// Seconds per operator label, the median over `runs` profiled runs (one profiled run is too noisy
    /// for a model that takes milliseconds).
    func medianProfile(_ session: InferenceSession, _ feeds: [String: Tensor]) throws -> [String: Double] {
        var samples: [String: [Double]] = [:]
        for _ in 0..<runs {
            for (label, seconds) in try session.runProfiled(feeds).secondsByOperator { samples[label, default: []].append(seconds) }
        }
        return samples.mapValues { s in
            let v = (s + Array(repeating: 0, count: runs - s.count)).sorted()
            return v.count % 2 == 1 ? v[v.count / 2] : (v[v.count / 2 - 1] + v[v.count / 2]) / 2
        }
    }

    /// User plus system CPU seconds of this process so far.
    func cpuSeconds() -> Double {
        var u = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &u)
        return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
    }

    /// The process's peak resident set size (Linux /proc/self/status VmHWM), in MiB; 0 if unknown.
    func peakRSSMiB() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
            return kb / 1024
        }
        return 0
    }
}

extension Backend: ExpressibleByArgument {}
extension ConvolutionLayout: ExpressibleByArgument {}
