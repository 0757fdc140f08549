import Foundation

/// Fault injection for the crash tests: stops `segment` at a named point so that every point of a
/// run can be tested on purpose (Tests/EndToEndTests/KilledSegmentTests.swift).
///
/// Inert unless the environment variable `SEGSTATION_FAULT` is set (one `getenv` per point). Its
/// value is `<point>` or `<point>:wait=<fifo>`:
/// - `<point>` alone: the process SIGKILLs itself on reaching the point (no cleanup runs, as with a
///   power cut or the OOM killer).
/// - `:wait=<fifo>`: the process blocks at the point until another process has opened the named
///   pipe `<fifo>` for writing and closed it, then continues.
///
/// The points `segment` passes, in order:
/// - `after-begin-run`: the run is recorded as running, nothing is written yet;
/// - `after-window-<n>`: the n-th sliding window has been predicted (n from 1);
/// - `after-artefact-<file>`: the artefact `<file>` (mask.nii.gz, seg.dcm, sr.dcm, report.html,
///   report.pdf, report.json, segmentation.json) is written under its final name and recorded (the
///   three reports are written together, then recorded one by one);
/// - `in-final-transaction`: inside the transaction that completes the run, after all its rows are
///   written and before the commit.
///
/// `serve` has one more (Tests/ServiceTests/HTTPLesionsTests.swift): `http-lesions-read`, in GET /lesions
/// on the thread that reads the database, before the read.
package enum FaultInjection {
    package static func reach(_ point: @autoclosure () -> String) {
        guard let value = getenv("SEGSTATION_FAULT") else { return }
        let spec = String(cString: value).split(separator: ":", maxSplits: 1).map(String.init)
        guard spec.first == point() else { return }
        if spec.count == 2, spec[1].hasPrefix("wait=") {
            let fifo = open(String(spec[1].dropFirst("wait=".count)), O_RDONLY)
            var byte: UInt8 = 0
            while fifo >= 0, read(fifo, &byte, 1) > 0 {}
            if fifo >= 0 { close(fifo) }
            return
        }
        kill(getpid(), SIGKILL)
    }
}
