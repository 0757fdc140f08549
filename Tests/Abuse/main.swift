import Foundation
import Core
import TestSupport

// segstation-abuse: the fuzz and abuse suite of issue 11. Generates hostile inputs (seeded), runs
// `segstation` on each under an address-space limit and a timeout, and judges every trial: the
// documented exit code, a message naming the file or field, no signal, no exit 1, no hang, peak
// memory under the budget, nothing left under a final name by a failing command.
//
// Usage: segstation-abuse [--segstation PATH] [--seed N] [--time-limit SECONDS] [--budget SIZE] [--only CATEGORY]
// Prints one line per failed trial, then `abuse: N passed, M failed`; exits 1 on any failure.

let arguments = Array(CommandLine.arguments.dropFirst())
func option(_ name: String) -> String? {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return nil }
    return arguments[i + 1]
}
let repository = TestData.repositoryRoot
let executableFolder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
let segstation = option("--segstation") ?? executableFolder.appendingPathComponent("segstation").path
let seed = UInt64(option("--seed") ?? "") ?? 20261206
let timeLimit = Double(option("--time-limit") ?? "") ?? 280
let budgetText = option("--budget") ?? "1G"
let only = option("--only")
let verbose = arguments.contains("--verbose")
guard FileManager.default.isExecutableFile(atPath: segstation) else {
    print("abuse: no segstation executable at \(segstation) (build it first, or pass --segstation)")
    exit(2)
}
let budget = MemoryBudget.parse(budgetText) ?? (1 << 30)
let work = FileManager.default.temporaryDirectory.appendingPathComponent("segstation-abuse-\(getpid())")
try? FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
// Children inherit the working directory: a command that writes relative paths writes here.
_ = FileManager.default.changeCurrentDirectoryPath(work.path)
var environment = ProcessInfo.processInfo.environment
environment["SEGSTATION_MAX_MEMORY"] = budgetText
environment["SEGSTATION_DB"] = work.appendingPathComponent("default-db.sqlite").path
environment["HOME"] = work.path
environment["SEGSTATION_MODELS"] = repository.appendingPathComponent("Models").path
// Address space: the budget plus room for the runtime's reservations (thread stacks, oneDNN, Swift).
let context = Context(work: work, seed: seed, segstation: segstation, environment: environment,
                      addressSpaceBytes: budget + (6 << 30), repository: repository)
let started = Date()
if context.sample == nil { context.skipped.append("DICOM/sample-based trials: `segstation sample` failed") }
if context.data == nil { context.skipped.append("compressed-fuzz: no reference data (set SEGSTATION_DATA)") }

let generators: [(String, (Context) -> [Trial])] = [
    ("dicom-truncated", DICOMTrials.truncated), ("dicom-bitflip", DICOMTrials.bitFlipped), ("dicom-absurd", DICOMTrials.absurd),
    ("nested-sequences", DICOMTrials.nested), ("compressed-fuzz", DICOMTrials.compressed),
    ("nifti-headers", VolumeTrials.nifti), ("nrrd", VolumeTrials.nrrd),
    ("onnx-npy", ModelTrials.onnx), ("manifests", ModelTrials.manifests), ("labels", ModelTrials.labels),
    ("special-files", SystemTrials.specialFiles), ("output-targets", SystemTrials.outputTargets),
    ("disks", SystemTrials.disks), ("output-folders", SystemTrials.runs), ("segment-contract", SegmentTrials.contract),
]

var passed = 0, failed = 0
var failedByCategory: [String: Int] = [:]
outer: for (category, generate) in generators where only == nil || only == category {
    for trial in generate(context) {
        if Date().timeIntervalSince(started) > timeLimit {
            print("abuse: FAIL time limit of \(Int(timeLimit)) s reached before \(trial.category)/\(trial.name)")
            failed += 1
            break outer
        }
        trial.prepare?()
        let before = trial.watchedFolders.map(FolderSnapshot.init)
        let finished = context.run([segstation] + trial.arguments, timeout: trial.timeout, in: work.path, environment: trial.environment)
        let failures = judge(trial, finished, budgetBytes: budget, before: before)
        if failures.isEmpty {
            passed += 1
            if verbose { print("ok   \(trial.category)/\(trial.name) (exit \(finished.exitCode ?? -1), \(String(format: "%.1f", finished.seconds)) s)") }
        } else {
            failed += 1
            failedByCategory[trial.category, default: 0] += 1
            let message = finished.stderr.split(separator: "\n").last.map(String.init) ?? ""
            print("FAIL \(trial.category)/\(trial.name): \(failures.joined(separator: "; "))\(trial.note.map { " [depends on: \($0)]" } ?? "")")
            print("     segstation \(trial.arguments.joined(separator: " ").prefix(300))")
            print("     stderr: \(message.prefix(300))")
        }
    }
}
if only == nil || only == "concurrent", Date().timeIntervalSince(started) < timeLimit, let (name, failures) = SystemTrials.concurrent(context) {
    if failures.isEmpty { passed += 1 } else {
        failed += 1
        print("FAIL output-folders/\(name): \(failures.joined(separator: "; "))")
    }
}
for mount in context.mounts.reversed() { _ = context.run(["/bin/umount", "-l", mount], timeout: 10, in: "/") }
try? FileManager.default.removeItem(at: work)
for reason in context.skipped { print("abuse: skipped \(reason)") }
let byCategory = failedByCategory.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
print("abuse: seed \(seed), \(String(format: "%.0f", Date().timeIntervalSince(started))) s\(byCategory.isEmpty ? "" : "; failed by category: \(byCategory)")")
print("abuse: \(passed) passed, \(failed) failed")
exit(failed == 0 ? 0 : 1)
