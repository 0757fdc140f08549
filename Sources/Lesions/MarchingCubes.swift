import Imaging

/// Marching cubes on a binary region with vertices at edge midpoints (the iso-level 0.5 of a
/// 0/1 mask), using pyradiomics' tables and orientation.
enum MarchingCubes {
    /// Calls `body` with each triangle's corners as continuous box indices (i, j, k). Cubes span
    /// the padded box (one voxel of background on every side). Triangles face outwards
    /// consistently, in the sense pyradiomics' signed-tetrahedron volume expects.
    static func forEachTriangle(_ r: BinaryRegion, _ body: (Vector3, Vector3, Vector3) -> Void) {
        guard !r.isEmpty else { return }
        let mids = MarchingCubesTables.edgeMidpoints.map { Vector3($0.z, $0.y, $0.x) }  // -> (i, j, k)
        // The box padded with one background voxel on every side, as bytes: cube corners are then
        // plain offsets. Padded index (i + 1, j + 1, k + 1) holds box voxel (i, j, k).
        let p = r.size &+ 2
        var padded = [UInt8](repeating: 0, count: p.x * p.y * p.z)
        for k in 0..<r.size.z {
            for j in 0..<r.size.y {
                let src = r.size.x * (j + r.size.y * k), dst = 1 + p.x * ((j + 1) + p.y * (k + 1))
                for i in 0..<r.size.x where r.inside[src + i] { padded[dst + i] = 1 }
            }
        }
        // Offsets of pyradiomics' corners (dk, dj, di) in the padded array.
        let offsets = MarchingCubesTables.corners.map { $0.z + p.x * ($0.y + p.y * $0.x) }
        padded.withUnsafeBufferPointer { v in
            for k in 0..<(p.z - 1) {
                for j in 0..<(p.y - 1) {
                    let row = p.x * (j + p.y * k)
                    for i in 0..<(p.x - 1) {
                        let at = row + i
                        var index = 0
                        for a in 0..<8 where v[at + offsets[a]] != 0 { index |= 1 << a }
                        if index == 0 || index == 255 { continue }
                        var flipped = false
                        if index & 0x80 != 0 { index ^= 0xff; flipped = true }
                        let tris = MarchingCubesTables.triangles[index]
                        // Cube corner in box coordinates (padding removed).
                        let base = Vector3(Double(i - 1), Double(j - 1), Double(k - 1))
                        var t = 0
                        while t < tris.count {
                            let a = base + mids[Int(tris[t])], b = base + mids[Int(tris[t + 1])], c = base + mids[Int(tris[t + 2])]
                            if flipped { body(a, c, b) } else { body(a, b, c) }
                            t += 3
                        }
                    }
                }
            }
        }
    }

    /// Mesh volume (mm^3, signed-tetrahedron sum) and surface area (mm^2) in patient space.
    ///
    /// The tetrahedra are spanned from the corner of pyradiomics' padded crop: the mask's bounding
    /// box minus one voxel on each axis. pyradiomics' table orients a few triangles of ambiguous
    /// cubes inconsistently, so its volume sum depends on that origin (brain2: 1736.02 mm^3 from
    /// the bounding box, as in its baseline; 1739.32 with a 5-voxel margin; 1838.5 from the grid
    /// corner); we use the same origin to give the same number. The area does not depend on it.
    static func volumeAndArea(_ r: BinaryRegion) -> (volumeMM3: Double, areaMM2: Double) {
        let l = r.geometry.linearPart
        let shift = Vector3(1, 1, 1)  // box index -> padded-crop index
        var six = 0.0, twiceArea = 0.0
        forEachTriangle(r) { a, b, c in
            let pa = l * (a + shift), pb = l * (b + shift), pc = l * (c + shift)
            six += dot(cross(pa, pb), pc)
            twiceArea += norm(cross(pa - pc, pb - pc))
        }
        return (abs(six) / 6, twiceArea / 2)
    }

    /// Mesh vertices as doubled box indices (integers): midpoints of every edge between an inside
    /// and an outside voxel of the padded box. These are exactly the vertices of the triangles.
    static func vertexKeys(_ r: BinaryRegion) -> [SIMD3<Int>] {
        var keys: [SIMD3<Int>] = []
        for k in -1..<r.size.z + 1 {
            for j in -1..<r.size.y + 1 {
                for i in -1..<r.size.x + 1 {
                    let here = r.at(i, j, k)
                    let p = SIMD3(2 * i, 2 * j, 2 * k)
                    if here != r.at(i + 1, j, k) { keys.append(p &+ SIMD3(1, 0, 0)) }
                    if here != r.at(i, j + 1, k) { keys.append(p &+ SIMD3(0, 1, 0)) }
                    if here != r.at(i, j, k + 1) { keys.append(p &+ SIMD3(0, 0, 1)) }
                }
            }
        }
        return keys
    }
}
