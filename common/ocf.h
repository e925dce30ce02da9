/* ocf.h: the OCF exit codes every action returns, and their names.
 * Licence: GPL-2.0-or-later. */
#ifndef RA_OCF_H
#define RA_OCF_H

#include <crm/common/results.h>

/* OCF exit codes (values from Pacemaker's results.h). */
enum {
    OCF_SUCCESS = PCMK_OCF_OK,
    OCF_ERR_GENERIC = PCMK_OCF_UNKNOWN_ERROR,
    OCF_ERR_ARGS = PCMK_OCF_INVALID_PARAM,
    OCF_ERR_UNIMPLEMENTED = PCMK_OCF_UNIMPLEMENT_FEATURE,
    OCF_ERR_PERM = PCMK_OCF_INSUFFICIENT_PRIV,
    OCF_ERR_INSTALLED = PCMK_OCF_NOT_INSTALLED,
    OCF_ERR_CONFIGURED = PCMK_OCF_NOT_CONFIGURED,
    OCF_NOT_RUNNING = PCMK_OCF_NOT_RUNNING,
    OCF_RUNNING_PROMOTED = PCMK_OCF_RUNNING_PROMOTED,
    OCF_FAILED_PROMOTED = PCMK_OCF_FAILED_PROMOTED,
    OCF_DEGRADED = PCMK_OCF_DEGRADED,
    OCF_DEGRADED_PROMOTED = PCMK_OCF_DEGRADED_PROMOTED,
};

/* "OCF_SUCCESS", "OCF_NOT_RUNNING", ... ("OCF_UNKNOWN" for any other value). */
const char *ra_ocf_str(int rc);

#endif
