import Foundation

/// Special files, bad output targets, read-only and full disks, output-folder ownership, databases.
enum SystemTrials {
    static func specialFiles(_ c: Context) -> [Trial] {
        var trials: [Trial] = []
        let dir = c.folder("special")
        mkfifo(dir + "/fifo.nii.gz", 0o600)
        try? FileManager.default.createSymbolicLink(atPath: dir + "/zero.nii", withDestinationPath: "/dev/zero")
        try? FileManager.default.createSymbolicLink(atPath: dir + "/loop-a.nrrd", withDestinationPath: dir + "/loop-b.nrrd")
        try? FileManager.default.createSymbolicLink(atPath: dir + "/loop-b.nrrd", withDestinationPath: dir + "/loop-a.nrrd")
        try? FileManager.default.createDirectory(atPath: dir + "/folder.nii.gz", withIntermediateDirectories: true)
        for (name, role) in [("fifo.nii.gz", "a FIFO"), ("zero.nii", "a symlink to /dev/zero"), ("loop-a.nrrd", "a symlink loop"),
                             ("folder.nii.gz", "a directory")] {
            trials.append(Trial(category: "special-files", name: "inspect \(role)", arguments: ["inspect", dir + "/" + name],
                                expectedExit: [65], mentions: [name], timeout: 15))
            trials.append(Trial(category: "special-files", name: "measure --image \(role)",
                                arguments: ["measure", "--image", dir + "/" + name, "--mask", dir + "/" + name],
                                expectedExit: [65], mentions: [name], timeout: 15))
        }
        if let input = c.sampleNIfTI {
            for (label, make) in [("FIFO", { (p: String) in _ = mkfifo(p, 0o600) }),
                                  ("/dev/zero symlink", { (p: String) in try? FileManager.default.createSymbolicLink(atPath: p, withDestinationPath: "/dev/zero") })] {
                let pkg = c.modelCopy("special-model") { _ in }
                try? FileManager.default.removeItem(atPath: pkg + "/model.onnx")
                make(pkg + "/model.onnx")
                trials.append(Trial(category: "special-files", name: "model.onnx is a \(label)",
                                    arguments: ["segment", input, input, "--model", pkg, "-o", pkg + "/../run", "--db", pkg + "/../db.sqlite"],
                                    expectedExit: [65], mentions: ["model.onnx"], timeout: 15))
            }
            trials.append(Trial(category: "special-files", name: "model info on a FIFO", arguments: ["model", "info", dir + "/fifo.nii.gz"],
                                expectedExit: [65], mentions: ["fifo.nii.gz"], timeout: 15))
        }
        if let flair = c.flairCopy("fifo-in-series") {
            mkfifo(flair + "/zz-fifo.dcm", 0o600)
            trials.append(Trial(category: "special-files", name: "convert a DICOM folder holding a FIFO (skipped)",
                                arguments: ["convert", flair, "-o", flair + "/../out.nii.gz"], expectedExit: [0], mentions: [], timeout: 30,
                                note: "one folder walker (i11-dicom)"))
        }
        return trials
    }

    static func outputTargets(_ c: Context) -> [Trial] {
        guard let sample = c.sample, let nifti = c.sampleNIfTI else { return [] }
        let dir = c.folder("outputs")
        let existing = dir + "/existing"
        try? FileManager.default.createDirectory(atPath: existing + ".nii.gz", withIntermediateDirectories: true)
        try? FileManager.default.createDirectory(atPath: existing + ".stl", withIntermediateDirectories: true)
        try? FileManager.default.createDirectory(atPath: existing, withIntermediateDirectories: true)
        let plain = c.write(Data("x".utf8), dir + "/plain-file")
        let mask = sample + "/reference-mask.nii.gz"
        func add(_ name: String, _ args: [String]) {
            trials.append(Trial(category: "output-targets", name: name, arguments: args, expectedExit: [73], mentions: ["existing", "plain-file", "nonexistent"],
                                watchedFolders: [dir], timeout: 60))
        }
        var trials: [Trial] = []
        add("export-seg -o existing directory", ["export-seg", "--mask", mask, "--source", sample + "/FLAIR", "-o", existing])
        add("convert -o existing directory", ["convert", nifti, "-o", existing + ".nii.gz"])
        add("mesh -o existing directory", ["mesh", "--mask", mask, "-o", existing + ".stl"])
        add("export-sr -o existing directory", ["export-sr", "--seg", mask, "--image", sample + "/FLAIR", "-o", existing])
        add("convert -o under a missing folder", ["convert", nifti, "-o", dir + "/nonexistent/deeper/out.nii.gz"])
        add("segment -o a regular file", ["segment", nifti, nifti, "-o", plain, "--db", dir + "/db.sqlite"])
        add("sample -o a regular file", ["sample", "-o", plain])
        return trials
    }

    /// Full and read-only disks on small tmpfs mounts (root only; skipped with the reason otherwise).
    static func disks(_ c: Context) -> [Trial] {
        guard getuid() == 0 else { c.skipped.append("disks: not root, cannot mount a tmpfs"); return [] }
        guard let sample = c.sample, let nifti = c.sampleNIfTI else { return [] }
        var trials: [Trial] = []
        let full = c.folder("full-disk")
        guard mount(full, options: "size=64k") else { c.skipped.append("disks: mount -t tmpfs failed (no CAP_SYS_ADMIN in this container?)"); return [] }
        c.mounts.append(full)
        // Fill it: every write from here on gets ENOSPC.
        if let handle = FileHandle(forWritingAtPath: c.write(Data(), full + "/ballast")) {
            while (try? handle.write(contentsOf: Data(count: 4096))) != nil {}
            try? handle.close()
        }
        trials.append(Trial(category: "disks", name: "convert onto a full disk", arguments: ["convert", sample + "/FLAIR", "-o", full + "/out.nii.gz"],
                            expectedExit: [73], mentions: ["out.nii.gz", full], watchedFolders: [full]))
        trials.append(Trial(category: "disks", name: "export-seg onto a full disk",
                            arguments: ["export-seg", "--mask", sample + "/reference-mask.nii.gz", "--source", sample + "/FLAIR", "-o", full + "/seg.dcm"],
                            expectedExit: [73], mentions: ["seg.dcm", full], watchedFolders: [full]))
        trials.append(Trial(category: "disks", name: "segment into a full disk",
                            arguments: ["segment", nifti, nifti, "-o", full + "/run", "--db", c.work.path + "/full-db.sqlite"],
                            expectedExit: [73], mentions: [full], watchedFolders: [full], timeout: 120))
        // Read-only: a database with one run, then the mount made read-only.
        let ro = c.folder("read-only")
        guard mount(ro, options: "size=64m") else { return trials }
        c.mounts.append(ro)
        c.setup(["segment", nifti, nifti, "-o", ro + "/run", "--db", ro + "/db.sqlite", "--patient-id", "ABUSE-RO", "--study-date", "2026-01-02"], in: ro)
        _ = c.run(["/bin/mount", "-o", "remount,ro", ro], timeout: 10, in: c.work.path)
        let noSidecars: (Finished) -> String? = { _ in
            FileManager.default.fileExists(atPath: ro + "/db.sqlite-wal") || FileManager.default.fileExists(atPath: ro + "/db.sqlite-shm") ? "left -wal/-shm" : nil
        }
        for args in [["runs"], ["studies"], ["lesions"], ["show", "1"], ["history", "--patient", "ABUSE-RO"], ["verify"]] {
            trials.append(Trial(category: "disks", name: "\(args[0]) on a read-only mount", arguments: args + ["--db", ro + "/db.sqlite"],
                                expectedExit: [0], mentions: [], check: noSidecars))
        }
        trials.append(Trial(category: "disks", name: "report of a run on a read-only mount (-o elsewhere)",
                            arguments: ["report", "1", "--db", ro + "/db.sqlite", "-o", c.folder("ro-report")], expectedExit: [0], mentions: [],
                            check: noSidecars))
        trials.append(Trial(category: "disks", name: "convert into a read-only mount", arguments: ["convert", nifti, "-o", ro + "/x.nii.gz"],
                            expectedExit: [73], mentions: ["x.nii.gz", ro], watchedFolders: [ro]))
        return trials
    }

    static func mount(_ path: String, options: String) -> Bool {
        let f = runChild(["/bin/mount", "-t", "tmpfs", "-o", options, "tmpfs", path], timeout: 10, in: "/")
        return f.exitCode == 0
    }

    /// Runs into one output folder: one after the other, and at once; a foreign database.
    static func runs(_ c: Context) -> [Trial] {
        guard let nifti = c.sampleNIfTI else { return [] }
        var trials: [Trial] = []
        let dir = c.folder("runs")
        let db = dir + "/db.sqlite"
        c.setup(["segment", nifti, nifti, "-o", dir + "/out", "--db", db], in: dir)
        trials.append(Trial(category: "output-folders", name: "second run into a folder holding a recorded run",
                            arguments: ["segment", nifti, nifti, "-o", dir + "/out", "--db", db],
                            expectedExit: [73], mentions: ["--overwrite"], watchedFolders: [dir + "/out"], timeout: 120))
        trials.append(Trial(category: "output-folders", name: "--overwrite supersedes the older run",
                            arguments: ["segment", nifti, nifti, "-o", dir + "/out", "--db", db, "--overwrite"],
                            expectedExit: [0], mentions: [], timeout: 120))
        trials.append(Trial(category: "output-folders", name: "verify after overwrite", arguments: ["verify", "--db", db],
                            expectedExit: [0], mentions: []))
        // A foreign SQLite file must be refused without being changed.
        let foreign = dir + "/foreign.sqlite"
        _ = c.run(["/usr/bin/sqlite3", foreign, "CREATE TABLE invoices(id INTEGER PRIMARY KEY, total REAL);"], timeout: 10, in: dir)
        let before = sha256Hex(path: foreign)
        for command in ["runs", "studies"] {
            trials.append(Trial(category: "database", name: "\(command) --db a foreign SQLite file", arguments: [command, "--db", foreign],
                                expectedExit: [65], mentions: ["foreign.sqlite"],
                                check: { _ in sha256Hex(path: foreign) == before ? nil : "the foreign file was modified" }))
        }
        return trials
    }

    /// Two segment runs started at once into one folder: exactly one completes, the other refuses the
    /// lock (it never waits and never interleaves); `verify` then finds every recorded artefact intact.
    static func concurrent(_ c: Context) -> (String, [String])? {
        guard let nifti = c.sampleNIfTI else { return nil }
        let dir = c.folder("concurrent")
        let command = "\"$0\" segment '\(nifti)' '\(nifti)' -o '\(dir)/out' --db '\(dir)/db.sqlite'"
        let script = "for n in 1 2; do ( \(command) >\"$1/o$n\" 2>\"$1/e$n\"; echo $? >\"$1/c$n\" ) & done; wait"
        _ = c.run(["/bin/sh", "-c", script, c.segstation, dir], timeout: 240, in: dir)
        let read = { (name: String) in (try? String(contentsOfFile: dir + "/" + name, encoding: .utf8)) ?? "" }
        let codes = ["c1", "c2"].map { read($0).trimmingCharacters(in: .whitespacesAndNewlines) }.sorted()
        var failures: [String] = []
        if codes != ["0", "73"] { failures.append("exit codes \(codes), expected one 0 and one 73") }
        let refusal = codes == ["0", "73"] ? (read("c1").hasPrefix("73") ? read("e1") : read("e2")) : ""
        if codes == ["0", "73"], !refusal.contains("another") {
            failures.append("the refusal does not say another run holds the folder: \(refusal.prefix(200))")
        }
        let verify = c.run([c.segstation, "verify", "--db", dir + "/db.sqlite"], timeout: 60, in: dir)
        if verify.exitCode != 0 { failures.append("verify after the concurrent runs: exit \(verify.exitCode.map(String.init) ?? "signal")") }
        return ("two concurrent runs into one folder", failures)
    }
}
