CREATE TABLE "artefact" (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    runID INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('mask', 'seg', 'sr', 'rtstruct', 'probabilities', 'report-html', 'report-pdf', 'report-json')),
    sha256 TEXT NOT NULL,
    bytes INTEGER NOT NULL CHECK (bytes >= 0),
    supersededByRunID INTEGER REFERENCES run(id) ON DELETE SET NULL
);
CREATE TABLE job (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    source TEXT NOT NULL CHECK (source IN ('dicom', 'api', 'upload')),
    route TEXT,
    model TEXT NOT NULL,
    inputsJSON TEXT NOT NULL,
    optionsJSON TEXT NOT NULL DEFAULT '{}',
    destinationsJSON TEXT NOT NULL DEFAULT '[]',
    deliveredJSON TEXT NOT NULL DEFAULT '[]',
    dedupKey TEXT UNIQUE,
    runID INTEGER REFERENCES run(id) ON DELETE SET NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    notBefore DATETIME,
    phase TEXT,
    progress DOUBLE NOT NULL DEFAULT 0,
    errorMessage TEXT,
    createdAt DATETIME NOT NULL,
    startedAt DATETIME,
    endedAt DATETIME,
    worker TEXT
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
    extraJSON TEXT, detectionScoreMean DOUBLE, detectionScoreMax DOUBLE,
    UNIQUE (runID, labelID, lesionIndex)
);
CREATE TABLE lesion_track (
    lesionRowID INTEGER PRIMARY KEY REFERENCES lesion(id) ON DELETE CASCADE,
    trackedLesionID INTEGER NOT NULL REFERENCES tracked_lesion(id) ON DELETE CASCADE,
    priorLesionRowID INTEGER REFERENCES lesion(id) ON DELETE SET NULL,
    registrationID INTEGER REFERENCES registration(id) ON DELETE SET NULL,
    method TEXT NOT NULL CHECK (method IN ('baseline', 'overlap', 'centroid', 'new')),
    dice DOUBLE,
    distanceMM DOUBLE
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
CREATE TABLE received_instance (
    sopInstanceUID TEXT PRIMARY KEY,
    seriesRowID INTEGER NOT NULL REFERENCES received_series(id) ON DELETE CASCADE,
    sopClassUID TEXT NOT NULL,
    path TEXT NOT NULL,
    bytes INTEGER NOT NULL CHECK (bytes >= 0),
    receivedAt DATETIME NOT NULL
);
CREATE TABLE received_series (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    seriesInstanceUID TEXT NOT NULL UNIQUE,
    studyInstanceUID TEXT NOT NULL,
    modality TEXT NOT NULL DEFAULT '',
    seriesDescription TEXT NOT NULL DEFAULT '',
    bodyPartExamined TEXT NOT NULL DEFAULT '',
    imageType TEXT NOT NULL DEFAULT '',
    folder TEXT NOT NULL,
    instanceCount INTEGER NOT NULL DEFAULT 0,
    bytes INTEGER NOT NULL DEFAULT 0,
    firstReceivedAt DATETIME NOT NULL,
    lastReceivedAt DATETIME NOT NULL,
    state TEXT NOT NULL DEFAULT 'receiving'
        CHECK (state IN ('receiving', 'waiting', 'routed', 'unmatched')),
    route TEXT
);
CREATE TABLE registration (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    fixedRunID INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
    movingRunID INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('identity', 'rigid', 'affine')),
    transformJSON TEXT NOT NULL,
    nmiBefore DOUBLE,
    nmiAfter DOUBLE,
    overlapFraction DOUBLE,
    accepted BOOLEAN NOT NULL,
    tool TEXT NOT NULL,
    seconds DOUBLE,
    createdAt DATETIME NOT NULL
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
, hostname TEXT, pid INTEGER, processStartTicks INTEGER, bootID TEXT, derivedIdentifiers TEXT, forcedReason TEXT);
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
CREATE TABLE tracked_lesion (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    patientRowID INTEGER NOT NULL REFERENCES patient(id) ON DELETE CASCADE,
    number INTEGER NOT NULL CHECK (number >= 1),
    trackingUID TEXT NOT NULL UNIQUE,
    labelName TEXT NOT NULL,
    UNIQUE (patientRowID, number)
);
CREATE INDEX artefact_run ON artefact(runID);
CREATE INDEX artefact_superseded ON artefact(supersededByRunID);
CREATE INDEX job_state ON job(state, notBefore);
CREATE INDEX lesion_label ON lesion(labelID);
CREATE INDEX lesion_run_volume ON lesion(runID, volumeML);
CREATE INDEX lesion_track_identity ON lesion_track(trackedLesionID);
CREATE INDEX lesion_track_prior ON lesion_track(priorLesionRowID);
CREATE INDEX lesion_track_registration ON lesion_track(registrationID);
CREATE INDEX received_instance_series ON received_instance(seriesRowID);
CREATE INDEX received_series_state ON received_series(state, lastReceivedAt);
CREATE INDEX received_series_study ON received_series(studyInstanceUID);
CREATE INDEX registration_fixed ON registration(fixedRunID);
CREATE INDEX registration_runs ON registration(movingRunID, fixedRunID);
CREATE INDEX run_series ON run(seriesRowID);
CREATE INDEX run_status ON run(status);
CREATE INDEX series_modality ON series(modality);
CREATE INDEX series_study ON series(studyRowID);
CREATE INDEX study_date ON study(studyDate);
CREATE INDEX study_patient ON study(patientRowID);
