import Foundation

/// Commands that write patient data (`segment`, `report`) create every file and folder owner-only.
///
/// The process umask is set to 077 before anything is written, so files are 0600 and folders 0700
/// from the moment they exist: temporaries during an atomic write, and the final file after its
/// rename, so no moment exists in which a killed run leaves a file readable by others.
enum OwnerOnly {
    static func apply() { umask(0o077) }
}
