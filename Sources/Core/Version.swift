/// SegStation's version, as `--version` prints it and as runs, reports and DICOM objects record it.
public enum SegStationVersion {
    public static let string = "0.1.0"
}
