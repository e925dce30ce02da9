/* validate.h: the ctfreak agent's checks of its parameters and of this
 * node's installation: validate.c's API.  Licence: GPL-2.0-or-later. */
#ifndef CTFREAK_VALIDATE_H
#define CTFREAK_VALIDATE_H

#include "common/ra.h"
#include "instance.h"

/* Problems in the configuration itself: the same on every node.  Returns
 * OCF_SUCCESS or OCF_ERR_CONFIGURED (reason given). */
int validate_configuration(struct ra_ctx *ctx);

/* Problems of this node only (software or files missing here, a file of the
 * wrong owner).  Returns an OCF code (reason given). */
int validate_node(struct ra_ctx *ctx, const struct instance *inst);

/* Both, the configuration first (validate-all, and start before it changes
 * anything).  Returns an OCF code (reason given). */
int validate_instance(struct ra_ctx *ctx, const struct instance *inst);

#endif
