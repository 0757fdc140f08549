import Foundation
import Imaging
import TestSupport
import XCTest
@testable import Pipeline

/// Registration with elastix (issue 13): a known rigid motion is recovered, the transform file is read
/// as transformix (elastix's own point mapper) reads it, and a failed alignment is refused.
final class RegistrationTests: XCTestCase {
    /// The phantom moved by a known rigid motion: rotated 7 degrees about an oblique axis, shifted 12 mm,
    /// resampled (linear) onto an axis-aligned grid, as a scanner would image the moved head.
    static func moved(_ volume: Volume<Float>, by motion: AffineTransform3) -> Volume<Float> {
        Volume(geometry: motion.mapping(volume.geometry), voxels: volume.voxels)
            .resampled(onto: volume.geometry, interpolation: .linear, outside: 0)
    }

    static let motion = AffineTransform3.rotation(degrees: 7, axis: Vector3(0.2, -0.3, 1), centre: Vector3(3, 5, -2),
                                                  shift: Vector3(8, -7, 5.385164807134504))  // |shift| = 12 mm

    func testRecoversAKnownRigidMotion() throws {
        guard ExternalTool("elastix") != nil else { throw XCTSkip(ExternalTool.missing("elastix", package: "elastix")) }
        let phantom = SamplePhantom(size: SIMD3(144, 168, 120))
        let fixed = phantom.flair
        let moving = Self.moved(fixed, by: Self.motion)
        let result = try Registration.register(fixed: fixed, moving: moving, kind: .rigid)
        let t = result.fixedToMoving
        // Rotation error: the angle of R_true^T R_found.
        let error = AffineTransform3(matrix: Self.motion.matrix.transposed * t.matrix)
        XCTAssertLessThan(error.rotationDegrees, 0.5, "rotation error \(error.rotationDegrees) degrees; found \(t)")
        // Translation error, where it matters: the largest displacement error over the brain's extent.
        for corner in [Vector3(0, 5, 0), Vector3(60, 80, 50), Vector3(-60, -70, -50), Vector3(30, -20, 15)] {
            XCTAssertLessThan(norm(t.apply(corner) - Self.motion.apply(corner)), 1, "at \(corner)")
        }
        XCTAssertTrue(result.quality.accepted, result.quality.summary)
        XCTAssertGreaterThan(result.quality.nmiAfter, result.quality.nmiBefore + 0.05, result.quality.summary)
        print("registration: \(String(format: "%.1f", result.seconds)) s, \(result.quality.summary), rotation error \(error.rotationDegrees) degrees")
    }

    /// Two unrelated images (the phantom and noise) do not pass the quality threshold.
    func testUnrelatedImagesAreRejected() throws {
        guard ExternalTool("elastix") != nil else { throw XCTSkip(ExternalTool.missing("elastix", package: "elastix")) }
        let phantom = SamplePhantom(size: SIMD3(144, 168, 120))
        var random = SplitMix(seed: 7)
        let noise = Volume(geometry: phantom.flair.geometry, voxels: phantom.flair.voxels.map { _ in Float(random.nextDouble() * 300) })
        let result = try Registration.register(fixed: phantom.flair, moving: noise, kind: .rigid)
        XCTAssertFalse(result.quality.accepted, result.quality.summary)
    }

    /// The transform file is read as transformix reads it: points mapped by transformix from a file with
    /// three non-zero angles (both ITK angle orders) equal ours.
    func testTransformFileMatchesTransformix() throws {
        guard let transformix = ExternalTool("transformix") else { throw XCTSkip(ExternalTool.missing("transformix", package: "elastix")) }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("reg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let points = [Vector3(0, 0, 0), Vector3(10, -20, 30), Vector3(-55, 40, 12.5)]
        try ("point\n\(points.count)\n" + points.map { "\($0.x) \($0.y) \($0.z)" }.joined(separator: "\n") + "\n")
            .write(to: folder.appendingPathComponent("points.txt"), atomically: true, encoding: .utf8)
        for (transform, parameters) in [("EulerTransform", "0.1 -0.2 0.3 4 -5 6"),
                                        ("AffineTransform", "1.02 0.05 -0.03 0.01 0.97 0.08 -0.06 0.02 1.1 4 -5 6")] {
            for zyx in ["false", "true"] {
                let text = """
                    (Transform "\(transform)")
                    (NumberOfParameters \(parameters.split(separator: " ").count))
                    (TransformParameters \(parameters))
                    (InitialTransformParametersFileName "NoInitialTransform")
                    (HowToCombineTransforms "Compose")
                    (FixedImageDimension 3)
                    (MovingImageDimension 3)
                    (FixedInternalImagePixelType "float")
                    (MovingInternalImagePixelType "float")
                    (Size 10 10 10)
                    (Index 0 0 0)
                    (Spacing 1 1 1)
                    (Origin 0 0 0)
                    (Direction 1 0 0 0 1 0 0 0 1)
                    (UseDirectionCosines "true")
                    (CenterOfRotationPoint 7 -3 11)
                    (ComputeZYX "\(zyx)")
                    (ResampleInterpolator "FinalBSplineInterpolator")
                    (FinalBSplineInterpolationOrder 1)
                    (Resampler "DefaultResampler")
                    (DefaultPixelValue 0)
                    (ResultImageFormat "nii")
                    (ResultImagePixelType "float")
                    """
                let file = folder.appendingPathComponent("tp.txt")
                try text.write(to: file, atomically: true, encoding: .utf8)
                let ran = try transformix.run(["-def", folder.appendingPathComponent("points.txt").path, "-tp", file.path, "-out", folder.path])
                XCTAssertEqual(ran.status, 0, ran.output)
                let output = try String(contentsOf: folder.appendingPathComponent("outputpoints.txt"), encoding: .utf8)
                let mapped = output.split(separator: "\n").map { line -> Vector3 in
                    let part = line.components(separatedBy: "OutputPoint = [")[1].components(separatedBy: "]")[0]
                    let v = part.split(separator: " ").compactMap { Double($0) }
                    return Vector3(v[0], v[1], v[2])
                }
                let ours = try ElastixTransformFile.parse(text, file: "tp.txt")
                XCTAssertEqual(mapped.count, points.count)
                for (p, q) in zip(points, mapped) {
                    XCTAssertLessThan(norm(ours.apply(p) - q), 1e-3, "\(transform) ZYX \(zyx) at \(p): ours \(ours.apply(p)), transformix \(q)")
                }
            }
        }
    }

    func testMalformedTransformFilesAreTypedErrors() {
        XCTAssertThrowsError(try ElastixTransformFile.parse("(Transform \"EulerTransform\")\n(FixedImageDimension 3)\n(TransformParameters 1 2)", file: "t.txt")) { error in
            XCTAssertTrue("\(error)".contains("TransformParameters"), "\(error)")
        }
        XCTAssertThrowsError(try ElastixTransformFile.parse("(Transform \"BSplineTransform\")\n(FixedImageDimension 3)", file: "t.txt"))
        XCTAssertThrowsError(try ElastixTransformFile.parse("(FixedImageDimension 3)", file: "t.txt"))
    }
}
