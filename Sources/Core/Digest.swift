import COpenSSL
import Foundation

/// SHA-256 as lower-case hex: of bytes, of text, of a file. The one digest SegStation records
/// (artefacts, model networks, input fingerprints, ETags, batch shards) and the base of `SafeNames`.
/// Computed by OpenSSL's libcrypto (`SHA256Hasher`).
public enum Digest {
    /// The 32 bytes of SHA-256(`data`).
    public static func sha256(_ data: Data) -> [UInt8] {
        let hasher = SHA256Hasher()
        hasher.update(data)
        return hasher.finalize()
    }

    /// Lower-case hex SHA-256 of `data`.
    public static func sha256Hex(_ data: Data) -> String { hex(sha256(data)) }

    /// Lower-case hex SHA-256 of `text`'s UTF-8 bytes.
    public static func sha256Hex(_ text: String) -> String { sha256Hex(Data(text.utf8)) }

    /// Lower-case hex SHA-256 of a file, read in 1 MiB chunks; nil when the file cannot be read.
    public static func sha256Hex(ofFile url: URL) -> String? {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return nil }
        defer { try? handle.close() }
        let hasher = SHA256Hasher()
        do {
            // nil or empty at the end of the file.
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(chunk) }
        } catch {
            return nil
        }
        return hex(hasher.finalize())
    }

    /// `bytes` as lower-case hex, two digits per byte.
    public static func hex<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for byte in bytes { out.append(digits[Int(byte >> 4)]); out.append(digits[Int(byte & 0xf)]) }
        return String(decoding: out, as: UTF8.self)
    }
}

/// An incremental SHA-256: `update` any number of times, then `finalize` once. One OpenSSL EVP digest
/// context, owned by this object (not shared between threads).
public final class SHA256Hasher {
    private let context: OpaquePointer

    public init() {
        // EVP_MD_CTX_new fails only when malloc does; SHA-256 is always available in libcrypto's default provider.
        guard let context = EVP_MD_CTX_new() else { preconditionFailure("OpenSSL: no memory for a digest context") }
        precondition(EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1, "OpenSSL: SHA-256 unavailable")
        self.context = context
    }

    deinit { EVP_MD_CTX_free(context) }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        precondition(EVP_DigestUpdate(context, base, bytes.count) == 1, "OpenSSL: SHA-256 update failed")
    }

    public func update(_ data: Data) { data.withUnsafeBytes { update($0) } }

    public func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

    /// The 32 digest bytes. The hasher is spent afterwards.
    public func finalize() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        precondition(EVP_DigestFinal_ex(context, &digest, &length) == 1 && length == 32, "OpenSSL: SHA-256 final failed")
        return digest
    }
}
