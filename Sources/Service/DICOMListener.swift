internal import CDCMTKBridge
import Foundation
import Logging
import StudyStore

/// Events of the DICOM listener that the rest of the service counts or logs.
public protocol ListenerObserver: Sendable {
    func instanceStored(bytes: Int64, duplicate: Bool)
    func instanceRefused(status: UInt16, reason: String)
    func associationRefused(callingAE: String, host: String)
}

/// The DICOM node: C-ECHO and C-STORE SCP through DCMTK's dcmnet (the C++ bridge runs the network
/// loop on its own threads; this class decides who may call and where instances go).
public final class DICOMListener: @unchecked Sendable {
    let config: ServiceConfig
    let instances: InstanceStore
    let observer: any ListenerObserver
    let logger: Logger
    private let server: OpaquePointer

    /// Opens the port (fails at once when it is taken).
    public init(config: ServiceConfig, instances: InstanceStore, observer: any ListenerObserver, logger: Logger) throws {
        self.config = config; self.instances = instances; self.observer = observer; self.logger = logger
        var status = ssdcm_status()
        var c = ssnet_server_config()
        c.port = UInt16(config.dicomPort)
        c.max_associations = 16
        c.idle_timeout_seconds = 60
        c.accept = { context, calling, called, host in
            let me = Unmanaged<DICOMListener>.fromOpaque(context!).takeUnretainedValue()
            return me.decide(calling: String(cString: calling!), called: String(cString: called!), host: String(cString: host!))
        }
        c.store = { context, instance in
            Unmanaged<DICOMListener>.fromOpaque(context!).takeUnretainedValue().store(instance!.pointee)
        }
        c.refused = { context, sop, status, reason in
            let me = Unmanaged<DICOMListener>.fromOpaque(context!).takeUnretainedValue()
            me.observer.instanceRefused(status: status, reason: String(cString: reason!))
            me.logger.warning("refused an instance", metadata: ["status": "\(String(format: "0x%04X", status))", "reason": "\(String(cString: reason!))"])
        }
        // The bridge copies the strings it keeps; the callbacks' context (self) is installed by `run()`.
        let opened: OpaquePointer? = instances.incoming.path.withCString { incoming in
            config.aeTitle.withCString { ae in
                config.dicomHost.withCString { host in
                    c.incoming_folder = incoming
                    c.ae_title = ae
                    c.host = host
                    return ssnet_server_open(&c, &status)
                }
            }
        }
        guard let opened else { throw ServiceError.listener(Self.message(status)) }
        server = opened
    }

    deinit { ssnet_server_close(server) }

    static func message(_ status: ssdcm_status) -> String {
        withUnsafeBytes(of: status.message) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
    }

    /// Runs the accept loop on the calling thread until `stop()`; open associations are then aborted.
    public func run() throws {
        ssnet_server_set_context(server, Unmanaged.passUnretained(self).toOpaque())
        var status = ssdcm_status()
        guard ssnet_server_run(server, &status) == 0 else { throw ServiceError.listener(Self.message(status)) }
    }

    public func stop() { ssnet_server_stop(server) }

    public var activeAssociations: Int { Int(ssnet_server_active(server)) }

    func decide(calling: String, called: String, host: String) -> Int32 {
        guard called.trimmingCharacters(in: .whitespaces) == config.aeTitle else {
            logger.warning("association refused: called AE title is not ours", metadata: ["calling": "\(calling)", "host": "\(host)"])
            observer.associationRefused(callingAE: calling, host: host)
            return Int32(SSNET_REJECT_CALLED_AE.rawValue)
        }
        guard config.allowedCallers.contains(where: { $0.allows(aeTitle: calling, host: host) }) else {
            logger.warning("association refused: caller not on dicom.allowedCallers", metadata: ["calling": "\(calling)", "host": "\(host)"])
            observer.associationRefused(callingAE: calling, host: host)
            return Int32(SSNET_REJECT_CALLING_AE.rawValue)
        }
        return Int32(SSNET_ACCEPT.rawValue)
    }

    func store(_ i: ssnet_instance) -> UInt16 {
        let instance = ReceivedInstance(
            sopInstanceUID: String(cString: i.sop_instance_uid), sopClassUID: String(cString: i.sop_class_uid),
            studyInstanceUID: String(cString: i.study_instance_uid), seriesInstanceUID: String(cString: i.series_instance_uid),
            modality: String(cString: i.modality), seriesDescription: String(cString: i.series_description),
            bodyPartExamined: String(cString: i.body_part_examined), imageType: String(cString: i.image_type),
            folder: "", path: "", bytes: Int64(i.bytes))
        do {
            let outcome = try instances.file(temporary: URL(fileURLWithPath: String(cString: i.temp_path)), instance)
            observer.instanceStored(bytes: instance.bytes, duplicate: outcome == .duplicate)
            return 0x0000
        } catch {
            logger.error("cannot store a received instance: \(error)")
            return 0xA700   // Refused: out of resources
        }
    }
}
