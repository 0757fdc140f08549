import ArgumentParser
import Foundation
import Imaging
import Lesions
import VolumeIO

struct MeshCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mesh",
        abstract: "Write the marching-cubes surface of a label as binary STL or OBJ (LPS mm).",
        discussion: "The format follows the output's extension; the file is written under a temporary name and renamed."
    )

    @Option(help: "Label map (NIfTI or NRRD).")
    var mask: String

    @Option(help: "Label to mesh (default: every non-zero voxel).")
    var label: UInt8?

    @Option(name: .shortAndLong, help: "Output file: .stl or .obj.")
    var output: String

    func validate() throws {
        guard ["stl", "obj"].contains(URL(fileURLWithPath: output).pathExtension.lowercased()) else {
            throw ValidationError("output '\(output)' must end in .stl or .obj")
        }
    }

    func run() throws {
        let labels = try VolumeFile.readLabels(mask)
        let region = BinaryRegion(labels) { v in label.map { v == $0 } ?? (v != 0) }
        guard !region.isEmpty else {
            throw LesionsError.invalidArgument("no voxels of \(label.map { "label \($0)" } ?? "any label") in \(mask)")
        }
        let mesh = SurfaceMesh(region)
        try mesh.write(to: URL(fileURLWithPath: output))
        Output.line("\(output): \(mesh.verticesLPS.count) vertices, \(mesh.triangles.count) triangles")
    }
}
