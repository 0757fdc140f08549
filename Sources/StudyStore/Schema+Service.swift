extension Schema {
    /// `segstation serve` (issue 14): instances received over DICOM, grouped by series, and the
    /// persistent job queue. Paths are hashed (no patient identifier); `job.runID` links a job to
    /// the run it produced so a restarted job delivers the same artefacts instead of segmenting again.
    static let i14ServiceQueue = """
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
        CREATE INDEX received_series_study ON received_series(studyInstanceUID);
        CREATE INDEX received_series_state ON received_series(state, lastReceivedAt);
        CREATE TABLE received_instance (
            sopInstanceUID TEXT PRIMARY KEY,
            seriesRowID INTEGER NOT NULL REFERENCES received_series(id) ON DELETE CASCADE,
            sopClassUID TEXT NOT NULL,
            path TEXT NOT NULL,
            bytes INTEGER NOT NULL CHECK (bytes >= 0),
            receivedAt DATETIME NOT NULL
        );
        CREATE INDEX received_instance_series ON received_instance(seriesRowID);
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
        CREATE INDEX job_state ON job(state, notBefore);
        """
}
