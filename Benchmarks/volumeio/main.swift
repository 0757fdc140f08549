// volumeio-bench: load-time benchmark and sample writer for VolumeIO (not a test; run through load_nifti.sh beside it; see BENCHMARKS.md).
//
//   volumeio-bench load FILE [--repeat N]   read FILE N times (default 5); print min/median seconds as JSON
//   volumeio-bench once FILE                read FILE once (for hyperfine, whole process)
//   volumeio-bench write DIR                write sample volumes in every format, for the nibabel/pynrrd cross-check
import Foundation
import Imaging
import VolumeIO

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(2)
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// An oblique, anisotropic, odd-sized grid with a sheared variant, for the cross-check.
func sampleGeometry(sheared: Bool) -> VolumeGeometry {
    let a = 0.61, c = cos(a), s = sin(a)
    var direction = Matrix3(columns: Vector3(c, s, 0), Vector3(-s * 0.8, c * 0.8, 0.6), Vector3(s * 0.6, -c * 0.6, 0.8))
    if sheared {
        let k = direction.c2 + direction.c1 * 0.3
        direction = Matrix3(columns: direction.c0, direction.c1, k / norm(k))
    }
    return VolumeGeometry(size: SIMD3(11, 7, 5), spacingMM: Vector3(0.7, 1.3, 2.9), originLPS: Vector3(-12.25, 33.5, -101.125), direction: direction)
}

let args = CommandLine.arguments
guard args.count >= 3 else { fail("usage: volumeio-bench load FILE [--repeat N] | once FILE | write DIR") }
do {
    switch args[1] {
    case "load":
        let repeats = args.count >= 5 && args[3] == "--repeat" ? max(1, Int(args[4]) ?? 5) : 5
        var times = [Double]()
        var voxels = 0
        for _ in 0..<repeats { times.append(try seconds { voxels = try VolumeFile.read(args[2]).voxels.count }) }
        times.sort()
        print("{\"reader\": \"SegStation\", \"file\": \"\(args[2])\", \"voxels\": \(voxels), \"repeats\": \(repeats), "
              + "\"minSeconds\": \(times[0]), \"medianSeconds\": \(times[times.count / 2])}")
    case "once":
        _ = try VolumeFile.read(args[2])
    case "write":
        let dir = URL(fileURLWithPath: args[2])
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for sheared in [false, true] {
            let g = sampleGeometry(sheared: sheared)
            let image = Volume<Float>(geometry: g, voxels: (0..<g.voxelCount).map { Float($0) * 0.37 - 11.5 })
            let labels = LabelMap(geometry: g, voxels: (0..<g.voxelCount).map { UInt8(($0 * 37) % 256) })
            let tag = sheared ? "sheared" : "oblique"
            for name in ["\(tag).nii", "\(tag).nii.gz", "\(tag).hdr"] { try NIfTIFile.write(image, to: dir.appendingPathComponent(name).path) }
            try NIfTIFile.write(image, to: dir.appendingPathComponent("\(tag)-nifti2.nii.gz").path, version: .nifti2)
            try NIfTIFile.write(labels, to: dir.appendingPathComponent("\(tag)-labels.nii.gz").path)
            try NRRDFile.write(image, to: dir.appendingPathComponent("\(tag).nrrd").path)
            try NRRDFile.write(labels, to: dir.appendingPathComponent("\(tag)-labels.nrrd").path)
            // The geometry SegStation meant to write, for the cross-check.
            let json = try JSONEncoder().encode(["affineLPS": g.affineLPS])
            try json.write(to: dir.appendingPathComponent("\(tag).json"))
        }
    default:
        fail("unknown command \(args[1])")
    }
} catch {
    fail("volumeio-bench: \(error)")
}
