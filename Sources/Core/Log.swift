import Logging

/// Where SegStation's diagnostics go: swift-log `Logger`s, one label per layer. Any layer creates
/// its logger with `Log.logger(.dicom)` (or `Logger(label: "segstation.dicom")`); the `segstation`
/// program installs the handler and the level once (`--verbose`, `--quiet`, `SEGSTATION_LOG_LEVEL`;
/// see `docs/ARCHITECTURE.md`). Libraries and tests that install nothing get swift-log's default.
///
/// Rule for messages: patient names, IDs and UIDs, and file paths that may contain them, are
/// logged at `.debug` only. At the default level (`.warning`) messages name the problem, not the patient.
public enum Log {
    /// The label of each layer's logger.
    public enum Label: String, Sendable, CaseIterable {
        case cli = "segstation"
        case dicom = "segstation.dicom"
        /// DCMTK's own messages, routed by the DICOM layer (`DCMTKLog`), at debug level.
        case dcmtk = "segstation.dcmtk"
        case volumeIO = "segstation.volumeio"
        case engine = "segstation.engine"
        case inference = "segstation.inference"
        case lesions = "segstation.lesions"
        case reports = "segstation.reports"
        case store = "segstation.store"
        case pipeline = "segstation.pipeline"
    }

    /// A logger for `label`.
    public static func logger(_ label: Label) -> Logger { Logger(label: label.rawValue) }
}
