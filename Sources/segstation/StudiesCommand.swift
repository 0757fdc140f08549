import ArgumentParser
import Core
import StudyStore

/// `segstation studies`: the studies in the database, with series and run counts.
struct StudiesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "studies",
        abstract: "List recorded studies (patient, date, modalities, series and run counts).")

    @Option(name: .customLong("patient"), help: "Only this patient ID.")
    var patientID: String?
    @Option(help: "Only studies with a series of this modality (e.g. MR, CT).")
    var modality: String?
    @Option(help: ArgumentHelp("Only studies on or after this date (YYYY-MM-DD or YYYYMMDD).", valueName: "date"))
    var since: ISODate?
    @OptionGroup var query: QueryOptions

    func run() throws {
        try query.print(try query.database.openForQuery().studies(StudyFilter(patientID: patientID, modality: modality, since: since)))
    }
}

extension ISODate: ExpressibleByArgument {
    /// A date option: YYYY-MM-DD or DICOM's YYYYMMDD.
    public init?(argument: String) { self.init(dicomOrISO: argument) }
}
