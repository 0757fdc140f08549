import Foundation

/// What `segment` promises around the run: modality gating and --force, NIfTI identity ("unknown",
/// never today's date), progress lines without a terminal, report re-rendering from any folder.
enum SegmentTrials {
    static func contract(_ c: Context) -> [Trial] {
        guard let sample = c.sample, let nifti = c.sampleNIfTI else { return [] }
        var trials: [Trial] = []
        let read = { (path: String) in (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
        // A model stated for CT, fed the MR phantom (DICOM: Modality MR).
        let ctModel = c.modelCopy("ct-model") { m in
            var inputs = m["inputs"] as? [[String: Any]] ?? []
            for i in inputs.indices { inputs[i]["modality"] = "CT" }
            m["inputs"] = inputs
        }
        let dir = c.folder("gate")
        trials.append(Trial(category: "segment-contract", name: "MR input to a CT model is refused",
                            arguments: ["segment", sample + "/FLAIR", sample + "/T1c", "--model", ctModel, "-o", dir + "/refused", "--db", dir + "/db.sqlite"],
                            expectedExit: [65], mentions: ["--force"], timeout: 120))
        trials.append(Trial(category: "segment-contract", name: "--force runs it and flags it",
                            arguments: ["segment", sample + "/FLAIR", sample + "/T1c", "--model", ctModel, "-o", dir + "/forced", "--db", dir + "/db.sqlite", "--force"],
                            expectedExit: [0], mentions: [], timeout: 120,
                            check: { _ in
                                let notes = read(dir + "/forced/segmentation.json"), report = read(dir + "/forced/report.json")
                                return notes.contains("--force") && report.contains("FORCED") ? nil : "the forced run is not flagged in segmentation.json and report.json"
                            }))
        trials.append(Trial(category: "segment-contract", name: "--modality CT on NIfTI to the MR model is refused",
                            arguments: ["segment", nifti, nifti, "--modality", "CT", "-o", dir + "/nifti-ct", "--db", dir + "/db.sqlite"],
                            expectedExit: [65], mentions: ["--force"], timeout: 120))
        // NIfTI without identity flags: the study date is unknown, never today's; progress is logged.
        let plain = c.folder("nifti-identity")
        trials.append(Trial(category: "segment-contract", name: "NIfTI without --study-date: report says unknown; progress lines on stderr",
                            arguments: ["segment", nifti, nifti, "-o", plain + "/run", "--db", plain + "/db.sqlite"],
                            expectedExit: [0], mentions: [], timeout: 120,
                            check: { f in
                                let report = read(plain + "/run/report.json")
                                if !report.contains("\"unknown\"") { return "report.json has no unknown study date" }
                                let today = ISO8601DateFormatter.string(from: Date(), timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withFullDate])
                                if report.contains(today) && !report.contains("\"startedAt\"") { return "report.json shows today's date" }
                                return f.stderr.contains("segstation: segment: ") && f.stderr.contains("elapsed") ? nil : "no progress line on stderr"
                            }))
        trials.append(Trial(category: "segment-contract", name: "--study-date 2026-13-40 is a usage error",
                            arguments: ["segment", nifti, nifti, "--study-date", "2026-13-40", "-o", plain + "/bad", "--db", plain + "/db.sqlite"],
                            expectedExit: [64], mentions: ["--study-date"], timeout: 60))
        // report RUN from another working directory, then verify: the re-rendered files' SHA-256 are recorded.
        let relative = c.folder("relative")
        let copied = relative + "/in.nii.gz"
        try? FileManager.default.copyItem(atPath: nifti, toPath: copied)
        _ = c.run(["/bin/sh", "-c", "cd \"$1\" && exec \"$0\" segment in.nii.gz in.nii.gz -o out --db db.sqlite --patient-id P-REL --study-date 2025-02-03",
                           c.segstation, relative], timeout: 120, in: relative)
        trials.append(Trial(category: "segment-contract", name: "report RUN from another folder (inputs recorded absolute)",
                            arguments: ["report", "1", "--db", relative + "/db.sqlite"], expectedExit: [0], mentions: [], timeout: 60,
                            check: { _ in read(relative + "/out/report.json").contains("P-REL") ? nil : "the re-rendered report lost --patient-id" }))
        trials.append(Trial(category: "segment-contract", name: "verify after report re-rendering",
                            arguments: ["verify", "--db", relative + "/db.sqlite"], expectedExit: [0], mentions: []))
        // A recorded artefact changed behind the database's back is reported.
        trials.append(Trial(category: "segment-contract", name: "verify finds a changed artefact",
                            arguments: ["verify", "--db", plain + "/db.sqlite"], expectedExit: [65], mentions: ["changed", "mask.nii.gz"],
                            prepare: {
                                if let h = FileHandle(forWritingAtPath: plain + "/run/mask.nii.gz") { h.seekToEndOfFile(); h.write(Data([0])); h.closeFile() }
                            }))
        return trials
    }
}
