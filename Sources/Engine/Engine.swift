// Engine layer: see docs/ARCHITECTURE.md.
