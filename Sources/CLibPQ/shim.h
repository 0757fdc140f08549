// libpq, PostgreSQL's own C client (Debian libpq-dev): the study store's PostgreSQL connection (StudyStore/Postgres).
#include <libpq-fe.h>
