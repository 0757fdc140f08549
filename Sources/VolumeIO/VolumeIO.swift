// VolumeIO layer: see docs/ARCHITECTURE.md.
