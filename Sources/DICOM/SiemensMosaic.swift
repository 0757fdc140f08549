import Foundation
import Imaging

/// Siemens mosaics: one stored image holding N slices as tiles (ImageType contains MOSAIC).
///
/// NumberOfImagesInMosaic comes from (0019,100A) or the CSA image header (0029,1010). The tiles form
/// a ceil(sqrt(N)) square; tile s sits at tile row s / side, column s % side. ImagePositionPatient
/// of a mosaic describes the corner of the whole mosaic; the first slice's corner is shifted by half
/// the size difference (as dcm2niix and nibabel compute it). Slices advance by SpacingBetweenSlices
/// along the CSA SliceNormalVector (row x column direction when the CSA header has none).
struct SiemensMosaic: Equatable {
    var sliceCount: Int
    var tilesPerRow: Int
    var tileRows: Int
    var tileColumns: Int
    var sliceNormal: Vector3?

    static let numberOfImagesInMosaic = DICOMTag(0x0019, 0x100A)
    static let csaImageHeader = DICOMTag(0x0029, 0x1010)

    /// The mosaic layout, nil when the image is not a mosaic.
    /// - Throws: `DICOMError.malformed` when the tile count does not fit Rows/Columns.
    static func detect(_ ds: DICOMItem, imageType: [String], rows: Int, columns: Int, path: String) throws -> SiemensMosaic? {
        guard imageType.contains("MOSAIC") else { return nil }
        let csa = ds.bytes(csaImageHeader).map(CSAHeader.parse) ?? [:]
        let count = ds.int(numberOfImagesInMosaic) ?? csa["NumberOfImagesInMosaic"]?.first.flatMap { Int(Double($0) ?? -1) }
        guard let count, count >= 1 else { return nil }
        let side = Int(Double(count).squareRoot().rounded(.up))
        guard side > 0, rows % side == 0, columns % side == 0, side * side >= count else {
            throw DICOMError.malformed(file: path, reason: "NumberOfImagesInMosaic \(numberOfImagesInMosaic) is \(count); a \(side)x\(side) mosaic does not divide Rows x Columns \(rows)x\(columns)")
        }
        var normal: Vector3?
        if let v = csa["SliceNormalVector"]?.compactMap(Double.init), v.count == 3, norm(Vector3(v[0], v[1], v[2])) > 0.5 {
            normal = Vector3(v[0], v[1], v[2]) / norm(Vector3(v[0], v[1], v[2]))
        }
        return SiemensMosaic(sliceCount: count, tilesPerRow: side, tileRows: rows / side, tileColumns: columns / side, sliceNormal: normal)
    }

    /// Position of tile `s` given the mosaic's ImagePositionPatient and orientation.
    func position(tile s: Int, mosaicPosition: Vector3, row: Vector3, column: Vector3,
                  spacing: PixelSpacing, sliceSpacingMM: Double) -> Vector3 {
        let columnsTotal = Double(tileColumns * tilesPerRow), rowsTotal = Double(tileRows * tilesPerRow)
        let first = mosaicPosition + row * (spacing.i * (columnsTotal - Double(tileColumns)) / 2)
            + column * (spacing.j * (rowsTotal - Double(tileRows)) / 2)
        let n = sliceNormal ?? cross(row, column)
        return first + n * (sliceSpacingMM * Double(s))
    }
}

/// The Siemens CSA header ("SV10" version 2): named tags with string items.
enum CSAHeader {
    /// Tag name -> item strings; [:] when the header is not CSA2 or is malformed.
    static func parse(_ bytes: [UInt8]) -> [String: [String]] {
        guard bytes.count >= 16, bytes[0...3] == [0x53, 0x56, 0x31, 0x30] else { return [:] }
        func u32(_ at: Int) -> Int? {
            guard at >= 0, at + 4 <= bytes.count else { return nil }
            return Int(UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24)
        }
        guard let tagCount = u32(8), tagCount <= 1000 else { return [:] }
        var result = [String: [String]]()
        var p = 16
        for _ in 0..<tagCount {
            guard p + 84 <= bytes.count, let itemCount = u32(p + 76), itemCount <= 10_000 else { return result }
            let name = String(decoding: bytes[p..<(p + 64)].prefix(while: { $0 != 0 }), as: UTF8.self)
            p += 84
            var items = [String]()
            for _ in 0..<itemCount {
                guard let length = u32(p + 4), p + 16 + length <= bytes.count else { return result }
                let text = String(decoding: bytes[(p + 16)..<(p + 16 + length)].prefix(while: { $0 != 0 }), as: UTF8.self)
                    .trimmingCharacters(in: .whitespaces)
                if !text.isEmpty { items.append(text) }
                p += 16 + (length + 3) / 4 * 4
            }
            result[name] = items
        }
        return result
    }
}
