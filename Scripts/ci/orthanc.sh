#!/usr/bin/env bash
# Starts or stops Debian's Orthanc as the PACS of the service tests (issue 14), on loopback only, with its
# own configuration and storage in a temporary folder.
#   Scripts/ci/orthanc.sh start FOLDER [HTTP_PORT] [DICOM_PORT]   -> prints the exports for the tests
#   Scripts/ci/orthanc.sh stop FOLDER
# The tests read SEGSTATION_TEST_ORTHANC (REST base URL), SEGSTATION_TEST_ORTHANC_DICOM (port) and
# SEGSTATION_TEST_ORTHANC_AET; they skip with a message when these are unset.
set -euo pipefail
action=${1:?start|stop}
folder=${2:?folder}
http_port=${3:-11143}
dicom_port=${4:-11142}
case "$action" in
start)
  command -v Orthanc >/dev/null || { echo "orthanc.sh: Orthanc is not installed (Scripts/install-deps.sh)" >&2; exit 1; }
  if [ -f "$folder/orthanc.pid" ] && kill -0 "$(cat "$folder/orthanc.pid")" 2>/dev/null; then
    echo "orthanc.sh: Orthanc already runs for $folder (pid $(cat "$folder/orthanc.pid"))" >&2; exit 1
  fi
  if curl -fs "http://127.0.0.1:$http_port/system" >/dev/null 2>&1; then
    echo "orthanc.sh: port $http_port is already in use" >&2; exit 1
  fi
  mkdir -p "$folder/db"
  cat > "$folder/orthanc.json" <<JSON
{
  "Name": "SegStationTestPACS",
  "StorageDirectory": "$folder/db",
  "IndexDirectory": "$folder/db",
  "HttpPort": $http_port,
  "DicomPort": $dicom_port,
  "DicomAet": "ORTHANC",
  "RemoteAccessAllowed": false,
  "AuthenticationEnabled": false,
  "DicomCheckCalledAet": false,
  "DicomAlwaysAllowStore": true,
  "DicomAlwaysAllowEcho": true,
  "StableAge": 1,
  "Plugins": [],
  "HttpDescribeErrors": true,
  "DicomModalities": { "segstation": ["SEGSTATION", "127.0.0.1", 11104] }
}
JSON
  # Closes inherited descriptors (a caller waiting on a pipe would otherwise wait for Orthanc too).
  (
    for fd in $(ls /proc/$BASHPID/fd); do [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done
    exec setsid Orthanc "$folder/orthanc.json" < /dev/null > "$folder/orthanc.log" 2>&1
  ) &
  echo $! > "$folder/orthanc.pid"
  for _ in $(seq 1 100); do
    if curl -fs "http://127.0.0.1:$http_port/system" >/dev/null 2>&1; then
      echo "export SEGSTATION_TEST_ORTHANC=http://127.0.0.1:$http_port"
      echo "export SEGSTATION_TEST_ORTHANC_DICOM=$dicom_port"
      echo "export SEGSTATION_TEST_ORTHANC_AET=ORTHANC"
      echo "export SEGSTATION_TEST_ORTHANC_FOLDER=$folder"
      exit 0
    fi
    sleep 0.2
  done
  echo "orthanc.sh: Orthanc did not answer on port $http_port (log: $folder/orthanc.log)" >&2
  kill "$(cat "$folder/orthanc.pid")" 2>/dev/null || true
  exit 1
  ;;
stop)
  if [ -f "$folder/orthanc.pid" ]; then
    pid=$(cat "$folder/orthanc.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$folder/orthanc.pid"
  fi
  ;;
*) echo "usage: $0 start|stop FOLDER [HTTP_PORT] [DICOM_PORT]" >&2; exit 64 ;;
esac
