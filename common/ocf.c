/* ocf.c: the names of the OCF exit codes.  Licence: GPL-2.0-or-later. */
#include "config.h"
#include "ocf.h"

const char *ra_ocf_str(int rc)
{
    switch (rc) {
    case OCF_SUCCESS:           return "OCF_SUCCESS";
    case OCF_ERR_GENERIC:       return "OCF_ERR_GENERIC";
    case OCF_ERR_ARGS:          return "OCF_ERR_ARGS";
    case OCF_ERR_UNIMPLEMENTED: return "OCF_ERR_UNIMPLEMENTED";
    case OCF_ERR_PERM:          return "OCF_ERR_PERM";
    case OCF_ERR_INSTALLED:     return "OCF_ERR_INSTALLED";
    case OCF_ERR_CONFIGURED:    return "OCF_ERR_CONFIGURED";
    case OCF_NOT_RUNNING:       return "OCF_NOT_RUNNING";
    case OCF_RUNNING_PROMOTED:  return "OCF_RUNNING_PROMOTED";
    case OCF_FAILED_PROMOTED:   return "OCF_FAILED_PROMOTED";
    case OCF_DEGRADED:          return "OCF_DEGRADED";
    case OCF_DEGRADED_PROMOTED: return "OCF_DEGRADED_PROMOTED";
    default:                    return "OCF_UNKNOWN";
    }
}
