/* deadline.c: the time budget of one OCF action.
 * Licence: GPL-2.0-or-later. */
#include "config.h"
#include "deadline.h"

#include <errno.h>
#include <time.h>

long long ra_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ra_deadline_init(struct ra_deadline *d, long timeout_ms)
{
    clock_gettime(CLOCK_MONOTONIC, &d->end);
    if (timeout_ms < 0) {
        timeout_ms = 0;
    }
    d->end.tv_sec += timeout_ms / 1000;
    d->end.tv_nsec += (timeout_ms % 1000) * 1000000L;
    if (d->end.tv_nsec >= 1000000000L) {
        d->end.tv_sec += 1;
        d->end.tv_nsec -= 1000000000L;
    }
}

void ra_deadline_for_action(struct ra_deadline *d, long op_timeout_ms)
{
    long margin = op_timeout_ms / 10;

    if (margin < 500) {
        margin = 500;
    }
    if (margin > 5000) {
        margin = 5000;
    }
    if (margin > op_timeout_ms / 2) {
        margin = op_timeout_ms / 2;
    }
    ra_deadline_init(d, op_timeout_ms - margin);
}

long ra_deadline_remaining_ms(const struct ra_deadline *d)
{
    struct timespec now;
    long long left;

    clock_gettime(CLOCK_MONOTONIC, &now);
    left = (long long) (d->end.tv_sec - now.tv_sec) * 1000
           + (d->end.tv_nsec - now.tv_nsec) / 1000000;
    return left > 0 ? (long) left : 0;
}

bool ra_deadline_passed(const struct ra_deadline *d)
{
    return ra_deadline_remaining_ms(d) == 0;
}

long ra_deadline_cap_ms(const struct ra_deadline *d, long limit_ms)
{
    long left = ra_deadline_remaining_ms(d);

    if (limit_ms > 0 && limit_ms < left) {
        return limit_ms;
    }
    return left;
}

bool ra_deadline_sleep_ms(const struct ra_deadline *d, long ms)
{
    long left = ra_deadline_remaining_ms(d);
    struct timespec ts;

    if (left == 0) {
        return false;
    }
    if (ms > left) {
        ms = left;
    }
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        /* keep sleeping the remainder */
    }
    return !ra_deadline_passed(d);
}
