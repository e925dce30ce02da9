/* deadline.h: the time budget of one OCF action, taken by every wait.
 * Licence: GPL-2.0-or-later. */
#ifndef RA_DEADLINE_H
#define RA_DEADLINE_H

#include <stdbool.h>
#include <time.h>

/* An absolute point on CLOCK_MONOTONIC after which the action must give up. */
struct ra_deadline {
    struct timespec end;
};

/* Deadline ending timeout_ms from now. */
void ra_deadline_init(struct ra_deadline *d, long timeout_ms);

/* Deadline of an action whose Pacemaker timeout is op_timeout_ms: keeps a
 * margin (10%, at least 500 ms, at most 5 s) so the agent can report its own
 * error before Pacemaker kills it. */
void ra_deadline_for_action(struct ra_deadline *d, long op_timeout_ms);

/* Milliseconds left, 0 when passed. */
long ra_deadline_remaining_ms(const struct ra_deadline *d);

bool ra_deadline_passed(const struct ra_deadline *d);

/* The smaller of the time left and limit_ms (limit_ms <= 0 means no limit). */
long ra_deadline_cap_ms(const struct ra_deadline *d, long limit_ms);

/* Sleep ms, but never past the deadline.  Returns false if the deadline passed. */
bool ra_deadline_sleep_ms(const struct ra_deadline *d, long ms);

/* Milliseconds on CLOCK_MONOTONIC, for measuring. */
long long ra_now_ms(void);

#endif
