#!/usr/bin/env bash
# Encoding lesion rows as GET /lesions does: Foundation's JSONEncoder in JSONFormat's style (pretty, as before
# session 12, and compact) vs JSONFormat.CompactWriter, on the same rows, compiled together with `swiftc -O`
# from the repository's own sources (Core/JSONFormat.swift, LesionRow, its writer). Prints median ms per answer.
#   bash Benchmarks/service/json_micro.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d /tmp/segstation-json-micro.XXXX)
trap 'rm -rf "$work"' EXIT
cp Sources/Core/JSONFormat.swift "$work/"
{ echo "import Foundation"; sed -n '/^public struct LesionRow/,/^}/p' Sources/StudyStore/QueryRows.swift; } > "$work/LesionRow.swift"
grep -v "^import Core" Sources/StudyStore/LesionRow+JSON.swift > "$work/LesionRowJSON.swift"
cat > "$work/main.swift" <<'SWIFT'
import Foundation
func row(_ i: Int) -> LesionRow {
    LesionRow(runID: Int64(i / 50), patientID: "PAT-17", studyInstanceUID: "2.25.17.0", studyDate: "2025-01-15", seriesInstanceUID: "2.25.17.0.1",
              frameOfReferenceUID: "2.25.17.0.0", modelName: "bench-model", labelValue: 1 + i % 2, label: i % 2 == 0 ? "tumour" : "cyst",
              lesionIndex: i, voxelCount: 1000 + i, volumeML: 1.0 + Double(i) * 0.0137, meshVolumeML: 0.97 * (1.0 + Double(i) * 0.0137),
              surfaceAreaMM2: 100, sphericity: 0.8, maxDiameter3DMM: 10, recistLongMM: 9, recistShortMM: 6,
              centroidXMM: Double(i) * 1.731 - 150, centroidYMM: 149.5 - Double(i) * 0.917, centroidZMM: -Double(i) * 0.37,
              bboxMinI: 0, bboxMinJ: 0, bboxMinK: 0, bboxMaxI: 9, bboxMaxJ: 9, bboxMaxK: 9, meanIntensity: 50, stdIntensity: 5,
              minIntensity: 30, maxIntensity: 80, medianIntensity: 50, touchesBorder: false, extraJSON: nil)
}
func median(_ n: Int, _ body: () throws -> Int) rethrows -> (Double, Int) {
    var t: [Double] = []; var bytes = 0
    for _ in 0..<n { let a = DispatchTime.now().uptimeNanoseconds; bytes = try body(); t.append(Double(DispatchTime.now().uptimeNanoseconds - a) / 1e6) }
    t.sort(); return (t[t.count / 2], bytes)
}
for count in [49, 1000, 5059] {
    let rows = (0..<count).map(row)
    let n = count < 100 ? 400 : 20
    let (pretty, pb) = try median(n) { try JSONFormat.encoder().encode(rows).count }
    let (compact, cb) = try median(n) { try JSONFormat.encoder(pretty: false).encode(rows).count }
    let (writer, wb) = median(n) { var w = JSONFormat.CompactWriter(); w.beginArray(); for r in rows { r.writeJSON(to: &w) }; w.endArray(); return w.bytes.count }
    print(String(format: "%5d rows: JSONEncoder pretty %.3f ms (%d B), compact %.3f ms (%d B), CompactWriter %.3f ms (%d B)",
                 count, pretty, pb, compact, cb, writer, wb))
}
SWIFT
swiftc -O "$work"/*.swift -o "$work/json-micro" 2>&1 | grep -v warning || true
echo "machine: $(lscpu | grep 'Model name' | sed 's/ *Model name: *//'); load: $(uptime | sed 's/.*load average: //')"
"$work/json-micro"
