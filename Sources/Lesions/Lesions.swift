// Lesions layer: see docs/ARCHITECTURE.md.
