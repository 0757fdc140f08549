import GRDB

/// The schema, as named migrations applied in order and recorded by GRDB in `grdb_migrations`.
///
/// RULE: a migration is never edited once it has been merged; change the schema by appending a
/// new one. Each migration is plain SQL so its effect does not depend on the GRDB version.
/// `Tests/StudyStoreTests/Fixtures/schema-<id>.sql` holds the frozen schema after each migration;
/// the tests rebuild every earlier version from those files and migrate it to the current one.
enum Schema {
    /// The migrations, oldest first: GRDB applies them to SQLite (`migrator`), `PostgresSchema` to PostgreSQL.
    static let migrations: [(id: String, sql: String)] = [
        ("v1-initial", v1Initial), ("v2-query-indexes", v2QueryIndexes), ("v3-run-liveness", v3RunLiveness),
        ("i11-derived-identity", i11DerivedIdentity),
        ("i14-service-queue", i14ServiceQueue),
        ("i18-rtstruct-artefact-kind", i18RTStructArtefactKind),
        ("i11-superseded-and-forced", i11SupersededAndForced),
        ("i16-probabilities-artefact-kind", i16ProbabilitiesArtefactKind),
        ("i13-registration-and-tracking", i13RegistrationAndTracking),
        ("i17-lesion-detection-score", i17LesionDetectionScore),
        ("i17-instances-artefact-kind", i17InstancesArtefactKind),
    ]

    /// Migration identifiers, oldest first (as registered in `migrator`).
    static var identifiers: [String] { migrator.migrations }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in migrations {
            migrator.registerMigration(migration.id) { db in try db.execute(sql: migration.sql) }
        }
        return migrator
    }

    /// (table, column, parent table) of every foreign key (PostgreSQL's integrity check walks them).
    static let foreignKeys = [("study", "patientRowID", "patient"), ("series", "studyRowID", "study"),
                              ("run", "seriesRowID", "series"), ("label", "runID", "run"), ("lesion", "runID", "run"),
                              ("lesion", "labelID", "label"), ("artefact", "runID", "run"),
                              ("artefact", "supersededByRunID", "run")]

    /// Tables, keys and the indexes that back foreign keys.
    static let v1Initial = """
        CREATE TABLE patient (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            patientID TEXT NOT NULL,
            issuer TEXT NOT NULL DEFAULT '',
            name TEXT,
            birthDate TEXT,
            sex TEXT,
            UNIQUE (patientID, issuer)
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
        CREATE INDEX study_patient ON study(patientRowID);
        CREATE TABLE series (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            studyRowID INTEGER NOT NULL REFERENCES study(id) ON DELETE CASCADE,
            seriesInstanceUID TEXT NOT NULL UNIQUE,
            modality TEXT NOT NULL,
            seriesNumber INTEGER,
            seriesDescription TEXT,
            frameOfReferenceUID TEXT
        );
        CREATE INDEX series_study ON series(studyRowID);
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
        );
        CREATE INDEX run_series ON run(seriesRowID);
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
        CREATE INDEX lesion_label ON lesion(labelID);
        CREATE TABLE artefact (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            runID INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
            path TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('mask', 'seg', 'sr', 'report-html', 'report-pdf', 'report-json')),
            sha256 TEXT NOT NULL,
            bytes INTEGER NOT NULL CHECK (bytes >= 0)
        );
        CREATE INDEX artefact_run ON artefact(runID);
        """

    /// Indexes for the query commands: lesions by run and volume (lesion query by patient and
    /// threshold walks patient -> study -> series -> run, then this index), runs by status, studies by date.
    static let v2QueryIndexes = """
        CREATE INDEX lesion_run_volume ON lesion(runID, volumeML);
        CREATE INDEX run_status ON run(status);
        CREATE INDEX study_date ON study(studyDate);
        CREATE INDEX series_modality ON series(modality);
        """

    /// Who is executing a run, so a `running` run whose process died reads as `incomplete`.
    static let v3RunLiveness = """
        ALTER TABLE run ADD COLUMN hostname TEXT;
        ALTER TABLE run ADD COLUMN pid INTEGER;
        ALTER TABLE run ADD COLUMN processStartTicks INTEGER;
        ALTER TABLE run ADD COLUMN bootID TEXT;
        """

    /// Identifiers of the run's input that were absent or empty in the files and derived from the
    /// input's fingerprint (comma-separated DICOM keywords, e.g. "PatientID,StudyInstanceUID"; NULL when
    /// none): see docs/DICOM.md, "Anonymised data".
    static let i11DerivedIdentity = """
        ALTER TABLE run ADD COLUMN derivedIdentifiers TEXT;
        """

    /// Issue 18: RT Structure Sets (`segment --rtstruct`) are artefacts of kind 'rtstruct'. SQLite cannot
    /// change a CHECK constraint, so the artefact table is rebuilt with the wider one (rows and ids kept).
    static let i18RTStructArtefactKind = """
        CREATE TABLE artefact_i18 (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            runID INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
            path TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('mask', 'seg', 'sr', 'rtstruct', 'report-html', 'report-pdf', 'report-json')),
            sha256 TEXT NOT NULL,
            bytes INTEGER NOT NULL CHECK (bytes >= 0)
        );
        INSERT INTO artefact_i18 (id, runID, path, kind, sha256, bytes) SELECT id, runID, path, kind, sha256, bytes FROM artefact;
        DROP TABLE artefact;
        ALTER TABLE artefact_i18 RENAME TO artefact;
        CREATE INDEX artefact_run ON artefact(runID);
        """

    /// Issue 11: an artefact replaced by a later run written into the same folder with `--overwrite`
    /// names that run (its file no longer holds what this row's SHA-256 says); a run started with
    /// `--force` outside the model's stated modalities or body parts records why.
    static let i11SupersededAndForced = """
        ALTER TABLE artefact ADD COLUMN supersededByRunID INTEGER REFERENCES run(id) ON DELETE SET NULL;
        CREATE INDEX artefact_superseded ON artefact(supersededByRunID);
        ALTER TABLE run ADD COLUMN forcedReason TEXT;
        """

    /// Issue 16: `segment --save-probabilities` records the probability map (artefact kind
    /// `probabilities`). SQLite cannot alter a CHECK constraint, so the table is rebuilt with every
    /// column and index it had after "i11-superseded-and-forced".
    static let i16ProbabilitiesArtefactKind = """
        CREATE TABLE artefact_i16 (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            runID INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
            path TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('mask', 'seg', 'sr', 'rtstruct', 'probabilities', 'report-html', 'report-pdf', 'report-json')),
            sha256 TEXT NOT NULL,
            bytes INTEGER NOT NULL CHECK (bytes >= 0),
            supersededByRunID INTEGER REFERENCES run(id) ON DELETE SET NULL
        );
        INSERT INTO artefact_i16 (id, runID, path, kind, sha256, bytes, supersededByRunID)
            SELECT id, runID, path, kind, sha256, bytes, supersededByRunID FROM artefact;
        DROP TABLE artefact;
        ALTER TABLE artefact_i16 RENAME TO artefact;
        CREATE INDEX artefact_run ON artefact(runID);
        CREATE INDEX artefact_superseded ON artefact(supersededByRunID);
        """

    /// Issue 13: registrations between two runs' images (the fixed -> moving LPS transform, its quality,
    /// whether it passed), lesion identities that last across studies (`tracked_lesion`: "lesion 3" of a
    /// patient, with the DICOM tracking UID its SRs carry), and which identity each lesion row has
    /// (`lesion_track`, with how it was matched). See docs/TRACKING.md.
    static let i13RegistrationAndTracking = """
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
        CREATE INDEX registration_runs ON registration(movingRunID, fixedRunID);
        CREATE INDEX registration_fixed ON registration(fixedRunID);
        CREATE TABLE tracked_lesion (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            patientRowID INTEGER NOT NULL REFERENCES patient(id) ON DELETE CASCADE,
            number INTEGER NOT NULL CHECK (number >= 1),
            trackingUID TEXT NOT NULL UNIQUE,
            labelName TEXT NOT NULL,
            UNIQUE (patientRowID, number)
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
        CREATE INDEX lesion_track_identity ON lesion_track(trackedLesionID);
        CREATE INDEX lesion_track_prior ON lesion_track(priorLesionRowID);
        CREATE INDEX lesion_track_registration ON lesion_track(registrationID);
        """

    /// Issue 17: a lesion found by an instance model (Mask R-CNN) carries its detection score, the
    /// mean and the maximum over the slice detections linked into it (NULL for other lesions).
    static let i17LesionDetectionScore = """
        ALTER TABLE lesion ADD COLUMN detectionScoreMean DOUBLE;
        ALTER TABLE lesion ADD COLUMN detectionScoreMax DOUBLE;
        """

    /// Issue 17: a run whose lesions are not the mask's connected components (an instances model,
    /// `segment --split watershed`) records its instance map (artefact kind `instances`). SQLite cannot
    /// alter a CHECK constraint, so the table is rebuilt with every column and index it had after
    /// "i16-probabilities-artefact-kind".
    static let i17InstancesArtefactKind = """
        CREATE TABLE artefact_i17 (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            runID INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,
            path TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('mask', 'seg', 'sr', 'rtstruct', 'probabilities', 'instances', 'report-html', 'report-pdf', 'report-json')),
            sha256 TEXT NOT NULL,
            bytes INTEGER NOT NULL CHECK (bytes >= 0),
            supersededByRunID INTEGER REFERENCES run(id) ON DELETE SET NULL
        );
        INSERT INTO artefact_i17 (id, runID, path, kind, sha256, bytes, supersededByRunID)
            SELECT id, runID, path, kind, sha256, bytes, supersededByRunID FROM artefact;
        DROP TABLE artefact;
        ALTER TABLE artefact_i17 RENAME TO artefact;
        CREATE INDEX artefact_run ON artefact(runID);
        CREATE INDEX artefact_superseded ON artefact(supersededByRunID);
        """
}
