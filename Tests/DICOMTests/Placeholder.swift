// DICOMTests: tests land here.
