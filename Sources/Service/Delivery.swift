internal import CDCMTKBridge
import Foundation

/// Sends result files to a DICOM destination by C-STORE (DCMTK's DcmSCU in the bridge).
public enum Delivery {
    public enum Outcome: Sendable, Equatable {
        case sent
        /// Worth retrying later: the destination is unreachable, refused the association, or is short of resources.
        case transient(String)
        /// Retrying will not help: unreadable file, SOP class refused, failure status.
        case permanent(String)
    }

    /// Sends `files` over one association, calling as `callingAE`.
    public static func send(_ files: [URL], to destination: ServiceConfig.Destination, callingAE: String, timeoutSeconds: Int = 30) -> Outcome {
        guard !files.isEmpty else { return .sent }
        var status = ssdcm_status()
        var statuses = [UInt16](repeating: 0xFFFF, count: files.count)
        let paths = files.map { strdup($0.path) }
        defer { paths.forEach { free($0) } }
        let result = paths.map { UnsafePointer($0) }.withUnsafeBufferPointer { buffer in
            ssnet_send_files(callingAE, destination.aeTitle, destination.host, UInt16(destination.port), buffer.baseAddress,
                             Int32(files.count), Int32(timeoutSeconds), &statuses, &status)
        }
        let message = "destination '\(destination.name)': " + DICOMListener.message(status)
        switch result {
        case Int32(SSNET_SENT.rawValue): return .sent
        case Int32(SSNET_TRANSIENT.rawValue): return .transient(message)
        default: return .permanent(message)
        }
    }
}
