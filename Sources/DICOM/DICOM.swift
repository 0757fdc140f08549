// DICOM layer: see docs/ARCHITECTURE.md.
