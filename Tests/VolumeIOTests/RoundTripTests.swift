import Foundation
import Imaging
import TestSupport
import VolumeIO
import XCTest

/// write -> read round trips on synthetic oblique, anisotropic, odd-sized volumes.
final class RoundTripTests: XCTestCase {
    var folder: URL!
    override func setUpWithError() throws { folder = try TestData.temporaryDirectory("volumeio") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// Rotation about an oblique axis (unit `axis`, `angle` radians), Rodrigues' formula.
    static func rotation(axis: Vector3, angle: Double) -> Matrix3 {
        let k = axis / norm(axis)
        let c = cos(angle), s = sin(angle)
        func col(_ e: Vector3) -> Vector3 { e * c + cross(k, e) * s + k * dot(k, e) * (1 - c) }
        return Matrix3(columns: col(Vector3(1, 0, 0)), col(Vector3(0, 1, 0)), col(Vector3(0, 0, 1)))
    }

    static let obliqueGeometry = VolumeGeometry(size: SIMD3(7, 5, 3), spacingMM: Vector3(0.7, 1.3, 2.9),
                                                originLPS: Vector3(-12.25, 33.5, -101.125),
                                                direction: rotation(axis: Vector3(0.3, -0.5, 0.8), angle: 0.61))

    static func floatVolume(_ g: VolumeGeometry = obliqueGeometry) -> Volume<Float> {
        Volume(geometry: g, voxels: (0..<g.voxelCount).map { Float($0) * 0.37 - 11.5 + ($0 % 3 == 0 ? -1000.25 : 0) })
    }

    static func labelMap(_ g: VolumeGeometry = obliqueGeometry) -> LabelMap {
        LabelMap(geometry: g, voxels: (0..<g.voxelCount).map { UInt8(($0 * 37) % 256) })
    }

    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    func assertSameGeometry(_ a: VolumeGeometry, _ b: VolumeGeometry, toleranceMM: Double, _ label: String) {
        XCTAssertEqual(a.size, b.size, label)
        XCTAssertLessThan(maxDifference(a.affineLPS, b.affineLPS), toleranceMM, "\(label): \(a) vs \(b)")
    }

    func testNIfTIFloatRoundTrips() throws {
        let volume = Self.floatVolume()
        // NIfTI-1 stores srow as float32: geometry to float32 precision; NIfTI-2 stores doubles.
        let cases: [(String, NIfTIVersion, Double)] = [("a.nii", .nifti1, 1e-4), ("b.nii.gz", .nifti1, 1e-4), ("c.hdr", .nifti1, 1e-4),
                                                       ("d.nii", .nifti2, 1e-9), ("e.nii.gz", .nifti2, 1e-9), ("f.hdr", .nifti2, 1e-9)]
        for (name, version, tolerance) in cases {
            try NIfTIFile.write(volume, to: path(name), version: version)
            let image = try NIfTIFile.read(path: path(name))
            XCTAssertEqual(image.header.version, version.rawValue, name)
            XCTAssertEqual(image.datatype, .float32, name)
            XCTAssertEqual(image.volume.voxels, volume.voxels, name)
            XCTAssertEqual(image.header.sformCode, 1, name)
            XCTAssertEqual(image.header.qformCode, 1, name)
            assertSameGeometry(image.volume.geometry, volume.geometry, toleranceMM: tolerance, name)
            // The qform alone gives the same grid (it is written from the same orthonormal rotation).
            var qformOnly = image.header
            qformOnly.sformCode = 0
            XCTAssertEqual(qformOnly.affineSource, .qform)
            XCTAssertLessThan(maxDifference(qformOnly.affineRAS, volume.geometry.affineRAS), 1e-4, "\(name): qform")
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("c.img")))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.contains("partial") }
        XCTAssertEqual(leftovers, [])
    }

    func testNIfTIIntegerRoundTrips() throws {
        let labels = Self.labelMap()
        try NIfTIFile.write(labels, to: path("labels.nii.gz"))
        XCTAssertEqual(try NIfTIFile.read(path: path("labels.nii.gz")).datatype, .uint8)
        XCTAssertEqual(try VolumeFile.readLabels(path("labels.nii.gz")).voxels, labels.voxels)
        let g = Self.obliqueGeometry
        let shorts = Volume<Int16>(geometry: g, voxels: (0..<g.voxelCount).map { Int16($0 * 311 - 5000) })
        try NIfTIFile.write(shorts, to: path("shorts.nii"))
        XCTAssertEqual(try NIfTIFile.read(path: path("shorts.nii")).volume.voxels, shorts.voxels.map(Float.init))
        let ints = Volume<Int32>(geometry: g, voxels: (0..<g.voxelCount).map { Int32($0 * 70001 - 1_000_000) })
        try NIfTIFile.write(ints, to: path("ints.nii.gz"), version: .nifti2)
        XCTAssertEqual(try NIfTIFile.read(path: path("ints.nii.gz")).volume.voxels, ints.voxels.map(Float.init))
        // gzip level 1, as nibabel writes .nii.gz: zlib marks it in the gzip header's XFL byte (4: fastest; RFC 1952).
        let header = try Data(contentsOf: URL(fileURLWithPath: path("labels.nii.gz"))).prefix(10)
        XCTAssertEqual(Array(header.prefix(3)), [0x1f, 0x8b, 8], "a gzip stream of deflate")
        XCTAssertEqual(header[header.startIndex + 8], 4, "XFL: written at the fastest level")
    }

    /// A sheared grid (e.g. a gantry-tilted CT) keeps its sform; the qform code is 0.
    func testShearedGeometryRoundTripsThroughSform() throws {
        var g = Self.obliqueGeometry
        let tilted = g.direction.c2 + g.direction.c1 * 0.32
        g.direction = Matrix3(columns: g.direction.c0, g.direction.c1, tilted / norm(tilted))
        let volume = Self.floatVolume(g)
        try NIfTIFile.write(volume, to: path("shear.nii.gz"), version: .nifti2)
        let image = try NIfTIFile.read(path: path("shear.nii.gz"))
        XCTAssertEqual(image.header.qformCode, 0)
        XCTAssertEqual(image.affineSource, .sform)
        assertSameGeometry(image.volume.geometry, g, toleranceMM: 1e-9, "sheared")
        try NRRDFile.write(volume, to: path("shear.nrrd"))
        assertSameGeometry(try NRRDFile.read(path: path("shear.nrrd")).volume.geometry, g, toleranceMM: 1e-12, "sheared NRRD")
    }

    func testNRRDRoundTripsAreExact() throws {
        let volume = Self.floatVolume()
        let labels = Self.labelMap()
        for gzip in [true, false] {
            try NRRDFile.write(volume, to: path("v\(gzip).nrrd"), gzip: gzip)
            let image = try NRRDFile.read(path: path("v\(gzip).nrrd"))
            XCTAssertEqual(image.volume.voxels, volume.voxels)
            // Doubles are written in round-trip form; only the spacing/direction decomposition rounds.
            assertSameGeometry(image.volume.geometry, volume.geometry, toleranceMM: 1e-12, "NRRD")
            try NRRDFile.write(labels, to: path("l\(gzip).nrrd"), gzip: gzip)
            let back = try VolumeFile.readLabels(path("l\(gzip).nrrd"))
            XCTAssertEqual(back.voxels, labels.voxels)
            assertSameGeometry(back.geometry, labels.geometry, toleranceMM: 1e-12, "NRRD labels")
            XCTAssertEqual(try NRRDFile.readHeader(path: path("l\(gzip).nrrd")).type, .uint8)
        }
    }

    /// The same data and grid as NIfTI (RAS on disk) and NRRD (LPS on disk, and a hand-written RAS
    /// variant) give the same VolumeGeometry.
    func testLPSAndRASFilesGiveTheSameGeometry() throws {
        let volume = Self.floatVolume()
        try VolumeFile.write(volume, to: path("same.nii.gz"))
        try VolumeFile.write(volume, to: path("same.nrrd"))
        let fromNIfTI = try VolumeFile.read(path("same.nii.gz"))
        let fromNRRD = try VolumeFile.read(path("same.nrrd"))
        XCTAssertEqual(fromNIfTI.voxels, fromNRRD.voxels)
        assertSameGeometry(fromNIfTI.geometry, fromNRRD.geometry, toleranceMM: 1e-4, "NIfTI vs NRRD")

        // The RAS form of the same header: negate x and y of every vector and of the origin.
        let l = volume.geometry.linearPart
        func ras(_ v: Vector3) -> String { "(\(-v.x),\(-v.y),\(v.z))" }
        let header = "NRRD0005\ntype: float\ndimension: 3\nspace: RAS\nsizes: 7 5 3\n"
            + "space directions: \(ras(l.c0)) \(ras(l.c1)) \(ras(l.c2))\nkinds: domain domain domain\nendian: little\n"
            + "encoding: raw\nspace origin: \(ras(volume.geometry.originLPS))\n\n"
        var data = Data(header.utf8)
        volume.voxels.withUnsafeBytes { data.append(contentsOf: $0) }
        try data.write(to: URL(fileURLWithPath: path("ras.nrrd")))
        let fromRAS = try NRRDFile.read(path: path("ras.nrrd"))
        XCTAssertEqual(fromRAS.header.space, .ras)
        assertSameGeometry(fromRAS.volume.geometry, fromNRRD.geometry, toleranceMM: 1e-12, "RAS NRRD vs LPS NRRD")
        XCTAssertEqual(fromRAS.volume.voxels, volume.voxels)
    }

    /// Real files through both writers: a pyradiomics NRRD (LPS) and the sheared niivue NIfTI (RAS sform)
    /// come back with the same grid and voxels from NIfTI-1, NIfTI-2 and NRRD.
    func testRealFilesRoundTripThroughEveryFormat() throws {
        guard let nrrd = TestData.path("pyradiomics/brain1_image.nrrd"), let shear = TestData.path("niivue/shear.nii.gz") else {
            throw XCTSkip(TestData.missing("pyradiomics/brain1_image.nrrd, niivue/shear.nii.gz"))
        }
        for source in [nrrd, shear] {
            let original = try VolumeFile.read(source)
            for (name, tolerance) in [("r.nii.gz", 1e-4), ("r2.nii", 1e-9), ("r.nrrd", 1e-9)] as [(String, Double)] {
                if name == "r2.nii" { try NIfTIFile.write(original, to: path(name), version: .nifti2) } else { try VolumeFile.write(original, to: path(name)) }
                let back = try VolumeFile.read(path(name))
                XCTAssertEqual(back.voxels, original.voxels, "\(source) -> \(name)")
                assertSameGeometry(back.geometry, original.geometry, toleranceMM: tolerance, "\(source) -> \(name)")
            }
        }
    }

    /// Detached header, ascii encoding, big endian and a 4D list axis.
    func testNRRDVariants() throws {
        let g = VolumeGeometry(size: SIMD3(3, 2, 2), spacingMM: Vector3(1, 2, 3))
        let values: [Int16] = (0..<12).map { Int16($0 * 1000 - 3000) }
        var big = Data()
        for v in values { withUnsafeBytes(of: v.bigEndian) { big.append(contentsOf: $0) } }
        try big.write(to: URL(fileURLWithPath: path("data.raw")))
        let nhdr = "NRRD0004\ntype: short\ndimension: 3\nspace: left-posterior-superior\nsizes: 3 2 2\n"
            + "space directions: (1,0,0) (0,2,0) (0,0,3)\nendian: big\nencoding: raw\ndata file: data.raw\n"
        try nhdr.write(toFile: path("d.nhdr"), atomically: true, encoding: .utf8)
        let detached = try VolumeFile.read(path("d.nhdr"))
        XCTAssertEqual(detached.voxels, values.map(Float.init))
        assertSameGeometry(detached.geometry, g, toleranceMM: 1e-12, "detached")

        let ascii = "NRRD0004\ntype: int\ndimension: 4\nspace: left-posterior-superior\nsizes: 2 3 2 2\n"
            + "space directions: none (1,0,0) (0,2,0) (0,0,3)\nkinds: list domain domain domain\nencoding: ascii\n\n"
            + (0..<24).map(String.init).joined(separator: " ") + "\n"
        try ascii.write(toFile: path("a.nrrd"), atomically: true, encoding: .utf8)
        let second = try NRRDFile.read(path: path("a.nrrd"), volumeIndex: 1)
        XCTAssertEqual(second.volumeCount, 2)
        XCTAssertEqual(second.volume.voxels, stride(from: 1, to: 24, by: 2).map(Float.init))
        assertSameGeometry(second.volume.geometry, g, toleranceMM: 1e-12, "4D ascii")
    }
}
