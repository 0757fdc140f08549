// Pipeline layer: see docs/ARCHITECTURE.md.
