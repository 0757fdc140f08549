CREATE TABLE artefact (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    runID INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('mask', 'seg', 'sr', 'report-html', 'report-pdf', 'report-json')),
    sha256 TEXT NOT NULL,
    bytes INTEGER NOT NULL CHECK (bytes >= 0)
);
CREATE TABLE label (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    runID INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
    value INTEGER NOT NULL CHECK (value BETWEEN 1 AND 65535),
    name TEXT NOT NULL,
    colorHex TEXT,
    codesJSON TEXT,
    UNIQUE (runID, value)
);
CREATE TABLE lesion (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    runID INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
    labelID INTEGER NOT NULL REFERENCES label(id) ON DELETE CASCADE,
    lesionIndex INTEGER NOT NULL,
    voxelCount INTEGER NOT NULL CHECK (voxelCount > 0),
    volumeML DOUBLE NOT NULL CHECK (volumeML >= 0),
    meshVolumeML DOUBLE,
    surfaceAreaMM2 DOUBLE,
    sphericity DOUBLE,
    maxDiameter3DMM DOUBLE,
    recistLongMM DOUBLE,
    recistShortMM DOUBLE,
    centroidXMM DOUBLE NOT NULL,
    centroidYMM DOUBLE NOT NULL,
    centroidZMM DOUBLE NOT NULL,
    bboxMinI INTEGER, bboxMinJ INTEGER, bboxMinK INTEGER,
    bboxMaxI INTEGER, bboxMaxJ INTEGER, bboxMaxK INTEGER,
    meanIntensity DOUBLE,
    stdIntensity DOUBLE,
    minIntensity DOUBLE,
    maxIntensity DOUBLE,
    medianIntensity DOUBLE,
    touchesBorder BOOLEAN NOT NULL DEFAULT 0,
    extraJSON TEXT,
    UNIQUE (runID, labelID, lesionIndex)
);
CREATE TABLE patient (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    patientID TEXT NOT NULL,
    issuer TEXT NOT NULL DEFAULT '',
    name TEXT,
    birthDate TEXT,
    sex TEXT,
    UNIQUE (patientID, issuer)
);
CREATE TABLE run (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    seriesRowID INTEGER NOT NULL REFERENCES series(id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed')),
    startedAt DATETIME NOT NULL,
    endedAt DATETIME,
    durationSeconds DOUBLE,
    parametersJSON TEXT NOT NULL DEFAULT '{}',
    modelName TEXT NOT NULL,
    modelVersion TEXT NOT NULL,
    modelSHA256 TEXT NOT NULL,
    segstationVersion TEXT NOT NULL,
    inputFingerprint TEXT NOT NULL,
    errorMessage TEXT
, hostname TEXT, pid INTEGER, processStartTicks INTEGER, bootID TEXT, derivedIdentifiers TEXT);
CREATE TABLE series (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    studyRowID INTEGER NOT NULL REFERENCES study(id) ON DELETE CASCADE,
    seriesInstanceUID TEXT NOT NULL UNIQUE,
    modality TEXT NOT NULL,
    seriesNumber INTEGER,
    seriesDescription TEXT,
    frameOfReferenceUID TEXT
);
CREATE TABLE study (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    patientRowID INTEGER NOT NULL REFERENCES patient(id) ON DELETE CASCADE,
    studyInstanceUID TEXT NOT NULL UNIQUE,
    studyDate TEXT,
    studyTime TEXT,
    accessionNumber TEXT,
    studyDescription TEXT
);
CREATE INDEX artefact_run ON artefact(runID);
CREATE INDEX lesion_label ON lesion(labelID);
CREATE INDEX lesion_run_volume ON lesion(runID, volumeML);
CREATE INDEX run_series ON run(seriesRowID);
CREATE INDEX run_status ON run(status);
CREATE INDEX series_modality ON series(modality);
CREATE INDEX series_study ON series(studyRowID);
CREATE INDEX study_date ON study(studyDate);
CREATE INDEX study_patient ON study(patientRowID);
