// libpq, PostgreSQL's own C client (Debian libpq-dev): the study store's PostgreSQL connection (StudyStore/Postgres).
#include <libpq-fe.h>

// The error-field codes are character-literal macros ('C', 'M', 'D'), which Swift does not import.
static const int ss_pg_diag_sqlstate = PG_DIAG_SQLSTATE;
static const int ss_pg_diag_message_primary = PG_DIAG_MESSAGE_PRIMARY;
static const int ss_pg_diag_message_detail = PG_DIAG_MESSAGE_DETAIL;
