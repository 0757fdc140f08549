import Foundation
import Imaging

/// A triangle mesh in patient coordinates (LPS, mm) with shared vertices.
public struct SurfaceMesh: Sendable, Equatable {
    public var verticesLPS: [Vector3]
    /// Vertex indices of each triangle, counter-clockwise seen from outside (normals point out).
    public var triangles: [SIMD3<Int32>]

    /// The marching-cubes surface of a region (pyradiomics' triangulation). Triangles whose table
    /// orientation disagrees with the local inside->outside direction are turned round so that the
    /// exported surface is consistently oriented. An empty region gives an empty mesh.
    public init(_ r: BinaryRegion) {
        var index: [SIMD3<Int>: Int32] = [:]
        var vertices: [Vector3] = []
        var tris: [SIMD3<Int32>] = []
        func vertex(_ p: Vector3) -> Int32 {
            let key = SIMD3(Int((p.x * 2).rounded()), Int((p.y * 2).rounded()), Int((p.z * 2).rounded()))
            if let v = index[key] { return v }
            let v = Int32(vertices.count)
            index[key] = v
            vertices.append(r.patient(p))
            return v
        }
        let handedness = r.geometry.linearPart.determinant < 0 ? -1.0 : 1.0
        MarchingCubes.forEachTriangle(r) { a, b, c in
            // Outward direction: from the inside corners of this cube to its outside corners.
            let cube = pointwiseMin(pointwiseMin(a, b), c).rounded(.down)
            var outward = Vector3.zero
            for dk in 0...1 { for dj in 0...1 { for di in 0...1 {
                let corner = cube + Vector3(Double(di), Double(dj), Double(dk))
                let inside = r.at(Int(corner.x), Int(corner.y), Int(corner.z))
                outward += (inside ? -1 : 1) * (corner - cube - 0.5)
            } } }
            let n = cross(b - a, c - a)
            let ia = vertex(a), ib = vertex(b), ic = vertex(c)
            // Orientation is judged in index space; a left-handed grid mirrors it in patient space.
            if dot(n, outward) * handedness >= 0 { tris.append(SIMD3(ia, ib, ic)) } else { tris.append(SIMD3(ia, ic, ib)) }
        }
        verticesLPS = vertices
        triangles = tris
    }

    /// Enclosed volume (mm^3) of the consistently oriented mesh, by signed tetrahedra from the centroid.
    public var enclosedVolumeMM3: Double {
        guard !verticesLPS.isEmpty else { return 0 }
        let c = verticesLPS.reduce(Vector3.zero, +) / Double(verticesLPS.count)
        var six = 0.0
        for t in triangles {
            six += dot(cross(verticesLPS[Int(t.x)] - c, verticesLPS[Int(t.y)] - c), verticesLPS[Int(t.z)] - c)
        }
        return six / 6
    }

    /// Binary STL (little-endian): 80-byte header naming the LPS frame, count, then per triangle the
    /// unit normal, three vertices (float32) and a zero attribute word.
    public func stlData() -> Data {
        var d = Data()
        var header = Array("SegStation surface mesh SPACE=LPS units=mm".utf8)
        header += [UInt8](repeating: 0x20, count: 80 - header.count)
        d.append(contentsOf: header)
        appendLE(&d, UInt32(triangles.count))
        for t in triangles {
            let a = verticesLPS[Int(t.x)], b = verticesLPS[Int(t.y)], c = verticesLPS[Int(t.z)]
            let n = cross(b - a, c - a)
            let len = norm(n)
            for v in [len > 0 ? n / len : .zero, a, b, c] {
                appendLE(&d, Float(v.x).bitPattern); appendLE(&d, Float(v.y).bitPattern); appendLE(&d, Float(v.z).bitPattern)
            }
            appendLE(&d, UInt16(0))
        }
        return d
    }

    /// Wavefront OBJ text: `v x y z` (LPS mm) and 1-based `f a b c` lines.
    public func objText() -> String {
        var s = "# SegStation surface mesh, coordinates LPS mm\n"
        s.reserveCapacity(verticesLPS.count * 40 + triangles.count * 24)
        for v in verticesLPS { s += "v \(v.x) \(v.y) \(v.z)\n" }
        for t in triangles { s += "f \(t.x + 1) \(t.y + 1) \(t.z + 1)\n" }
        return s
    }

    /// Writes STL (`.stl`) or OBJ (`.obj`) by the file extension, atomically.
    /// - Throws: `LesionsError.invalidArgument` for another extension, `.outputFailed` when writing fails.
    public func write(to url: URL) throws {
        let data: Data
        switch url.pathExtension.lowercased() {
        case "stl": data = stlData()
        case "obj": data = Data(objText().utf8)
        default: throw LesionsError.invalidArgument("mesh file '\(url.path)': expected a .stl or .obj extension")
        }
        do { try AtomicFile.write(data, to: url) } catch {
            throw LesionsError.outputFailed(path: url.path, reason: "\(error)")
        }
    }
}

private func appendLE<T: FixedWidthInteger>(_ d: inout Data, _ v: T) {
    withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) }
}
