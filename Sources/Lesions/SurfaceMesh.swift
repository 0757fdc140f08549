import Core
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
        // Shared vertices without hashing: every vertex is the midpoint of one voxel edge of the
        // padded box, so its doubled padded coordinates (x2, y2, z2) have exactly one odd component.
        // Triangles arrive layer by layer in k, and a layer only touches the x/y edges of its two
        // planes (of different parity) and its own z edges: five plane-sized slot tables (x edges by
        // plane parity, y edges by plane parity, z edges) hold each vertex's index while it can
        // still be shared. A slot is valid when the vertex stored there has the same key, so stale
        // slots of earlier layers need no clearing. Vertex order = first use, as with a dictionary.
        let w = r.size.x + 2, plane = w * (r.size.y + 2)
        var slots = r.isEmpty ? [] : [Int32](repeating: -1, count: 5 * plane)
        var keys: [SIMD3<Int32>] = []
        var vertices: [Vector3] = []
        var tris: [SIMD3<Int32>] = []
        func vertex(_ p: Vector3) -> Int32 {
            let x2 = Int((p.x * 2).rounded()) + 2, y2 = Int((p.y * 2).rounded()) + 2, z2 = Int((p.z * 2).rounded()) + 2
            let key = SIMD3(Int32(x2), Int32(y2), Int32(z2))
            let table = z2 & 1 == 1 ? 4 : (x2 & 1 == 1 ? 0 : 2) + (z2 >> 1) & 1
            let at = table * plane + (x2 >> 1) + w * (y2 >> 1)
            let stored = slots[at]
            if stored >= 0 && keys[Int(stored)] == key { return stored }
            let v = Int32(vertices.count)
            slots[at] = v
            keys.append(key)
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
