/* words.h: a parameter's value split into words (quotes and backslashes
 * group, nothing is expanded).  Licence: GPL-2.0-or-later. */
#ifndef RA_WORDS_H
#define RA_WORDS_H

/* Splits s into words at blanks; "..." and '...' group, \ escapes.  No
 * expansion of any kind.  Returns a NULL-terminated array (free with
 * ra_words_free) or NULL with *err set to a static reason. */
char **ra_words_split(const char *s, const char **err);
void ra_words_free(char **words);

#endif
