import CCairo
import Foundation

/// A decoded 8-bit RGBA raster (row-major, 4 bytes a pixel, not premultiplied), e.g. a PNG read back.
public struct RasterImage: Sendable {
    public let width: Int
    public let height: Int
    public let rgba: [UInt8]

    /// The colour of a pixel.
    public func pixel(x: Int, y: Int) -> (red: UInt8, green: UInt8, blue: UInt8, alpha: UInt8) {
        let o = 4 * (y * width + x)
        return (rgba[o], rgba[o + 1], rgba[o + 2], rgba[o + 3])
    }

    /// Decodes a PNG with cairo.
    /// - Throws: `ReportError.renderFailed` when the data is not a PNG cairo can read.
    public init(pngData: Data) throws {
        let source = ByteSource(Array(pngData))
        let surface = cairo_image_surface_create_from_png_stream({ closure, buffer, length in
            let source = Unmanaged<ByteSource>.fromOpaque(closure!).takeUnretainedValue()
            return source.read(into: buffer!, count: Int(length)) ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_READ_ERROR
        }, Unmanaged.passUnretained(source).toOpaque())
        defer { cairo_surface_destroy(surface) }
        try checkStatus(cairo_surface_status(surface), "decoding PNG")
        self.init(surface: surface!)
    }

    /// Copies an ARGB32/RGB24 image surface, un-premultiplying alpha.
    init(surface: OpaquePointer) {
        cairo_surface_flush(surface)
        width = Int(cairo_image_surface_get_width(surface))
        height = Int(cairo_image_surface_get_height(surface))
        let stride = Int(cairo_image_surface_get_stride(surface))
        let hasAlpha = cairo_image_surface_get_format(surface) == CAIRO_FORMAT_ARGB32
        let data = cairo_image_surface_get_data(surface)!
        var out = [UInt8](repeating: 0, count: width * height * 4)
        for y in 0..<height {
            let row = data + y * stride
            for x in 0..<width {
                // Native-endian 32-bit ARGB.
                let word = UnsafeRawPointer(row + 4 * x).loadUnaligned(as: UInt32.self)
                let a = hasAlpha ? UInt32((word >> 24) & 0xff) : 255
                func channel(_ shift: UInt32) -> UInt8 {
                    let c = (word >> shift) & 0xff
                    return a == 0 ? 0 : UInt8(min(255, (c * 255 + a / 2) / a))
                }
                let o = 4 * (y * width + x)
                out[o] = channel(16); out[o + 1] = channel(8); out[o + 2] = channel(0); out[o + 3] = UInt8(a)
            }
        }
        rgba = out
    }
}

/// Bytes collected from a cairo write stream.
final class ByteSink {
    var bytes = [UInt8]()
}

final class ByteSource {
    let bytes: [UInt8]
    var offset = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    func read(into buffer: UnsafeMutablePointer<UInt8>, count: Int) -> Bool {
        guard count <= bytes.count - offset else { return false }
        bytes.withUnsafeBufferPointer { src in buffer.update(from: src.baseAddress! + offset, count: count) }
        offset += count
        return true
    }
}

/// The cairo stream callback appending to a `ByteSink` passed as the closure pointer.
let appendToSink: cairo_write_func_t = { closure, data, length in
    let sink = Unmanaged<ByteSink>.fromOpaque(closure!).takeUnretainedValue()
    sink.bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: Int(length)))
    return CAIRO_STATUS_SUCCESS
}

func checkStatus(_ status: cairo_status_t, _ what: String) throws {
    guard status == CAIRO_STATUS_SUCCESS else {
        throw ReportError.renderFailed("\(what): \(String(cString: cairo_status_to_string(status)))")
    }
}

/// An ARGB32 image surface with its drawing context.
final class ImageCanvas {
    let surface: OpaquePointer
    let painter: Painter
    let width: Int, height: Int

    init(width: Int, height: Int) throws {
        precondition(width > 0 && height > 0, "ImageCanvas \(width)x\(height)")
        self.width = width
        self.height = height
        surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(width), Int32(height))
        painter = Painter(cairo_create(surface))
        try checkStatus(cairo_surface_status(surface), "creating a \(width)x\(height) image")
    }

    deinit {
        cairo_destroy(painter.cr)
        cairo_surface_destroy(surface)
    }

    /// Encodes the canvas as PNG.
    func pngData() throws -> Data {
        cairo_surface_flush(surface)
        let sink = ByteSink()
        try checkStatus(cairo_surface_write_to_png_stream(surface, appendToSink, Unmanaged.passUnretained(sink).toOpaque()),
                        "encoding PNG")
        return Data(sink.bytes)
    }

    var raster: RasterImage { RasterImage(surface: surface) }
}
