import Foundation

/// ONNX and .npy files; model manifests; segment labels.
enum ModelTrials {
    static func onnx(_ c: Context) -> [Trial] {
        var trials: [Trial] = []
        let real = c.repository.appendingPathComponent("Models/brats-wt-3d/model.onnx").path
        do {
            let dir = c.folder("onnx-random")
            var random = Data(); for _ in 0..<4096 { random.append(UInt8.random(in: 0...255, using: &c.rng)) }
            let file = c.write(random, dir + "/random.onnx")
            trials.append(Trial(category: "onnx-npy", name: "4 KiB of random bytes", arguments: ["model", "info", file],
                                expectedExit: [65, 69], mentions: ["random.onnx", "ONNX"]))
        }
        if let bytes = try? Data(contentsOf: URL(fileURLWithPath: real)) {
            for n in 0..<3 {
                let dir = c.folder("onnx-cut")
                let file = c.write(bytes.prefix(c.int(10...bytes.count - 1)), dir + "/cut.onnx")
                trials.append(Trial(category: "onnx-npy", name: "truncated model #\(n)", arguments: ["model", "info", file],
                                    expectedExit: [65], mentions: ["cut.onnx", "ONNX"]))
            }
        }
        do {
            let dir = c.folder("onnx-expand")
            let model = c.write(Proto.model(op: "Expand", inputDims: [1], initializers: [("shape", [1, 1, 2048, 2048, 2048])]), dir + "/expand.onnx")
            let input = c.write(npy(shape: "(1,)", payload: Data(count: 4)), dir + "/x.npy")
            trials.append(Trial(category: "onnx-npy", name: "200-byte Expand asking 32 GiB (run)",
                                arguments: ["model", "run", model, "--input", input, "--output", dir + "/y.npy"],
                                expectedExit: [65], mentions: ["memory budget"], watchedFolders: [dir]))
            trials.append(Trial(category: "onnx-npy", name: "200-byte Expand asking 32 GiB (bench)",
                                arguments: ["model", "bench", model, "--shape", "1", "--runs", "1"], expectedExit: [65], mentions: ["memory budget"]))
        }
        trials.append(Trial(category: "onnx-npy", name: "bench --shape 1,2,1024,1024,1024",
                            arguments: ["model", "bench", real, "--shape", "1,2,1024,1024,1024", "--runs", "1"],
                            expectedExit: [65], mentions: ["memory budget"], timeout: 60))
        let npys: [(String, Data, [String])] = [
            ("shape lies (1000000, 1000000)", npy(shape: "(1000000, 1000000)", payload: Data(count: 64)), ["lie.npy"]),
            ("shape (2**62,)", npy(shape: "(4611686018427387904,)", payload: Data(count: 64)), ["lie.npy"]),
            ("descr complex128", npy(shape: "(4,)", descr: "<c16", payload: Data(count: 64)), ["lie.npy"]),
            ("truncated header", npy(shape: "(4,)", payload: Data()).prefix(20), ["lie.npy"]),
        ]
        for (name, data, mentions) in npys {
            let dir = c.folder("npy")
            let file = c.write(data, dir + "/lie.npy")
            trials.append(Trial(category: "onnx-npy", name: ".npy \(name)",
                                arguments: ["model", "run", real, "--input", file, "--output", dir + "/y.npy"],
                                expectedExit: [65, 69], mentions: mentions, watchedFolders: [dir]))
            trials.append(Trial(category: "onnx-npy", name: ".npy \(name) (bench --input)",
                                arguments: ["model", "bench", real, "--input", file, "--runs", "1"],
                                expectedExit: [65, 69], mentions: mentions))
        }
        trials.append(Trial(category: "onnx-npy", name: "bench with both --shape and --input",
                            arguments: ["model", "bench", real, "--shape", "1,2,8,8,8", "--input", real, "--runs", "1"],
                            expectedExit: [64], mentions: ["--shape", "--input"]))
        return trials
    }

    static func manifests(_ c: Context) -> [Trial] {
        guard let input = c.sampleNIfTI else { return [] }
        var trials: [Trial] = []
        func add(_ name: String, mentions: [String], check: ((Finished) -> String?)? = nil, _ edit: @escaping (inout [String: Any]) -> Void) {
            let pkg = c.modelCopy("manifest", edit: edit)
            let out = URL(fileURLWithPath: pkg).deletingLastPathComponent().path
            trials.append(Trial(category: "manifests", name: name,
                                arguments: ["segment", input, input, "--model", pkg, "-o", out + "/run", "--db", out + "/db.sqlite"],
                                expectedExit: [65], mentions: mentions, watchedFolders: [out], timeout: 60, check: check))
        }
        add("labels []", mentions: ["labels"]) { $0["labels"] = []; $0["output"] = ["kind": "logits", "classes": 1] }
        add("targetSpacingMM 0.01", mentions: ["memory budget"]) { $0["targetSpacingMM"] = [0.01, 0.01, 0.01] }
        add("targetSpacingMM 1e-300", mentions: ["memory budget", "targetSpacingMM"]) { $0["targetSpacingMM"] = [1e-300, 1e-300, 1e-300] }
        add("patchSizeIJK 4096^3", mentions: ["memory budget", "patchSizeIJK"]) { $0["patchSizeIJK"] = [4096, 4096, 4096] }
        let passwdHash = sha256Hex(path: "/etc/passwd")
        add("network.file ../../../../etc/passwd", mentions: ["network.file"],
            check: { f in passwdHash.map { f.stderr.contains($0) } == true ? "printed the SHA-256 of /etc/passwd" : nil }) { m in
            var network = m["network"] as? [String: Any] ?? [:]; network["file"] = "../../../../etc/passwd"; m["network"] = network
        }
        add("network.file absolute", mentions: ["network.file"]) { m in
            var network = m["network"] as? [String: Any] ?? [:]; network["file"] = "/etc/passwd"; m["network"] = network
        }
        add("name 'Bad Name!'", mentions: ["name"]) { $0["name"] = "Bad Name!" }
        add("label colour 300", mentions: ["colorRGB"]) { m in
            var labels = m["labels"] as? [[String: Any]] ?? []; labels[0]["colorRGB"] = [300, 0, 0]; m["labels"] = labels
        }
        add("batchSize 0", mentions: ["batchSize"]) { m in
            var w = m["slidingWindow"] as? [String: Any] ?? [:]; w["batchSize"] = 0; m["slidingWindow"] = w
        }
        add("batchSize 100000", mentions: ["batchSize", "memory budget"]) { m in
            var w = m["slidingWindow"] as? [String: Any] ?? [:]; w["batchSize"] = 100000; m["slidingWindow"] = w
        }
        add("not JSON", mentions: ["manifest.json"]) { m in m = ["schemaVersion": "x"] }
        return trials
    }

    static func labels(_ c: Context) -> [Trial] {
        guard let sample = c.sample else { return [] }
        func add(_ name: String, _ labels: Any, mentions: [String], note: String?) -> Trial {
            let dir = c.folder("labels")
            let file = c.write((try? JSONSerialization.data(withJSONObject: labels)) ?? Data(), dir + "/labels.json")
            return Trial(category: "labels", name: name,
                         arguments: ["export-seg", "--mask", sample + "/reference-mask.nii.gz", "--source", sample + "/FLAIR",
                                     "--labels", file, "-o", dir + "/seg.dcm"],
                         expectedExit: [65], mentions: mentions, watchedFolders: [dir], timeout: 60, note: note)
        }
        func label(_ name: String, colour: [Int] = [255, 0, 0]) -> [[String: Any]] {
            [["value": 1, "name": name, "colorRGB": colour,
              "category": ["code": "49755003", "scheme": "SCT", "meaning": "Morphologically Altered Structure"],
              "type": ["code": "108369006", "scheme": "SCT", "meaning": "Neoplasm"]]]
        }
        return [
            add("1,000,000-character name", label(String(repeating: "x", count: 1_000_000)), mentions: ["name", "64"], note: "VR limits (i11-dicom)"),
            add("NUL inside a name", label("tumour\u{0}hidden"), mentions: ["name", "NUL"], note: "VR limits (i11-dicom)"),
            add("colour 300", label("tumour", colour: [300, 0, 0]), mentions: ["colo"], note: nil),
            add("not a list", ["labels": 5], mentions: ["labels.json"], note: nil),
        ]
    }
}

/// SHA-256 hex of a file through the system's sha256sum (nil when unreadable).
func sha256Hex(path: String) -> String? {
    let f = runChild(["/usr/bin/sha256sum", path], timeout: 10, in: FileManager.default.temporaryDirectory.path)
    return f.stdout.split(separator: " ").first.map(String.init)
}
