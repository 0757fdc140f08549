import Foundation

/// NIfTI headers and gzip bombs; NRRD lies and traversal.
enum VolumeTrials {
    static func nifti(_ c: Context) -> [Trial] {
        var trials: [Trial] = []
        func add(_ name: String, _ header: NIfTIHeaderBytes, voxels: Int = 64, value: Float = 1, expected: Int32 = 65, mentions: [String]) {
            let dir = c.folder("nifti")
            let file = c.write(header.file(voxels: voxels, value: value), dir + "/bad.nii")
            trials.append(Trial(category: "nifti-headers", name: name, arguments: ["convert", file, "-o", dir + "/out.nii.gz"],
                                expectedExit: [expected], mentions: mentions, watchedFolders: [dir]))
        }
        var h = NIfTIHeaderBytes()
        h.dim[0] = 0; add("dim[0] = 0", h, mentions: ["dim[0]"])
        h = NIfTIHeaderBytes(); h.dim[0] = 8; add("dim[0] = 8", h, mentions: ["dim[0]"])
        h = NIfTIHeaderBytes(); h.dim[2] = -5; add("dim[2] = -5", h, mentions: ["dim[2]"])
        h = NIfTIHeaderBytes(); h.datatype = 9999; add("datatype 9999", h, mentions: ["datatype"])
        h = NIfTIHeaderBytes(); h.voxOffset = 1e30; add("vox_offset 1e30", h, mentions: ["vox_offset"])
        h = NIfTIHeaderBytes(); h.voxOffset = .nan; add("vox_offset NaN", h, mentions: ["vox_offset"])
        h = NIfTIHeaderBytes(); h.sformCode = 0; h.qformCode = 1; h.pixdim[1] = .nan; add("pixdim NaN (qform)", h, mentions: ["pixdim"])
        h = NIfTIHeaderBytes(); h.srow[0][3] = .infinity; add("srow_x offset inf", h, mentions: ["srow"])
        h = NIfTIHeaderBytes(); h.srow[1][1] = .infinity; add("srow_y spacing inf", h, mentions: ["srow"])
        h = NIfTIHeaderBytes(); h.dim = [3, 100, 100, 100, 1, 1, 1, 1]; add("truncated data", h, mentions: ["bad.nii"])
        h = NIfTIHeaderBytes(); add("all-NaN voxels", h, value: .nan, mentions: ["bad.nii"])
        h = NIfTIHeaderBytes(); add("all-inf voxels", h, value: .infinity, mentions: ["bad.nii"])
        h = NIfTIHeaderBytes(); h.sclSlope = .infinity; add("scl_slope inf", h, mentions: ["scl_slope", "bad.nii"])
        do {
            let dir = c.folder("nifti-short")
            let file = c.write(NIfTIHeaderBytes().encoded().prefix(100), dir + "/short.nii")
            trials.append(Trial(category: "nifti-headers", name: "100-byte file", arguments: ["inspect", file], expectedExit: [65], mentions: ["short.nii"]))
        }
        for n in 0..<6 {
            let dir = c.folder("nifti-flip")
            let data = c.flipBits(NIfTIHeaderBytes().file(voxels: 64), count: c.int(1...6), in: 0..<348)
            let file = c.write(data, dir + "/flip.nii")
            trials.append(Trial(category: "nifti-headers", name: "header bit flips #\(n)", arguments: ["convert", file, "-o", dir + "/out.nii.gz"],
                                expectedExit: [0, 65, 69], mentions: ["flip.nii"], watchedFolders: [dir]))
        }
        trials += bombs(c)
        trials += hugeVoxels(c)
        return trials
    }

    /// A .nii.gz of concatenated gzip members: the header, then 2 GiB of zero voxels (uint8) from ~2 MB.
    static func bombs(_ c: Context) -> [Trial] {
        let dir = c.folder("gzip-bomb")
        var h = NIfTIHeaderBytes()
        h.dim = [3, 2048, 1024, 1024, 1, 1, 1, 1]; h.datatype = 2; h.bitpix = 8
        let headerGz = gzip(h.encoded(), c), chunkGz = gzip(Data(count: 1 << 20), c)
        guard !headerGz.isEmpty, !chunkGz.isEmpty else { return [] }
        var bomb = headerGz
        for _ in 0..<2048 { bomb.append(chunkGz) }
        let file = c.write(bomb, dir + "/bomb.nii.gz")
        let quick: (Finished) -> String? = { $0.seconds < 10 ? nil : "took \(Int($0.seconds)) s: the header alone should refuse it" }
        return [
            Trial(category: "gzip-bombs", name: "inspect 2^31-voxel bomb (\(bomb.count / 1024) KiB)", arguments: ["inspect", file],
                  expectedExit: [65], mentions: ["memory budget"], check: quick),
            Trial(category: "gzip-bombs", name: "convert 2^31-voxel bomb", arguments: ["convert", file, "-o", dir + "/out.nii.gz"],
                  expectedExit: [65], mentions: ["memory budget"], watchedFolders: [dir], check: quick),
        ]
    }

    static func gzip(_ data: Data, _ c: Context) -> Data {
        let dir = c.folder("gz")
        _ = c.write(data, dir + "/x")
        _ = c.run(["/bin/gzip", "-9", "-n", dir + "/x"], timeout: 30, in: dir)
        return (try? Data(contentsOf: URL(fileURLWithPath: dir + "/x.gz"))) ?? Data()
    }

    /// Voxels of 100 mm and 1e38 mm: segment's resampling to 1 mm would allocate 2^40 voxels or trap.
    static func hugeVoxels(_ c: Context) -> [Trial] {
        [(Float(100), "100 mm"), (Float(1e38), "1e38 mm")].map { size, label in
            let dir = c.folder("huge-voxels")
            var h = NIfTIHeaderBytes()
            h.dim = [3, 64, 64, 64, 1, 1, 1, 1]
            h.srow = [[size, 0, 0, 0], [0, size, 0, 0], [0, 0, size, 0]]
            h.pixdim = [1, size, size, size, 1, 1, 1, 1]
            let file = c.write(h.file(voxels: 64 * 64 * 64, value: 5), dir + "/big.nii")
            return Trial(category: "nifti-headers", name: "segment with \(label) voxels", 
                         arguments: ["segment", file, file, "-o", dir + "/run", "--db", dir + "/db.sqlite"],
                         expectedExit: [65], mentions: ["memory budget", "spacing"], watchedFolders: [dir], timeout: 60)
        }
    }

    static func nrrd(_ c: Context) -> [Trial] {
        var trials: [Trial] = []
        func header(_ lines: [String]) -> Data {
            Data((["NRRD0004", "type: float", "dimension: 3", "encoding: raw", "endian: little"] + lines).joined(separator: "\n").utf8 + [10])
        }
        func add(_ name: String, _ lines: [String], attached: Data? = nil, mentions: [String], setup: ((String) -> Void)? = nil) {
            let dir = c.folder("nrrd")
            let path = dir + (attached == nil ? "/lie.nhdr" : "/lie.nrrd")
            var data = header(lines)
            if let attached { data.append(10); data.append(attached) }
            _ = c.write(data, path)
            setup?(dir)
            trials.append(Trial(category: "nrrd", name: name, arguments: ["convert", path, "-o", dir + "/out.nii.gz"],
                                expectedExit: [65], mentions: mentions, watchedFolders: [dir]))
        }
        let geometry = ["sizes: 2 2 2", "space: left-posterior-superior", "space directions: (1,0,0) (0,1,0) (0,0,1)", "space origin: (0,0,0)"]
        add("data file ../../../../etc/shadow", geometry + ["data file: ../../../../etc/shadow"], mentions: ["data file"])
        add("data file /etc/passwd (absolute)", geometry + ["data file: /etc/passwd"], mentions: ["data file"])
        add("data file through a symlink leaving the folder", geometry + ["data file: inside.raw"], mentions: ["data file"]) { dir in
            try? FileManager.default.createSymbolicLink(atPath: dir + "/inside.raw", withDestinationPath: "/etc/passwd")
        }
        add("sizes 1000^3 over 32 bytes", ["sizes: 1000 1000 1000", "space directions: (1,0,0) (0,1,0) (0,0,1)"], attached: Data(count: 32),
            mentions: ["lie.nrrd"])
        add("sizes 100000^3 (memory)", ["sizes: 100000 100000 100000", "space directions: (1,0,0) (0,1,0) (0,0,1)"], attached: Data(count: 32),
            mentions: ["lie.nrrd"])
        add("space directions NaN", ["sizes: 2 2 2", "space directions: (nan,0,0) (0,1,0) (0,0,1)"], attached: Data(count: 32),
            mentions: ["space directions"])
        add("space origin inf", ["sizes: 2 2 2", "space directions: (1,0,0) (0,1,0) (0,0,1)", "space origin: (inf,0,0)"], attached: Data(count: 32),
            mentions: ["space origin"])
        add("spacings 1e-300", ["sizes: 2 2 2", "spacings: 1e-300 1e-300 1e-300"], attached: Data(count: 32), mentions: ["spacings", "lie.nrrd"])
        var nan = Data(); for _ in 0..<8 { withUnsafeBytes(of: Float.nan.bitPattern.littleEndian) { nan.append(contentsOf: $0) } }
        add("all-NaN voxels", ["sizes: 2 2 2", "space directions: (1,0,0) (0,1,0) (0,0,1)"], attached: nan, mentions: ["lie.nrrd"])
        return trials
    }
}
