// store-bench: fills a study database with 100,000 lesions through the public API (beginRun /
// completeRun, as `segment` does) and times the lesion query by patient and volume threshold.
//
//   swift run -c release store-bench [--db PATH] [--iterations N]
//   swift run -c release store-bench --db postgresql://USER@HOST:PORT/EMPTY_DATABASE   (issue 15)
//
// Data: 900 patients x 2 studies x 1 run x 50 lesions (90,000) plus one patient "BIG" with
// 10 runs x 1,000 lesions (10,000). Volumes are log-normal (median 1 mL), from a fixed seed.
// Numbers go into BENCHMARKS.md (study database section).
import Core
import Foundation
import StudyStore
import TestSupport  // SplitMix: the tests' fixed-seed generator, so every run builds the same database

func logNormalVolumeML(_ rng: inout SplitMix) -> Double {
    // Box-Muller; sigma 1.5 around 1 mL.
    let u1 = Double.random(in: Double.ulpOfOne..<1, using: &rng), u2 = Double.random(in: 0..<1, using: &rng)
    let normal = (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    return exp(1.5 * normal)
}

func addRun(_ store: StudyStore, patient: String, study: String, series: String, date: String, lesions: Int,
            _ rng: inout SplitMix) throws {
    let start = RunStart(
        patient: PatientInfo(patientID: patient), study: StudyInfo(studyInstanceUID: study, studyDate: date),
        series: SeriesInfo(seriesInstanceUID: series, modality: "MR", frameOfReferenceUID: study + ".0"),
        model: ModelInfo(name: "bench-model", version: "1", sha256: String(repeating: "0", count: 64)),
        inputFingerprint: "bench", segstationVersion: "bench")
    let runID = try store.beginRun(start)
    let found = (1...lesions).map { i -> LesionInfo in
        let volume = logNormalVolumeML(&rng)
        return LesionInfo(labelValue: 1 + i % 2, index: i, voxelCount: max(1, Int(volume * 1000)), volumeML: volume,
                          centroidLPSMM: [Double.random(in: -150...150, using: &rng), Double.random(in: -150...150, using: &rng),
                                          Double.random(in: -300...0, using: &rng)],
                          meshVolumeML: volume * 0.97, surfaceAreaMM2: 100, sphericity: 0.8, maxDiameter3DMM: 10,
                          recistLongMM: 9, recistShortMM: 6, bboxIJK: [0, 0, 0, 9, 9, 9], meanIntensity: 50,
                          stdIntensity: 5, minIntensity: 30, maxIntensity: 80, medianIntensity: 50)
    }
    try store.completeRun(runID, RunResult(labels: [LabelInfo(value: 1, name: "tumour"), LabelInfo(value: 2, name: "cyst")],
                                           lesions: found, artefacts: []))
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
}

/// CPU time of the calling thread in ms (excludes time spent waiting for a core on a shared machine).
func threadCPUms() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
    return Double(spec.tv_sec) * 1e3 + Double(spec.tv_nsec) / 1e6
}

/// Times `query` `iterations` times; prints wall-clock median, p95 and max in ms, and the thread's
/// CPU time median and max (wall minus CPU is mostly waiting for a core when the machine is shared).
func time(_ name: String, iterations: Int, _ query: (Int) throws -> Int) rethrows {
    var ms: [Double] = [], cpu: [Double] = [], rows = 0
    for i in 0..<iterations {
        let t0 = DispatchTime.now().uptimeNanoseconds, c0 = threadCPUms()
        rows += try query(i)
        cpu.append(threadCPUms() - c0)
        ms.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
    }
    ms.sort()
    cpu.sort()
    print(String(format: "%@: median %.2f ms, p95 %.2f ms, max %.2f ms; CPU median %.2f ms, max %.2f ms (%d runs, %.1f rows/query)",
                 name, percentile(ms, 0.5), percentile(ms, 0.95), ms.last!, percentile(cpu, 0.5), cpu.last!,
                 iterations, Double(rows) / Double(iterations)))
}

let arguments = Array(CommandLine.arguments.dropFirst())
func option(_ name: String) -> String? {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return nil }
    return arguments[i + 1]
}
let path = option("--db") ?? FileManager.default.temporaryDirectory.appendingPathComponent("store-bench-\(getpid()).sqlite").path
let iterations = Int(option("--iterations") ?? "") ?? 200
let keep = option("--db") != nil

do {
    var rng = SplitMix(seed: 20_261_125)
    let store = try StudyStore.connect(path)
    let fresh = try store.runs().isEmpty
    if fresh {
        let t0 = Date()
        for p in 0..<900 {
            for s in 0..<2 {
                try addRun(store, patient: "PAT-\(p)", study: "2.25.\(p).\(s)", series: "2.25.\(p).\(s).1",
                           date: "2025-0\(1 + 3 * s)-15", lesions: 50, &rng)
            }
        }
        for r in 0..<10 {
            try addRun(store, patient: "BIG", study: "2.25.9999.\(r)", series: "2.25.9999.\(r).1",
                       date: String(format: "2024-%02d-01", r + 1), lesions: 1000, &rng)
        }
        print(String(format: "filled %@ in %.1f s", path, Date().timeIntervalSince(t0)))
    }
    let total = try store.lesions(LesionFilter(minVolumeML: 0)).count
    print("lesions in database: \(total)")
    try time("lesions --patient PAT-k --min-volume-ml 1 (random k)", iterations: iterations) { i in
        try store.lesions(LesionFilter(patientID: "PAT-\((i * 7919) % 900)", minVolumeML: 1)).count
    }
    try time("lesions --patient BIG --min-volume-ml 1", iterations: iterations) { _ in
        try store.lesions(LesionFilter(patientID: "BIG", minVolumeML: 1)).count
    }
    try time("lesions --patient BIG --min-volume-ml 50", iterations: iterations) { _ in
        try store.lesions(LesionFilter(patientID: "BIG", minVolumeML: 50)).count
    }
    try time("lesions --patient PAT-k --min-volume-ml 1 --label tumour, as JSON", iterations: iterations) { i in
        let rows = try store.lesions(LesionFilter(patientID: "PAT-\((i * 7919) % 900)", minVolumeML: 1, label: "tumour"))
        return try JSONFormat.encoder().encode(rows).isEmpty ? 0 : rows.count
    }
    // What a GET /lesions cache miss does besides HTTP (random-lesions.lua's queries): the query, then the
    // rows written as the service writes them (JSONFormat.CompactWriter), without and with the query.
    var jsonRNG = SplitMix(seed: 14)
    let queries = (0..<iterations).map { _ in
        LesionFilter(patientID: "PAT-\(Int.random(in: 0..<900, using: &jsonRNG))", minVolumeML: 0.5 + Double.random(in: 0..<1, using: &jsonRNG))
    }
    let answers = try queries.map { try store.lesions($0) }
    func compactJSON(_ rows: [LesionRow]) -> Int {
        var writer = JSONFormat.CompactWriter(capacity: 1024 * (rows.count + 1))
        writer.beginArray()
        for row in rows { row.writeJSON(to: &writer) }
        writer.endArray()
        return writer.bytes.count
    }
    try time("GET /lesions miss: the query (random patient, minVolumeML in [0.5, 1.5))", iterations: iterations) { i in
        try store.lesions(queries[i]).count
    }
    time("GET /lesions miss: its rows as compact JSON (CompactWriter)", iterations: iterations) { i in
        _ = compactJSON(answers[i])
        return answers[i].count
    }
    try time("GET /lesions miss: the query and its compact JSON", iterations: iterations) { i in
        let rows = try store.lesions(queries[i])
        _ = compactJSON(rows)
        return rows.count
    }
    try time("lesions --min-volume-ml 100 (all patients)", iterations: max(1, iterations / 10)) { _ in
        try store.lesions(LesionFilter(minVolumeML: 100)).count
    }
    if !keep, store.path != nil {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
} catch {
    FileHandle.standardError.write(Data("store-bench: \(error)\n".utf8))
    exit(1)
}
