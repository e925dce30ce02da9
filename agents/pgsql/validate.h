/* validate.h: validate-all's checks of the parameters, the installation and
 * the PostgreSQL settings.  Licence: GPL-2.0-or-later. */
#ifndef PGSQL_VALIDATE_H
#define PGSQL_VALIDATE_H

#include "instance.h"

/* Everything validate-all checks, in the order a bad value is best named
 * (start runs it too, before it changes anything).  Returns an OCF code
 * (reason printed). */
int validate_config(struct pg_inst *pg);

#endif
