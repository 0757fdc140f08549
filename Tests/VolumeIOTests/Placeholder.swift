// VolumeIOTests: tests land here.
