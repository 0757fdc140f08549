#!/usr/bin/env bash
# Installs the Debian packages SegStation builds against, only those that are missing.
# Needs root (or sudo) and apt-get. Safe to run repeatedly.
set -euo pipefail
packages=(
  libdcmtk-dev        # DICOM reading/writing (dcmdata, dcmjpeg, dcmjpls, dcmseg, dcmsr)
  libnifti2-dev       # NIfTI-1/2 (nifticlib); libnifti-dev is its transitional alias
  libdnnl-dev         # oneDNN 2.x: the engine's fast convolutions
  libopenjp2-7-dev    # JPEG 2000 decoding (DCMTK's free edition has no J2K codec)
  libsqlite3-dev      # the study database (GRDB)
  libcairo2-dev       # report images and PDF
  libpng-dev
  zlib1g-dev
  pkg-config
  fonts-dejavu-core   # text in report images and PDF (cairo)
  # issue 14 (serve): libarchive reads uploaded zips of DICOM entry by entry (POST /jobs)
  libarchive-dev
  # Issue 15: libpq, PostgreSQL's C client, for a shared study database; OpenSSL's libcrypto for SHA-256 (Core.Digest)
  libpq-dev
  libssl-dev
)
# issue 13: elastix registers two studies of a patient in different frames of reference before their
# lesions are matched (`segstation track`; run as a program with Sources/Pipeline/Registration/Parameters).
packages+=(
  elastix
)
# Test-only tools: set SEGSTATION_RUNTIME_ONLY=1 to skip them on a machine that only runs SegStation.
if [ -z "${SEGSTATION_RUNTIME_ONLY:-}" ]; then
  packages+=(
    poppler-utils     # pdftoppm/pdftotext: report PDF tests
    chromium          # headless screenshot of the HTML report
    dicom3tools       # dciodvfy: DICOM-SEG/SR validation tests
    dcmtk             # dcmdump etc. for debugging test failures
    # issue 11 abuse suite (segstation-abuse): prlimit (util-linux), gzip for gzip bombs, sqlite3 CLI for a foreign database
    util-linux gzip sqlite3
    # issue 14 (serve): Orthanc is the PACS of the service tests, storescu/echoscu (dcmtk) the modality,
    # zip (Info-ZIP) makes the upload tests' zip of a series, wrk drives the HTTP benchmark.
    orthanc
    zip
    wrk
  )
  # issue 18 (RTSTRUCT): plastimatch rasterises our RT Structure Sets in RTStructPlastimatchTests
  # and writes the reference fixtures (Scripts/reference/rtstruct_fixtures.py).
  packages+=(
    plastimatch
  )
  packages+=(
    # Issue 15: the shared-database and cluster tests (Scripts/ci/postgres.sh, Scripts/ci/slurm.sh).
    postgresql        # a throwaway PostgreSQL cluster: the store suite runs on it too
    slurm-wlm         # slurmctld + slurmd for the job-array test
    munge             # Slurm's authentication daemon
  )
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all Debian packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
